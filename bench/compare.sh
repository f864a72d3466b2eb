#!/usr/bin/env bash
# Load-benchmark mini_async_http against peer servers (hyper, tiny_http,
# may_minihttp, and two ceilings: raw_mio, a parser-less mio loop, and
# raw_spin, the same loop polling without ever sleeping) with wrk; static
# files against nginx and static-web-server; HTTPS (mini_tls, nginx_tls,
# hyper_tls) with a self-signed ECDSA P-256 certificate made at start.
# See bench/README.md.
#
# Env knobs:
#   ROUNDS=3          rounds per scenario (median is reported); the full kit
#                     run of BENCHMARKS.md is `ROUNDS=7 bench/compare.sh`
#                     (every server and scenario, about 60 minutes on the
#                     2-core machine from a clean clone, builds included)
#   DURATION=5        seconds per wrk run
#   THREADS=1         server worker threads (argv[2] of every peer)
#   SCENARIOS="ka64 pipe16 pipe16v c1 c1000 close post4k post64k file1k file1m
#              range idle tls_ka64 tls_new tls_new_full tls_file1m tls_idle"
#   SERVERS="mini hyper tiny_http may_minihttp raw_mio raw_spin mini_base
#            mini_router mini_log mini_tls_plain nginx static_web_server
#            mini_tls nginx_tls hyper_tls"
#             (each scenario runs the servers that serve it: hello scenarios
#             the first seven, and the A/B variants of mini — router, log,
#             tls_plain — in ka64 and pipe16 only; file scenarios mini, nginx
#             and static_web_server, tls scenarios the three *_tls; ratios
#             are to hyper for hello scenarios, to nginx for files, to
#             nginx_tls for tls, and the A/B table's to mini)
#   IDLE_CONNS=10000  connections opened by the `idle` step
#   TLS_IDLE_CONNS=2000  connections opened by the `tls_idle` step
#   SERVER_CPUS=0     CPU list the server is pinned to (taskset -c)
#   CLIENT_CPUS=1     CPU list wrk / the idle client is pinned to
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PEERS_DIR="$BENCH_DIR/peers"
WRK_DIR="$BENCH_DIR/wrk"
RESULTS_DIR="$BENCH_DIR/results"
RAW_DIR="$RESULTS_DIR/raw"

ROUNDS="${ROUNDS:-3}"
DURATION="${DURATION:-5}"
THREADS="${THREADS:-1}"
SCENARIOS="${SCENARIOS:-ka64 pipe16 pipe16v c1 c1000 close post4k post64k file1k file1m range idle tls_ka64 tls_new tls_new_full tls_file1m tls_idle}"
SERVERS="${SERVERS:-mini hyper tiny_http may_minihttp raw_mio raw_spin mini_base mini_router mini_log mini_tls_plain nginx static_web_server mini_tls nginx_tls hyper_tls}"
IDLE_CONNS="${IDLE_CONNS:-10000}"
TLS_IDLE_CONNS="${TLS_IDLE_CONNS:-2000}"
SERVER_CPUS="${SERVER_CPUS:-0}"
CLIENT_CPUS="${CLIENT_CPUS:-1}"
# CPU whose /proc/stat line is used for the busy fraction (first server CPU).
BUSY_CPU="${SERVER_CPUS%%[,-]*}"
# CPU whose busy fraction tells whether wrk was the limit (first client CPU).
CLIENT_CPU="${CLIENT_CPUS%%[,-]*}"

ALL_SERVERS="mini hyper tiny_http may_minihttp raw_mio raw_spin mini_router mini_log mini_base mini_tls_plain nginx static_web_server mini_tls nginx_tls hyper_tls"
ALL_SCENARIOS="ka64 pipe16 pipe16v c1 c1000 close post4k post64k file1k file1m range idle tls_ka64 tls_new tls_new_full tls_file1m tls_idle"
HELLO_SERVERS="mini hyper tiny_http may_minihttp raw_mio raw_spin mini_router mini_log mini_base mini_tls_plain"
# Variants of mini that answer one question each (what routing, the access
# log, the tls feature compiled in cost): ka64 and pipe16 are where their
# targets are stated, so they run only there, and not in the idle step.
AB_SERVERS="mini_router mini_log mini_tls_plain"
AB_SCENARIOS="ka64 pipe16"
FILE_SERVERS="mini nginx static_web_server"
FILE_SCENARIOS="file1k file1m range"
# The tls group: HTTPS servers (the same certificate), ratios to nginx_tls.
TLS_SERVERS="mini_tls nginx_tls hyper_tls"
TLS_SCENARIOS="tls_ka64 tls_new tls_new_full tls_file1m tls_idle"
is_file_scenario() { [[ " $FILE_SCENARIOS " == *" $1 "* ]]; }
is_tls_scenario() { [[ " $TLS_SCENARIOS " == *" $1 "* ]]; }
is_tls_server() { [[ " $TLS_SERVERS " == *" $1 "* ]]; }
is_idle_scenario() { [[ "$1" == idle || "$1" == tls_idle ]]; }
serves() { # serves SCENARIO SERVER: does this server take part in this scenario?
    if is_tls_scenario "$1"; then [[ " $TLS_SERVERS " == *" $2 "* ]]
    elif is_file_scenario "$1"; then [[ " $FILE_SERVERS " == *" $2 "* ]]
    elif [[ " $AB_SERVERS " == *" $2 "* ]]; then [[ " $AB_SCENARIOS " == *" $1 "* ]]
    else [[ " $HELLO_SERVERS " == *" $2 "* ]]; fi
}
base_of() {
    if is_tls_scenario "$1"; then echo nginx_tls
    elif is_file_scenario "$1"; then echo nginx
    else echo hyper; fi
}
scheme_of() { if is_tls_server "$1"; then echo https; else echo http; fi; }
# Environment a server starts with in a scenario: tls_new_full takes
# session resumption away (every peer reads BENCH_TLS_RESUME).
server_env_of() { if [[ "$1" == tls_new_full ]]; then echo BENCH_TLS_RESUME=0; else echo BENCH_TLS_RESUME=1; fi; }
# Files the file scenarios fetch (made once, random bytes); every peer gets
# the directory in BENCH_FILES.
BENCH_FILES="$RESULTS_DIR/files"
export BENCH_FILES

