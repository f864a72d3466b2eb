"""Pools the paired per-round ratios of the A/B files here (the table in
../handoff_inline.md): python3 pooled.py (from this directory)."""
import collections
import re
import statistics

OWN = re.compile(r"(\d+) (\S+) (\S+) rps=(\d+) cpu=(\S+) percore=(\d+)")  # early_ab.sh
REPO = re.compile(r"round (\d+) (\S+) (\S+): (\d+) req/s, CPU 0 busy (\S+), per core (\d+)")  # bench/ab.sh
FILES = ["ab1_pipe16_ka64_tls.txt", "ab2_pipe16_tls.txt", "ab3_tls.txt", "ab4_late.txt",
         "ab5_late.txt", "ab6_pipe16.txt", "ab7_tls_ka64.txt", "ab8_late_ka64.txt", "ab9_late_tls.txt"]
# bench/ab.sh names may_minihttp in full; early_ab.sh called it may.
ALIAS = {"may_minihttp": "may"}
rounds = collections.defaultdict(dict)
for f in FILES:
    for line in open(f):
        m = OWN.match(line) or REPO.match(line)
        if m:
            name = ALIAS.get(m[3], m[3])
            rounds[(m[2], f, int(m[1]))][name] = int(m[6])
PAIRS = [("pipe16", "inline", "mini"), ("pipe16", "mini", "may"), ("pipe16", "inline", "may"),
         ("pipe16", "mini", "hyper"), ("pipe16", "inline", "hyper"), ("pipe16", "late", "mini"),
         ("ka64", "late", "mini"), ("tls_ka64", "inline_tls", "mini_tls"),
         ("tls_ka64", "mini_tls", "hyper_tls"), ("tls_ka64", "inline_tls", "hyper_tls"),
         ("tls_ka64", "late_tls", "mini_tls")]
for sc, a, b in PAIRS:
    r = [v[a] / v[b] for k, v in rounds.items() if k[0] == sc and a in v and b in v]
    if r:
        print(f"{sc:9} {a:>10} / {b:<9} median {statistics.median(r):.2f}  "
              f"range {min(r):.2f}-{max(r):.2f}  rounds {len(r):2}  above 1.0: {sum(x > 1 for x in r)}")
