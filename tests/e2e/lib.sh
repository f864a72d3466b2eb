# shellcheck shell=bash
# Shared by the scripts in tests/e2e/ (sourced, not run): building `serve`,
# starting and stopping processes with bounded waits, reading wrk's output.
# Every process started here is stopped by its pid on exit.

E2E_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$E2E_DIR/../.." && pwd)"
NAME="$(basename "$0" .sh)"
STARTED=()

log() { printf '[%s] %s\n' "$NAME" "$*" >&2; }
die() { printf '[%s] FAIL: %s\n' "$NAME" "$*" >&2; exit 1; }

need() {
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null 2>&1 || die "'$tool' is required (.ci/run installs it)"
    done
}

# The release build of serve (or $SERVE, if set).
build_serve() {
    if [[ -z "${SERVE:-}" ]]; then
        log "building serve (release)"
        cargo build --release --quiet -p serve --manifest-path "$ROOT/Cargo.toml"
        SERVE="${CARGO_TARGET_DIR:-$ROOT/target}/release/serve"
    fi
    [[ -x "$SERVE" ]] || die "no serve binary at $SERVE"
}

# A temporary directory, removed on exit after every started process is stopped.
make_tmp() {
    TMP="$(mktemp -d "/tmp/$NAME.XXXXXX")"
    mkdir -p "$TMP/www" "$TMP/tmp"
    chmod 755 "$TMP" # nginx's workers may run as another user
    printf 'hello\n' >"$TMP/www/index.html"
    trap cleanup EXIT
    trap 'exit 130' INT TERM
}
cleanup() {
    local pid
    for pid in "${STARTED[@]}"; do stop "$pid" TERM 5 || kill -KILL "$pid" 2>/dev/null || true; done
    if [[ -n "${KEEP:-}" ]]; then log "kept $TMP"; else rm -rf "$TMP"; fi
}

# started PID: stop it on exit.
started() { STARTED+=("$1"); }

# stop PID SIGNAL SECONDS: signal it (0: none) and wait until it has exited; 1 if it
# is still running after SECONDS.
stop() {
    local pid="$1" i
    kill -"$2" "$pid" 2>/dev/null || return 0
    for ((i = 0; i < $3 * 20; i++)); do
        kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
        sleep 0.05
    done
    return 1
}

# wait_for_line FILE COUNT PID: until FILE has COUNT lines saying
# "listening on" (at most 15 s, and only while PID runs).
wait_for_line() {
    local i n
    for ((i = 0; i < 300; i++)); do
        n=$(grep -c 'listening on' "$1" 2>/dev/null) || true
        ((${n:-0} >= $2)) && return 0
        kill -0 "$3" 2>/dev/null || die "pid $3 exited before it was ready (see $1)"
        sleep 0.05
    done
    die "pid $3 not ready after 15 s (see $1)"
}

# wait_drained FILE: the process that deploy/handoff.py last said it drains
# (in its stderr, FILE) has exited, within 15 s.
wait_drained() {
    local pid i
    for ((i = 0; i < 100; i++)); do
        pid=$(sed -n 's/.*; draining pid \([0-9]*\)$/\1/p' "$1" | tail -n 1)
        [[ -n "$pid" ]] && break
        sleep 0.05
    done
    [[ -n "$pid" ]] || die "no drain reported in $1"
    stop "$pid" 0 15 || die "pid $pid did not drain within 15 s"
}

# now_ms: milliseconds since the epoch.
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# sleep_until MS: sleeps until now_ms is MS (at once if it has passed).
sleep_until() {
    local left=$(($1 - $(now_ms)))
    ((left <= 0)) || sleep "$((left / 1000)).$(printf '%03d' $((left % 1000)))"
}

# port_free PORT: nothing answers on 127.0.0.1:PORT.
port_free() {
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# wrk_counts FILE: "REQUESTS ERRORS NON2XX" from wrk's output.
wrk_counts() {
    awk '/ requests in / { r = $1 }
        /Socket errors:/ { gsub(/,/, ""); e = $4 + $6 + $8 + $10 }
        /Non-2xx or 3xx responses:/ { n = $NF }
        END { printf "%d %d %d\n", r, e, n }' "$1"
}