log() { printf '[compare] %s\n' "$*" >&2; }
warn() { printf '[compare] WARNING: %s\n' "$*" >&2; }
die() { printf '[compare] ERROR: %s\n' "$*" >&2; exit 1; }

for v in ROUNDS DURATION THREADS IDLE_CONNS TLS_IDLE_CONNS; do
    [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
done
for s in $SERVERS; do
    [[ " $ALL_SERVERS " == *" $s "* ]] || die "unknown server '$s' (known: $ALL_SERVERS)"
done
for s in $SCENARIOS; do
    [[ " $ALL_SCENARIOS " == *" $s "* ]] || die "unknown scenario '$s' (known: $ALL_SCENARIOS)"
done

port_of() {
    case "$1" in
        mini) echo 18081 ;;
        hyper) echo 18082 ;;
        tiny_http) echo 18083 ;;
        may_minihttp) echo 18084 ;;
        raw_mio) echo 18085 ;;
        raw_spin) echo 18086 ;;
        nginx) echo 18087 ;;
        static_web_server) echo 18088 ;;
        mini_router) echo 18089 ;;
        mini_log) echo 18090 ;;
        mini_base) echo 18091 ;;
        mini_tls_plain) echo 18092 ;;
        mini_tls) echo 18093 ;;
        nginx_tls) echo 18094 ;;
        hyper_tls) echo 18095 ;;
    esac
}
# raw_spin is raw_mio's binary started with `spin` (it polls, never sleeps);
# mini_router is mini's started with `router` (the same answers behind a
# 50-route Router).
# mini_log is mini's started with `log` (the access log on, written to a
# file); mini_base is the mini peer built from the library at BASE_COMMIT
# (default aaf68bb, the last run before issues 11-14), so a run shows what
# the new code on the request path costs.
# mini_tls and nginx_tls are mini and nginx started with `tls` (HTTPS only,
# the certificate in BENCH_TLS_CERT / BENCH_TLS_KEY); mini_tls's binary is
# built with the peer's `tls` feature into target/tls/. mini_tls_plain is
# that binary started without `tls`: plain HTTP with the tls feature
# compiled in but unused (what the feature costs the plain scenarios).
BASE_COMMIT="${BASE_COMMIT:-aaf68bb}"
crate_of() {
    case "$1" in
        raw_spin) echo raw_mio ;;
        mini_router | mini_log | mini_tls | mini_tls_plain) echo mini ;;
        nginx_tls) echo nginx ;;
        *) echo "$1" ;;
    esac
}
extra_args_of() {
    case "$1" in
        raw_spin) echo spin ;;
        mini_router) echo router ;;
        mini_log) echo log ;;
        mini_tls | nginx_tls) echo tls ;;
    esac
}
bin_of() {
    case "$1" in
        nginx | static_web_server) echo "$PEERS_DIR/$1/run.sh" ;;
        nginx_tls) echo "$PEERS_DIR/nginx/run.sh" ;;
        mini_tls | mini_tls_plain) echo "$PEERS_DIR/mini/target/tls/release/peer_mini" ;;
        mini_base) echo "$PEERS_DIR/mini_base/target/release/peer_mini" ;;
        *) local c; c=$(crate_of "$1"); echo "$PEERS_DIR/$c/target/release/peer_$c" ;;
    esac
}

