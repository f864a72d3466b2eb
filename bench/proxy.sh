#!/usr/bin/env bash
# Requests per second through nginx (reverse proxy, HTTP/1.1 keep-alive to
# the upstreams, the settings of tests/e2e/nginx.conf) to one and to two
# `mini` backends (bench/peers/mini) against the same through nginx to
# hyper (bench/peers/hyper): wrk -c64 keep-alive GET / at nginx ("ka64
# through the proxy"). Rounds interleave the backends, and each round's
# mini/hyper ratio is taken from runs seconds apart; the report gives the
# medians. See bench/README.md ("Through a proxy").
#
# Env knobs:
#   ROUNDS=3            rounds (the median is reported)
#   DURATION=10         seconds per wrk run
#   THREADS=1           worker threads of each backend (argv[2] of a peer)
#   NGINX_WORKERS=1     nginx worker_processes
#   COUNTS="1 2"        how many backends behind nginx
#   NGINX_CPUS, BACKEND_CPUS, CLIENT_CPUS
#                       CPU lists for taskset (unset: not pinned)
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PEERS_DIR="$BENCH_DIR/peers"
RESULTS_DIR="$BENCH_DIR/results"
RAW_DIR="$RESULTS_DIR/raw"
REPORT="$RESULTS_DIR/proxy.md"

ROUNDS="${ROUNDS:-3}"
DURATION="${DURATION:-10}"
THREADS="${THREADS:-1}"
NGINX_WORKERS="${NGINX_WORKERS:-1}"
COUNTS="${COUNTS:-1 2}"
BACKENDS="mini hyper"
FRONT=18490
FIRST_BACKEND=18491

log() { printf '[proxy] %s\n' "$*" >&2; }
die() { printf '[proxy] ERROR: %s\n' "$*" >&2; exit 1; }

