#!/usr/bin/env bash
# Start (or stop) a throwaway redis-server for the test suite, on a free port on 127.0.0.1, nothing on disk
# kept (no RDB/AOF). start: prints the Redis URL on stdout; stop [DIR]: stops the server and removes its files.
set -euo pipefail

case "${1:-}" in
  start)
    command -v redis-server >/dev/null || { echo "redis-server not found (apt-get install redis-server)" >&2; exit 1; }
    DIR=$(mktemp -d /tmp/jxtm-redis.XXXXXX)
    PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    redis-server --bind 127.0.0.1 --port "$PORT" --dir "$DIR" --save "" --appendonly no \
      --daemonize yes --pidfile "$DIR/redis.pid" --logfile "$DIR/redis.log" >/dev/null
    for _ in $(seq 1 100); do
      if python3 - "$PORT" <<'PY' 2>/dev/null
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=0.5)
s.sendall(b"PING\r\n")
sys.exit(0 if s.recv(16).startswith(b"+PONG") else 1)
PY
      then
        echo "$DIR" > "${REDIS_DIR_FILE:-/tmp/jxtm-redis-dir}"
        echo "redis://127.0.0.1:$PORT/0"
        exit 0
      fi
      sleep 0.1
    done
    cat "$DIR/redis.log" >&2; exit 1
    ;;
  stop)
    DIR=${2:-$(cat "${REDIS_DIR_FILE:-/tmp/jxtm-redis-dir}" 2>/dev/null || true)}
    [ -n "$DIR" ] && [ -d "$DIR" ] || exit 0
    if [ -f "$DIR/redis.pid" ]; then kill "$(cat "$DIR/redis.pid")" 2>/dev/null || true; fi
    # (redis removes its pid file as it exits: read it quietly, it may be gone between the test and the read)
    for _ in $(seq 1 50); do PID=$(cat "$DIR/redis.pid" 2>/dev/null) && kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
    rm -rf "$DIR"
    ;;
  *) echo "usage: $0 start | stop [DIR]" >&2; exit 2 ;;
esac