# ---------------------------------------------------------------- cleanup
SERVER_PID=""
CLIENT_PID=""
stop_pid() { # stop_pid PID: TERM, wait up to ~2 s, then KILL
    local pid="$1" i
    [[ -n "$pid" ]] || return 0
    kill "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 20; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    stop_pid "$CLIENT_PID"; CLIENT_PID=""
    stop_pid "$SERVER_PID"; SERVER_PID=""
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- prerequisites
if ! command -v wrk >/dev/null 2>&1; then
    log "wrk not found; installing with apt-get"
    SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO="sudo"
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq wrk >/dev/null
fi
for tool in wrk curl taskset cargo getconf; do
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' is required"
done
if [[ " $SCENARIOS " == *" idle "* || " $SCENARIOS " == *" tls_idle "* ]]; then
    command -v python3 >/dev/null 2>&1 || die "python3 is required for the idle steps"
fi
NCPU=$(getconf _NPROCESSORS_ONLN)
if (( NCPU < 2 )); then
    warn "only $NCPU CPU online; server and wrk will share it"
    SERVER_CPUS=0; CLIENT_CPUS=0; BUSY_CPU=0; CLIENT_CPU=0
fi
CLK_TCK=$(getconf CLK_TCK)

# File descriptors: wrk -c1000 and the idle step need many.
HARD_NOFILE=$(ulimit -Hn)
WANT_NOFILE=65536
if [[ "$HARD_NOFILE" != unlimited ]] && (( HARD_NOFILE < WANT_NOFILE )); then
    WANT_NOFILE=$HARD_NOFILE
fi
ulimit -n "$WANT_NOFILE" 2>/dev/null || warn "could not raise ulimit -n to $WANT_NOFILE"
log "ulimit -n = $(ulimit -n)"
if [[ " $SCENARIOS " == *" idle "* ]] && (( $(ulimit -n) < IDLE_CONNS + 64 )); then
    warn "ulimit -n ($(ulimit -n)) < IDLE_CONNS ($IDLE_CONNS); the idle step will open fewer connections"
fi

mkdir -p "$RAW_DIR"
# The idle steps' TSVs of an earlier run must not be read as this one's.
rm -f "$RAW_DIR/idle.tsv" "$RAW_DIR/tls_idle.tsv" "$RAW_DIR"/suite_*.txt

# ---------------------------------------------------------------- build
build_peer() { # build_peer NAME: build (or install) a peer
    case "$1" in
        nginx | nginx_tls)
            command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] || {
                SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO="sudo"
                $SUDO apt-get update -qq && $SUDO apt-get install -y -qq nginx-light
            } ;;
        static_web_server)
            [[ -x "$PEERS_DIR/static_web_server/install/bin/static-web-server" ]] ||
                cargo install static-web-server --locked --quiet --root "$PEERS_DIR/static_web_server/install" ;;
        mini_base)
            local tree="$PEERS_DIR/mini_base/tree"
            if [[ "$(git -C "$tree" rev-parse HEAD 2>/dev/null)" != "$(git -C "$BENCH_DIR/.." rev-parse "$BASE_COMMIT")" ]]; then
                rm -rf "$tree"; git -C "$BENCH_DIR/.." worktree prune
                git -C "$BENCH_DIR/.." worktree add --detach --force "$tree" "$BASE_COMMIT"
            fi
            cargo build --release --quiet --manifest-path "$tree/bench/peers/mini/Cargo.toml" \
                --target-dir "$PEERS_DIR/mini_base/target" ;;
        mini_tls | mini_tls_plain) # the library's tls feature in a build of its own: plain mini stays without it
            cargo build --release --quiet --features tls \
                --manifest-path "$PEERS_DIR/mini/Cargo.toml" --target-dir "$PEERS_DIR/mini/target/tls" ;;
        *)
            cargo build --release --quiet \
                --manifest-path "$PEERS_DIR/$(crate_of "$1")/Cargo.toml" \
                --target-dir "$PEERS_DIR/$(crate_of "$1")/target" ;;
    esac
}
make_files() { # the files of the file scenarios, made once
    mkdir -p "$BENCH_FILES"
    local name size
    for name in file1k.bin:1024 file1m.bin:1048576 file64m.bin:67108864; do
        size=${name#*:}; name=${name%%:*}
        if [[ "$(stat -c %s "$BENCH_FILES/$name" 2>/dev/null || echo 0)" != "$size" ]]; then
            head -c "$size" /dev/urandom >"$BENCH_FILES/$name"
        fi
    done
}
make_files
# The tls group's certificate: self-signed ECDSA P-256 (the usual choice
# for a fast handshake), made anew at every start; no peer checks it.
TLS_DIR="$RESULTS_DIR/tls"
export BENCH_TLS_CERT="$TLS_DIR/cert.pem" BENCH_TLS_KEY="$TLS_DIR/key.pem"
make_cert() {
    mkdir -p "$TLS_DIR"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
        -subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
        -keyout "$BENCH_TLS_KEY" -out "$BENCH_TLS_CERT" >"$TLS_DIR/openssl.log" 2>&1
}
NEED_TLS=0
for s in $SERVERS; do is_tls_server "$s" && NEED_TLS=1; done
if ((NEED_TLS)); then
    command -v openssl >/dev/null 2>&1 || die "'openssl' is required for the tls servers"
    make_cert || die "could not make the TLS certificate (see $TLS_DIR/openssl.log)"
fi
BUILT=""
for s in $SERVERS; do
    log "building peer '$s' (release)"
    if build_peer "$s" >"$RAW_DIR/build_$s.log" 2>&1 \
        && [[ -x "$(bin_of "$s")" ]]; then
        BUILT="$BUILT $s"
    else
        warn "peer '$s' failed to build; skipping it (see $RAW_DIR/build_$s.log):"
        tail -n 15 "$RAW_DIR/build_$s.log" | sed 's/^/    /' >&2 || true
    fi
done
SERVERS="${BUILT# }"
[[ -n "$SERVERS" ]] || die "no server built"
read -r -a SERVER_ARR <<<"$SERVERS"
NSRV=${#SERVER_ARR[@]}

# ---------------------------------------------------------------- helpers
# A process and its descendants (nginx's workers, a wrapper's child).
tree_pids() {
    local p
    echo "$1"
    for p in $(pgrep -P "$1" 2>/dev/null); do tree_pids "$p"; done
}
# utime+stime of a process and its descendants in clock ticks (all threads).
proc_ticks() {
    local stat p total=0 seen=0
    for p in $(tree_pids "$1"); do
        stat=$(cat "/proc/$p/stat" 2>/dev/null) || continue
        stat="${stat##*) }" # drop "pid (comm) " (comm may contain spaces)
        total=$((total + $(awk '{print $12 + $13}' <<<"$stat")))
        seen=1
    done
    if ((seen)); then echo "$total"; else echo NA; fi
}
# "busy idle_all" jiffies of CPU $1 (default $BUSY_CPU; total excludes guest, which is in user).
cpu_jiffies() {
    awk -v c="cpu${1:-$BUSY_CPU}" '$1 == c {
        total = $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9
        print total, $5 + $6
    }' /proc/stat
}
status_kb() { # status_kb PID FIELD -> kB value summed over the process tree, or NA
    local st p total=0 seen=0 v
    for p in $(tree_pids "$1"); do
        st=$(cat "/proc/$p/status" 2>/dev/null) || continue
        v=$(awk -v f="$2:" '$1 == f {print $2; found = 1} END {if (!found) print "NA"}' <<<"$st")
        [[ "$v" == NA ]] && continue
        total=$((total + v)); seen=1
    done
    if ((seen)); then echo "$total"; else echo NA; fi
}
to_us() { # wrk latency ("245.00us", "1.20ms", "2.00s") -> microseconds
    awk -v x="$1" 'BEGIN {
        if (x ~ /us$/) { sub(/us$/, "", x); print x + 0 }
        else if (x ~ /ms$/) { sub(/ms$/, "", x); print x * 1000 }
        else if (x ~ /m$/) { sub(/m$/, "", x); print x * 60000000 }
        else if (x ~ /s$/) { sub(/s$/, "", x); print x * 1000000 }
        else print "NA"
    }'
}

