#!/usr/bin/env python3
"""Slow readers for bench/slow100.sh: N clients each GET one large file and
read it at a fixed rate (token bucket per client) for a while. Prints one
line: `READERS n=N ok=K min=B median=B max=B errors=E` (bytes read per
client). Loopback only; bounded by --duration."""
import argparse
import asyncio
import statistics
import time


async def reader(port, path, rate, duration, chunk, out, idx):
    got = 0
    try:
        r, w = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 10)
        w.write(f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode())
        await w.drain()
        head = await asyncio.wait_for(r.readuntil(b"\r\n\r\n"), 10)
        if not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(head[:40])
        start = time.monotonic()
        while True:
            elapsed = time.monotonic() - start
            if elapsed >= duration:
                break
            allowed = rate * elapsed - got
            if allowed < chunk:
                await asyncio.sleep(min((chunk - allowed) / rate, duration - elapsed))
                continue
            data = await asyncio.wait_for(r.read(int(min(allowed, 4 * chunk))), 10)
            if not data:
                raise RuntimeError("closed early")
            got += len(data)
        w.close()
        out[idx] = (got, None)
    except Exception as e:  # noqa: BLE001 - reported, not hidden
        out[idx] = (got, repr(e))


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("-n", type=int, default=100)
    ap.add_argument("--path", default="/file100m.bin")
    ap.add_argument("--rate", type=float, default=1024 * 1024, help="bytes/s per client")
    ap.add_argument("--duration", type=float, default=20)
    a = ap.parse_args()
    out = [None] * a.n
    await asyncio.gather(*(reader(a.port, a.path, a.rate, a.duration, 16384, out, i) for i in range(a.n)))
    got = [g for g, _ in out]
    errors = [e for _, e in out if e]
    print(
        f"READERS n={a.n} ok={a.n - len(errors)} min={min(got)} median={int(statistics.median(got))}"
        f" max={max(got)} errors={len(errors)} first_error={errors[0] if errors else '-'}",
        flush=True,
    )


asyncio.run(main())
