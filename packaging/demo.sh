#!/usr/bin/env bash
# README command 1: install what is missing, build (preset release) and run the product on its
# embedded default. Until the kiosk and server exist this runs the core library's demo:
# a demo League key, badges, an event live today, door scans in a real kiosk store, credits.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "${1:-}" == "--help" || "${1:-}" == "-h" ]]; then
  echo "usage: packaging/demo.sh [DATA_DIR]   set up, build and run the Muster demo (default DATA_DIR: demo-data)"
  exit 0
fi

data_dir="${1:-demo-data}"
packaging/setup.sh
cmake --preset release
cmake --build --preset release -j "$(nproc)"
exec build/release/shared/demo/muster-core-demo --data "$data_dir" \
  --roster assets/demo/roster.csv --event assets/demo/event.json