start_server() { # start_server NAME [SCENARIO] -> sets SERVER_PID; returns 1 if not ready
    local s="$1" port i url
    port=$(port_of "$s")
    # -k: the tls group's certificate is self-signed.
    url="$(scheme_of "$s")://127.0.0.1:$port/"
    if curl -sk -o /dev/null --max-time 1 "$url" 2>/dev/null; then
        warn "port $port already answers before starting '$s' (stale server?)"
        return 1
    fi
    # shellcheck disable=SC2046
    env $(server_env_of "${2:-}") taskset -c "$SERVER_CPUS" "$(bin_of "$s")" "$port" "$THREADS" $(extra_args_of "$s") \
        >>"$RAW_DIR/server_$s.log" 2>&1 &
    SERVER_PID=$!
    for ((i = 0; i < 100; i++)); do # <= 10 s
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            warn "server '$s' exited during startup (see $RAW_DIR/server_$s.log)"
            SERVER_PID=""
            return 1
        fi
        if curl -sk -o /dev/null --max-time 1 "$url" 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    warn "server '$s' did not answer on port $port within 10 s"
    stop_pid "$SERVER_PID"; SERVER_PID=""
    return 1
}
stop_server() { stop_pid "$SERVER_PID"; SERVER_PID=""; }

scenario_desc() {
    case "$1" in
        ka64) echo "keep-alive, 64 connections, GET /" ;;
        pipe16) echo "keep-alive, 64 connections, 16 pipelined GET / per batch" ;;
        pipe16v) echo "pipe16 with an X-Request-Id: N field on each request of a batch (no head repeats the one before it)" ;;
        c1) echo "keep-alive, 1 connection, GET / (latency-bound)" ;;
        c1000) echo "keep-alive, 1000 connections, GET /" ;;
        close) echo "64 connections, GET / with Connection: close (new TCP connection per request)" ;;
        post4k) echo "keep-alive, 64 connections, POST /echo with a 4 KiB body" ;;
        post64k) echo "keep-alive, 16 connections, POST /echo with a 64 KiB body" ;;
        file1k) echo "keep-alive, 64 connections, GET a 1 KiB file" ;;
        file1m) echo "keep-alive, 16 connections, GET a 1 MiB file" ;;
        range) echo "keep-alive, 64 connections, GET a random 4 KiB range of a 64 MiB file" ;;
        idle) echo "memory per idle keep-alive connection" ;;
        tls_ka64) echo "HTTPS keep-alive, 64 connections, GET /" ;;
        tls_new) echo "HTTPS, 64 connections, GET / with Connection: close (a new TLS connection per request, resumed)" ;;
        tls_new_full) echo "HTTPS, 64 connections, GET / with Connection: close, resumption off (a full handshake per request)" ;;
        tls_file1m) echo "HTTPS keep-alive, 16 connections, GET a 1 MiB file" ;;
        tls_idle) echo "memory per idle TLS keep-alive connection" ;;
    esac
}
# shellcheck source=wrk/args.sh
source "$WRK_DIR/args.sh"

# Result rows (tab separated), one per run:
# scenario server round rps requests p50_us p99_us errors non2xx cpu_us_per_req busy percore_rps peak_rss_kb other_busy client_busy
RUNS_TSV="$RAW_DIR/runs.tsv"
: >"$RUNS_TSV"

