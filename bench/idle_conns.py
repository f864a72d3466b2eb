#!/usr/bin/env python3
"""Open N idle keep-alive HTTP/1.1 connections to 127.0.0.1:PORT (or HTTPS with --tls).

Each connection sends one `GET /` request, reads the full response and then
stays open and idle. When all connections are done (or the deadline hits),
the script prints one line

    READY ok=<established+answered> failed=<n> elapsed=<s>

to stdout and then holds the connections open until it receives SIGTERM /
SIGINT, stdin reaches EOF (only with --stdin), or --hold seconds pass. All
sockets are closed before exiting.

With --tls, each connection first makes a TLS handshake (any TLS version
the server and the ssl module agree on, SNI `localhost`, no certificate
check), then does the same over TLS; the connections stay established TLS
sessions.

stdlib only (socket + selectors + ssl); used by bench/compare.sh's `idle`
and `tls_idle` steps.
"""

import argparse
import errno
import resource
import selectors
import signal
import socket
import ssl
import sys
import time

HOST = "127.0.0.1"


def raise_nofile(need: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = need if hard == resource.RLIM_INFINITY else min(need, hard)
    if soft == resource.RLIM_INFINITY or soft >= want:
        return soft
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return want


class Conn:
    __slots__ = ("sock", "state", "buf", "need")

    def __init__(self, sock):
        self.sock = sock
        self.state = "connecting"  # -> [handshaking ->] reading
        self.buf = b""
        self.need = None  # total bytes of the response once headers are parsed


def response_complete(c: Conn) -> bool:
    if c.need is None:
        end = c.buf.find(b"\r\n\r\n")
        if end < 0:
            return False
        length = 0
        for line in c.buf[:end].split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                try:
                    length = int(value.strip())
                except ValueError:
                    length = 0
        c.need = end + 4 + length
    return len(c.buf) >= c.need


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("-n", "--conns", type=int, default=10000)
    ap.add_argument("--inflight", type=int, default=128,
                    help="max connections being set up at once (keeps the accept queue short)")
    ap.add_argument("--timeout", type=float, default=60.0,
                    help="deadline in seconds for opening all connections")
    ap.add_argument("--stall", type=float, default=10.0,
                    help="give up on the remaining connections after this many seconds without progress")
    ap.add_argument("--hold", type=float, default=60.0,
                    help="max seconds to keep the idle connections open after READY")
    ap.add_argument("--tls", action="store_true", help="HTTPS: a TLS handshake first")
    args = ap.parse_args()
    ctx = None
    if args.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE

    limit = raise_nofile(args.conns + 64)
    if limit != resource.RLIM_INFINITY and limit < args.conns + 16:
        print(f"warning: RLIMIT_NOFILE={limit} < {args.conns}; some connections will fail",
              file=sys.stderr)

    request = (f"GET / HTTP/1.1\r\nHost: {HOST}:{args.port}\r\n\r\n").encode()
    sel = selectors.DefaultSelector()
    idle = []          # sockets that got their response and now sit idle
    failed = 0
    started = 0
    active = 0
    t0 = time.monotonic()
    deadline = t0 + args.timeout
    last_progress = t0

    def fail(c: Conn):
        nonlocal failed, active
        try:
            sel.unregister(c.sock)
        except (KeyError, ValueError):
            pass
        c.sock.close()
        failed += 1
        active -= 1

    def send_request(c: Conn):
        try:
            c.sock.sendall(request)  # tiny; fits in the socket buffer
        except (OSError, ssl.SSLError):
            fail(c)
            return
        c.state = "reading"
        sel.modify(c.sock, selectors.EVENT_READ, c)

    try:
        while (started < args.conns or active > 0) and time.monotonic() < deadline:
            if time.monotonic() - last_progress > args.stall:
                break
            # Start new connections up to the in-flight bound.
            while started < args.conns and active < args.inflight:
                started += 1
                try:
                    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                except OSError:
                    failed += 1
                    continue
                s.setblocking(False)
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                rc = s.connect_ex((HOST, args.port))
                if rc not in (0, errno.EINPROGRESS, errno.EAGAIN, errno.EWOULDBLOCK):
                    s.close()
                    failed += 1
                    continue
                c = Conn(s)
                sel.register(s, selectors.EVENT_WRITE, c)
                active += 1

            for key, _ in sel.select(timeout=0.2):
                c = key.data
                if c.state == "connecting":
                    err = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if err != 0:
                        fail(c)
                        continue
                    if ctx is not None:
                        sel.unregister(c.sock)  # wrap_socket detaches the fd from it
                        try:
                            c.sock = ctx.wrap_socket(c.sock, server_hostname="localhost",
                                                     do_handshake_on_connect=False)
                        except (OSError, ValueError):
                            c.sock.close()
                            failed += 1
                            active -= 1
                            continue
                        sel.register(c.sock, selectors.EVENT_WRITE, c)
                        c.state = "handshaking"
                    else:
                        send_request(c)
                        continue
                if c.state == "handshaking":
                    try:
                        c.sock.do_handshake()
                    except ssl.SSLWantReadError:
                        sel.modify(c.sock, selectors.EVENT_READ, c)
                        continue
                    except ssl.SSLWantWriteError:
                        sel.modify(c.sock, selectors.EVENT_WRITE, c)
                        continue
                    except OSError:
                        fail(c)
                        continue
                    send_request(c)
                    continue
                # reading: until the socket (and, over TLS, the decrypted
                # buffer, which no readiness event reports) is drained.
                while True:
                    try:
                        data = c.sock.recv(65536)
                    except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
                        break
                    except OSError:
                        fail(c)
                        break
                    if not data:
                        fail(c)
                        break
                    c.buf += data
                    if response_complete(c):
                        sel.unregister(c.sock)
                        active -= 1
                        idle.append(c.sock)
                        last_progress = time.monotonic()
                        break

        # Anything still in flight at the deadline counts as failed.
        for key in list(sel.get_map().values()):
            fail(key.data)

        elapsed = time.monotonic() - t0
        print(f"READY ok={len(idle)} failed={failed} elapsed={elapsed:.2f}", flush=True)

        # Hold the idle connections open until told to stop (bounded).
        stop = {"flag": False}

        def on_signal(_sig, _frm):
            stop["flag"] = True

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        hold_until = time.monotonic() + args.hold
        while not stop["flag"] and time.monotonic() < hold_until:
            time.sleep(0.1)
    finally:
        for s in idle:
            s.close()
        for key in list(sel.get_map().values()):
            key.fileobj.close()
        sel.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
