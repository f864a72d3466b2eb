#!/usr/bin/env bash
# System calls and context switches per request of one server under one
# load, counted by perf's syscall tracepoints (this VM has no hardware
# counters; tracepoints count exactly).
#
#   bench/syscalls_per_request.sh BINARY SCENARIO [SECONDS]
#   bench/syscalls_per_request.sh bench/peers/mini/target/release/peer_mini ka64
#   SERVER_ARGS=tls bench/syscalls_per_request.sh bench/peers/mini/target/tls/release/peer_mini tls_ka64
#
# Starts BINARY (a peer: `BINARY PORT THREADS [SERVER_ARGS]`) pinned to
# CPU 0 with one worker, loads it with wrk pinned to CPU 1 as
# bench/compare.sh does, and prints req/s, the server's CPU µs per request
# and, per request, each counted system call that happened. TLS peers need
# BENCH_TLS_CERT / BENCH_TLS_KEY (bench/compare.sh makes them).
# Needs perf (Debian: linux-perf) with tracepoint access, wrk, curl, python3.
set -euo pipefail
BIN="${1:?usage: bench/syscalls_per_request.sh BINARY SCENARIO [SECONDS]}"
SC="${2:?scenario: ka64 pipe16 close post4k post64k tls_ka64 tls_new}"
D="${3:-5}"
WRK_DIR="$(cd "$(dirname "$0")/wrk" && pwd)"
SCHEME="${SCHEME:-http}"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# shellcheck source=wrk/args.sh
source "$WRK_DIR/args.sh"
ARGS=$(wrk_args "$SC" "$PORT")
[[ -n "$ARGS" ]] || { echo "unknown scenario $SC" >&2; exit 1; }
[[ "$SC" == tls_* ]] && SCHEME=https
TMP=$(mktemp -d)
SERVER=""
cleanup() {
    [[ -n "$SERVER" ]] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
# shellcheck disable=SC2086
taskset -c 0 "$BIN" "$PORT" 1 ${SERVER_ARGS:-} >"$TMP/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 100); do # <= 10 s
    curl -sk -o /dev/null --max-time 1 "$SCHEME://127.0.0.1:$PORT/" && break
    sleep 0.1
done
EVENTS="raw_syscalls:sys_enter,context-switches,task-clock"
for s in epoll_wait recvfrom read write writev sendto sendfile64 splice futex sched_yield epoll_ctl accept4 close shutdown setsockopt; do
    EVENTS="$EVENTS,syscalls:sys_enter_$s"
done
perf stat -x, -e "$EVENTS" -p "$SERVER" -o "$TMP/stat.csv" -- sleep $((D - 1)) &
PERF=$!
# shellcheck disable=SC2086
RPS=$(taskset -c 1 wrk -t1 -d"${D}s" $ARGS | awk '/^Requests\/sec/ {print $2}')
wait "$PERF"
python3 - "$RPS" "$((D - 1))" "$TMP/stat.csv" "$(basename "$BIN")" "$SC" <<'PY'
import sys
rps, secs = float(sys.argv[1]), float(sys.argv[2])
n = rps * secs
out = []
for line in open(sys.argv[3]):
    p = line.strip().split(',')
    if len(p) > 3 and p[0] and p[0][0].isdigit():
        v, name = float(p[0]), p[2].replace('syscalls:sys_enter_', '').replace('raw_syscalls:sys_enter', 'all')
        if name == 'task-clock':
            out.insert(0, f"cpu_us={v * 1000 / n:.2f}")
        elif v > 0:
            out.append(f"{name}={v / n:.3f}")
print(sys.argv[4], sys.argv[5], f"{rps:.0f} req/s", ' '.join(out))
PY