run_one() { # run_one SCENARIO SERVER ROUND
    local sc="$1" s="$2" r="$3" port out args
    local t0 t1 c0 c1 w0 w1 rps reqs p50 p99 errs non2xx cpu_us busy percore hwm cbusy
    port=$(port_of "$s")
    out="$RAW_DIR/${sc}_${s}_r${r}.txt"
    if ! start_server "$s" "$sc"; then
        printf '%s\t%s\t%s\tNA\tNA\tNA\tNA\tNA\tNA\tNA\tNA\tNA\tNA\tNA\tNA\n' "$sc" "$s" "$r" >>"$RUNS_TSV"
        return 0
    fi
    sleep 0.2
    # The suite each TLS server picks for OpenSSL's default offer (wrk's),
    # from one handshake of its own before its first run.
    if is_tls_scenario "$sc" && [[ ! -s "$RAW_DIR/suite_$s.txt" ]]; then
        timeout 5 openssl s_client -connect "127.0.0.1:$port" </dev/null 2>/dev/null \
            | awk '/Cipher is/ {print $NF; exit}' >"$RAW_DIR/suite_$s.txt" || true
    fi
    args=$(wrk_args "$sc" "$port")
    t0=$(proc_ticks "$SERVER_PID")
    c0=$(cpu_jiffies)
    w0=$(cpu_jiffies "$CLIENT_CPU")
    # shellcheck disable=SC2086
    timeout --foreground $((DURATION + 60)) taskset -c "$CLIENT_CPUS" \
        wrk --latency -t1 -d"${DURATION}s" $args >"$out" 2>&1 || warn "wrk exited non-zero ($sc/$s)"
    c1=$(cpu_jiffies)
    w1=$(cpu_jiffies "$CLIENT_CPU")
    t1=$(proc_ticks "$SERVER_PID")
    hwm=$(status_kb "$SERVER_PID" VmHWM)
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        warn "server '$s' died during $sc round $r"
    fi
    stop_server

    rps=$(awk '/^Requests\/sec:/ {print $2}' "$out"); rps=${rps:-NA}
    reqs=$(awk '/ requests in / {print $1}' "$out"); reqs=${reqs:-NA}
    p50=$(awk '$1 == "50%" {print $2}' "$out"); p50=$(to_us "${p50:-NA}")
    p99=$(awk '$1 == "99%" {print $2}' "$out"); p99=$(to_us "${p99:-NA}")
    # wrk sometimes prints 0.00us percentiles (seen with pipelining): not a real value.
    [[ "$p50" != 0 ]] || p50=NA
    [[ "$p99" != 0 ]] || p99=NA
    errs=$(awk '/Socket errors:/ {gsub(/,/, ""); print $4 + $6 + $8 + $10}' "$out"); errs=${errs:-0}
    non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$out"); non2xx=${non2xx:-0}
    cpu_us=$(awk -v a="$t0" -v b="$t1" -v n="$reqs" -v hz="$CLK_TCK" 'BEGIN {
        if (a == "NA" || b == "NA" || n == "NA" || n + 0 == 0) print "NA"
        else printf "%.3f", (b - a) / hz * 1e6 / n }')
    # other = share of CPU0 used by anything but the server process (other
    # processes, softirq, ...): a contamination indicator.
    read -r busy percore other < <(awk -v c0="$c0" -v c1="$c1" -v rps="$rps" \
        -v t0="$t0" -v t1="$t1" 'BEGIN {
        split(c0, a, " "); split(c1, b, " ")
        tot = b[1] - a[1]; idle = b[2] - a[2]
        if (tot <= 0) { print "NA NA NA"; exit }
        busy = (tot - idle) / tot
        other = (t0 == "NA" || t1 == "NA") ? "NA" : sprintf("%.4f", busy - (t1 - t0) / tot)
        if (rps == "NA" || busy < 0.01) printf "%.4f NA %s\n", busy, other
        else printf "%.4f %.1f %s\n", busy, rps / busy, other }')
    # How busy wrk's CPU was: near 100 %, req/s is the client's limit.
    cbusy=$(awk -v c0="$w0" -v c1="$w1" 'BEGIN {
        split(c0, a, " "); split(c1, b, " "); tot = b[1] - a[1]
        if (tot <= 0) print "NA"; else printf "%.4f", (tot - (b[2] - a[2])) / tot }')
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
        "$sc" "$s" "$r" "$rps" "$reqs" "$p50" "$p99" "$errs" "$non2xx" \
        "$cpu_us" "$busy" "$percore" "$hwm" "$other" "$cbusy" >>"$RUNS_TSV"
    log "  $sc/$s r$r: ${rps} req/s, busy=${busy}, wrk busy=${cbusy}, other=${other}, cpu=${cpu_us} us/req, errors=$errs, non2xx=$non2xx"
    if awk -v o="$other" 'BEGIN { exit !(o != "NA" && o > 0.15) }'; then
        warn "$sc/$s r$r: $(fmt_pct "$other") of CPU $BUSY_CPU went to something other than the server; this run is noisy"
    fi
}

# ---------------------------------------------------------------- formatting
median() { # numbers on stdin (NA ignored) -> median or NA
    awk '$1 != "NA" && $1 != ""' | sort -g | awk '{a[NR] = $1}
        END { if (NR == 0) print "NA"
              else if (NR % 2) print a[(NR + 1) / 2]
              else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
col_median() { # col_median SCENARIO SERVER COLUMN
    awk -F'\t' -v sc="$1" -v s="$2" -v c="$3" '$1 == sc && $2 == s {print $c}' "$RUNS_TSV" | median
}
paired_ratio() { # paired_ratio SCENARIO SERVER COLUMN [BASE] -> median over rounds of server/base
    # Each round's figure is divided by the base's (hyper's, or nginx's for
    # files) from the same round (run seconds apart), so a machine that is
    # slower for a while moves both.
    awk -F'\t' -v sc="$1" -v s="$2" -v c="$3" -v base="${4:-$(base_of "$1")}" '
        $1 == sc && $2 == s { x[$3] = $c }
        $1 == sc && $2 == base { h[$3] = $c }
        END { for (r in x) if (r in h && x[r] != "NA" && h[r] != "NA" && h[r] + 0 != 0) print x[r] / h[r] }' \
        "$RUNS_TSV" | median
}
paired_range() { # paired_range SCENARIO SERVER COLUMN BASE -> "min–max" of the per-round ratios
    awk -F'\t' -v sc="$1" -v s="$2" -v c="$3" -v base="$4" '
        $1 == sc && $2 == s { x[$3] = $c }
        $1 == sc && $2 == base { h[$3] = $c }
        END { n = 0
              for (r in x) if (r in h && x[r] != "NA" && h[r] != "NA" && h[r] + 0 != 0) {
                  v = x[r] / h[r]; if (n == 0 || v < lo) lo = v; if (n == 0 || v > hi) hi = v; n++ }
              if (n == 0) print "n/a"; else printf "%.2f–%.2f", lo, hi }' "$RUNS_TSV"
}
fmt_ratio() { awk -v x="$1" 'BEGIN { if (x == "NA") print "n/a"; else printf "%.2f×", x }'; }
fmt_int() { awk -v x="$1" 'BEGIN { if (x == "NA") print "n/a"; else printf "%.0f", x }'; }
fmt_lat() {
    awk -v x="$1" 'BEGIN {
        if (x == "NA") print "n/a"
        else if (x < 1000) printf "%.0f µs", x
        else if (x < 1000000) printf "%.2f ms", x / 1000
        else printf "%.2f s", x / 1000000 }'
}
fmt_f() { awk -v x="$1" -v d="$2" 'BEGIN { if (x == "NA") print "n/a"; else printf "%.*f", d, x }'; }
fmt_pct() { awk -v x="$1" 'BEGIN { if (x == "NA") print "n/a"; else printf "%.0f%%", x * 100 }'; }
fmt_mib() { awk -v x="$1" 'BEGIN { if (x == "NA") print "n/a"; else printf "%.1f MiB", x / 1024 }'; }
ratio() { # ratio VALUE BASE
    awk -v x="$1" -v b="$2" 'BEGIN {
        if (x == "NA" || b == "NA" || b + 0 == 0) print "n/a"; else printf "%.2f×", x / b }'
}

