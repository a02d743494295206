#!/usr/bin/env bash
# The Debian packages, tested as a League would use them (issue 8).
#   deb_test.sh contents CPACK BUILD_DIR DEB_DIR   build both .deb with cpack, check their contents
#   deb_test.sh install  DEB_DIR                   install them (root or passwordless sudo), run the
#                                                  INSTALLED programs end to end, remove them
# Exit 0 passed, 1 failed, 77 skipped (CTest SKIP_RETURN_CODE) when this machine cannot install
# packages. Every wait is bounded; the whole install run takes well under 3 minutes.
set -euo pipefail

readonly kSkip=77
readonly kEvent=fall-2026-training   # assets/demo/event.json
readonly kRoom="Ballroom A"          # session S1: 2026-12-03 08:30-10:00 America/Chicago
readonly kScanTime=2026-12-03T14:35:00Z

fail() { echo "FAIL: $*" >&2; exit 1; }
note() { echo "-- $*"; }

# expect_line TEXT PATTERN WHAT: TEXT has a line matching the extended regex PATTERN.
expect_line() {
  grep -Eq -- "$2" <<<"$1" || { printf '%s\n' "$1" | head -60 >&2; fail "$3 (no line matching '$2')"; }
}

# ------------------------------------------------------------------------------------------------
check_deb() {  # check_deb DEB PACKAGE: fields, maintainer scripts, conffiles, files
  local deb=$1 package=$2 fields listing conffiles
  fields=$(dpkg-deb -f "$deb")
  expect_line "$fields" "^Package: ${package}\$" "$deb: package name"
  expect_line "$fields" '^Version: [0-9]' "$deb: version"
  expect_line "$fields" '^Architecture: [a-z0-9]+$' "$deb: architecture"
  expect_line "$fields" '^Depends: .*libc6 \(>= ' "$deb: Depends from dpkg-shlibdeps (libc6)"
  expect_line "$fields" '^Depends: .*libsqlite3-0' "$deb: Depends on SQLite"
  expect_line "$fields" '^Depends: .*libsodium23' "$deb: Depends on libsodium"
  expect_line "$fields" '^Depends: .*adduser' "$deb: Depends on adduser (postinst)"
  expect_line "$fields" '^Description: .{10,}' "$deb: description"
  conffiles=$(dpkg-deb -I "$deb" conffiles) || fail "$deb: no conffiles in the control archive"
  expect_line "$(dpkg-deb -I "$deb" postinst)" 'adduser .*--system' "$deb: postinst adds the user"
  dpkg-deb -I "$deb" prerm >/dev/null || fail "$deb: no prerm"
  dpkg-deb -I "$deb" postrm >/dev/null || fail "$deb: no postrm"
  listing=$(dpkg-deb -c "$deb")
  expect_line "$listing" "^-rwxr-xr-x .* \./usr/bin/${package}\$" "$deb: the program"
  expect_line "$listing" "\./usr/share/man/man1/${package}\.1\.gz\$" "$deb: the man page"
  CONFFILES=$conffiles LISTING=$listing FIELDS=$fields
}

