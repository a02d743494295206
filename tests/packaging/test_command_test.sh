#!/usr/bin/env bash
# Packaging.TestCommandRunsSanitizers: README command 2 (packaging/test.sh), which is all CI runs,
# must keep its sanitizer stage. Runs a copy of the script with cmake, ctest and setup.sh replaced
# by recorders, checks the commands and their order, that the asan test preset still takes the
# unit and integration labels with the LSan suppressions, and that the build target the script
# names exists in this build directory.
# usage: test_command_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
source_dir="$1"
build_dir="$2"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/tree/packaging" "$work/bin"
cp "$source_dir/packaging/test.sh" "$work/tree/packaging/test.sh"
log="$work/commands"
for tool in cmake ctest; do
  printf '#!/bin/sh\necho "%s $*" >> "%s"\n' "$tool" "$log" >"$work/bin/$tool"
  chmod +x "$work/bin/$tool"
done
printf '#!/bin/sh\necho "setup" >> "%s"\n' "$log" >"$work/tree/packaging/setup.sh"
chmod +x "$work/tree/packaging/setup.sh"

PATH="$work/bin:$PATH" "$work/tree/packaging/test.sh" || fail "test.sh exited non-zero"
jobs=$(nproc)
expected="setup
cmake --preset ci
cmake --build --preset ci -j $jobs
ctest --preset ci -j $jobs
cmake --preset asan
cmake --build --preset asan -j $jobs --target muster_sanitizer_suite
ctest --preset asan -j $jobs"
actual=$(cat "$log")
[[ "$actual" == "$expected" ]] || fail "test.sh ran:
$actual
expected:
$expected"

# --no-sanitizers stops after the ci stage; an unknown argument is refused.
: >"$log"
PATH="$work/bin:$PATH" "$work/tree/packaging/test.sh" --no-sanitizers || fail "--no-sanitizers"
grep -q -- "--preset asan" "$log" && fail "--no-sanitizers still ran the asan preset"
if PATH="$work/bin:$PATH" "$work/tree/packaging/test.sh" --bogus 2>"$work/err"; then
  fail "an unknown argument was accepted"
fi
grep -q "unknown argument" "$work/err" || fail "no message for an unknown argument"
help=$("$source_dir/packaging/test.sh" --help) || fail "--help exited non-zero"
grep -q "ctest --preset asan" <<<"$help" || fail "--help does not name the asan stage"

# The asan test preset: unit and integration, with the sanitizers' options and suppressions.
python3 - "$source_dir/CMakePresets.json" <<'EOF' || fail "the asan test preset changed"
import json, re, sys
presets = json.load(open(sys.argv[1]))
asan = next(p for p in presets["testPresets"] if p["name"] == "asan")
labels = asan["filter"]["include"]["label"]
for label in ("unit", "integration"):
    assert re.search(labels, label), f"label {label} not in {labels}"
env = asan["environment"]
assert "halt_on_error=1" in env["ASAN_OPTIONS"], env
assert "halt_on_error=1" in env["UBSAN_OPTIONS"], env
assert "tests/sanitizers/lsan.supp" in env["LSAN_OPTIONS"], env
configure = next(p for p in presets["configurePresets"] if p["name"] == "asan")
assert configure["cacheVariables"]["MUSTER_SANITIZE"] == "ON", configure
EOF
[[ -f "$source_dir/tests/sanitizers/lsan.supp" ]] || fail "tests/sanitizers/lsan.supp is missing"

# The target the script builds exists (any build directory defines it, sanitized or not).
targets=$(cmake --build "$build_dir" --target help) || fail "cmake --build $build_dir --target help"
grep -qw muster_sanitizer_suite <<<"$targets" || fail "no target muster_sanitizer_suite in $build_dir"
echo "ok: packaging/test.sh runs the ci stage, then builds muster_sanitizer_suite and runs" \
  "ctest --preset asan (unit, integration)"
