#!/usr/bin/env bash
# upload1g: one 1 GiB upload (curl -T from a file, Content-Length framing),
# ROUNDS times, each round timing in turn:
#   cat    `cat` of the file into a new file in the spool directory (the
#          disk the uploads are written to): the issue's yardstick;
#   keep   the mini peer's POST /upload with MINI_UPLOAD_DIR: spooled, then
#          kept with Request::persist_body (a link of the spool file, with
#          the peer's `splice` feature on Linux);
#   read   the mini peer's POST /upload without it: spooled, then read
#          back through Request::body_reader (counting the bytes);
#   nginx  nginx's WebDAV PUT (dav_methods PUT): the body goes to
#          client_body_temp_path and is renamed into place, what `keep` does.
# Before every timed step the written files are removed and the page cache
# is flushed (`sync`, not timed), so that no step pays for an earlier one's
# writeback. Reports per step the median seconds, MiB/s, the paired median
# of cat's time over the step's (the issue's "throughput vs cat"), the
# CPU seconds per upload (utime + stime: the server's, or cat's own) and
# their paired ratio (throughput per core, as the kit's ratios are), and,
# for mini, the RSS growth (peak during the upload minus before). Single
# uploads vary by 2-4x in wall time on this VM (page-cache allocation and
# reclaim); the CPU figures vary less.
# Usage: bench/upload1g.sh   Env: SIZE_MIB=1024 ROUNDS=5 TMPDIR=/tmp
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SIZE_MIB="${SIZE_MIB:-1024}"
ROUNDS="${ROUNDS:-5}"
BIN="$BENCH_DIR/peers/mini/target/release/peer_mini"
[[ -x "$BIN" ]] || cargo build --release --quiet --manifest-path "$BENCH_DIR/peers/mini/Cargo.toml" \
    --target-dir "$BENCH_DIR/peers/mini/target"
command -v curl >/dev/null || { echo "curl not found (apt-get install curl)" >&2; exit 1; }
SPOOL="${TMPDIR:-/tmp}"
SRC="$SPOOL/bench-upload-src.bin"
[[ "$(stat -c %s "$SRC" 2>/dev/null || echo 0)" == $((SIZE_MIB * 1048576)) ]] ||
    head -c $((SIZE_MIB * 1048576)) /dev/urandom >"$SRC"
WORK="$(mktemp -d "$SPOOL/bench-upload.XXXXXX")"
RAW="$BENCH_DIR/results/raw"
mkdir -p "$RAW" "$WORK/kept" "$WORK/nginx/root/up" "$WORK/nginx/body"
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_up() { # wait_up PORT: until the port answers (at most 10 s)
    for ((i = 0; i < 100; i++)); do
        curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$1/" && return 0
        sleep 0.1
    done
    echo "no server on port $1" >&2; exit 1
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

KEEP_PORT=$(free_port)
MINI_UPLOAD_DIR="$WORK/kept" MINI_MAX_BODY=$((SIZE_MIB * 1048576 + 1)) \
    taskset -c 0 "$BIN" "$KEEP_PORT" 1 >"$RAW/upload1g_keep.log" 2>&1 &
KEEP_PID=$!; PIDS+=("$KEEP_PID")
READ_PORT=$(free_port)
MINI_MAX_BODY=$((SIZE_MIB * 1048576 + 1)) taskset -c 0 "$BIN" "$READ_PORT" 1 >"$RAW/upload1g_read.log" 2>&1 &
READ_PID=$!; PIDS+=("$READ_PID")
STEPS="cat keep read"
NGINX="$(command -v nginx || true)"
[[ -z "$NGINX" && -x /usr/sbin/nginx ]] && NGINX=/usr/sbin/nginx
if [[ -n "$NGINX" ]]; then
    NGINX_PORT=$(free_port)
    cat >"$WORK/nginx/nginx.conf" <<CONF
user $(id -un) $(id -gn);
worker_processes 1;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $WORK/nginx/body;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $WORK/nginx/root;
        client_max_body_size $((SIZE_MIB + 1))m;
        location /up/ { dav_methods PUT; }
    }
}
CONF
    taskset -c 0 "$NGINX" -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" 2>"$RAW/upload1g_nginx.log" &
    PIDS+=("$!")
    STEPS="$STEPS nginx"
else
    echo "upload1g: nginx not found (apt-get install nginx-light): no nginx step" >&2
fi
wait_up "$KEEP_PORT"; wait_up "$READ_PORT"
[[ -n "$NGINX" ]] && wait_up "$NGINX_PORT"
# The worker process of nginx (its CPU is the upload's), once it exists.
NGINX_WORKER=""
if [[ -n "$NGINX" ]]; then
    NGINX_WORKER=$(pgrep -f "nginx: worker process" -P "$(cat "$WORK/nginx/nginx.pid")" | head -1)
fi
cat "$SRC" >/dev/null # warm the page cache for every step

