#!/usr/bin/env bash
# Runs README command 1's program (muster-core-demo) twice on the demo data in a temp dir and
# checks what it promises: refusals with their reasons, durable stores, intact chains, and the
# same hand-computed credit on a second run (credit is derived, duplicates change nothing).
set -euo pipefail
demo="$1"
source_dir="$2"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

run() {
  "$demo" --data "$work/data" --roster "$source_dir/assets/demo/roster.csv" \
    --event "$source_dir/assets/demo/event.json"
}

first=$(run) || fail "demo exited non-zero"
echo "$first"
grep -q "REFUSED (bad_signature)" <<<"$first" || fail "altered badge not refused"
grep -q "REFUSED (revoked_serial)" <<<"$first" || fail "lost badge not refused"
grep -q "REFUSED (other_league)" <<<"$first" || fail "other League's badge not refused"
[[ $(grep -c "hash chain intact" <<<"$first") -eq 2 ]] || fail "both door chains must verify"
# 08:30-10:00, 1.5 h: arrived 08:30, left 09:20 -> 50/90 * 1.5 = 0.83 -> 0.75 h, early leave.
grep -E "^  PC-0002 .* yes [0-9:]+ +0\.75 " <<<"$first" >/dev/null || fail "PC-0002 credit"
# arrived 25 min late with a reprinted badge -> 65/90 * 1.5 = 1.08 -> 1.00 h
grep -E "^  RB-0002 .* no +1\.00 " <<<"$first" >/dev/null || fail "RB-0002 credit"
grep -q "Total credit hours: 10.00" <<<"$first" || fail "total credit"
[[ $(wc -l <"$work/data/badges.tsv") -eq 13 ]] || fail "badges.tsv must have a header and 12 rows"
[[ $(stat -c %a "$work/data/league.key") == 600 ]] || fail "league.key must be mode 0600"
for db in door-a door-b; do
  [[ $(sqlite3 "$work/data/$db.db" "PRAGMA integrity_check;") == ok ]] || fail "$db integrity"
  [[ $(sqlite3 "$work/data/$db.db" "PRAGMA journal_mode;") == wal ]] || fail "$db not WAL"
done
scans_first=$(sqlite3 "$work/data/door-a.db" "SELECT count(*) FROM scans;")

second=$(run) || fail "second run exited non-zero"
grep -q "Total credit hours: 10.00" <<<"$second" || fail "second run must derive the same credit"
scans_second=$(sqlite3 "$work/data/door-a.db" "SELECT count(*) FROM scans;")
[[ $scans_second -eq $((scans_first * 2)) ]] || fail "scans are appended, never replaced"
[[ $(grep -c "hash chain intact" <<<"$second") -eq 2 ]] || fail "chains intact after reopening"
echo "core demo: OK"
