#!/usr/bin/env bash
# Rolling restarts behind nginx under load, without losing a request.
#
# nginx (Debian's package, with tests/e2e/nginx.conf: HTTP/1.1 keep-alive
# to the backends, no retry on another backend) runs as a non-daemon with
# its own prefix in a temporary directory, in front of two `serve` processes
# (release build) on 127.0.0.1:18481 and :18482. wrk drives GET / through
# nginx (:18480) for DURATION seconds while each backend is restarted
# twice: a new process starts, once it prints "listening on" the old one
# gets SIGTERM and drains. Fails unless wrk saw no socket error and no
# non-2xx answer, nginx's access log has no status but 200 (and the 499s of
# wrk's end), every restart happened and both last backends served.
#
# Env:
#   DURATION=32          seconds of load (at least 30)
#   METHOD=handoff       each backend under deploy/handoff.py, which keeps
#                        its socket and restarts it on SIGHUP; "reuseport":
#                        the new process binds the port with --reuse-port
#   NEXT_UPSTREAM=off    nginx's proxy_next_upstream ("error timeout" is
#                        nginx's default: retry on another backend)
#   SERVE                a serve binary (default: build the release one)
#   KEEP=1               keep the temporary directory with every log
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DURATION="${DURATION:-32}"
METHOD="${METHOD:-handoff}"
FRONT=18480
PORTS=(18481 18482)
RESTARTS_EACH=2
if [[ ! "$DURATION" =~ ^[0-9]+$ ]] || ((DURATION < 30)); then
    die "DURATION must be at least 30 (got $DURATION)"
fi
[[ "$METHOD" == reuseport || "$METHOD" == handoff ]] || die "METHOD must be reuseport or handoff"

need nginx wrk curl python3
build_serve
make_tmp
for port in "$FRONT" "${PORTS[@]}"; do
    port_free "$port" || die "127.0.0.1:$port is in use"
done

# Per port: the backend process (reuseport) or its hand-off parent, the
# file it prints "listening on" to, and how many such lines to wait for.
PIDS=()
LOGS=()
READY=()
serve_args() { echo "--workers 2 --metrics /metrics --addr 127.0.0.1:$1 $TMP/www"; }
start_backend() { # start_backend INDEX GENERATION
    local i="$1" port="${PORTS[$1]}" out="$TMP/backend$1.$2.log"
    if [[ "$METHOD" == reuseport ]]; then
        # shellcheck disable=SC2046
        "$SERVE" --reuse-port $(serve_args "$port") >"$out" 2>&1 &
    else
        # shellcheck disable=SC2046
        python3 "$ROOT/deploy/handoff.py" "127.0.0.1:$port" -- "$SERVE" $(serve_args "$port") \
            >"$out" 2>"$TMP/handoff$1.err" &
    fi
    PIDS[i]=$!
    LOGS[i]="$out"
    READY[i]=1
    started "${PIDS[i]}"
    wait_for_line "${LOGS[i]}" "${READY[i]}" "${PIDS[i]}"
}
restart_backend() { # restart_backend INDEX GENERATION
    local i="$1" old="${PIDS[$1]}"
    if [[ "$METHOD" == reuseport ]]; then
        start_backend "$i" "$2"
        stop "$old" TERM 15 || die "backend pid $old did not drain within 15 s"
    else
        READY[i]=$((READY[i] + 1))
        kill -HUP "$old"
        wait_for_line "${LOGS[i]}" "${READY[i]}" "$old"
        wait_drained "$TMP/handoff$1.err"
    fi
}

for i in 0 1; do start_backend "$i" 0; done
sed -e "s|proxy_next_upstream off;|proxy_next_upstream ${NEXT_UPSTREAM:-off};|" \
    "$E2E_DIR/nginx.conf" >"$TMP/nginx.conf"
nginx -p "$TMP/" -e "$TMP/error.log" -c "$TMP/nginx.conf" -g 'daemon off;' &
NGINX=$!
started "$NGINX"
for ((i = 0; i < 200; i++)); do
    curl -fs -o /dev/null --max-time 2 "http://127.0.0.1:$FRONT/" && break
    kill -0 "$NGINX" 2>/dev/null || die "nginx exited (see $TMP/error.log)"
    sleep 0.05
done
curl -fs -o /dev/null --max-time 2 "http://127.0.0.1:$FRONT/" || die "nginx does not answer on :$FRONT"
: >"$TMP/access.log" # the readiness probes above are not part of the count

log "wrk -c64 through nginx for ${DURATION}s; restarting each backend $RESTARTS_EACH times ($METHOD, proxy_next_upstream ${NEXT_UPSTREAM:-off})"
wrk -t2 -c64 -d"${DURATION}s" "http://127.0.0.1:$FRONT/" >"$TMP/wrk.txt" 2>&1 &
WRK=$!
started "$WRK"
restarts=0
total=$((2 * RESTARTS_EACH))
t0=$(now_ms)
for ((n = 1; n <= total; n++)); do
    sleep_until $((t0 + n * DURATION * 1000 / (total + 1)))
    i=$(((n - 1) % 2))
    restart_backend "$i" "$n"
    kill -0 "$WRK" 2>/dev/null || die "restart $n ended after the load"
    restarts=$((restarts + 1))
    log "restarted backend :${PORTS[i]} ($restarts/$total)"
done
stop "$WRK" 0 $((DURATION + 30)) || die "wrk did not finish"
stop "$NGINX" QUIT 10 || die "nginx did not stop"

read -r requests errors non2xx < <(wrk_counts "$TMP/wrk.txt")
logged=$(wc -l <"$TMP/access.log")
# 499: wrk closed a connection whose request was under way, which it does
# when its time is up (and after a socket error, counted above).
bad_status=$(awk '$1 != 200 && $1 != 499' "$TMP/access.log" | wc -l)
retried=$(grep -c ',' "$TMP/access.log" || true)
upstream_errors=$(grep -c 'upstream' "$TMP/error.log" || true)
served=()
for port in "${PORTS[@]}"; do
    served+=("$(curl -fs --max-time 2 "http://127.0.0.1:$port/metrics" |
        awk '/^mini_http_responses_total/ { n += $2 } END { print n + 0 }')")
done
log "restarts: $restarts, wrk: $requests requests, $errors socket errors, $non2xx non-2xx;" \
    "nginx: $logged logged, $bad_status not 200, $retried retried, $upstream_errors upstream errors logged;" \
    "last backends answered ${served[0]} and ${served[1]}"
grep -m5 'upstream' "$TMP/error.log" >&2 || true

((restarts == total)) || die "only $restarts of $total restarts"
((requests > 1000)) || die "only $requests requests"
((errors == 0 && non2xx == 0 && bad_status == 0)) || die "requests failed (see above)"
((served[0] > 0 && served[1] > 0)) || die "a restarted backend served nothing"
log "PASS: $requests requests, 0 failed, 0 non-2xx, across $restarts restarts"
