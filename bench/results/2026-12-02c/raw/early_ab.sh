#!/usr/bin/env bash
# Kept as it was run in session 10 for ab1-ab5 (its paths are that session's
# /tmp); bench/ab.sh is the kept tool. Per core here = req/s / the server
# process's CPU fraction.
# ab.sh SCENARIO SECONDS ROUNDS name=ENV:BIN:ARGS ...   per-core req/s, server on CPU 0 (1 worker), wrk on CPU 1
set -euo pipefail
SC=$1 D=$2 R=$3; shift 3
WRK_DIR=/tmp/kit8/bench/wrk; source $WRK_DIR/args.sh
export BENCH_TLS_CERT=/tmp/tlsc/cert.pem BENCH_TLS_KEY=/tmp/tlsc/key.pem
TCK=$(getconf CLK_TCK)
for r in $(seq $R); do
  for spec in "$@"; do
    name=${spec%%=*}; rest=${spec#*=}; envs=${rest%%:*}; rest=${rest#*:}; bin=${rest%%:*}; args=${rest#*:}
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    env $envs taskset -c 0 $bin $port 1 $args >/dev/null 2>&1 & pid=$!
    scheme=http; [[ $SC == tls_* ]] && scheme=https
    for _ in $(seq 100); do curl -sk -o /dev/null --max-time 1 $scheme://127.0.0.1:$port/ && break; sleep 0.1; done
    a=$(awk '{print $14+$15}' /proc/$pid/stat); t0=$(date +%s.%N)
    out=$(taskset -c 1 wrk -t1 -d${D}s $(wrk_args $SC $port))
    b=$(awk '{print $14+$15}' /proc/$pid/stat); t1=$(date +%s.%N)
    kill $pid; wait $pid 2>/dev/null || true
    rps=$(echo "$out" | awk '/^Requests\/sec/ {print $2}')
    python3 -c "import sys; rps=$rps; cpu=($b-$a)/$TCK; el=$t1-$t0; print(f'$r $SC $name rps={rps:.0f} cpu={cpu/el:.2f} percore={rps/(cpu/el):.0f} us_per_req={cpu/(rps*el)*1e6:.2f}')"
  done
done