TSV="$RAW/upload1g.tsv"
echo -e "round\tstep\tseconds\tserver_cpu_s\trss_growth_kib\tanswer" >"$TSV" # server_cpu_s: cat's own for cat
for ((round = 1; round <= ROUNDS; round++)); do
    for step in $STEPS; do
        rm -f "$WORK/kept"/* "$WORK/nginx/root/up"/* "$WORK/cat.bin"
        sync
        pid="" rss_before=0 sampler=""
        case "$step" in
            keep) pid=$KEEP_PID ;;
            read) pid=$READ_PID ;;
            nginx) pid=$NGINX_WORKER ;;
        esac
        if [[ "$step" == keep || "$step" == read ]]; then
            rss_before=$(awk '$1 == "VmRSS:" {print $2}' "/proc/$pid/status")
            (while kill -0 "$pid" 2>/dev/null; do awk '$1 == "VmRSS:" {print $2}' "/proc/$pid/status"; sleep 0.05; done) \
                >"$WORK/rss.txt" 2>/dev/null &
            sampler=$!
        fi
        cpu0=0; [[ -n "$pid" ]] && cpu0=$(cpu_ticks "$pid")
        t0=$(date +%s.%N)
        case "$step" in
            cat)
                TIMEFORMAT='%U %S'
                { time cat "$SRC" >"$WORK/cat.bin"; } 2>"$WORK/cat.time"
                answer=$(stat -c %s "$WORK/cat.bin") ;;
            keep) answer=$(taskset -c 1 curl -sS --max-time 600 -H 'Expect:' -X POST -T "$SRC" "http://127.0.0.1:$KEEP_PORT/upload") ;;
            read) answer=$(taskset -c 1 curl -sS --max-time 600 -H 'Expect:' -X POST -T "$SRC" "http://127.0.0.1:$READ_PORT/upload") ;;
            nginx)
                code=$(taskset -c 1 curl -sS --max-time 600 -H 'Expect:' -o /dev/null -w '%{http_code}' -T "$SRC" "http://127.0.0.1:$NGINX_PORT/up/f")
                answer="$code $(stat -c %s "$WORK/nginx/root/up/f" 2>/dev/null || echo missing)" ;;
        esac
        t1=$(date +%s.%N)
        cpu1=0; [[ -n "$pid" ]] && cpu1=$(cpu_ticks "$pid")
        # cat's own CPU, in the same unit (ticks)
        [[ "$step" == cat ]] && cpu1=$(awk -v hz="$(getconf CLK_TCK)" '{print ($1 + $2) * hz}' "$WORK/cat.time")
        growth=""
        if [[ -n "$sampler" ]]; then
            kill "$sampler" 2>/dev/null || true; wait "$sampler" 2>/dev/null || true
            peak=$(sort -n "$WORK/rss.txt" | tail -1)
            growth=$((peak - rss_before))
        fi
        if [[ "$step" == keep ]]; then
            kept=$(stat -c %s "$WORK/kept"/upload-* 2>/dev/null || echo missing)
            answer="$answer kept=$kept"
        fi
        awk -v r="$round" -v s="$step" -v a="$t0" -v b="$t1" -v c0="$cpu0" -v c1="$cpu1" -v g="$growth" -v ans="$answer" \
            -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%d\t%s\t%.3f\t%.2f\t%s\t%s\n", r, s, b - a, (c1 - c0) / hz, g, ans }' >>"$TSV"
    done
done

python3 - "$TSV" "$SIZE_MIB" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
size = float(sys.argv[2])
steps = list(dict.fromkeys(r["step"] for r in rows))
by = {(r["round"], r["step"]): r for r in rows}
rounds = sorted({r["round"] for r in rows}, key=int)
print(f"| step | seconds (median; min–max) | MiB/s | cat's time ÷ step's (paired) | vs nginx (paired) | CPU s (median; min–max) | cat's CPU ÷ step's (paired) | RSS growth | answer |")
print("|---|--:|--:|--:|--:|--:|--:|--:|---|")
for s in steps:
    secs = [float(by[(r, s)]["seconds"]) for r in rounds]
    vs_cat = [float(by[(r, "cat")]["seconds"]) / float(by[(r, s)]["seconds"]) for r in rounds]
    vs_ngx = ([float(by[(r, "nginx")]["seconds"]) / float(by[(r, s)]["seconds"]) for r in rounds]
              if "nginx" in steps else [])
    cpu = [float(by[(r, s)]["server_cpu_s"]) for r in rounds]
    cpu_vs_cat = [float(by[(r, "cat")]["server_cpu_s"]) / max(float(by[(r, s)]["server_cpu_s"]), 0.01) for r in rounds]
    rss = [int(by[(r, s)]["rss_growth_kib"]) for r in rounds if by[(r, s)]["rss_growth_kib"]]
    med = statistics.median(secs)
    print(f"| {s} | {med:.2f} ({min(secs):.2f}–{max(secs):.2f}) | {size / med:.0f} | "
          f"{statistics.median(vs_cat):.2f}× ({min(vs_cat):.2f}–{max(vs_cat):.2f}) | "
          + (f"{statistics.median(vs_ngx):.2f}× |" if vs_ngx else " |")
          + f" {statistics.median(cpu):.2f} ({min(cpu):.2f}–{max(cpu):.2f}) |"
          + f" {statistics.median(cpu_vs_cat):.2f}× ({min(cpu_vs_cat):.2f}–{max(cpu_vs_cat):.2f}) |"
          + (f" {max(rss) / 1024:.1f} MiB (max) |" if rss else " |")
          + f" {by[(rounds[-1], s)]['answer']} |")
PY
echo "($ROUNDS rounds of $SIZE_MIB MiB; per round: $TSV)"
