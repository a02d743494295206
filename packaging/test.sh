#!/usr/bin/env bash
# README command 2: install what is missing, build with warnings as errors, run every test, then
# build again with Address and UB sanitizers and run the unit and integration tests under them.
set -euo pipefail
cd "$(dirname "$0")/.."

sanitizers=1
case "${1:-}" in
  -h | --help)
    cat <<'EOF'
usage: packaging/test.sh [--no-sanitizers]
  1. packaging/setup.sh (missing Debian packages)
  2. preset ci: build with warnings as errors, run the whole suite (ctest --preset ci)
  3. preset asan: build the unit and integration tests and the programs they start with
     AddressSanitizer and UndefinedBehaviorSanitizer, run them (ctest --preset asan)
  --no-sanitizers   stop after step 2 (a quicker local run; CI always runs step 3)
EOF
    exit 0
    ;;
  --no-sanitizers) sanitizers=0 ;;
  "") ;;
  *)
    echo "packaging/test.sh: unknown argument '$1' (see --help)" >&2
    exit 2
    ;;
esac

jobs="$(nproc)"
packaging/setup.sh
cmake --preset ci
cmake --build --preset ci -j "$jobs"
ctest --preset ci -j "$jobs"

if [[ "$sanitizers" == 1 ]]; then
  # Only the targets the asan test preset's labels run (tests/CMakeLists.txt): a sanitized build
  # of everything would add the crash, UI and fuzz programs that this stage does not run.
  cmake --preset asan
  cmake --build --preset asan -j "$jobs" --target muster_sanitizer_suite
  ctest --preset asan -j "$jobs"
fi
