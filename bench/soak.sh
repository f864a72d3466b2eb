#!/usr/bin/env bash
# Soak test for mini_async_http (manual; not run in CI).
#
#   bench/soak.sh                 # 300 s
#   DURATION=60 bench/soak.sh     # shorter
#
# Builds the echo example in release mode, starts it on a free port of
# 127.0.0.1 and, for DURATION seconds, runs a bounded mixed load against it:
#   - wrk -t1 -c32 keep-alive traffic (GET / and POST /echo with 1 KiB),
#   - bench/soak_clients.py: garbage, bad Content-Length, oversize heads,
#     slowloris and half-closing clients, in a loop.
# Samples the server's RSS (VmRSS) every 10 s. Prints requests served,
# errors by kind and RSS at start / max / end. Stops by itself and kills
# everything it started (trap on EXIT).
#
# Knobs: DURATION (seconds, default 300), WRK_CONNS (default 32),
# CARGO_TARGET_DIR (where the echo binary is built), SOAK_SEED (python RNG).
set -euo pipefail

DURATION=${DURATION:-300}
WRK_CONNS=${WRK_CONNS:-32}
SOAK_SEED=${SOAK_SEED:-1}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=$TARGET/release/examples/echo
OUT=$(mktemp -d "${TMPDIR:-/tmp}/mini-soak.XXXXXX")

command -v wrk >/dev/null || { echo "soak: wrk not found (apt-get install wrk)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "soak: python3 not found" >&2; exit 1; }

PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then wait "$pid" 2>/dev/null || true; fi
    done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "soak: building the echo example (release)" >&2
(cd "$ROOT" && cargo build --release --example echo --quiet)

# Start the server on a free port; it prints "listening on 127.0.0.1:PORT".
: >"$OUT/server.out"
"$BIN" 0 >"$OUT/server.out" 2>"$OUT/server.err" &
SERVER=$!
PIDS+=("$SERVER")
PORT=
for _ in $(seq 1 100); do
    PORT=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$OUT/server.out" || true)
    [ -n "$PORT" ] && break
    kill -0 "$SERVER" 2>/dev/null || { echo "soak: server exited early" >&2; cat "$OUT/server.err" >&2; exit 1; }
    sleep 0.1
done
[ -n "$PORT" ] || { echo "soak: server did not report its port" >&2; exit 1; }
echo "soak: echo pid $SERVER on 127.0.0.1:$PORT for ${DURATION}s; logs in $OUT" >&2

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$SERVER/status" 2>/dev/null || echo 0; }

cat >"$OUT/mixed.lua" <<'LUA'
-- Alternates GET / and POST /echo with a 1 KiB body on keep-alive connections.
local n = 0
local body = string.rep("x", 1024)
request = function()
  n = n + 1
  if n % 2 == 0 then
    return wrk.format("POST", "/echo", { ["Content-Type"] = "text/plain" }, body)
  end
  return wrk.format("GET", "/")
end
LUA

wrk -t1 -c"$WRK_CONNS" -d"${DURATION}s" --timeout 5s -s "$OUT/mixed.lua" \
    "http://127.0.0.1:$PORT/" >"$OUT/wrk.out" 2>&1 &
WRK=$!
PIDS+=("$WRK")

python3 "$ROOT/bench/soak_clients.py" "$PORT" "$DURATION" "$SOAK_SEED" >"$OUT/py.out" 2>"$OUT/py.err" &
PY=$!
PIDS+=("$PY")

# Sample RSS every 10 s while the loads run. Both stop by themselves (the
# python clients within DURATION + 45 s); past DURATION + 90 s they are killed.
: >"$OUT/rss.log"
SAMPLES=$(( (DURATION + 90) / 10 + 1 ))
for _ in $(seq 1 "$SAMPLES"); do
    echo "$(date +%s) $(rss_kib)" >>"$OUT/rss.log"
    kill -0 "$WRK" 2>/dev/null || kill -0 "$PY" 2>/dev/null || break
    sleep 10
done
kill "$WRK" "$PY" 2>/dev/null || true
wait "$WRK" || echo "soak: wrk exited with $?" >&2
wait "$PY" || echo "soak: python clients exited with $?" >&2

ALIVE=yes
kill -0 "$SERVER" 2>/dev/null || ALIVE=no
END_RSS=$(rss_kib)
echo "$(date +%s) $END_RSS" >>"$OUT/rss.log"

# A last request after the storm.
FINAL=$(python3 - "$PORT" <<'PY'
import socket, sys
try:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
    s.settimeout(5)
    s.sendall(b"GET /final HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        c = s.recv(65536)
        if not c:
            break
        data += c
    print(data.split(b"\r\n", 1)[0].decode("latin-1"))
except OSError as e:
    print("error: %s" % e)
PY
)

echo
echo "=== soak summary (${DURATION}s, 127.0.0.1:$PORT) ==="
echo "server alive at end: $ALIVE; final request: $FINAL"
REQS=$(sed -n 's/^ *\([0-9]*\) requests in .*/\1/p' "$OUT/wrk.out")
echo "wrk requests served: ${REQS:-?} ($(grep -E 'Requests/sec' "$OUT/wrk.out" | tr -s ' '))"
grep -E 'Latency|Socket errors|Non-2xx' "$OUT/wrk.out" | sed 's/^ */wrk /' || true
grep -q 'Socket errors' "$OUT/wrk.out" || echo "wrk socket errors: none"
grep -q 'Non-2xx' "$OUT/wrk.out" || echo "wrk non-2xx responses: 0"
echo "python clients (kind outcome count):"
sed 's/^/  /' "$OUT/py.out"
[ -s "$OUT/py.err" ] && { echo "python stderr:"; sed 's/^/  /' "$OUT/py.err"; }
awk 'NR == 1 {start = $2} {if ($2 > max) max = $2; last = $2; n++}
     END {printf "RSS KiB: start %d, max %d, end %d (%d samples)\n", start, max, last, n}' "$OUT/rss.log"
echo "server stderr lines: $(wc -l <"$OUT/server.err")"