REPORT_TMP="$(mktemp)"
out() { printf '%s\n' "$*" | tee -a "$REPORT_TMP"; }

print_table() { # print_table SCENARIO
    local sc="$1" s rps pc busy cbusy p50 p99 cpu rss err n2 label base
    base=$(base_of "$sc")
    out ""
    out "### $sc — $(scenario_desc "$sc")"
    out ""
    out "\`wrk --latency -t1 -d${DURATION}s $(wrk_args "$sc" PORT | sed "s|$BENCH_DIR/|bench/|g")\`"
    out ""
    out "| server | req/s | per-core req/s | CPU$BUSY_CPU busy | wrk CPU busy | p50 | p99 | CPU µs/req | peak RSS | errors | non-2xx | req/s vs $base | per-core vs $base | CPU µs/req vs $base |"
    out "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
    for s in $SERVERS; do
        serves "$sc" "$s" || continue
        rps=$(col_median "$sc" "$s" 4)
        p50=$(col_median "$sc" "$s" 6)
        p99=$(col_median "$sc" "$s" 7)
        err=$(col_median "$sc" "$s" 8)
        n2=$(col_median "$sc" "$s" 9)
        cpu=$(col_median "$sc" "$s" 10)
        pc=$(col_median "$sc" "$s" 12)
        rss=$(col_median "$sc" "$s" 13)
        busy=$(col_median "$sc" "$s" 11)
        cbusy=$(col_median "$sc" "$s" 15)
        case "$s" in
            raw_mio) label="raw_mio (ceiling)" ;;
            raw_spin) label="raw_spin (client's ceiling)" ;;
            *) label=$s ;;
        esac
        out "| $label | $(fmt_int "$rps") | $(fmt_int "$pc") | $(fmt_pct "$busy") | $(fmt_pct "$cbusy") | $(fmt_lat "$p50") | $(fmt_lat "$p99") | $(fmt_f "$cpu" 2) | $(fmt_mib "$rss") | $(fmt_int "$err") | $(fmt_int "$n2") | $(fmt_ratio "$(paired_ratio "$sc" "$s" 4)") | $(fmt_ratio "$(paired_ratio "$sc" "$s" 12)") | $(fmt_ratio "$(paired_ratio "$sc" "$s" 10)") |"
    done
    local noisy total
    noisy=$(awk -F'\t' -v sc="$sc" '$1 == sc && $14 != "NA" && $14 > 0.15' "$RUNS_TSV" | wc -l)
    total=$(awk -F'\t' -v sc="$sc" '$1 == sc' "$RUNS_TSV" | wc -l)
    if (( noisy > 0 )); then
        out ""
        out "> ⚠ $noisy of $total runs had >15% of CPU $BUSY_CPU used by something other than the server (background load); treat this table as noisy."
    fi
}

# ---------------------------------------------------------------- idle step
# idle (plain servers) and tls_idle (HTTPS servers, handshakes first: fewer
# connections, a longer deadline) write one TSV each.
idle_tsv() { echo "$RAW_DIR/$1.tsv"; }
run_idle() { # run_idle SCENARIO SERVER -> appends "server ok before_kb after_kb bytes_per_conn"
    local sc="$1" s="$2" port before after line ok i per tsv n=$IDLE_CONNS limit=60 tls=""
    tsv=$(idle_tsv "$sc")
    if [[ "$sc" == tls_idle ]]; then n=$TLS_IDLE_CONNS; limit=120; tls=--tls; fi
    port=$(port_of "$s")
    if ! start_server "$s" "$sc"; then
        printf '%s\tNA\tNA\tNA\tNA\n' "$s" >>"$tsv"; return 0
    fi
    sleep 0.5
    before=$(status_kb "$SERVER_PID" VmRSS)
    local cout="$RAW_DIR/${sc}_$s.txt"
    # shellcheck disable=SC2086
    taskset -c "$CLIENT_CPUS" python3 "$BENCH_DIR/idle_conns.py" $tls \
        --port "$port" -n "$n" --timeout "$limit" --hold "$limit" >"$cout" 2>&1 &
    CLIENT_PID=$!
    line=""
    for ((i = 0; i < limit * 10 + 100; i++)); do # client deadline + 10 s
        line=$(grep -m1 '^READY' "$cout" 2>/dev/null || true)
        [[ -n "$line" ]] && break
        kill -0 "$CLIENT_PID" 2>/dev/null || break
        sleep 0.1
    done
    if [[ -z "$line" ]]; then
        warn "idle client for '$s' did not become ready (see $cout)"
        stop_pid "$CLIENT_PID"; CLIENT_PID=""; stop_server
        printf '%s\tNA\t%s\tNA\tNA\n' "$s" "$before" >>"$tsv"; return 0
    fi
    sleep 1 # let the server settle
    after=$(status_kb "$SERVER_PID" VmRSS)
    stop_pid "$CLIENT_PID"; CLIENT_PID=""
    stop_server
    ok=$(sed -n 's/.*ok=\([0-9]*\).*/\1/p' <<<"$line")
    per=$(awk -v a="$before" -v b="$after" -v n="$ok" 'BEGIN {
        if (a == "NA" || b == "NA" || n + 0 == 0) print "NA"; else printf "%.0f", (b - a) * 1024 / n }')
    printf '%s\t%s\t%s\t%s\t%s\n' "$s" "$ok" "$before" "$after" "$per" >>"$tsv"
    log "  $sc/$s: $line, RSS ${before} kB -> ${after} kB, ${per} B/conn"
}

