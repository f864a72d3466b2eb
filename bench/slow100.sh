#!/usr/bin/env bash
# slow100: 100 clients each reading a 100 MiB file at 1 MiB/s while one more
# client fetches a 1 KiB file over keep-alive (wrk -c1, its p99 is the
# figure), against the server running ONE worker thread, pinned like the
# kit's scenarios. Reports the readers' progress (every one must move), the
# 1 KiB client's latency, and the server's peak RSS (process tree).
# Usage: bench/slow100.sh [SERVER...]   (default: mini nginx)
# Env: DURATION=20 READERS=100 RATE=1048576
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DURATION="${DURATION:-20}"
READERS="${READERS:-100}"
RATE="${RATE:-1048576}"
SERVERS="${*:-mini nginx}"
export BENCH_FILES="$BENCH_DIR/results/files"
mkdir -p "$BENCH_FILES" "$BENCH_DIR/results/raw"
[[ "$(stat -c %s "$BENCH_FILES/file100m.bin" 2>/dev/null || echo 0)" == 104857600 ]] ||
    head -c 104857600 /dev/urandom >"$BENCH_FILES/file100m.bin"
[[ "$(stat -c %s "$BENCH_FILES/file1k.bin" 2>/dev/null || echo 0)" == 1024 ]] ||
    head -c 1024 /dev/urandom >"$BENCH_FILES/file1k.bin"
ulimit -n 65536 2>/dev/null || true
declare -A PORT=([mini]=18081 [nginx]=18087 [static_web_server]=18088)
bin_of() {
    case "$1" in
        mini) echo "$BENCH_DIR/peers/mini/target/release/peer_mini" ;;
        *) echo "$BENCH_DIR/peers/$1/run.sh" ;;
    esac
}
tree_pids() { local p; echo "$1"; for p in $(pgrep -P "$1" 2>/dev/null); do tree_pids "$p"; done; }
tree_rss_kb() { local p t=0; for p in $(tree_pids "$1"); do
    t=$((t + $(awk '$1 == "VmRSS:" {print $2}' "/proc/$p/status" 2>/dev/null || echo 0))); done; echo "$t"; }
printf '| server | readers ok | bytes read per reader (min / median / max) | 1 KiB client p50 / p99 | 1 KiB req/s | server peak RSS |\n|---|--:|--:|--:|--:|--:|\n'
for s in $SERVERS; do
    port=${PORT[$s]}
    taskset -c 0 "$(bin_of "$s")" "$port" 1 >>"$BENCH_DIR/results/raw/slow100_$s.log" 2>&1 &
    pid=$!
    for ((i = 0; i < 100; i++)); do curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/file1k.bin" && break; sleep 0.1; done
    taskset -c 1 python3 "$BENCH_DIR/slow_readers.py" --port "$port" -n "$READERS" --rate "$RATE" \
        --duration "$DURATION" >"$BENCH_DIR/results/raw/slow100_readers_$s.txt" 2>&1 &
    rpid=$!
    sleep 2 # let the readers connect
    peak=0
    (while kill -0 "$rpid" 2>/dev/null; do r=$(tree_rss_kb "$pid"); echo "$r"; sleep 0.5; done) \
        >"$BENCH_DIR/results/raw/slow100_rss_$s.txt" &
    spid=$!
    taskset -c 1 wrk --latency -t1 -c1 -d"$((DURATION - 4))s" "http://127.0.0.1:$port/file1k.bin" \
        >"$BENCH_DIR/results/raw/slow100_wrk_$s.txt" 2>&1 || true
    wait "$rpid" || true
    wait "$spid" 2>/dev/null || true
    kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
    peak=$(sort -n "$BENCH_DIR/results/raw/slow100_rss_$s.txt" | tail -1)
    line=$(grep '^READERS' "$BENCH_DIR/results/raw/slow100_readers_$s.txt" || echo "READERS failed")
    ok=$(sed -n 's/.* ok=\([0-9]*\).*/\1/p' <<<"$line")
    mn=$(sed -n 's/.* min=\([0-9]*\).*/\1/p' <<<"$line")
    md=$(sed -n 's/.* median=\([0-9]*\).*/\1/p' <<<"$line")
    mx=$(sed -n 's/.* max=\([0-9]*\).*/\1/p' <<<"$line")
    p50=$(awk '$1 == "50%" {print $2}' "$BENCH_DIR/results/raw/slow100_wrk_$s.txt")
    p99=$(awk '$1 == "99%" {print $2}' "$BENCH_DIR/results/raw/slow100_wrk_$s.txt")
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$BENCH_DIR/results/raw/slow100_wrk_$s.txt")
    printf '| %s | %s/%s | %s / %s / %s | %s / %s | %s | %s MiB |\n' "$s" "${ok:-?}" "$READERS" \
        "${mn:-?}" "${md:-?}" "${mx:-?}" "${p50:-?}" "${p99:-?}" "${rps:-?}" "$((${peak:-0} / 1024))"
done
