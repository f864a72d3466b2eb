#!/bin/sh
# Instructions per request (callgrind) of the router modes of
# examples/profile.rs and of the bare handler on the same target; the
# difference is what routing adds (`root` is the kit's GET / behind its
# 50-route mini_router table). Each figure is (I(2n) - I(n)) / requests(n),
# so the start-up (building the table, the allocator's first pages) cancels out.
# The last column is the heap allocations routing adds per request (memcheck's
# count, the same difference).
#
#   bench/micro/callgrind_router.sh [iterations]
set -eu
cd "$(dirname "$0")"
n=${1:-2000}
cargo build --release --example profile --quiet
bin=target/release/examples/profile
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
count() { # mode iterations -> instructions (the least of three runs: a run
    # now and then counts a few hundred thousand more, in the allocator)
    for _ in 1 2 3; do
        valgrind --tool=callgrind --callgrind-out-file="$out/cg" "$bin" "$1" "$2" >/dev/null 2>"$out/log"
        sed -n 's/^.*Collected : *\([0-9]*\).*$/\1/p' "$out/log"
    done | sort -n | head -n 1
}
allocs() { # mode iterations -> heap allocations
    valgrind "$bin" "$1" "$2" 2>&1 >/dev/null | sed -n 's/^.*total heap usage: *\([0-9,]*\) allocs.*$/\1/p' | tr -d ,
}
per_request() { # count-function mode -> per request (16 requests an iteration)
    a=$($1 "$2" "$n")
    b=$($1 "$2" $((2 * n)))
    echo "$(((b - a) / 16)) $n" | awk '{ printf "%.2f", $1 / $2 }'
}
printf '%-10s %8s %8s %8s %8s\n' mode router bare added allocs
for mode in static one_param catch_all miss root; do
    r=$(per_request count "$mode")
    b=$(per_request count "bare-$mode")
    ra=$(per_request allocs "$mode")
    ba=$(per_request allocs "bare-$mode")
    echo "$mode $r $b $ra $ba" | awk '{ printf "%-10s %8d %8d %8d %8.2f\n", $1, $2, $3, $2 - $3, $4 - $5 }'
done
