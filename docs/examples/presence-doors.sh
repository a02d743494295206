#!/usr/bin/env bash
# The worked example of docs/credit.md "Presence across doors", run on the real programs:
# a League server on loopback, two doors of Ballroom A and one of Room 104, badges scanned with
# `muster-kiosk headless --simulated-clock`, `sync --once`, then `close-event`, `credits`,
# `review` and a timeline drawn from the `credits --format json` output.
#   docs/examples/presence-doors.sh BIN_DIR [SOURCE_DIR]     (BIN_DIR: e.g. build/dev)
# It prints what docs/credit.md shows and exits non-zero if any step fails.
set -euo pipefail
if [[ "${1:-}" == "--help" || "${1:-}" == "-h" || $# -lt 1 ]]; then
  echo "usage: docs/examples/presence-doors.sh BIN_DIR [SOURCE_DIR]"
  exit 0
fi
bin_dir=$(cd "$1" && pwd)
source_dir=$(cd "${2:-$(dirname "$0")/../..}" && pwd)
server="$bin_dir/sync/server/muster-server"
kiosk="$bin_dir/kiosk/muster-kiosk"
work=$(mktemp -d)
server_pid=""
cleanup() {
  [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
db="$work/league.db"
event=fall-2026-training

"$server" init --db "$db" --league RIVERBEND --name "Example League" >/dev/null
"$server" import-roster --db "$db" "$source_dir/assets/demo/roster.csv" >/dev/null
"$server" import-event --db "$db" "$source_dir/assets/demo/event.json" >/dev/null
"$server" issue-badges --db "$db" --event "$event" --out "$work/badges" >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$server" serve --db "$db" --listen "127.0.0.1:$port" >"$work/server.log" 2>&1 &
server_pid=$!
python3 - "$port" <<'PY'
import sys, time, urllib.request
for _ in range(100):  # up to 10 s for the server to answer
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/healthz", timeout=1)
        break
    except OSError:
        time.sleep(0.1)
PY

badge() { awk -F'\t' -v id="$1" '$1 == id {print $NF}' "$work/badges/badges.tsv"; }
door() { # door NAME ROOM: provision a kiosk for the room
  local code
  code=$("$server" provision --db "$db" --event "$event" --name "$1" | tail -1)
  "$kiosk" --data "$work/$1" --room "$2" provision "http://127.0.0.1:$port" "$code" >/dev/null
}
scan() { # scan DOOR "LOCAL-TIME ATTENDEE"...: one headless run, answers as JSON lines
  local name=$1
  shift
  local line
  for line in "$@"; do
    set -- $line
    echo "@2026-12-03T$1:00-06:00 $(badge "$2")"
  done | "$kiosk" --data "$work/$name" headless --simulated-clock | sed "s/^/  $name: /"
}
sync_door() { "$kiosk" --data "$work/$1" sync --once >/dev/null; }

door A-1 "Ballroom A"
door A-2 "Ballroom A"
door R-104 "Room 104"

echo "# Scans (time of day in Chicago; each line is the door's answer)"
scan A-1 "08:30 RB-0001" "08:35 RB-0002"
sync_door A-1
sync_door A-2 # A-2 now knows both arrivals
scan A-2 "09:30 RB-0002"
scan A-2 "09:15 SG-0001" # Wendell's first scan of the day is here
# Door A-1 has not heard of it (no sync since): it labels Wendell's leave an arrival.
scan A-1 "09:40 SG-0001"
# The break: S1 is over, S2 starts at 10:15 in the same room. An arrival for S2.
scan A-1 "10:05 RB-0001"
scan R-104 "10:50 RB-0001"
for name in A-1 A-2 R-104; do sync_door "$name"; done

"$server" close-event --db "$db" --event "$event" >/dev/null
echo
echo "# muster-server review --event $event"
"$server" review --db "$db" --event "$event" | sed 's/^/  /'
echo
echo "# Credit and the counted stretches from credits --format json (one character = 5 min)"
"$server" credits --db "$db" --event "$event" --format json | python3 -c '
import json, sys
from datetime import datetime
from zoneinfo import ZoneInfo
doc = json.load(sys.stdin)
zone = ZoneInfo(doc["timezone"])
def minute(utc):  # "2026-12-03T14:30:00Z" -> minutes since local midnight
    t = datetime.fromisoformat(utc.replace("Z", "+00:00")).astimezone(zone)
    return t.hour * 60 + t.minute
start, stop = 8 * 60, 12 * 60
print("  " + " " * 24 + "".join(f"{h:02d}" + " " * 10 for h in range(8, 12)))
print("  " + " " * 24 + "".join("|" if m % 60 == 0 else " " for m in range(start, stop, 5)))
for person in doc["attendees"]:
    for s in person["sessions"]:
        spans = [(minute(i["from"]), minute(i["to"])) for i in s["intervals"]]
        row = "".join("#" if any(a <= m < b for a, b in spans) else "." for m in range(start, stop, 5))
        left = "  early leave " + s["left_local"][11:16] if s["early_leave"] else ""
        hours = "%.2f h" % s["credit_hours"]
        print("  %-8s %-3s %9s  %s%s" % (person["attendee_id"], s["session_id"], hours, row, left))
'
