#!/usr/bin/env bash
# README command 2: install what is missing, build with warnings as errors, run every test.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "${1:-}" == "--help" || "${1:-}" == "-h" ]]; then
  echo "usage: packaging/test.sh   set up, build (preset ci) and run the whole test suite via CTest"
  exit 0
fi

packaging/setup.sh
cmake --preset ci
cmake --build --preset ci -j "$(nproc)"
ctest --preset ci -j "$(nproc)"
