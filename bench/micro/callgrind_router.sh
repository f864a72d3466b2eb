#!/bin/sh
# Instructions per request (callgrind) of the router modes of
# examples/profile.rs and of the bare handler on the same target; the
# difference is what routing adds. Each figure is (I(2n) - I(n)) / requests(n),
# so the start-up (building the table, the allocator's first pages) cancels out.
#
#   bench/micro/callgrind_router.sh [iterations]
set -eu
cd "$(dirname "$0")"
n=${1:-2000}
cargo build --release --example profile --quiet
bin=target/release/examples/profile
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
count() { # mode iterations -> instructions
    valgrind --tool=callgrind --callgrind-out-file="$out/cg" "$bin" "$1" "$2" >/dev/null 2>"$out/log"
    sed -n 's/^.*Collected : *\([0-9]*\).*$/\1/p' "$out/log"
}
per_request() { # mode -> instructions per request (16 requests an iteration)
    a=$(count "$1" "$n")
    b=$(count "$1" $((2 * n)))
    echo $(((b - a) / (16 * n)))
}
printf '%-10s %8s %8s %8s\n' mode router bare added
for mode in static one_param catch_all miss; do
    r=$(per_request "$mode")
    b=$(per_request "bare-$mode")
    printf '%-10s %8d %8d %8d\n' "$mode" "$r" "$b" $((r - b))
done
