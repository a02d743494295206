#!/usr/bin/env bash
# Runs docs/examples/presence-doors.sh and checks the figures docs/credit.md quotes from it.
set -euo pipefail
out=$("$2/docs/examples/presence-doors.sh" "$1" "$2")
echo "$out"
fail() { echo "FAIL: $*" >&2; exit 1; }
expect() { grep -qF -- "$1" <<<"$out" || fail "expected: $1"; }
expect 'A-2: {"result":"left","attendee":"RB-0002","session":"S1","early":true,"credit_hours":1.0}'
expect 'A-1: {"result":"arrived","attendee":"RB-0001","session":"S2"}'
expect '1 scan(s) to review'
expect '(A-1) #3 recorded an arrival at 09:40:00'
expect 'RB-0001  S1     1.50 h  ......##################........................'
expect 'RB-0001  S2     0.50 h  ...........................#######..............  early leave 10:50'
expect 'RB-0001  S3     0.25 h  ..................................#####.........'
expect 'RB-0002  S1     1.00 h  ......############..............................  early leave 09:30'
expect 'SG-0001  S1     0.25 h  ...............#####............................  early leave 09:40'
echo "presence example: OK"
