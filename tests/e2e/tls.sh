#!/usr/bin/env bash
# End-to-end HTTPS against clients that are not rustls: curl and Python's
# ssl module (both OpenSSL) and `openssl s_client`. Runs the `https`
# example with a self-signed certificate it writes for the clients to
# trust (no key is written anywhere). Prints one line per check and
# "N passed, M failed" at the end; exits non-zero if a check failed or a
# tool is missing.
set -euo pipefail
cd "$(dirname "$0")/../.."

for tool in curl openssl python3 cmp; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "tests/e2e/tls.sh: $tool is missing (install curl, openssl, python3)" >&2
        exit 1
    fi
done

cargo build --quiet --example https
work=$(mktemp -d)
server_pid=
cleanup() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

target/debug/examples/https --self-signed "$work/cert.pem" --listen 127.0.0.1:0 \
    >"$work/server.out" 2>"$work/server.err" &
server_pid=$!
line=
for _ in $(seq 1 200); do
    line=$(head -n 1 "$work/server.out" 2>/dev/null || true)
    [ -n "$line" ] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.05
done
case "$line" in
    "listening on https://"*) ;;
    *) echo "the https example did not start: ${line:-no output}" >&2; cat "$work/server.err" >&2; exit 1 ;;
esac
port=${line##*:}
ca="$work/cert.pem"
url="https://localhost:$port"
curl_tls=(curl -sS --max-time 20 --cacert "$ca" --resolve "localhost:$port:127.0.0.1")

passed=0
failed=0
check() {
    local name=$1
    shift
    if "$@" >"$work/check.out" 2>&1; then
        echo "ok - $name"
        passed=$((passed + 1))
    else
        echo "FAILED - $name"
        sed 's/^/    /' "$work/check.out" | tail -n 20
        failed=$((failed + 1))
    fi
}

hello() {
    [ "$("${curl_tls[@]}" "$url/")" = "Hello over TLS (SNI: localhost)" ]
}
alpn_and_reuse() {
    "${curl_tls[@]}" -v --http2 "$url/" "$url/" -o /dev/null -o /dev/null 2>"$work/v.txt"
    grep -q "ALPN: server accepted http/1.1" "$work/v.txt"
    grep -qi "re-using existing connection" "$work/v.txt"
}
post_echo() {
    head -c $((900 * 1024)) /dev/urandom >"$work/up.bin"
    "${curl_tls[@]}" --data-binary "@$work/up.bin" -H "Content-Type: application/octet-stream" \
        "$url/echo" -o "$work/down.bin"
    cmp "$work/up.bin" "$work/down.bin"
}
large_get() {
    "${curl_tls[@]}" "$url/bytes/3145728" -o "$work/big.bin"
    [ "$(wc -c <"$work/big.bin")" -eq 3145728 ]
}
head_request() {
    "${curl_tls[@]}" -I "$url/bytes/5000" >"$work/head.txt"
    grep -qi "^content-length: 5000" "$work/head.txt"
}
plain_http_400() {
    local code
    code=$(curl -sS --max-time 20 -o "$work/plain.txt" -w '%{http_code}' "http://127.0.0.1:$port/")
    [ "$code" = 400 ] && grep -q "speaks HTTPS" "$work/plain.txt"
}
renegotiation_refused() {
    # `R` asks OpenSSL to renegotiate (TLS 1.2): rustls answers with a
    # no_renegotiation alert (a second attempt would be fatal), and OpenSSL
    # gives the connection up. The server goes on serving others.
    { printf 'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n'; sleep 0.5; printf 'R\n'; sleep 1; } |
        timeout 20 openssl s_client -connect "127.0.0.1:$port" -tls1_2 -servername localhost \
            -CAfile "$ca" >"$work/sclient.txt" 2>&1 || true
    grep -q "Hello over TLS" "$work/sclient.txt"
    grep -q "no renegotiation" "$work/sclient.txt"
    hello
}

check "curl: GET over TLS, SNI seen by the handler" hello
check "curl --http2: ALPN picks http/1.1, keep-alive reuses the connection" alpn_and_reuse
check "curl: 900 KiB POST echoed" post_echo
check "curl: 3 MiB GET" large_get
check "curl: HEAD" head_request
check "curl: plain HTTP to the TLS port gets 400" plain_http_400
check "openssl s_client: renegotiation refused" renegotiation_refused
check "python ssl: versions, ALPN, resumption, old versions refused" \
    python3 - "$port" "$ca" <<'EOF'
import socket, ssl, sys, warnings

warnings.simplefilter("ignore", DeprecationWarning)
port, ca = int(sys.argv[1]), sys.argv[2]

def context(low=None, high=None, alpn=None, weak=False):
    c = ssl.create_default_context(cafile=ca)
    if low: c.minimum_version = low
    if high: c.maximum_version = high
    if alpn: c.set_alpn_protocols(alpn)
    if weak: c.set_ciphers("ALL:@SECLEVEL=0")
    return c

def get(c, session=None):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with c.wrap_socket(raw, server_hostname="localhost", session=session) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            data = b""
            while chunk := s.recv(4096):
                data += chunk
            assert data.startswith(b"HTTP/1.1 200 OK\r\n"), data
            return s.version(), s.selected_alpn_protocol(), s.session, s.session_reused

V = ssl.TLSVersion
for v, name in [(V.TLSv1_3, "TLSv1.3"), (V.TLSv1_2, "TLSv1.2")]:
    version, alpn, _, _ = get(context(v, v, ["h2", "http/1.1"]))
    assert (version, alpn) == (name, "http/1.1"), (version, alpn)
    print(name, "with ALPN h2,http/1.1: http/1.1")
for high in [V.TLSv1_2, V.TLSv1_3]:
    c = context(high=high)
    _, _, session, _ = get(c)
    version, _, _, reused = get(c, session=session)
    assert reused, f"not resumed ({version})"
    print(version, "session resumed")
for refused, c in [("TLS 1.0/1.1", context(V.TLSv1, V.TLSv1_1, weak=True)), ("ALPN h2 only", context(alpn=["h2"]))]:
    try:
        get(c)
    except ssl.SSLError as e:
        print(refused, "refused:", e.reason or e)
    else:
        raise SystemExit(f"{refused} was accepted")
EOF

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
