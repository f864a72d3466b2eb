#!/usr/bin/env python3
"""Misbehaving clients for bench/soak.sh (Python 3 standard library only).

Usage: soak_clients.py PORT DURATION_SECONDS [SEED]

Runs, against 127.0.0.1:PORT only, until DURATION_SECONDS have passed:
  - garbage:      random bytes, then read what the server says
  - bad_length:   requests with broken Content-Length / framing
  - oversize:     a request head far above the server's head limit
  - slowloris:    a request head trickled a few bytes per second
  - half_close:   a complete request, then shutdown(SHUT_WR), read to EOF

Each client records one outcome ("2xx", "4xx", "5xx", "closed", "reset",
"timeout", "connect_error", ...) per attempt. At the end it prints one line
per (kind, outcome): "py <kind> <outcome> <count>", and a line
"py_hung <n>" counting attempts that hit the client's own socket timeout
(no answer at all: "timeout"; an answer but no EOF: "<class>_no_eof").
Every socket has a timeout and every loop is bounded by the deadline.
"""

import collections
import random
import select
import socket
import sys
import threading
import time

HOST = "127.0.0.1"
SOCKET_TIMEOUT = 20.0  # above the server's 10 s header timeout

counts = collections.Counter()
lock = threading.Lock()


def record(kind, outcome):
    with lock:
        counts[(kind, outcome)] += 1


def connect(port):
    s = socket.create_connection((HOST, port), timeout=SOCKET_TIMEOUT)
    s.settimeout(SOCKET_TIMEOUT)
    return s


def read_outcome(s, limit=1 << 20):
    """Reads until EOF (bounded); classifies by the first status line."""
    data = b""
    try:
        while len(data) < limit:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        # A response but no EOF: the server kept the connection open.
        return "timeout" if not data else status_class(data) + "_no_eof"
    except (ConnectionResetError, BrokenPipeError):
        if not data:
            return "reset"
    return status_class(data) if data else "closed"


def status_class(data):
    if data.startswith(b"HTTP/1.1 ") and len(data) >= 12 and data[9:12].isdigit():
        code = int(data[9:12])
        if code == 408:
            return "408"
        return "%dxx" % (code // 100)
    return "unparsable"


def send_all(s, payload):
    """Sends; a reset while sending is reported as False (the server gave up)."""
    try:
        s.sendall(payload)
        return True
    except (ConnectionResetError, BrokenPipeError):
        return False
    except socket.timeout:
        return False


def garbage(port, rng):
    payload = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 4096)))
    # Half of them make it look like a request line first.
    if rng.random() < 0.5:
        payload = b"GET /" + payload
    with connect(port) as s:
        send_all(s, payload)
        s.shutdown(socket.SHUT_WR)
        return read_outcome(s)


BAD_LENGTHS = [
    b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
    b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1 0\r\n\r\n0123456789",
    b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n" + b"x" * 65536,
]


def bad_length(port, rng):
    with connect(port) as s:
        send_all(s, rng.choice(BAD_LENGTHS))
        s.shutdown(socket.SHUT_WR)
        return read_outcome(s)


def oversize(port, rng):
    head = b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * rng.randint(70_000, 200_000) + b"\r\n\r\n"
    with connect(port) as s:
        send_all(s, head)
        return read_outcome(s)


def slowloris(port, rng, deadline):
    req = b"GET /slow HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"p" * rng.randint(0, 40) + b"\r\n\r\n"
    with connect(port) as s:
        for i in range(0, len(req), 3):
            if time.monotonic() > deadline:
                return "stopped"
            if not send_all(s, req[i:i + 3]):
                return read_outcome(s)  # the server answered and closed
            # Paces the slow client (3 bytes a second); stops early if the
            # server has answered (408) or closed.
            readable, _, _ = select.select([s], [], [], 1.0)
            if readable:
                return read_outcome(s)
        s.shutdown(socket.SHUT_WR)
        return read_outcome(s)


def half_close(port, rng):
    body = b"b" * rng.randint(0, 2048)
    req = b"POST /half HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    with connect(port) as s:
        send_all(s, req)
        s.shutdown(socket.SHUT_WR)
        return read_outcome(s)


def worker(kind, port, seed, deadline):
    rng = random.Random(seed)
    while time.monotonic() < deadline:
        try:
            if kind == "slowloris":
                outcome = slowloris(port, rng, deadline)
            else:
                outcome = FUNCS[kind](port, rng)
        except socket.timeout:
            outcome = "timeout"
        except ConnectionRefusedError:
            outcome = "connect_error"
        except OSError as e:
            outcome = "oserror_%s" % (e.errno,)
        record(kind, outcome)
        if kind != "slowloris":
            time.sleep(0.02)  # pacing: keep the load bounded


FUNCS = {
    "garbage": garbage,
    "bad_length": bad_length,
    "oversize": oversize,
    "half_close": half_close,
}

# kind -> concurrent clients
MIX = {"garbage": 2, "bad_length": 2, "oversize": 1, "slowloris": 8, "half_close": 2}


def main():
    port = int(sys.argv[1])
    duration = float(sys.argv[2])
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    deadline = time.monotonic() + duration
    threads = []
    n = 0
    for kind, clients in MIX.items():
        for _ in range(clients):
            n += 1
            t = threading.Thread(target=worker, args=(kind, port, seed * 1000 + n, deadline), daemon=True)
            t.start()
            threads.append(t)
    for t in threads:
        t.join(timeout=duration + 2 * SOCKET_TIMEOUT + 5)
    hung = 0
    with lock:
        for (kind, outcome), count in sorted(counts.items()):
            print("py %s %s %d" % (kind, outcome, count))
            if outcome == "timeout" or outcome.endswith("_no_eof"):
                hung += count
    print("py_hung %d" % hung)
    print("py_threads_alive %d" % sum(t.is_alive() for t in threads))


if __name__ == "__main__":
    main()
