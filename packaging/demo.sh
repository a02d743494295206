#!/usr/bin/env bash
# README command 1: install what is missing, build (preset release) and run the product on its
# embedded default: a local demo League server on SQLite (roster, event live today, badges) and a
# kiosk provisioned against it, syncing in the background.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "${1:-}" == "--help" || "${1:-}" == "-h" ]]; then
  cat <<'USAGE'
usage: packaging/demo.sh [DATA_DIR]
  Sets up Debian packages, builds the release preset, then runs the demo (default DATA_DIR:
  demo-data): muster-server seeds a demo League and serves it on 127.0.0.1:8080
  (MUSTER_DEMO_PORT to change), and muster-kiosk, provisioned against it, opens fullscreen
  (MUSTER_DEMO_WINDOWED=1 for a window). Badges to scan: DATA_DIR/badges/*.png, payloads in
  DATA_DIR/badges/badges.tsv. Without a display the kiosk runs headless on standard input.
USAGE
  exit 0
fi

data_dir="${1:-demo-data}"
port="${MUSTER_DEMO_PORT:-8080}"
bin_dir="${MUSTER_DEMO_BIN_DIR:-}"  # tests point this at an existing build and skip the build
if [[ -z "$bin_dir" ]]; then
  packaging/setup.sh
  cmake --preset release
  cmake --build --preset release -j "$(nproc)"
  bin_dir=build/release
fi
server="$bin_dir/sync/server/muster-server"
kiosk="$bin_dir/kiosk/muster-kiosk"
mkdir -p "$data_dir"

"$server" demo --db "$data_dir/league.db" --out "$data_dir/badges"
"$server" serve --db "$data_dir/league.db" --listen "127.0.0.1:$port" &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done

event_id=$(sed -n 's/^ *"id": *"\([^"]*\)".*/\1/p' assets/demo/event.json | head -n 1)
room=$(sed -n 's/^ *"room": *"\([^"]*\)".*/\1/p' assets/demo/event.json | head -n 1)
if ! "$kiosk" --data "$data_dir/kiosk" sync --once >/dev/null 2>&1; then
  code=$("$server" provision --db "$data_dir/league.db" --event "$event_id" --name "Demo kiosk" | tail -n 1)
  "$kiosk" --data "$data_dir/kiosk" provision "http://127.0.0.1:$port" "$code"
fi

echo "Badges to scan: $data_dir/badges/*.png (payloads: $data_dir/badges/badges.tsv)"
echo "Web console: http://127.0.0.1:$port/console/ (demo account: demo-admin, password muster-demo-console)"
if [[ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]]; then
  window_flag=()
  [[ "${MUSTER_DEMO_WINDOWED:-0}" == 1 ]] && window_flag=(--windowed)
  "$kiosk" --data "$data_dir/kiosk" --room "$room" "${window_flag[@]}"
else
  echo "No display: the kiosk runs headless. Paste a payload from badges.tsv and press Enter (Ctrl-D ends)."
  "$kiosk" --data "$data_dir/kiosk" --room "$room" headless
  "$kiosk" --data "$data_dir/kiosk" sync --once
  "$server" credits --db "$data_dir/league.db" --event "$event_id"
fi