run_contents() {
  local cpack=$1 build_dir=$2 deb_dir=$3
  [[ -f "$build_dir/CPackConfig.cmake" ]] || fail "no CPackConfig.cmake in $build_dir"
  command -v dpkg-deb >/dev/null || fail "dpkg-deb is missing (package dpkg)"
  command -v dpkg-shlibdeps >/dev/null || fail "dpkg-shlibdeps is missing (packaging/setup.sh: dpkg-dev)"
  command -v file >/dev/null || fail "file is missing (packaging/setup.sh: file)"
  rm -rf "$deb_dir"
  mkdir -p "$deb_dir"
  note "cpack -G DEB from $build_dir into $deb_dir"
  # cpack first builds the tree's `preinstall` target (every target): a no-op after the build.
  local status=0
  timeout 200 "$cpack" --config "$build_dir/CPackConfig.cmake" -G DEB -B "$deb_dir" \
    >"$deb_dir/cpack.log" 2>&1 || status=$?
  if [[ $status -eq 124 ]]; then
    fail "cpack did not finish in 200 s: its preinstall step was still building targets (build $build_dir first)"
  elif [[ $status -ne 0 ]]; then
    tail -40 "$deb_dir/cpack.log" >&2
    fail "cpack failed (exit $status)"
  fi

  local server kiosk
  server=$(find "$deb_dir" -maxdepth 1 -name 'muster-server_*.deb' | head -1)
  kiosk=$(find "$deb_dir" -maxdepth 1 -name 'muster-kiosk_*.deb' | head -1)
  [[ -n "$server" && -n "$kiosk" ]] || { ls -l "$deb_dir" >&2; fail "cpack did not write both packages"; }

  check_deb "$server" muster-server
  expect_line "$FIELDS" '^Depends: .*libpq5' "muster-server: Depends on libpq5 (PostgreSQL)"
  expect_line "$FIELDS" '^Depends: .*libcpp-httplib' "muster-server: Depends on cpp-httplib"
  expect_line "$FIELDS" '^Depends: .*libjs-chart\.js' "muster-server: Depends on libjs-chart.js (console chart)"
  expect_line "$CONFFILES" '^/etc/muster/server\.conf$' "muster-server: server.conf is a conffile"
  expect_line "$LISTING" '\./etc/muster/server\.conf$' "muster-server: /etc/muster/server.conf"
  expect_line "$LISTING" '^-rwxr-xr-x .*\./usr/lib/muster/muster-server-service$' "muster-server: wrapper"
  expect_line "$LISTING" '\./usr/lib/systemd/system/muster-server\.service$' "muster-server: unit"
  expect_line "$LISTING" '\./usr/share/muster/assets/demo/roster\.csv$' "muster-server: demo roster"
  expect_line "$LISTING" '\./usr/share/muster/assets/demo/event\.json$' "muster-server: demo event"
  expect_line "$LISTING" '\./usr/share/muster/assets/programs/.+\.jsonc$' "muster-server: programs"
  expect_line "$LISTING" '\./usr/share/doc/muster-server/examples/nginx-muster\.conf$' "nginx example"
  expect_line "$LISTING" '\./usr/share/doc/muster-server/deployment\.md$' "muster-server: guide"

  check_deb "$kiosk" muster-kiosk
  expect_line "$FIELDS" '^Recommends: .*cage' "muster-kiosk: Recommends cage"
  expect_line "$FIELDS" '^Depends: .*fonts-dejavu-core' "muster-kiosk: Depends on its font"
  expect_line "$FIELDS" '^Depends: .*libasound2' "muster-kiosk: Depends on ALSA (sounds, shlibdeps)"
  expect_line "$CONFFILES" '^/etc/muster/kiosk\.conf$' "muster-kiosk: kiosk.conf is a conffile"
  expect_line "$CONFFILES" '^/etc/pam\.d/muster-kiosk$' "muster-kiosk: PAM file is a conffile"
  expect_line "$LISTING" '^-rwxr-xr-x .*\./usr/lib/muster/muster-kiosk-session$' "muster-kiosk: wrapper"
  expect_line "$LISTING" '\./usr/lib/systemd/system/muster-kiosk-session\.service$' "muster-kiosk: unit"
  expect_line "$LISTING" '\./etc/pam\.d/muster-kiosk$' "muster-kiosk: PAM session"
  expect_line "$LISTING" '\./usr/lib/systemd/system/muster-kiosk-sync\.service$' "muster-kiosk: sync unit"
  expect_line "$LISTING" '\./usr/lib/systemd/system/muster-kiosk-sync\.timer$' "muster-kiosk: sync timer"

  # The two packages must not share a file, or dpkg refuses to install the second.
  local shared
  shared=$(comm -12 <(dpkg-deb -c "$server" | awk '$1 !~ /^d/ {print $6}' | sort) \
                    <(dpkg-deb -c "$kiosk" | awk '$1 !~ /^d/ {print $6}' | sort))
  [[ -z "$shared" ]] || fail "files in both packages: $shared"

  # The man pages are valid gzip with a title line.
  local extract=$deb_dir/extract
  rm -rf "$extract"
  dpkg-deb -x "$server" "$extract"
  dpkg-deb -x "$kiosk" "$extract"
  expect_line "$(zcat "$extract/usr/share/man/man1/muster-server.1.gz")" '^\.TH MUSTER-SERVER 1' "server man page"
  expect_line "$(zcat "$extract/usr/share/man/man1/muster-kiosk.1.gz")" '^\.TH MUSTER-KIOSK 1' "kiosk man page"
  rm -rf "$extract"
  note "both packages look right: $(basename "$server") $(basename "$kiosk")"
}

