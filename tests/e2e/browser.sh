#!/usr/bin/env bash
# `serve` and a real browser: serves tests/e2e/site/ (HTML, CSS, JS) plus
# files made here (an image and a 2 s VP8 WebM from ffmpeg, 4 KiB of known
# bytes) and loads the page in headless Chromium, which dumps the DOM after
# at most 10 s of virtual time. The page's script (site/app.js) sets the
# title to ALL-LOADED only when the load event, the video's loadeddata and
# a Range fetch have all happened and each resource checks out. Then serve's
# access log must show every resource answered, the video and the fetch
# with 206.
#
#   bash tests/e2e/browser.sh      # SERVE_BIN=path/to/serve to skip the build
#
# Needs chromium and ffmpeg (Debian packages). Without them it fails loudly
# when CI is set, and prints SKIPPED and exits 0 otherwise.
set -euo pipefail
cd "$(dirname "$0")/../.."

say() { printf 'browser.sh: %s\n' "$*"; }
fail() {
    printf '\nbrowser.sh: FAILED: %s\n' "$*" >&2
    for log in err chromium.err; do
        if [[ -n ${work:-} && -s $work/$log ]]; then
            printf -- '--- %s (last 20 lines) ---\n' "$log" >&2
            tail -n 20 "$work/$log" >&2
        fi
    done
    exit 1
}

for tool in chromium ffmpeg; do
    if ! command -v "$tool" >/dev/null; then
        if [[ -n ${CI:-} ]]; then
            fail "$tool is missing: .ci/run installs it (apt-get install chromium ffmpeg)"
        fi
        printf '\n*** browser.sh: SKIPPED: %s is not installed (apt-get install chromium ffmpeg) ***\n\n' "$tool" >&2
        exit 0
    fi
done

# shellcheck source=tests/e2e/serve_fixture.sh
source tests/e2e/serve_fixture.sh

site=$work/site
cp -r tests/e2e/site "$site"
mkdir -p "$site/img"
ff() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@" || fail "ffmpeg $*"; }
ff -f lavfi -i color=c=red:s=8x8 -frames:v 1 "$site/img/red dot.png"
ff -f lavfi -i testsrc=size=64x48:rate=10 -t 2 -c:v libvpx -b:v 50k "$site/clip.webm"
bytes=$(printf '\\%03o' $(seq 0 255))
for _ in $(seq 16); do printf '%b' "$bytes"; done >"$site/data.bin"
[[ $(stat -c %s "$site/data.bin") == 4096 ]] || fail "data.bin is not 4096 bytes"

"$SERVE_BIN" --addr 127.0.0.1:0 --workers 2 "$site" >"$work/out" 2>"$work/err" &
pid=$!
for _ in $(seq 100); do
    grep -q '^listening on ' "$work/out" 2>/dev/null && break
    running || fail "serve exited at start"
    sleep 0.1
done
base=$(sed -n 's/^listening on //p' "$work/out")
[[ -n $base ]] || fail "serve printed no address within 10 s"
say "serve at $base; $(chromium --version 2>/dev/null)"

# The directory's index.html, through the directory URL.
timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$work/profile" --virtual-time-budget=10000 \
    --dump-dom "$base/" >"$work/dom" 2>"$work/chromium.err" \
    || fail "chromium exited with $?"
title=$(sed -n 's:.*<title>\(.*\)</title>.*:\1:p' "$work/dom")
status=$(sed -n 's:.*<p id="status">\(.*\)</p>.*:\1:p' "$work/dom")
[[ $title == ALL-LOADED ]] || fail "page title '$title' ($status)"
say "ok - every resource loaded in the browser ($status)"

# Each resource answered, as the access log saw it.
for want in '"GET / HTTP/1.1" 200' '"GET /style.css HTTP/1.1" 200' '"GET /app.js HTTP/1.1" 200' \
    '"GET /img/red%20dot.png HTTP/1.1" 200' '"GET /clip.webm HTTP/1.1" 206' \
    '"GET /data.bin HTTP/1.1" 206 10 '; do
    grep -q -F "$want" "$work/err" || fail "access log has no $want"
done
say "ok - access log: $(grep -c ' 206 ' "$work/err") responses 206, $(wc -l <"$work/err") in all"

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
say "PASSED"
