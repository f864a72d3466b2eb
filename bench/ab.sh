#!/usr/bin/env bash
# Interleaved A/B of two or more server builds (or settings) under one
# compare.sh scenario, with compare.sh's measure: requests a second per
# busy core of CPU 0 (the server's), paired by round.
#
#   bench/ab.sh SCENARIO 'NAME=[VAR=VALUE ...] BINARY [ARGS ...]' ...
#   ROUNDS=10 DURATION=5 bench/ab.sh pipe16 \
#       'mini=bench/peers/mini/target/release/peer_mini' \
#       'inline=MINI_INLINE=1 /tmp/peer_mini'
#   bench/ab.sh tls_ka64 'mini_tls=/tmp/peer_mini tls' \
#       'hyper_tls=bench/peers/hyper_tls/target/release/peer_hyper_tls'
#
# Each round runs every variant once, in the order given, each as a fresh
# process pinned to CPU 0 with one worker (`BINARY PORT 1 [ARGS]`, the peer
# convention), loaded by wrk pinned to CPU 1 for DURATION seconds with the
# scenario's arguments (bench/wrk/args.sh). It prints one line a run, then
# for every variant after the first its per-round ratio to the first: the
# median with its 95 % interval (bootstrap over the rounds), how many rounds
# were above 1.0, the range and each round's. On a shared virtual machine single
# runs move by a fifth with the host's phases; runs seconds apart move
# together, so the paired ratios are what to read, over ten rounds or more.
# TLS peers need BENCH_TLS_CERT / BENCH_TLS_KEY (made here if unset).
# Needs wrk, curl, python3, taskset (and openssl for TLS).
set -euo pipefail
SC="${1:?usage: bench/ab.sh SCENARIO 'NAME=[VAR=VALUE ...] BINARY [ARGS]' ...}"
shift
(($# >= 2)) || { echo "bench/ab.sh: give two variants or more" >&2; exit 2; }
ROUNDS="${ROUNDS:-10}"
DURATION="${DURATION:-5}"
WRK_DIR="$(cd "$(dirname "$0")/wrk" && pwd)"
# shellcheck source=wrk/args.sh
source "$WRK_DIR/args.sh"
[[ -n "$(wrk_args "$SC" 1)" ]] || { echo "bench/ab.sh: unknown scenario $SC" >&2; exit 2; }
SCHEME=http
[[ "$SC" == tls_* ]] && SCHEME=https
TMP=$(mktemp -d)
SERVER=""
cleanup() {
    if [[ -n "$SERVER" ]]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
    rm -rf "$TMP"
}
trap cleanup EXIT
if [[ "$SCHEME" == https && -z "${BENCH_TLS_CERT:-}" ]]; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj /CN=localhost -keyout "$TMP/key.pem" -out "$TMP/cert.pem" >/dev/null 2>&1
    export BENCH_TLS_CERT="$TMP/cert.pem" BENCH_TLS_KEY="$TMP/key.pem"
fi
cpu0() { awk '$1 == "cpu0" { print $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9, $5 + $6 }' /proc/stat; }
: >"$TMP/runs"
for r in $(seq "$ROUNDS"); do
    for spec in "$@"; do
        name="${spec%%=*}"
        read -r -a words <<<"${spec#*=}"
        envs=()
        while ((${#words[@]})) && [[ "${words[0]}" =~ ^[A-Za-z_][A-Za-z0-9_]*= ]]; do
            envs+=("${words[0]}")
            words=("${words[@]:1}")
        done
        bin="${words[0]}"
        args=("${words[@]:1}")
        port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
        env "${envs[@]}" taskset -c 0 "$bin" "$port" 1 "${args[@]}" >"$TMP/server.log" 2>&1 &
        SERVER=$!
        up=0
        for _ in $(seq 100); do # <= 10 s
            if curl -sk -o /dev/null --max-time 1 "$SCHEME://127.0.0.1:$port/"; then up=1; break; fi
            sleep 0.1
        done
        ((up)) || { echo "bench/ab.sh: $name did not answer on $port" >&2; cat "$TMP/server.log" >&2; exit 1; }
        read -r c0 i0 < <(cpu0)
        # shellcheck disable=SC2046
        out=$(timeout $((DURATION + 30)) taskset -c 1 wrk -t1 -d"${DURATION}s" $(wrk_args "$SC" "$port"))
        read -r c1 i1 < <(cpu0)
        kill "$SERVER"
        wait "$SERVER" 2>/dev/null || true
        SERVER=""
        rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
        line=$(awk -v r="$r" -v n="$name" -v rps="${rps:-0}" -v t=$((c1 - c0)) -v i=$((i1 - i0)) 'BEGIN {
            busy = t > 0 ? (t - i) / t : 0
            percore = busy > 0.01 ? rps / busy : 0
            printf "%s\t%s\t%.0f\t%.3f\t%.0f\n", r, n, rps, busy, percore }')
        echo "$line" >>"$TMP/runs"
        awk -F'\t' -v sc="$SC" '{ printf "round %s %s %s: %s req/s, CPU 0 busy %s, per core %s\n", $1, sc, $2, $3, $4, $5 }' <<<"$line"
    done
done
# RUNS_OUT=FILE keeps the runs (round, name, req/s, CPU 0 busy, per core;
# tab-separated) for other pairings than against the first variant.
if [[ -n "${RUNS_OUT:-}" ]]; then cp "$TMP/runs" "$RUNS_OUT"; fi
python3 - "$TMP/runs" "$SC" "${1%%=*}" <<'PY'
import random, statistics, sys
runs, sc, base = sys.argv[1], sys.argv[2], sys.argv[3]
by_round, names = {}, []
for line in open(runs):
    r, name, _rps, _busy, percore = line.rstrip("\n").split("\t")
    by_round.setdefault(r, {})[name] = float(percore)
    if name not in names:
        names.append(name)
for name in names:
    if name == base:
        continue
    ratios = [v[name] / v[base] for v in by_round.values() if v.get(base) and v.get(name)]
    if ratios:
        each = " ".join(f"{x:.2f}" for x in ratios)
        # The median's 95 % interval by resampling the rounds (fixed seed:
        # the same runs print the same interval), and how many rounds were
        # above 1.0: a median is only as good as these say.
        rng = random.Random(0)
        medians = sorted(statistics.median(rng.choices(ratios, k=len(ratios)))
                         for _ in range(2000))
        low, high = medians[50], medians[1949]
        above = sum(x > 1.0 for x in ratios)
        print(f"{sc} {name} / {base}, per core: median {statistics.median(ratios):.2f}"
              f" (95 % interval {low:.2f}-{high:.2f}; {above} of {len(ratios)} rounds above 1.0;"
              f" range {min(ratios):.2f}-{max(ratios):.2f}: {each})")
PY
