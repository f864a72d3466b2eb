#!/usr/bin/env bash
# Counts the requests lost while `serve` restarts on one port under wrk
# load, clients hitting the port directly: the measurement behind the
# README's "Restarting without losing a request" table.
#
#   bench/restarts.sh reuseport|handoff ka|close
#
# reuseport: each restart starts a new `serve --reuse-port` on the port,
# waits for its "listening on", then SIGTERMs the old one and waits for it
# to exit. handoff: `serve` runs under deploy/handoff.py, and each restart
# is a SIGHUP to it. ka: wrk keep-alive; close: a new connection per request
# (bench/wrk/close.lua). Prints wrk's requests and socket errors and the
# number of restarts. For reuse-port, compare `sysctl -w
# net.ipv4.tcp_migrate_req=0` and `=1` (root; put the old value back).
#
# Env: DURATION=15 (seconds of load), INTERVAL=2 (seconds between
# restarts), CONNS=64 (wrk connections), SERVE (default: build the release
# binary), KEEP=1 (keep the temporary directory).
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../tests/e2e/lib.sh"

METHOD="${1:?usage: restarts.sh reuseport|handoff ka|close}"
MODE="${2:?usage: restarts.sh reuseport|handoff ka|close}"
DURATION="${DURATION:-15}"
INTERVAL="${INTERVAL:-2}"
CONNS="${CONNS:-64}"
[[ "$METHOD" == reuseport || "$METHOD" == handoff ]] || die "method: reuseport or handoff"
[[ "$MODE" == ka || "$MODE" == close ]] || die "mode: ka or close"

need wrk python3
build_serve
make_tmp
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ARGS=(--workers 2 --addr "127.0.0.1:$PORT" "$TMP/www")

generation=0
start_reuseport() {
    generation=$((generation + 1))
    "$SERVE" --reuse-port "${ARGS[@]}" >"$TMP/serve$generation.log" 2>&1 &
    CURRENT=$!
    started "$CURRENT"
    wait_for_line "$TMP/serve$generation.log" 1 "$CURRENT"
}
if [[ "$METHOD" == reuseport ]]; then
    start_reuseport
else
    python3 "$ROOT/deploy/handoff.py" "127.0.0.1:$PORT" -- "$SERVE" "${ARGS[@]}" \
        >"$TMP/serve.log" 2>"$TMP/handoff.err" &
    PARENT=$!
    started "$PARENT"
    wait_for_line "$TMP/serve.log" 1 "$PARENT"
fi

client=(wrk -t2 -c"$CONNS" -d"${DURATION}s")
[[ "$MODE" == ka ]] || client+=(-s "$ROOT/bench/wrk/close.lua")
"${client[@]}" "http://127.0.0.1:$PORT/" >"$TMP/wrk.txt" 2>&1 &
WRK=$!
started "$WRK"
restarts=0
t0=$(now_ms)
while sleep_until $((t0 + (restarts + 1) * INTERVAL * 1000)) &&
    (($(now_ms) + INTERVAL * 1000 < t0 + DURATION * 1000)); do
    if [[ "$METHOD" == reuseport ]]; then
        old="$CURRENT"
        start_reuseport
        stop "$old" TERM 15 || die "pid $old did not drain within 15 s"
    else
        kill -HUP "$PARENT"
        wait_for_line "$TMP/serve.log" $((restarts + 2)) "$PARENT"
        wait_drained "$TMP/handoff.err"
    fi
    restarts=$((restarts + 1))
done
stop "$WRK" 0 $((DURATION + 30)) || die "wrk did not finish"
read -r requests errors non2xx < <(wrk_counts "$TMP/wrk.txt")
echo "method=$METHOD mode=$MODE conns=$CONNS migrate_req=$(cat /proc/sys/net/ipv4/tcp_migrate_req 2>/dev/null || echo n/a)" \
    "restarts=$restarts requests=$requests errors=$errors non2xx=$non2xx"
grep 'Socket errors' "$TMP/wrk.txt" || true
