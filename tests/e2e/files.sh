#!/usr/bin/env bash
# `serve` driven by curl as a user types it: builds serve (debug profile, as
# `cargo test` does), starts it on 127.0.0.1:0 over a temp dir of generated
# files, and checks each answer's status and bytes: a full GET, single and
# multipart ranges, an unsatisfiable range, If-None-Match, -z
# (If-Modified-Since), -I (HEAD), a directory redirect followed with -L, a
# percent-encoded name with spaces and unicode, traversal attempts
# (--path-as-is), the listing, and an access record per response; then
# SIGTERM, after which serve must exit 0.
#
#   bash tests/e2e/files.sh        # SERVE_BIN=path/to/serve to skip the build
#
# Every curl has --max-time 10; every wait is bounded.
set -euo pipefail
cd "$(dirname "$0")/../.."

say() { printf 'files.sh: %s\n' "$*"; }
fail() {
    printf '\nfiles.sh: FAILED: %s\n' "$*" >&2
    if [[ -n ${work:-} && -f $work/err ]]; then
        printf -- '--- serve stderr (last 20 lines) ---\n' >&2
        tail -n 20 "$work/err" >&2
    fi
    exit 1
}

command -v curl >/dev/null || fail "curl is missing (apt-get install curl)"

# shellcheck source=tests/e2e/serve_fixture.sh
source tests/e2e/serve_fixture.sh

# The site: random bytes, a one-line text file (so that parts of a range
# are single lines), a directory with an index, a name with spaces and
# unicode, and a secret next to the root that traversal must not reach.
site=$work/site
mkdir -p "$site/dir"
head -c 1000003 /dev/urandom >"$site/data.bin"
printf '%s' {0..999} >"$site/digits.txt"
echo '<p>index of dir</p>' >"$site/dir/index.html"
name='hello wörld ✓.txt'
encoded='hello%20w%C3%B6rld%20%E2%9C%93.txt'
echo 'unicode and spaces' >"$site/$name"
echo 'secret' >"$work/secret.txt"
size=$(stat -c %s "$site/data.bin")

"$SERVE_BIN" --addr 127.0.0.1:0 --workers 2 "$site" >"$work/out" 2>"$work/err" &
pid=$!
for _ in $(seq 100); do
    grep -q '^listening on ' "$work/out" 2>/dev/null && break
    running || fail "serve exited at start"
    sleep 0.1
done
base=$(sed -n 's/^listening on //p' "$work/out")
[[ -n $base ]] || fail "serve printed no address within 10 s"
say "serve at $base"

# curl with the options every call gets; -D writes the head, -o the body
# (-I writes the head there too).
# Each call is one request (-L: one more), counted for the access log check.
c() {
    echo >>"$work/requests"
    # curl creates the output file only when a body comes.
    rm -f "$work/h" "$work/b"
    curl --silent --show-error --max-time 10 -D "$work/h" -o "$work/b" "$@" || fail "curl $*"
}
# The status of the last response (the last head, after any redirect).
status() { awk 'toupper($1) ~ /^HTTP\// { s = $2 } END { print s }' "$work/h"; }
# The value of header $1 in the last head (CR removed).
header() {
    tr -d '\r' <"$work/h" | awk -v n="$1" '
        BEGIN { n = tolower(n) }
        toupper($1) ~ /^HTTP\// { v = "" }
        tolower(substr($0, 1, length(n) + 1)) == n ":" { v = substr($0, length(n) + 2); sub(/^ */, "", v) }
        END { print v }'
}
expect_status() { [[ $(status) == "$1" ]] || fail "$2: status $(status), expected $1"; }
ok() { say "ok - $1"; }

c "$base/data.bin"
expect_status 200 "full GET"
cmp -s "$work/b" "$site/data.bin" || fail "full GET: bytes differ"
[[ $(header content-length) == "$size" ]] || fail "full GET: Content-Length"
ok "full GET, $size bytes, sha256 $(sha256sum <"$work/b" | cut -c1-16)…"

c -r 0-99 "$base/data.bin"
expect_status 206 "-r 0-99"
cmp -s "$work/b" <(head -c 100 "$site/data.bin") || fail "-r 0-99: bytes differ"
[[ $(header content-range) == "bytes 0-99/$size" ]] || fail "-r 0-99: Content-Range $(header content-range)"
ok "-r 0-99"

c -r -100 "$base/data.bin"
expect_status 206 "-r -100"
cmp -s "$work/b" <(tail -c 100 "$site/data.bin") || fail "-r -100: bytes differ"
[[ $(header content-range) == "bytes $((size - 100))-$((size - 1))/$size" ]] || fail "-r -100: Content-Range"
ok "-r -100"

