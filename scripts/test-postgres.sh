#!/usr/bin/env bash
# Start (or stop) a throwaway PostgreSQL server for the test suite, on a free port on 127.0.0.1.
# start: prints the database URL on stdout; stop DIR: stops the server and removes its files.
set -euo pipefail

bindir() {
  local d
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && { echo "$d"; return; }; done
  command -v initdb >/dev/null && { dirname "$(command -v initdb)"; return; }
  echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1
}

as_pg() {
  # initdb and postgres refuse to run as root: run them as the postgres user when we are root.
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
  start)
    BIN=$(bindir)
    DIR=$(mktemp -d /tmp/jxtm-pg.XXXXXX)
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$DIR"
    # autovacuum off: the tests empty tables with DELETE (tests/conftest.py), and a vacuum would let new rows fill
    # the freed space in any order; without it a table's rows are read back in the order they were written, as
    # after the TRUNCATE used before (a test that forgot an ORDER BY failed once that way).
    # PG_OPTIONS replaces these server settings (PG_OPTIONS= for PostgreSQL's durable defaults, as a benchmark wants).
    OPTIONS=${PG_OPTIONS--c fsync=off -c full_page_writes=off -c synchronous_commit=off -c autovacuum=off}
    PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_pg "$BIN/initdb" -D "$DIR/data" -U test --auth=trust -E UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 \
      || { cat "$DIR/initdb.log" >&2; exit 1; }
    as_pg "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
      -o "-p $PORT -k $DIR -h 127.0.0.1 $OPTIONS" start >/dev/null \
      || { cat "$DIR/server.log" >&2; exit 1; }
    as_pg "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U test marketplace_test
    echo "$DIR" > "${PG_DIR_FILE:-/tmp/jxtm-pg-dir}"
    echo "postgresql+psycopg://test@127.0.0.1:$PORT/marketplace_test"
    ;;
  stop)
    DIR=${2:-$(cat "${PG_DIR_FILE:-/tmp/jxtm-pg-dir}" 2>/dev/null || true)}
    [ -n "$DIR" ] && [ -d "$DIR" ] || exit 0
    as_pg "$(bindir)/pg_ctl" -D "$DIR/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$DIR"
    ;;
  *) echo "usage: $0 start | stop [DIR]" >&2; exit 2 ;;
esac
