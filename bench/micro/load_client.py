#!/usr/bin/env python3
"""load_client.py PORT MODE ROUNDS [CONNS]: a fixed amount of load, for counting
(bench/micro/server_callgrind.sh). MODE: pipe16 | pipe16v | post4k | ka.

Each of CONNS connections (64) sends a batch (16 pipelined `GET /`; with
pipe16v, 16 that differ by an `X-Request-Id: N` field, so that no head
repeats the one before it, as with wrk's pipeline.lua `distinct`; or one
`POST /echo` with a 4 KiB body, or one `GET /`), waits for all its responses,
ROUNDS times. Prints the number of responses (always CONNS x ROUNDS x batch)."""
import socket, selectors, sys
port, mode, rounds = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
conns = int(sys.argv[4]) if len(sys.argv) > 4 else 64
host = f"127.0.0.1:{port}"
if mode == "pipe16":
    one = f"GET / HTTP/1.1\r\nHost: {host}\r\n\r\n".encode(); depth = 16
    batch = one * depth; resp_body = 13
elif mode == "pipe16v":
    depth = 16
    batch = b"".join(f"GET / HTTP/1.1\r\nHost: {host}\r\nX-Request-Id: {i}\r\n\r\n".encode() for i in range(depth))
    resp_body = 13
elif mode == "post4k":
    body = b"x" * 4096
    batch = (f"POST /echo HTTP/1.1\r\nHost: {host}\r\nContent-Length: 4096\r\nContent-Type: application/octet-stream\r\n\r\n").encode() + body
    depth = 1; resp_body = 4096
else:
    batch = f"GET / HTTP/1.1\r\nHost: {host}\r\n\r\n".encode(); depth = 1; resp_body = 13
sel = selectors.DefaultSelector()
state = {}
for _ in range(conns):
    s = socket.create_connection(("127.0.0.1", port)); s.setblocking(False)
    state[s] = [0, b"", 0]  # rounds done, buffer, responses seen this round
    sel.register(s, selectors.EVENT_READ)
    s.send(batch)
done = 0
def count(buf):
    # count complete responses: head + Content-Length body
    n = 0
    while True:
        i = buf.find(b"\r\n\r\n")
        if i < 0: return n, buf
        head = buf[:i].lower()
        j = head.find(b"content-length: ")
        cl = int(head[j+16:head.find(b"\r\n", j) if head.find(b"\r\n", j) > 0 else None])
        if len(buf) < i + 4 + cl: return n, buf
        buf = buf[i+4+cl:]; n += 1
active = conns
while active:
    for key, _ in sel.select():
        s = key.fileobj; st = state[s]
        data = s.recv(1 << 20)
        if not data: raise SystemExit("closed")
        n, st[1] = count(st[1] + data)
        st[2] += n; done += n
        if st[2] == depth:
            st[2] = 0; st[0] += 1
            if st[0] == rounds:
                sel.unregister(s); s.close(); active -= 1
            else:
                s.send(batch)
print(done)
