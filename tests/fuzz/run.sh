#!/usr/bin/env bash
# Builds the libFuzzer targets with clang from SOURCE (the parsers' shared/*.cpp and the server's
# scan JSON), then runs each for a bounded time on its seed corpus in tests/fuzz/corpus/<target>/.
# usage: tests/fuzz/run.sh BUILD_DIR [SECONDS_PER_TARGET] [TARGET...]   (0 seconds: build only)
# Exit status: 0 when every target ran clean; 1 when one crashed (the reproducer is kept in
# BUILD_DIR/artifacts/<target>/ and printed), 2 on a usage or build error.
# The total executions per target are printed as "fuzz: TARGET runs=N" (bench/run reads them).
set -euo pipefail

if [[ $# -lt 1 || "$1" == "--help" || "$1" == "-h" ]]; then
  sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'
  [[ $# -ge 1 ]] && exit 0 || exit 2
fi
source_dir=$(cd "$(dirname "$0")/../.." && pwd)
build_dir=$1
seconds=${2:-8}
shift $(( $# >= 2 ? 2 : 1 ))
all_targets=(badge roster_csv event_json scan_batch package)
targets=("${@:-${all_targets[@]}}")
[[ ${#targets[@]} -eq 0 ]] && targets=("${all_targets[@]}")

cxx=${MUSTER_FUZZ_CXX:-clang++}
command -v "$cxx" >/dev/null || { echo "fuzz: $cxx not found (install clang libclang-rt-14-dev)" >&2; exit 2; }
mkdir -p "$build_dir/obj"

# The scan-batch parser lives in the server today; it may move to shared/scan_json.
if [[ -f "$source_dir/shared/scan_json.hpp" ]] && grep -q parse_scan_batch "$source_dir/shared/scan_json.hpp"; then
  scan_header='"shared/scan_json.hpp"'; scan_sources=()
  scan_ns=$(grep -m1 -o 'namespace muster[a-z:_]*' "$source_dir/shared/scan_json.hpp" | sed 's/namespace //')
else
  scan_header='"sync/server/http_json.hpp"'; scan_sources=("$source_dir/sync/server/http_json.cpp")
  scan_ns=muster::server
fi
# Everything a parser may call; the SQLite store comes along so that no symbol is missing.
sources=("$source_dir"/shared/*.cpp "${scan_sources[@]}")
flags=(-std=c++20 -g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
       -I"$source_dir" -DONLY_C_LOCALE=1 -DHAS_STRING_VIEW=1 -DUSE_OS_TZDB=1 -DMUSTER_VERSION=\"fuzz\")

objects=()
for src in "${sources[@]}"; do
  obj="$build_dir/obj/$(echo "${src#"$source_dir"/}" | tr '/' '_').o"
  if [[ ! -f "$obj" || "$src" -nt "$obj" ]] || find "$source_dir/shared" "$source_dir/sync/server" -name '*.hpp' -newer "$obj" | grep -q .; then
    "$cxx" "${flags[@]}" -c "$src" -o "$obj" || { echo "fuzz: cannot compile $src" >&2; exit 2; }
  fi
  objects+=("$obj")
done

status=0
for target in "${targets[@]}"; do
  harness="$source_dir/tests/fuzz/fuzz_$target.cpp"
  [[ -f "$harness" ]] || { echo "fuzz: no target $target" >&2; exit 2; }
  binary="$build_dir/fuzz_$target"
  if [[ ! -x "$binary" || "$harness" -nt "$binary" ]] || find "$build_dir/obj" -newer "$binary" | grep -q .; then
    "$cxx" "${flags[@]/-fsanitize=fuzzer-no-link,address,undefined/-fsanitize=fuzzer,address,undefined}" \
      -DMUSTER_SCAN_JSON_HEADER="$scan_header" -DMUSTER_SCAN_JSON_NAMESPACE="$scan_ns" \
      "$harness" "${objects[@]}" -o "$binary" -lsodium -lsqlite3 -ldate-tz \
      || { echo "fuzz: cannot link $target" >&2; exit 2; }
  fi
  [[ "$seconds" == 0 ]] && { echo "fuzz: built $target"; continue; }
  corpus="$build_dir/corpus/$target"  # a working copy: new inputs never land in the repo
  mkdir -p "$corpus" "$build_dir/artifacts/$target"
  cp -n "$source_dir/tests/fuzz/corpus/$target"/* "$corpus"/ 2>/dev/null || true
  log="$build_dir/$target.log"
  if "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
       -artifact_prefix="$build_dir/artifacts/$target/" -print_final_stats=1 \
       "$corpus" >"$log" 2>&1 || { tail -40 "$log" >&2; false; }; then
    runs=$(grep -m1 'stat::number_of_executed_units' "$log" | awk '{print $2}')
    echo "fuzz: $target runs=${runs:-?} seconds=$seconds crashes=0"
  else
    echo "fuzz: $target CRASHED; reproducer: $(ls "$build_dir/artifacts/$target"/* 2>/dev/null | head -1)"
    status=1
  fi
done
exit $status