# ---------------------------------------------------------------- background load
# Results are only comparable on a quiet machine: the busy fraction counts
# everything that runs on the server CPU. Sample both CPUs for 1 s first.
background_busy() { # prints "cpuN=P% ..." for the server and client CPUs
    local a b
    a=$(cat /proc/stat); sleep 1; b=$(cat /proc/stat)
    awk -v want="cpu${BUSY_CPU} cpu${CLIENT_CPUS%%[,-]*}" '
        BEGIN { n = split(want, w, " "); for (i = 1; i <= n; i++) keep[w[i]] = 1 }
        FNR == NR { if ($1 in keep) { t0[$1] = $2+$3+$4+$5+$6+$7+$8+$9; i0[$1] = $5+$6 }; next }
        $1 in keep { t = $2+$3+$4+$5+$6+$7+$8+$9 - t0[$1]; i = $5+$6 - i0[$1]
                     if (!($1 in seen)) { seen[$1] = 1; printf "%s=%.0f%% ", $1, (t > 0 ? (t - i) / t * 100 : 0) } }
    ' <(printf '%s\n' "$a") <(printf '%s\n' "$b")
}
BACKGROUND="$(background_busy)"
log "background CPU load before the runs: ${BACKGROUND:-unknown}"
if awk -v s="$BACKGROUND" 'BEGIN { n = split(s, f, " "); for (i = 1; i <= n; i++) { split(f[i], kv, "="); if (kv[2] + 0 > 10) bad = 1 }; exit !bad }'; then
    warn "the machine is not idle (${BACKGROUND}); results will be noisy"
fi

# ---------------------------------------------------------------- wake-up latency
# How fast this host switches and wakes threads, which the loop-to-worker
# hand-off pays for and a c1 round trip is made of: `perf bench sched pipe`, two
# processes passing a token through pipes, on the server's CPU (each
# round trip two context switches on one core) and across the server's
# and the client's CPU (two cross-CPU wake-ups). Printed before and after
# the runs; without perf, "not measured".
wake_latency() { # prints "same-CPU X µs, cross-CPU Y µs" per round trip
    command -v perf >/dev/null 2>&1 || { echo "not measured (no perf)"; return 0; }
    local same cross
    same=$(taskset -c "$BUSY_CPU" perf bench sched pipe -l 50000 2>/dev/null | awk '/usecs\/op/ {printf "%.1f", $1}')
    cross=$(taskset -c "$BUSY_CPU,$CLIENT_CPU" perf bench sched pipe -l 50000 2>/dev/null | awk '/usecs\/op/ {printf "%.1f", $1}')
    echo "same-CPU ${same:-NA} µs, cross-CPU ${cross:-NA} µs a round trip"
}
WAKE_BEFORE="$(wake_latency)"
log "wake-up latency before the runs: $WAKE_BEFORE"

# ---------------------------------------------------------------- main
WRK_SCENARIOS=""
for sc in $SCENARIOS; do is_idle_scenario "$sc" || WRK_SCENARIOS="$WRK_SCENARIOS $sc"; done

log "servers: $SERVERS | scenarios: $SCENARIOS | rounds=$ROUNDS duration=${DURATION}s threads=$THREADS"
for ((r = 1; r <= ROUNDS; r++)); do
    [[ -n "${WRK_SCENARIOS// /}" ]] || break
    log "round $r/$ROUNDS"
    for sc in $WRK_SCENARIOS; do
        # Round-robin: rotate the starting server each round to spread order effects.
        for ((k = 0; k < NSRV; k++)); do
            s="${SERVER_ARR[$(((k + r - 1) % NSRV))]}"
            serves "$sc" "$s" || continue
            run_one "$sc" "$s" "$r"
        done
    done
done

if [[ " $SCENARIOS " == *" idle "* ]]; then
    : >"$(idle_tsv idle)"
    log "idle step: $IDLE_CONNS connections per server"
    # raw_spin holds what raw_mio holds; spinning would only slow the client.
    for s in $SERVERS; do
        if serves idle "$s" && [[ "$s" != raw_spin ]]; then run_idle idle "$s"; fi
    done
fi
if [[ " $SCENARIOS " == *" tls_idle "* ]]; then
    : >"$(idle_tsv tls_idle)"
    log "tls_idle step: $TLS_IDLE_CONNS TLS connections per server"
    for s in $SERVERS; do
        if serves tls_idle "$s"; then run_idle tls_idle "$s"; fi
    done
fi

