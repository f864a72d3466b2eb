#!/usr/bin/env bash
# nginx peer for bench/compare.sh: Debian's nginx, `sendfile on`, otherwise
# defaults except two that would measure something else than serving:
# the access log is off (our server writes none unless asked) and
# keepalive_requests is raised (nginx's default of 1000 would make wrk
# reconnect every 1000 requests; no other peer does that).
# Usage: run.sh PORT THREADS [tls]   (files from $BENCH_FILES; GET / answers Hello)
# With `tls` (compare.sh's nginx_tls) it serves HTTPS only: the certificate
# and key in $BENCH_TLS_CERT / $BENCH_TLS_KEY, TLS 1.2 and 1.3, HTTP/1.1
# (no http2), a shared session cache and session tickets on, like
# mini_async_http's TlsConfig; BENCH_TLS_RESUME=0 turns both off (every
# connection makes a full handshake).
set -euo pipefail
PORT="${1:?port}"
THREADS="${2:-1}"
MODE="${3:-}"
LISTEN="listen 127.0.0.1:$PORT reuseport;"
TLS_CONF=""
if [[ "$MODE" == tls ]]; then
    CERT="${BENCH_TLS_CERT:?BENCH_TLS_CERT must name the PEM certificate}"
    KEY="${BENCH_TLS_KEY:?BENCH_TLS_KEY must name the PEM key}"
    LISTEN="listen 127.0.0.1:$PORT ssl reuseport;"
    if [[ "${BENCH_TLS_RESUME:-1}" == 0 ]]; then
        RESUME="ssl_session_cache off; ssl_session_tickets off;"
    else
        RESUME="ssl_session_cache shared:SSL:10m; ssl_session_tickets on; ssl_session_timeout 1h;"
    fi
    TLS_CONF="ssl_certificate $CERT; ssl_certificate_key $KEY; ssl_protocols TLSv1.2 TLSv1.3; $RESUME"
elif [[ -n "$MODE" ]]; then
    echo "unknown mode '$MODE' (expected: tls)" >&2; exit 2
fi
FILES="${BENCH_FILES:?BENCH_FILES must name the directory of bench files}"
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
[[ -x "$NGINX" ]] || { echo "nginx not found (apt-get install nginx-light)" >&2; exit 1; }
DIR="$(mktemp -d /tmp/bench-nginx.XXXXXX)"
trap 'rm -rf "$DIR"' EXIT
cat >"$DIR/nginx.conf" <<CONF
worker_processes $THREADS;
pid $DIR/nginx.pid;
error_log $DIR/error.log warn;
events { worker_connections 8192; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    access_log off;
    keepalive_requests 100000000;
    client_body_temp_path $DIR/body;
    proxy_temp_path $DIR/proxy;
    fastcgi_temp_path $DIR/fastcgi;
    uwsgi_temp_path $DIR/uwsgi;
    scgi_temp_path $DIR/scgi;
    server {
        $LISTEN
        $TLS_CONF
        root $FILES;
        location = / { default_type text/plain; return 200 "Hello, World!"; }
    }
}
CONF
# Not exec: the trap removes the temporary directory when nginx ends.
"$NGINX" -p "$DIR" -c "$DIR/nginx.conf" -g 'daemon off; master_process on;' &
NGINX_PID=$!
trap 'kill -QUIT "$NGINX_PID" 2>/dev/null; wait "$NGINX_PID" 2>/dev/null; rm -rf "$DIR"' EXIT
trap 'exit 0' TERM INT
wait "$NGINX_PID"
