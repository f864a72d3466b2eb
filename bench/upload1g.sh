#!/usr/bin/env bash
# upload1g: one 1 GiB upload (curl -T from a file, Content-Length framing)
# to the mini peer's POST /upload, which spools it to a temporary file and
# reads it back through Request::body_reader (counting the bytes). Reports
# the throughput against `cat` of the same file into a file in the same
# temporary directory (the disk the spool writes to), and the server's RSS
# growth (peak during the upload minus before).
# Usage: bench/upload1g.sh   Env: SIZE_MIB=1024
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SIZE_MIB="${SIZE_MIB:-1024}"
PORT=18081
BIN="$BENCH_DIR/peers/mini/target/release/peer_mini"
[[ -x "$BIN" ]] || cargo build --release --quiet --manifest-path "$BENCH_DIR/peers/mini/Cargo.toml" \
    --target-dir "$BENCH_DIR/peers/mini/target"
SPOOL="${TMPDIR:-/tmp}"
SRC="$SPOOL/bench-upload-src.bin"
[[ "$(stat -c %s "$SRC" 2>/dev/null || echo 0)" == $((SIZE_MIB * 1048576)) ]] ||
    head -c $((SIZE_MIB * 1048576)) /dev/urandom >"$SRC"
cat "$SRC" >/dev/null # warm the page cache for both runs

t0=$(date +%s.%N)
cat "$SRC" >"$SPOOL/bench-upload-cat.bin"
sync -f "$SPOOL/bench-upload-cat.bin" 2>/dev/null || true
t1=$(date +%s.%N)
rm -f "$SPOOL/bench-upload-cat.bin"
cat_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')

MINI_MAX_BODY=$((SIZE_MIB * 1048576 + 1)) taskset -c 0 "$BIN" "$PORT" 1 >"$BENCH_DIR/results/raw/upload1g_server.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
for ((i = 0; i < 100; i++)); do curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$PORT/" && break; sleep 0.1; done
before=$(awk '$1 == "VmRSS:" {print $2}' "/proc/$pid/status")
(while kill -0 "$pid" 2>/dev/null; do awk '$1 == "VmRSS:" {print $2}' "/proc/$pid/status"; sleep 0.2; done) \
    >"$BENCH_DIR/results/raw/upload1g_rss.txt" 2>/dev/null &
spid=$!
t0=$(date +%s.%N)
answer=$(taskset -c 1 curl -sS --max-time 600 -H 'Expect:' -X POST -T "$SRC" "http://127.0.0.1:$PORT/upload")
t1=$(date +%s.%N)
kill "$spid" 2>/dev/null || true
up_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
peak=$(sort -n "$BENCH_DIR/results/raw/upload1g_rss.txt" | tail -1)
echo "| upload | answer | seconds | MiB/s | vs cat to a file | server RSS growth |"
echo "|---|---|--:|--:|--:|--:|"
awk -v s="$SIZE_MIB" -v u="$up_s" -v c="$cat_s" -v a="$answer" -v b="$before" -v p="$peak" 'BEGIN {
    printf "| %d MiB | %s | %.2f | %.0f | %.2f× (cat: %.2f s, %.0f MiB/s) | %.1f MiB |\n",
        s, a, u, s / u, c / u, c, s / c, (p - b) / 1024 }'