c -r 0-9,20-29 "$base/digits.txt"
expect_status 206 "-r 0-9,20-29"
type=$(header content-type)
boundary=${type#multipart/byteranges; boundary=}
[[ $boundary != "$type" && -n $boundary ]] || fail "multipart: Content-Type $type"
# Each part's bytes are the line after its head's blank line.
parts=$(tr -d '\r' <"$work/b" | awk 'blank { print; blank = 0; next } $0 == "" { blank = 1 }')
want=$(head -c 10 "$site/digits.txt"; echo; tail -c +21 "$site/digits.txt" | head -c 10)
[[ $parts == "$want" ]] || fail "multipart: parts $parts, expected $want"
[[ $(tr -d '\r' <"$work/b" | grep -c -x -e "--$boundary" -e "--$boundary--") == 3 ]] \
    || fail "multipart: boundaries"
digits=$(stat -c %s "$site/digits.txt")
for range in 0-9 20-29; do
    grep -q "^Content-Range: bytes $range/$digits" "$work/b" || fail "multipart: no part $range"
done
ok "-r 0-9,20-29 (multipart/byteranges)"

c -r "$((size + 10))-" "$base/data.bin"
expect_status 416 "out-of-range"
[[ $(header content-range) == "bytes */$size" ]] || fail "416: Content-Range $(header content-range)"
ok "out-of-range -r: 416"

c -I "$base/data.bin"
etag=$(header etag)
[[ -n $etag ]] || fail "no ETag"
c -H "If-None-Match: $etag" "$base/data.bin"
expect_status 304 "If-None-Match"
[[ ! -s $work/b ]] || fail "304 with a body"
c -H 'If-None-Match: "other"' "$base/data.bin"
expect_status 200 "If-None-Match with another tag"
ok "If-None-Match: 304 (and 200 for another tag)"

c -z "$site/data.bin" "$base/data.bin"
expect_status 304 "-z file"
[[ ! -s $work/b ]] || fail "-z: 304 with a body"
c -z '1 Jan 2000 00:00:00 GMT' "$base/data.bin"
expect_status 200 "-z old date"
cmp -s "$work/b" "$site/data.bin" || fail "-z old date: bytes differ"
ok "-z: 304 for the file's mtime, 200 for an older date"

downloaded=$(c -I -w '%{size_download}' "$base/data.bin")
expect_status 200 "-I"
[[ $(header content-length) == "$size" ]] || fail "-I: Content-Length"
[[ $downloaded == 0 ]] || fail "-I: $downloaded body bytes"
[[ $(header accept-ranges) == bytes ]] || fail "-I: Accept-Ranges"
ok "-I (HEAD)"

c "$base/dir"
expect_status 308 "directory without slash"
[[ $(header location) == /dir/ ]] || fail "redirect Location $(header location)"
echo >>"$work/requests"
redirects=$(c -L -w '%{num_redirects}' "$base/dir")
expect_status 200 "-L to the directory"
[[ $redirects == 1 ]] || fail "-L: $redirects redirects"
grep -q 'index of dir' "$work/b" || fail "-L: body $(head -c 80 "$work/b")"
ok "directory redirect (-L)"

c "$base/$encoded"
expect_status 200 "encoded name"
cmp -s "$work/b" "$site/$name" || fail "encoded name: bytes differ"
ok "percent-encoded name with spaces and unicode"

c "$base/"
expect_status 200 "listing"
grep -q "href=\"./$encoded\"" "$work/b" || fail "listing: no link to $encoded"
ok "listing"

for target in /../secret.txt /dir/../../secret.txt /%2e%2e/secret.txt /dir/%2e%2e/%2e%2e/secret.txt /..%2fsecret.txt; do
    c --path-as-is "$base$target"
    expect_status 404 "traversal $target"
    grep -q secret "$work/b" && fail "traversal $target: secret served"
done
ok "traversal attempts (--path-as-is): 404"

# One access record per response so far, 206 among them.
records=$(grep -c '" [0-9][0-9][0-9] ' "$work/err" || true)
requests=$(wc -l <"$work/requests")
[[ $records == "$requests" ]] || fail "access log: $records records for $requests requests"
grep -q '"GET /data.bin HTTP/1.1" 206 100 "-" "curl/' "$work/err" || fail "access log: no 206 record"
ok "access log: $records records"

kill -TERM "$pid"
for _ in $(seq 100); do
    running || break
    sleep 0.1
done
running && fail "serve still running 10 s after SIGTERM"
code=0
wait "$pid" || code=$?
pid=
[[ $code == 0 ]] || fail "serve exited with $code after SIGTERM"
ok "SIGTERM: exit 0"
say "PASSED"
