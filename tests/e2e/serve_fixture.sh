# shellcheck shell=bash
# Shared by files.sh and browser.sh (sourced, after their `fail`): the serve
# binary (built unless SERVE_BIN names one), a work directory, and a cleanup
# that kills the serve process started as $pid and removes the directory.

if [[ -z ${SERVE_BIN:-} ]]; then
    cargo build --quiet -p serve
    SERVE_BIN="${CARGO_TARGET_DIR:-target}/debug/serve"
fi
[[ -x $SERVE_BIN ]] || fail "no serve binary at $SERVE_BIN"

work=$(mktemp -d)
pid=
# Whether serve is still running (not gone, not a zombie awaiting `wait`).
running() {
    local state
    state=$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null) || return 1
    [[ $state != Z ]]
}
cleanup() {
    if [[ -n $pid ]] && running; then
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
