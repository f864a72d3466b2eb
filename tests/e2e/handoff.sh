#!/usr/bin/env bash
# Restarts on one port without a proxy and without losing a request: the
# listener hand-off (deploy/handoff.py keeps the listening socket and passes
# it to each new `serve` as systemd socket activation does).
#
# Clients hit the port directly: one wrk with 32 keep-alive connections and
# one with 32 connections that each carry one request (Connection: close),
# for DURATION seconds, while the server is restarted every few seconds
# (SIGHUP to handoff.py: the new process starts on the same socket, and once
# it is ready the old one gets SIGTERM and drains). Fails unless both wrk
# runs saw no socket error and no non-2xx answer, every restart happened and
# the last process served requests.
#
# Env: DURATION=18 (seconds of load), RESTARTS=5, SERVE (a serve binary;
# default: build the release one), KEEP=1 (keep the temporary directory).
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DURATION="${DURATION:-18}"
RESTARTS="${RESTARTS:-5}"
[[ "$DURATION" =~ ^[0-9]+$ && "$RESTARTS" =~ ^[1-9][0-9]*$ ]] || die "DURATION and RESTARTS must be numbers"
((DURATION >= RESTARTS + 1)) || die "DURATION must be more than RESTARTS seconds"

need wrk curl python3
build_serve
make_tmp

python3 "$ROOT/deploy/handoff.py" 127.0.0.1:0 -- \
    "$SERVE" --workers 2 --metrics /metrics "$TMP/www" >"$TMP/serve.log" 2>"$TMP/handoff.err" &
PARENT=$!
started "$PARENT"
wait_for_line "$TMP/serve.log" 1 "$PARENT"
ADDR=$(sed -n 's|^listening on http://||p' "$TMP/serve.log" | head -n 1)
[[ "$ADDR" == 127.0.0.1:* ]] || die "unexpected address '$ADDR'"

log "wrk -c32 keep-alive + wrk -c32 Connection: close on $ADDR for ${DURATION}s; $RESTARTS restarts"
wrk -t1 -c32 -d"${DURATION}s" "http://$ADDR/" >"$TMP/wrk_keepalive.txt" 2>&1 &
KA=$!
started "$KA"
wrk -t1 -c32 -d"${DURATION}s" -s "$ROOT/bench/wrk/close.lua" "http://$ADDR/" >"$TMP/wrk_close.txt" 2>&1 &
CL=$!
started "$CL"
t0=$(now_ms)
for ((n = 1; n <= RESTARTS; n++)); do
    sleep_until $((t0 + n * DURATION * 1000 / (RESTARTS + 2)))
    kill -HUP "$PARENT"
    wait_for_line "$TMP/serve.log" $((n + 1)) "$PARENT"
    wait_drained "$TMP/handoff.err"
    if ! kill -0 "$KA" 2>/dev/null || ! kill -0 "$CL" 2>/dev/null; then
        die "restart $n ended after the load"
    fi
    log "restart $n/$RESTARTS done"
done
stop "$KA" 0 $((DURATION + 30)) || die "wrk did not finish"
stop "$CL" 0 $((DURATION + 30)) || die "wrk did not finish"
served=$(curl -fsS --max-time 2 "http://$ADDR/metrics" |
    awk '/^mini_http_responses_total/ { n += $2 } END { print n + 0 }')
stop "$PARENT" TERM 15 || die "handoff.py did not stop"

read -r ka_requests ka_errors ka_non2xx < <(wrk_counts "$TMP/wrk_keepalive.txt")
read -r cl_requests cl_errors cl_non2xx < <(wrk_counts "$TMP/wrk_close.txt")
restarts=$(grep -c '; draining pid' "$TMP/handoff.err" || true)
log "restarts: $restarts; keep-alive: $ka_requests requests, $ka_errors socket errors, $ka_non2xx non-2xx;" \
    "close: $cl_requests requests, $cl_errors socket errors, $cl_non2xx non-2xx; the last process answered $served"

((restarts == RESTARTS)) || die "only $restarts of $RESTARTS restarts"
# handoff.py's lines share the file with the servers' access records: each
# must be whole (one write per line), or the drains above are not found.
if grep -n 'handoff: ' "$TMP/handoff.err" | grep -v -E '^[0-9]+:handoff: [^"]*$' >&2; then
    die "a line of handoff.py was split by a server's line"
fi
((ka_requests > 1000 && cl_requests > 100)) || die "too few requests"
((ka_errors + ka_non2xx + cl_errors + cl_non2xx == 0)) || die "requests failed"
((served > 0)) || die "the last process served nothing"
log "PASS: $((ka_requests + cl_requests)) requests, 0 failed, 0 non-2xx, across $restarts restarts"