# ---------------------------------------------------------------- report
out "# mini_async_http load benchmark"
out ""
out "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
out "- host: $(uname -srm), $NCPU CPUs ($(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null || echo unknown))"
out "- rustc: $(rustc --version 2>/dev/null || echo unknown); wrk: $(wrk -v 2>&1 | head -n1 | awk '{print $1, $2}')"
if ((NEED_TLS)); then
    out "- tls: self-signed ECDSA P-256 certificate; wrk's TLS is the system OpenSSL ($(openssl version 2>/dev/null | awk '{print $1, $2}')), which resumes TLS 1.3 sessions on reconnect"
    suites=""
    for s in $TLS_SERVERS; do
        [[ -s "$RAW_DIR/suite_$s.txt" ]] && suites+="${suites:+, }$s $(cat "$RAW_DIR/suite_$s.txt")"
    done
    [[ -z "$suites" ]] || out "- tls suite each server picks for OpenSSL's default offer (AES-256-GCM listed first): $suites"
fi
out "- main repo commit: $(git -C "$BENCH_DIR/.." rev-parse --short HEAD 2>/dev/null || echo none)"
out "- background CPU load before the runs (1 s sample): ${BACKGROUND:-unknown}"
out "- thread wake-up latency (\`perf bench sched pipe -l 50000\`, CPU $BUSY_CPU alone / CPUs $BUSY_CPU,$CLIENT_CPU): before the runs $WAKE_BEFORE; after $(wake_latency). On one core the event loop and the worker take turns (two switches a cycle); a c1 round trip wakes the server and then the client across the CPUs, so compare c1 between runs only with this beside it"
out "- servers: $SERVERS; server THREADS=$THREADS pinned to CPU $SERVER_CPUS; wrk -t1 pinned to CPU $CLIENT_CPUS"
out "- rounds: $ROUNDS × ${DURATION}s per scenario and server; every cell is the median over rounds; a ratio is the median over rounds of the server's figure ÷ the base's in the same round (hyper for hello scenarios, nginx for files, nginx_tls for tls)"
out "- per-core req/s = req/s ÷ busy fraction of CPU $BUSY_CPU; CPU µs/req = server utime+stime ÷ requests"
out "- wall time of this run, builds included: $((SECONDS / 60)) min $((SECONDS % 60)) s"
for sc in $WRK_SCENARIOS; do print_table "$sc"; done

print_ab_table() { # what each variant of mini costs: per-core req/s ÷ mini's, paired by round
    local sc s have=0 row
    for s in $SERVERS; do [[ " $AB_SERVERS mini_base " == *" $s "* ]] && have=1; done
    [[ " $SERVERS " == *" mini "* ]] && ((have)) || return 0
    out ""
    out "### A/B: mini's variants ÷ mini (per-core req/s, median of the per-round ratios; min–max)"
    out ""
    out "| variant |$(for sc in $AB_SCENARIOS; do printf ' %s |' "$sc"; done)"
    out "|---|$(for sc in $AB_SCENARIOS; do printf -- '--:|'; done)"
    for s in $SERVERS; do
        [[ " $AB_SERVERS mini_base " == *" $s "* ]] || continue
        row="| $s |"
        for sc in $AB_SCENARIOS; do
            if [[ " $WRK_SCENARIOS " == *" $sc "* ]]; then
                row="$row $(fmt_ratio "$(paired_ratio "$sc" "$s" 12 mini)") ($(paired_range "$sc" "$s" 12 mini)) |"
            else row="$row n/a |"; fi
        done
        out "$row"
    done
}
print_ab_table

print_idle_table() { # print_idle_table SCENARIO
    local sc="$1" tsv base b_per n tls=""
    tsv=$(idle_tsv "$sc")
    base=$(base_of "$sc")
    b_per=$(awk -F'\t' -v b="$base" '$1 == b {print $5}' "$tsv"); b_per=${b_per:-NA}
    n=$IDLE_CONNS
    if [[ "$sc" == tls_idle ]]; then n=$TLS_IDLE_CONNS; tls=" --tls"; fi
    out ""
    out "### $sc — $(scenario_desc "$sc")"
    out ""
    out "\`python3 bench/idle_conns.py$tls -n $n\`: each connection $([[ -n "$tls" ]] && echo "makes a TLS handshake, ")sends one GET /, reads the response, then stays idle; RSS is VmRSS before vs. while they are open."
    out ""
    out "| server | connections | RSS before | RSS with conns | bytes/conn | vs $base |"
    out "|---|--:|--:|--:|--:|--:|"
    while IFS=$'\t' read -r s ok before after per; do
        out "| $s | $(fmt_int "$ok") | $(fmt_mib "$before") | $(fmt_mib "$after") | $(fmt_int "$per") | $(ratio "$per" "$b_per") |"
    done <"$tsv"
}
for sc in idle tls_idle; do
    if [[ " $SCENARIOS " == *" $sc "* ]]; then print_idle_table "$sc"; fi
done

# The issues' targets against this run (bench/targets.py: the same paired
# medians, one line per target, met or not).
if command -v python3 >/dev/null 2>&1; then
    out ""
    out "### Targets (issues 11–15) in this run"
    out ""
    python3 "$BENCH_DIR/targets.py" "$RUNS_TSV" "$RAW_DIR" | while IFS= read -r line; do out "$line"; done
fi

mkdir -p "$RESULTS_DIR"
cp "$REPORT_TMP" "$RESULTS_DIR/latest.md"
# The per-round figures the paired ratios come from, kept beside the report
# (raw/runs.tsv is rewritten by the next run).
cp "$RUNS_TSV" "$RESULTS_DIR/latest.tsv"
rm -f "$REPORT_TMP"
log "report written to $RESULTS_DIR/latest.md (raw data in $RAW_DIR)"
