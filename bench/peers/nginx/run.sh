#!/usr/bin/env bash
# nginx peer for bench/compare.sh: Debian's nginx, `sendfile on`, otherwise
# defaults except two that would measure something else than serving:
# the access log is off (our server writes none unless asked) and
# keepalive_requests is raised (nginx's default of 1000 would make wrk
# reconnect every 1000 requests; no other peer does that).
# Usage: run.sh PORT THREADS   (files from $BENCH_FILES; GET / answers Hello)
set -euo pipefail
PORT="${1:?port}"
THREADS="${2:-1}"
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
        listen 127.0.0.1:$PORT reuseport;
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
