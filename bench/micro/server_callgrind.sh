#!/usr/bin/env bash
# User-space instructions per request of a whole server binary (event loop,
# workers, handler), counted by callgrind, so that the figure does not depend
# on what else the machine runs (this VM has no hardware counters: `perf stat
# -e instructions` is not supported).
#
#   bench/micro/server_callgrind.sh BINARY [MODE] [R1] [R2]
#   bench/micro/server_callgrind.sh bench/peers/mini/target/release/peer_mini pipe16 5 25
#
# Runs BINARY (a peer: `BINARY PORT THREADS`, one worker) under callgrind
# twice, serving R1 and then R2 rounds of load_client.py (MODE pipe16, pipe16v,
# post4k or ka; 64 connections), and prints (Ir(R2) - Ir(R1)) / (requests(R2)
# - requests(R1)): start-up and shutdown cancel out. The callgrind files stay
# in $OUT (default /tmp/server_callgrind) for callgrind_annotate; build the
# peer with CARGO_PROFILE_RELEASE_DEBUG=line-tables-only to see source lines.
# SERVER_ARGS are passed after PORT THREADS (`log`: the access log on).
set -euo pipefail

BIN="${1:?usage: bench/micro/server_callgrind.sh BINARY [MODE] [R1] [R2]}"
MODE="${2:-pipe16}"
R1="${3:-5}"
R2="${4:-25}"
OUT="${OUT:-/tmp/server_callgrind}"
CLIENT="$(cd "$(dirname "$0")" && pwd)/load_client.py"
mkdir -p "$OUT"

# One run: prints "requests instructions".
run() {
    local rounds=$1 file=$2 port server n
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    # shellcheck disable=SC2086
    valgrind --tool=callgrind --callgrind-out-file="$file" "$BIN" "$port" 1 ${SERVER_ARGS:-} >"$file.log" 2>&1 &
    server=$!
    for _ in $(seq 300); do # <= 60 s: valgrind starts slowly
        python3 -c "import socket; socket.create_connection(('127.0.0.1', $port)).close()" 2>/dev/null && break
        sleep 0.2
    done
    n=$(python3 "$CLIENT" "$port" "$MODE" "$rounds")
    kill "$server"
    wait "$server" 2>/dev/null || true
    echo "$n $(awk '/^totals:/ {print $2}' "$file")"
}

read -r A IA < <(run "$R1" "$OUT/$MODE.$R1.cg")
read -r B IB < <(run "$R2" "$OUT/$MODE.$R2.cg")
echo "$(basename "$BIN") $MODE: $A requests $IA Ir, $B requests $IB Ir: $(((IB - IA) / (B - A))) Ir/request"
