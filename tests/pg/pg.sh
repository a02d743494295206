#!/bin/bash
# A throwaway PostgreSQL cluster for tests, on a free loopback port.
#   pg.sh start DIR   initdb + start; writes the connection URL to DIR/url
#   pg.sh stop DIR    stops it (always: pg_ctl, then kills leftovers) and removes the cluster
# As root (CI), the cluster lives in a temp dir owned by the `postgres` user, because initdb
# refuses to run as root (see the handbook's debian-notes.md). Needs Debian's `postgresql`.
set -u

usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
action=$1
dir=$2

find_bindir() {
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$found" ] || [ ! -x "$found/initdb" ] || [ ! -x "$found/pg_ctl" ]; then
    echo "pg.sh: PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin;" \
         "install them with: apt-get install postgresql" >&2
    return 1
  fi
  echo "$found"
}

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

stop_cluster() {
  local cluster bindir pid
  [ -f "$dir/cluster" ] || return 0
  cluster=$(cat "$dir/cluster")
  bindir=$(find_bindir 2>/dev/null || true)
  if [ -n "$bindir" ] && [ -d "$cluster/data" ]; then
    as_owner "$bindir/pg_ctl" -D "$cluster/data" -m immediate -w -t 20 stop >/dev/null 2>&1 || true
  fi
  # Leftovers (pg_ctl failed or timed out): the postmaster's pid is on the first line.
  if [ -f "$cluster/data/postmaster.pid" ]; then
    pid=$(head -n 1 "$cluster/data/postmaster.pid")
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  case "$cluster" in
    /tmp/muster-pg.*) rm -rf "$cluster" ;;  # only ever what start created
  esac
  rm -f "$dir/cluster" "$dir/url"
}

start_cluster() {
  local bindir cluster port attempt
  bindir=$(find_bindir) || exit 1
  if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
    echo "pg.sh: running as root but there is no 'postgres' user (install postgresql)" >&2
    exit 1
  fi
  mkdir -p "$dir"
  stop_cluster  # a cluster left by an interrupted run
  cluster=$(mktemp -d /tmp/muster-pg.XXXXXX) || exit 1
  echo "$cluster" > "$dir/cluster"
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$cluster"; fi
  if ! as_owner "$bindir/initdb" -D "$cluster/data" -A trust -U muster -E UTF8 --no-sync \
       >"$cluster/initdb.log" 2>&1; then
    echo "pg.sh: initdb failed:" >&2; cat "$cluster/initdb.log" >&2
    stop_cluster; exit 1
  fi
  # A random free port; retried because another program may take it between check and start.
  for attempt in 1 2 3 4 5 6 7 8; do
    port=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
    if ss -ltnH "sport = :$port" 2>/dev/null | grep -q .; then continue; fi
    if as_owner "$bindir/pg_ctl" -D "$cluster/data" -l "$cluster/server.log" -w -t 30 \
         -o "-p $port -k $cluster -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null 2>&1; then
      if as_owner env PGHOST=127.0.0.1 PGPORT="$port" PGUSER=muster \
           "$bindir/createdb" muster >"$cluster/createdb.log" 2>&1; then
        echo "postgresql://muster@127.0.0.1:$port/muster" > "$dir/url"
        echo "pg.sh: PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port ($cluster)"
        return 0
      fi
      echo "pg.sh: createdb failed:" >&2; cat "$cluster/createdb.log" >&2
      stop_cluster; exit 1
    fi
    echo "pg.sh: start on port $port failed (attempt $attempt), retrying" >&2
    tail -n 5 "$cluster/server.log" >&2 2>/dev/null || true
  done
  echo "pg.sh: could not start PostgreSQL" >&2
  stop_cluster; exit 1
}

case "$action" in
  start) start_cluster ;;
  stop) stop_cluster; echo "pg.sh: stopped" ;;
  *) usage ;;
esac
