#!/usr/bin/env bash
# Where one server's CPU goes under one compare.sh scenario, per request.
#
#   bench/server_profile.sh BINARY [SCENARIO] [SECONDS]
#   bench/server_profile.sh bench/peers/mini/target/release/peer_mini pipe16
#   SERVER_ARGS=tls bench/server_profile.sh bench/peers/mini/target/tls/release/peer_mini tls_ka64
#
# The TLS scenarios (tls_ka64, tls_new) need a peer that serves HTTPS
# (SERVER_ARGS are passed after PORT THREADS: `tls` for peer_mini) and the
# certificate in BENCH_TLS_CERT / BENCH_TLS_KEY, as bench/compare.sh makes.
#
# Starts BINARY (a peer: `BINARY PORT THREADS`) pinned to CPU 0 with one
# worker, loads it with wrk pinned to CPU 1 as bench/compare.sh does, and
# samples CPU 0 with `perf record` (4 kHz, call graphs). Prints requests per
# second and, per million requests, the samples spent in user space and in
# the kernel, the latter by system call and by thread, and the kernel
# samples whose leaf is the scheduler or a wake-up (the cost of handing work
# between threads on one core).
#
# Why: instruction counts of the sans-IO path (callgrind on bench/micro)
# do not predict the server binary, whose inlining and stalls differ. A
# change that removed 139 instructions per request there cost 6 % more user
# time per request here. A/B small changes with this, interleaved, 3 rounds
# or more.
#
# Needs perf (Debian: linux-perf) and permission to sample all CPUs
# (root, or kernel.perf_event_paranoid <= 0), wrk and python3.
set -euo pipefail

BIN="${1:?usage: bench/server_profile.sh BINARY [SCENARIO] [SECONDS]}"
SC="${2:-pipe16}"
D="${3:-6}"
WRK_DIR="$(cd "$(dirname "$0")/wrk" && pwd)"
command -v perf >/dev/null || { echo "perf not found (apt-get install linux-perf)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk not found (apt-get install wrk)" >&2; exit 1; }

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
ulimit -n 20000 2>/dev/null || true

# shellcheck disable=SC2086
taskset -c 0 "$BIN" "$PORT" 1 ${SERVER_ARGS:-} >"$TMP/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 100); do # <= 10 s
    curl -sk -o /dev/null --max-time 1 "${SCHEME:-http}://127.0.0.1:$PORT/" && break
    sleep 0.1
done
perf record -q -g -F 4000 -C 0 -o "$TMP/perf.data" -- sleep $((D - 1)) >/dev/null 2>&1 &
PERF=$!
# shellcheck disable=SC2086
taskset -c 1 wrk -t1 -d"${D}s" $ARGS >"$TMP/wrk.txt" 2>&1
wait "$PERF"
RPS=$(awk '/^Requests\/sec:/ {print $2}' "$TMP/wrk.txt")
perf script -i "$TMP/perf.data" 2>/dev/null >"$TMP/perf.txt"

python3 - "$TMP/perf.txt" "$RPS" "$((D - 1))" "$(basename "$BIN")" "$SC" <<'EOF'
import collections, re, sys
path, rps, secs, name, sc = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5]
syscall = re.compile(r'(__x64_sys_\w+)')
# Kernel samples whose leaf is the scheduler or a wake-up: what a hand-off
# between two threads on one core costs (finish_task_switch is where a
# switched-in thread's time starts; _raw_spin_unlock_irqrestore is where a
# wake-up re-enables interrupts, so pending ones land there too).
sched = re.compile(r'finish_task_switch|__schedule|pick_next|__switch_to|switch_mm|futex|try_to_wake_up|ttwu|do_sched_yield|_raw_spin_unlock_irqrestore')
samples = collections.Counter()
leaf_sched = collections.Counter()
comm, frames = None, []

def flush():
    if comm is None:
        return
    if comm == 'swapper':
        samples[('idle', '')] += 1
    elif frames and '[kernel' not in frames[0]:
        samples[('user', comm)] += 1
    else:
        call = next((m.group(1) for f in frames if (m := syscall.search(f))), 'other')
        samples[('kernel', call.removeprefix('__x64_sys_') + ' / ' + comm)] += 1
        if frames and sched.search(frames[0]):
            leaf_sched[comm] += 1

for line in open(path, errors='replace'):
    if not line.strip():
        flush()
        comm, frames = None, []
    elif not line[0].isspace():
        comm, frames = line.split()[0], []
    else:
        frames.append(line.strip())
flush()

mreq = rps * secs / 1e6
user = sum(n for (kind, _), n in samples.items() if kind == 'user')
kernel = sum(n for (kind, _), n in samples.items() if kind == 'kernel')
print(f"{name} {sc}: {rps:.0f} req/s; samples (4 kHz) per million requests:")
print(f"  user {user / mreq:7.0f}   kernel {kernel / mreq:7.0f}   total {(user + kernel) / mreq:7.0f}")
print(f"  kernel with a scheduler or wake-up leaf {sum(leaf_sched.values()) / mreq:7.0f}")
for (kind, what), n in sorted(samples.items(), key=lambda kv: -kv[1]):
    if kind != 'idle' and n / mreq >= 5:
        print(f"  {kind:6} {what:40} {n / mreq:7.0f}")
EOF