# ------------------------------------------------------------------------------------------------
SUDO=()
run_as() {  # run_as USER: sets RUN_AS to the command prefix that runs a program as USER
  RUN_AS=("${SUDO[@]}" setpriv --reuid="$1" --regid="$1" --init-groups --reset-env --
          env PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/nonexistent)
}
as_user() {  # as_user USER CMD...: run CMD as USER
  local user=$1
  shift
  run_as "$user"
  "${RUN_AS[@]}" "$@"
}

http_get() {  # http_get PORT PATH: the response (bash /dev/tcp: no curl needed)
  local reply
  exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
  printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$2" >&3
  reply=$(timeout 5 cat <&3) || true
  exec 3>&- 3<&-
  printf '%s' "$reply"
}

WORK='' SERVER_PID='' CREATED_USERS=() CREATED_DIRS=() INSTALLED=0
cleanup() {
  local status=$?
  set +e
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    "${SUDO[@]}" kill -TERM "$SERVER_PID"
    for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    "${SUDO[@]}" kill -KILL "$SERVER_PID" 2>/dev/null
  fi
  if [[ $INSTALLED -eq 1 ]]; then
    note "dpkg --purge muster-kiosk muster-server"
    "${SUDO[@]}" dpkg --purge muster-kiosk muster-server >/dev/null
  fi
  for user in "${CREATED_USERS[@]}"; do "${SUDO[@]}" userdel "$user" 2>/dev/null; done
  for user in "${CREATED_USERS[@]}"; do "${SUDO[@]}" groupdel "$user" 2>/dev/null; done
  for dir in "${CREATED_DIRS[@]}"; do "${SUDO[@]}" rm -rf "$dir"; done
  [[ -n "$WORK" ]] && "${SUDO[@]}" rm -rf "$WORK"
  exit "$status"
}

start_server() {  # the packaged wrapper, as the packaged user, on a free loopback port
  local conf=$WORK/server.conf attempt
  for attempt in 1 2 3 4 5; do
    PORT=$((20000 + RANDOM % 40000))
    printf 'MUSTER_DB=%s\nMUSTER_LISTEN=127.0.0.1:%s\nMUSTER_TLS_CERT=\nMUSTER_TLS_KEY=\nMUSTER_LEAGUE_KEY=\n' \
      "$WORK/server/league.db" "$PORT" >"$conf"
    chmod 644 "$conf"
    # A simple command in the background (not a function): $! is the server itself, since
    # setpriv, env and the wrapper all exec.
    run_as muster
    "${RUN_AS[@]}" env MUSTER_SERVER_CONF="$conf" /usr/lib/muster/muster-server-service \
      >"$WORK/server.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 100); do  # 10 s
      kill -0 "$SERVER_PID" 2>/dev/null || break
      if [[ "$(http_get "$PORT" /healthz 2>/dev/null)" == *$'\r\n\r\nok'* ]]; then
        note "muster-server (pid $SERVER_PID) answers on 127.0.0.1:$PORT"
        return 0
      fi
      sleep 0.1
    done
    "${SUDO[@]}" kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=''
    note "attempt $attempt: the server did not come up on port $PORT: $(tail -3 "$WORK/server.log")"
  done
  fail "the installed muster-server did not serve (log: $(cat "$WORK/server.log"))"
}

