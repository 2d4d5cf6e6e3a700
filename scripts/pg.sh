#!/usr/bin/env bash
# Starts or stops a private PostgreSQL 15 server for the tests: its own data
# directory under /tmp, loopback only, a free port, trust auth for the local
# "winston" superuser. Prints the connection URL on start.
#
#   scripts/pg.sh start    # prints postgres://winston@127.0.0.1:PORT/winston_test
#   scripts/pg.sh stop DIR
set -euo pipefail

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}

as_pg() {
  # initdb and postgres refuse to run as root; use the package's postgres user then.
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  local dir port
  dir=$(mktemp -d /tmp/winston-pg.XXXXXX)
  chmod 755 "$dir"
  if [[ $(id -u) -eq 0 ]]; then chown postgres:postgres "$dir"; fi
  as_pg "$PGBIN/initdb" -D "$dir/data" -U winston --auth=trust --encoding=UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  for attempt in $(seq 1 20); do
    port=$((20000 + RANDOM % 20000))
    if as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
         -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c fsync=off -c max_connections=200" \
         start >/dev/null 2>&1; then
      "$PGBIN/createdb" -h 127.0.0.1 -p "$port" -U winston winston_test
      echo "$dir" >"$dir/dir"
      echo "postgres://winston@127.0.0.1:$port/winston_test $dir"
      return 0
    fi
  done
  echo "pg.sh: could not start PostgreSQL; see $dir/server.log" >&2
  exit 1
}

stop() {
  local dir=$1
  [[ -d "$dir/data" ]] || return 0
  as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:?usage: pg.sh stop DIR}" ;;
  *) echo "usage: $0 start | stop DIR" >&2; exit 2 ;;
esac
