#!/usr/bin/env bash
# static-web-server peer for bench/compare.sh, built from crates.io by
# compare.sh (`cargo install static-web-server --locked`, into
# bench/peers/static_web_server/install). Its defaults, with one worker
# thread per THREADS (threads-multiplier is per CPU, so the thread count
# is set directly) and logging at error level.
# Usage: run.sh PORT THREADS   (files from $BENCH_FILES)
set -euo pipefail
PORT="${1:?port}"
THREADS="${2:-1}"
FILES="${BENCH_FILES:?BENCH_FILES must name the directory of bench files}"
BIN="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/install/bin/static-web-server"
[[ -x "$BIN" ]] || { echo "static-web-server not built ($BIN)" >&2; exit 1; }
NCPU=$(getconf _NPROCESSORS_ONLN)
# threads = multiplier × CPUs; with 2 CPUs and THREADS=1 that is 2 threads,
# all pinned by compare.sh to the server's CPU anyway.
MULT=$(( (THREADS + NCPU - 1) / NCPU ))
exec "$BIN" --host 127.0.0.1 --port "$PORT" --root "$FILES" \
    --threads-multiplier "$MULT" --log-level error