for v in ROUNDS DURATION THREADS NGINX_WORKERS; do
    [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
done
for n in $COUNTS; do
    [[ "$n" =~ ^[1-9]$ ]] || die "COUNTS: '$n' is not 1 to 9"
done
for tool in nginx wrk curl cargo; do
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' is required (apt-get install nginx-light wrk)"
done
# on CPUS: the taskset prefix of a command (none if CPUS is empty). A
# prefix, not a wrapper function: a function started with `&` is a subshell,
# and stopping it by its pid would leave the server running.
on() { [[ -z "$1" ]] || echo "taskset -c $1"; }

# ---------------------------------------------------------------- processes
PIDS=()
stop_all() {
    local pid i
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do
        for ((i = 0; i < 40; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    PIDS=()
}
TMP="$(mktemp -d /tmp/bench-proxy.XXXXXX)"
chmod 755 "$TMP"
trap 'stop_all; rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

answers() { curl -fs -o /dev/null --max-time 1 "http://127.0.0.1:$1/"; }
wait_answers() { # wait_answers PORT PID: at most 10 s
    local i
    for ((i = 0; i < 200; i++)); do
        answers "$1" && return 0
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}

# nginx in front of COUNT backends on FIRST_BACKEND...
nginx_conf() {
    local count="$1" i
    {
        echo "worker_processes $NGINX_WORKERS;"
        echo "pid nginx.pid;"
        echo "events { worker_connections 8192; }"
        echo "http {"
        echo "    access_log off;"
        echo "    keepalive_requests 100000000;"
        for t in client_body proxy fastcgi uwsgi scgi; do echo "    ${t}_temp_path tmp/$t;"; done
        echo "    upstream backends {"
        for ((i = 0; i < count; i++)); do echo "        server 127.0.0.1:$((FIRST_BACKEND + i));"; done
        echo "        keepalive 32;"
        echo "        keepalive_requests 100000000;"
        echo "    }"
        echo "    server {"
        echo "        listen 127.0.0.1:$FRONT;"
        echo "        location / {"
        echo "            proxy_pass http://backends;"
        echo "            proxy_http_version 1.1;"
        echo "            proxy_set_header Connection \"\";"
        echo "        }"
        echo "    }"
        echo "}"
    } >"$TMP/nginx.conf"
}

start_setup() { # start_setup BACKEND COUNT: backends, then nginx; 1 on failure
    local backend="$1" count="$2" i port pid
    local bin="$PEERS_DIR/$backend/target/release/peer_$backend"
    for ((i = 0; i < count; i++)); do
        port=$((FIRST_BACKEND + i))
        answers "$port" && { log "port $port answers before start (stale server?)"; return 1; }
        # shellcheck disable=SC2046
        $(on "${BACKEND_CPUS:-}") "$bin" "$port" "$THREADS" >>"$RAW_DIR/proxy_$backend.log" 2>&1 &
        pid=$!
        PIDS+=("$pid")
        wait_answers "$port" "$pid" || { log "$backend on :$port did not start"; return 1; }
    done
    nginx_conf "$count"
    mkdir -p "$TMP/tmp"
    # shellcheck disable=SC2046
    $(on "${NGINX_CPUS:-}") nginx -p "$TMP/" -e "$TMP/error.log" -c "$TMP/nginx.conf" \
        -g 'daemon off;' </dev/null >/dev/null 2>"$TMP/nginx.stderr" &
    pid=$!
    PIDS+=("$pid")
    wait_answers "$FRONT" "$pid" || { log "nginx did not start (see $TMP/error.log)"; return 1; }
}

to_us() { # wrk latency ("245.00us", "1.20ms", "2.00s") -> microseconds
    awk -v x="$1" 'BEGIN {
        if (x ~ /us$/) { sub(/us$/, "", x); print x + 0 }
        else if (x ~ /ms$/) { sub(/ms$/, "", x); print x * 1000 }
        else if (x ~ /s$/) { sub(/s$/, "", x); print x * 1000000 }
        else print "NA" }'
}

# ---------------------------------------------------------------- build
mkdir -p "$RAW_DIR"
for b in $BACKENDS; do
    log "building peer '$b' (release)"
    cargo build --release --quiet --manifest-path "$PEERS_DIR/$b/Cargo.toml" \
        --target-dir "$PEERS_DIR/$b/target" >"$RAW_DIR/build_proxy_$b.log" 2>&1 ||
        die "peer '$b' failed to build (see $RAW_DIR/build_proxy_$b.log)"
done

# ---------------------------------------------------------------- runs
# backend count round rps p50_us p99_us errors non2xx
TSV="$RAW_DIR/proxy_runs.tsv"
: >"$TSV"
for ((r = 1; r <= ROUNDS; r++)); do
    for count in $COUNTS; do
        for b in $BACKENDS; do
            out="$RAW_DIR/proxy_${b}_${count}_r$r.txt"
            if ! start_setup "$b" "$count"; then
                stop_all
                printf '%s\t%s\t%s\tNA\tNA\tNA\tNA\tNA\n' "$b" "$count" "$r" >>"$TSV"
                continue
            fi
            sleep 0.2
            # shellcheck disable=SC2046
            timeout --foreground $((DURATION + 60)) $(on "${CLIENT_CPUS:-}") \
                wrk --latency -t1 -c64 -d"${DURATION}s" "http://127.0.0.1:$FRONT/" >"$out" 2>&1 ||
                log "wrk exited non-zero ($b x$count)"
            stop_all
            rps=$(awk '/^Requests\/sec:/ {print $2}' "$out")
            p50=$(to_us "$(awk '$1 == "50%" {print $2}' "$out")")
            p99=$(to_us "$(awk '$1 == "99%" {print $2}' "$out")")
            errs=$(awk '/Socket errors:/ {gsub(/,/, ""); print $4 + $6 + $8 + $10}' "$out")
            non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$out")
            printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$b" "$count" "$r" "${rps:-NA}" \
                "$p50" "$p99" "${errs:-0}" "${non2xx:-0}" >>"$TSV"
            log "round $r, nginx -> ${count}x $b: ${rps:-NA} req/s, p50 ${p50} us, p99 ${p99} us, errors ${errs:-0}, non-2xx ${non2xx:-0}"
        done
    done
done

# ---------------------------------------------------------------- report
median() {
    awk '$1 != "NA" && $1 != ""' | sort -g | awk '{a[NR] = $1}
        END { if (NR == 0) print "NA"; else if (NR % 2) print a[(NR + 1) / 2]
              else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
col() { # col BACKEND COUNT COLUMN -> median over rounds
    awk -F'\t' -v b="$1" -v n="$2" -v c="$3" '$1 == b && $2 == n {print $c}' "$TSV" | median
}
ratio() { # ratio COUNT COLUMN -> median over rounds of mini/hyper
    awk -F'\t' -v n="$1" -v c="$2" '
        $2 == n && $1 == "mini" { m[$3] = $c }
        $2 == n && $1 == "hyper" { h[$3] = $c }
        END { for (r in m) if (r in h && m[r] != "NA" && h[r] != "NA" && h[r] + 0 != 0) print m[r] / h[r] }' \
        "$TSV" | median
}
fmt() { awk -v x="$1" -v f="$2" 'BEGIN { if (x == "NA") print "n/a"; else printf f, x }'; }
{
    echo "# Through nginx: ka64 (wrk -c64 keep-alive GET / at nginx)"
    echo
    echo "nginx $(nginx -v 2>&1 | sed 's|.*/||'), $NGINX_WORKERS worker(s), keep-alive to the backends (keepalive 32);"
    echo "each backend $THREADS thread(s); $ROUNDS round(s) of ${DURATION}s, medians;" \
        "pinning: nginx ${NGINX_CPUS:-none}, backends ${BACKEND_CPUS:-none}, wrk ${CLIENT_CPUS:-none}; $(date -u +%Y-%m-%dT%H:%MZ)."
    echo
    echo "| backends | mini req/s | hyper req/s | mini/hyper | mini p50 / p99 | hyper p50 / p99 | errors + non-2xx (mini, hyper) |"
    echo "|---|---|---|---|---|---|---|"
    for count in $COUNTS; do
        printf '| %s | %s | %s | %s | %s / %s µs | %s / %s µs | %s, %s |\n' "$count" \
            "$(fmt "$(col mini "$count" 4)" %.0f)" "$(fmt "$(col hyper "$count" 4)" %.0f)" \
            "$(fmt "$(ratio "$count" 4)" %.2f×)" \
            "$(fmt "$(col mini "$count" 5)" %.0f)" "$(fmt "$(col mini "$count" 6)" %.0f)" \
            "$(fmt "$(col hyper "$count" 5)" %.0f)" "$(fmt "$(col hyper "$count" 6)" %.0f)" \
            "$(awk -F'\t' -v n="$count" '$1 == "mini" && $2 == n {s += $7 + $8} END {print s + 0}' "$TSV")" \
            "$(awk -F'\t' -v n="$count" '$1 == "hyper" && $2 == n {s += $7 + $8} END {print s + 0}' "$TSV")"
    done
} >"$REPORT"
cat "$REPORT"
log "report: $REPORT; raw: $RAW_DIR/proxy_*"
