#!/usr/bin/env python3
"""Bytes of server memory (RSS) per idle keep-alive connection, TLS or plain.

Starts the server binary (the `https` example, or with --plain the `hello`
example), opens connections one by one (each sends `GET /`, reads the whole
response, then stays open and idle), and reads the server's VmRSS from
/proc after --base connections and again after --conns. Prints

    <tls|plain> conns=<n> rss_base=<KiB> rss=<KiB> per_conn=<bytes>

where per_conn = (rss - rss_base) / (conns - base): one-time costs (worker
buffer pools, crypto tables, the first session cache entries) are in the
base and drop out. Not a timing benchmark: the figure does not depend on
the load of the machine. stdlib only.

    cargo build --example https --example hello
    python3 bench/tls_idle.py --bin target/debug/examples/https
    python3 bench/tls_idle.py --plain --bin target/debug/examples/hello
"""

import argparse
import os
import resource
import socket
import ssl
import subprocess
import sys
import tempfile
import time


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", required=True, help="the https (or, with --plain, hello) example")
    ap.add_argument("--plain", action="store_true", help="plain HTTP (the hello example)")
    ap.add_argument("-n", "--conns", type=int, default=2000)
    ap.add_argument("--base", type=int, default=200)
    args = ap.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = args.conns + 64
    if soft != resource.RLIM_INFINITY and soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))

    tmp = tempfile.mkdtemp()
    cert = os.path.join(tmp, "cert.pem")
    port = free_port()
    if args.plain:
        cmd = [args.bin, str(port)]
    else:
        cmd = [args.bin, "--self-signed", cert, "--listen", f"127.0.0.1:{port}"]
    server = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = server.stdout.readline()
        if "listening on" not in line:
            print(f"server did not start: {line!r}", file=sys.stderr)
            return 1
        ctx = None
        if not args.plain:
            ctx = ssl.create_default_context(cafile=cert)
        conns = []
        base_rss = None
        request = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"
        for i in range(args.conns):
            raw = socket.create_connection(("127.0.0.1", port), timeout=10)
            s = ctx.wrap_socket(raw, server_hostname="localhost") if ctx else raw
            s.sendall(request)
            got = b""
            while b"\r\n\r\n" not in got or not got.endswith((b"Hello", b")\n")):
                chunk = s.recv(4096)
                if not chunk:
                    raise RuntimeError("closed before the response")
                got += chunk
            conns.append(s)
            if i + 1 == args.base:
                time.sleep(0.5)  # let the workers hand the connections back
                base_rss = rss_kib(server.pid)
        time.sleep(0.5)
        rss = rss_kib(server.pid)
        per_conn = (rss - base_rss) * 1024 / (args.conns - args.base)
        kind = "plain" if args.plain else "tls"
        print(f"{kind} conns={args.conns} rss_base={base_rss} rss={rss} per_conn={per_conn:.0f}")
        for s in conns:
            s.close()
        return 0
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