run_install() {
  local deb_dir=$1
  if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
      SUDO=(sudo -n)
    else
      echo "SKIPPED: installing .deb packages needs root or passwordless sudo, and this run has" \
           "neither (uid $(id -u)). The package contents were still checked by" \
           "Packaging.DebContents; run as root (CI does) to test the installation."
      exit $kSkip
    fi
  fi
  local server kiosk
  server=$(find "$deb_dir" -maxdepth 1 -name 'muster-server_*.deb' | head -1)
  kiosk=$(find "$deb_dir" -maxdepth 1 -name 'muster-kiosk_*.deb' | head -1)
  [[ -n "$server" && -n "$kiosk" ]] || fail "no packages in $deb_dir (Packaging.DebContents makes them)"

  # One installation at a time on this machine, also across build directories.
  exec 9>/tmp/muster-deb-test.lock
  flock -w 150 9 || fail "another packaging test holds /tmp/muster-deb-test.lock"
  trap cleanup EXIT
  for user in muster muster-kiosk; do getent passwd "$user" >/dev/null || CREATED_USERS+=("$user"); done
  for dir in /var/lib/muster /var/lib/muster-kiosk /etc/muster; do
    [[ -e "$dir" ]] || CREATED_DIRS+=("$dir")
  done

  note "dpkg -i $(basename "$server") $(basename "$kiosk")"
  INSTALLED=1
  export DEBIAN_FRONTEND=noninteractive
  if ! "${SUDO[@]}" timeout 120 dpkg -i "$server" "$kiosk" >"$deb_dir/dpkg.log" 2>&1; then
    note "dpkg -i left dependencies open: apt-get -f install -y"
    "${SUDO[@]}" timeout 150 apt-get -f install -y -q >>"$deb_dir/dpkg.log" 2>&1 \
      || { cat "$deb_dir/dpkg.log" >&2; fail "apt-get -f install failed"; }
  fi
  for package in muster-server muster-kiosk; do
    [[ "$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null)" == "install ok installed" ]] \
      || { cat "$deb_dir/dpkg.log" >&2; fail "$package is not installed"; }
  done

  # What the maintainer scripts promise (docs/deployment.md).
  getent passwd muster >/dev/null || fail "postinst did not create the user muster"
  getent passwd muster-kiosk >/dev/null || fail "postinst did not create the user muster-kiosk"
  [[ "$(stat -c '%U:%G %a' /var/lib/muster)" == "muster:muster 750" ]] \
    || fail "/var/lib/muster is $(stat -c '%U:%G %a' /var/lib/muster), not muster:muster 750"
  [[ "$(stat -c '%U:%G %a' /var/lib/muster-kiosk)" == "muster-kiosk:muster-kiosk 750" ]] \
    || fail "/var/lib/muster-kiosk is $(stat -c '%U:%G %a' /var/lib/muster-kiosk)"
  [[ "$(stat -c '%U:%G %a' /etc/muster/server.conf)" == "root:muster 640" ]] \
    || fail "/etc/muster/server.conf is $(stat -c '%U:%G %a' /etc/muster/server.conf)"
  id -nG muster-kiosk | grep -qw video || fail "muster-kiosk is not in the group video (camera)"
  /usr/bin/muster-server --help >/dev/null || fail "the installed muster-server --help failed"
  /usr/bin/muster-kiosk --help >/dev/null || fail "the installed muster-kiosk --help failed"
  for page in muster-server muster-kiosk; do
    [[ "$(zcat "/usr/share/man/man1/$page.1.gz")" == *".TH ${page^^} 1"* ]] \
      || fail "the installed man page of $page is unreadable"
  done

  if command -v systemd-analyze >/dev/null; then
    note "systemd-analyze verify the units"
    local verify man=no
    command -v man >/dev/null && man=yes  # also checks Documentation=man:... pages exist
    verify=$("${SUDO[@]}" timeout 60 systemd-analyze verify --man="$man" \
      /usr/lib/systemd/system/muster-server.service \
      /usr/lib/systemd/system/muster-kiosk-session.service \
      /usr/lib/systemd/system/muster-kiosk-sync.service \
      /usr/lib/systemd/system/muster-kiosk-sync.timer 2>&1) \
      || { echo "$verify" >&2; fail "systemd-analyze verify found errors in the units"; }
    # verify only warns about unknown or unparsable settings, which systemd then ignores.
    if grep -E 'muster.*(Unknown|Failed to parse|ignoring)' <<<"$verify" >&2; then
      fail "systemd-analyze verify: the units have settings systemd ignores"
    fi
    [[ -z "$verify" ]] || echo "$verify"
  else
    note "systemd-analyze is not installed: unit files not verified"
  fi

  # --- the League's server, with the packaged demo data -------------------------------------
  WORK=$(mktemp -d /tmp/muster-deb-test.XXXXXX)
  chmod 755 "$WORK"
  mkdir "$WORK/server" "$WORK/kiosk"
  "${SUDO[@]}" chown muster:muster "$WORK/server"
  "${SUDO[@]}" chown muster-kiosk:muster-kiosk "$WORK/kiosk"
  local db=$WORK/server/league.db demo=/usr/share/muster/assets/demo
  as_user muster /usr/bin/muster-server init --db "$db" --league TST --name "Packaging Test League" \
    || fail "muster-server init"
  as_user muster /usr/bin/muster-server import-roster --db "$db" "$demo/roster.csv" \
    || fail "muster-server import-roster $demo/roster.csv"
  as_user muster /usr/bin/muster-server import-event --db "$db" "$demo/event.json" \
    || fail "muster-server import-event $demo/event.json"
  as_user muster /usr/bin/muster-server issue-badges --db "$db" --event "$kEvent" \
    --out "$WORK/server/badges" >/dev/null || fail "muster-server issue-badges"
  local badge attendee payload
  badge=$(sed -n 2p "$WORK/server/badges/badges.tsv")
  attendee=$(cut -f1 <<<"$badge")
  payload=$(cut -f4 <<<"$badge")
  [[ "$payload" == MU1.* ]] || fail "no badge payload in badges.tsv: $badge"
  local code
  code=$(as_user muster /usr/bin/muster-server provision --db "$db" --event "$kEvent" \
    --name "Packaging test door" | tail -1)
  [[ "$code" =~ ^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$ ]] || fail "provision printed no code: $code"

  # Before `init` the service must stop with a clear message and EX_CONFIG (no restart loop).
  local missing_conf=$WORK/missing.conf missing_out missing_status=0
  printf 'MUSTER_DB=%s\nMUSTER_LISTEN=127.0.0.1:9\n' "$WORK/server/none.db" >"$missing_conf"
  chmod 644 "$missing_conf"
  missing_out=$(as_user muster env MUSTER_SERVER_CONF="$missing_conf" \
    timeout 20 /usr/lib/muster/muster-server-service 2>&1) || missing_status=$?
  [[ $missing_status -eq 78 && "$missing_out" == *"muster-server init --db"* ]] \
    || fail "the service wrapper without a database: exit $missing_status, '$missing_out'"

  start_server

  # --- a kiosk at the door of Ballroom A ------------------------------------------------------
  local kdata=$WORK/kiosk/data kiosk_help synced=0
  kiosk_help=$(/usr/bin/muster-kiosk --help 2>&1)
  if [[ "$kiosk_help" == *provision* ]]; then
    note "muster-kiosk provision http://127.0.0.1:$PORT $code"
    as_user muster-kiosk /usr/bin/muster-kiosk --data "$kdata" provision \
      "http://127.0.0.1:$PORT" "$code" || fail "muster-kiosk provision"
  else
    note "muster-kiosk has no provision command: loading the package offline (import-package)"
    as_user muster /usr/bin/muster-server package --db "$db" --event "$kEvent" \
      --out "$WORK/server/event-package.json" || fail "muster-server package"
    chmod 644 "$WORK/server/event-package.json"
    as_user muster-kiosk /usr/bin/muster-kiosk --data "$kdata" import-package \
      "$WORK/server/event-package.json" || fail "muster-kiosk import-package"
  fi

  # The scan goes through the packaged session wrapper (without cage: no screen here).
  local kconf=$WORK/kiosk.conf scan_out
  printf 'MUSTER_KIOSK_DATA=%s\nMUSTER_KIOSK_ROOM="%s"\nMUSTER_KIOSK_ARGS="headless --simulated-clock"\nMUSTER_KIOSK_COMPOSITOR=none\n' \
    "$kdata" "$kRoom" >"$kconf"
  chmod 644 "$kconf"
  scan_out=$(printf '@%s %s\n' "$kScanTime" "$payload" \
    | as_user muster-kiosk env MUSTER_KIOSK_CONF="$kconf" timeout 60 /usr/lib/muster/muster-kiosk-session) \
    || fail "the headless scan through muster-kiosk-session failed: $scan_out"
  note "scan: $scan_out"
  expect_line "$scan_out" '"result": ?"arrived"' "the badge was not recorded as an arrival"
  expect_line "$scan_out" "\"attendee\": ?\"$attendee\"" "the scan names another attendee"
  expect_line "$scan_out" '"session": ?"S1"' "the scan is not in session S1 (Ballroom A)"
  [[ "$(stat -c '%U' "$kdata/kiosk.db")" == muster-kiosk ]] || fail "kiosk.db is not muster-kiosk's"

  # --- sync, and the server's credit for the scan ----------------------------------------------
  if [[ "$kiosk_help" == *sync* ]]; then
    note "muster-kiosk sync --once"
    as_user muster-kiosk timeout 90 /usr/bin/muster-kiosk --data "$kdata" sync --once \
      || fail "muster-kiosk sync --once (server log: $(tail -5 "$WORK/server.log"))"
    local credits
    credits=$(as_user muster /usr/bin/muster-server credits --db "$db" --event "$kEvent" --format csv) \
      || fail "muster-server credits"
    expect_line "$credits" "^$attendee,.*,S1,.*,2026-12-03T14:3[45]:[0-9.]+Z," \
      "the server has no arrival of $attendee in S1 after the sync"
    synced=1
  else
    note "muster-kiosk has no sync command yet: the scan stayed on the kiosk"
  fi

  # The service stops cleanly on SIGTERM (what systemctl stop sends).
  "${SUDO[@]}" kill -TERM "$SERVER_PID"
  local status=0
  wait "$SERVER_PID" || status=$?
  SERVER_PID=''
  [[ $status -eq 0 ]] || fail "muster-server exited $status on SIGTERM: $(tail -5 "$WORK/server.log")"

  # Removal: the programs go, the data stays (purge keeps the League's records).
  "${SUDO[@]}" dpkg --purge muster-kiosk muster-server >"$deb_dir/dpkg-purge.log" 2>&1 \
    || { cat "$deb_dir/dpkg-purge.log" >&2; fail "dpkg --purge failed"; }
  INSTALLED=0
  [[ ! -e /usr/bin/muster-server && ! -e /usr/bin/muster-kiosk ]] || fail "programs left after purge"
  [[ ! -e /etc/muster/server.conf ]] || fail "/etc/muster/server.conf left after purge"
  [[ -d /var/lib/muster ]] || fail "purge deleted /var/lib/muster (the League's data)"
  note "installed, served, provisioned, scanned$([[ $synced -eq 1 ]] && echo ', synced'), removed"
}

case "${1:-}" in
  contents) [[ $# -eq 4 ]] || fail "usage: $0 contents CPACK BUILD_DIR DEB_DIR"; run_contents "$2" "$3" "$4" ;;
  install) [[ $# -eq 2 ]] || fail "usage: $0 install DEB_DIR"; run_install "$2" ;;
  -h | --help) sed -n 2,7p "$0" ;;
  *) fail "usage: $0 contents CPACK BUILD_DIR DEB_DIR | install DEB_DIR" ;;
esac
