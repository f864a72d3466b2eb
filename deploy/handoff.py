#!/usr/bin/env python3
"""Keep one listening socket open across restarts of the server behind it.

Usage: handoff.py [--ready-timeout SECONDS] HOST:PORT -- COMMAND [ARG...]

Binds and listens on HOST:PORT once, then starts COMMAND with the socket
inherited the way systemd socket activation passes it (LISTEN_FDS=1,
LISTEN_FDS_FIRST_FD=<fd>, no LISTEN_PID): `serve` and the `deploy` example
take it with `listener_from_systemd()`.

SIGHUP restarts COMMAND without closing the socket: a new process is
started on it, and once it has printed its first line on stdout (`serve`
prints `listening on http://...` when it is about to accept), the old one
gets SIGTERM and drains. While both run, the kernel hands each new
connection to whichever accepts first; connections that arrive during the
hand-over wait in the socket's queue, which never closes, so none is
refused or reset (a reuse-port restart loses the queue of the socket that
closes, unless net.ipv4.tcp_migrate_req=1). A new process that exits or
prints nothing within --ready-timeout is stopped and the old one keeps
serving.

SIGTERM or SIGINT stops the current process (SIGTERM: it drains) and exits
with its status; so does the current process ending by itself. Children's
stdout is copied to this process's stdout; messages from here go to stderr.
"""

import argparse
import os
import queue
import signal
import socket
import subprocess
import sys
import threading

READY_TIMEOUT = 30.0


def log(message):
    # One write per line: the servers share this stderr and write their own
    # lines to it (the access log), and `print` would write the message and
    # its newline in two calls, between which a server's line could land.
    os.write(sys.stderr.fileno(), f"handoff: {message}\n".encode())


def listen(address):
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit():
        raise SystemExit(f"handoff: {address!r} is not HOST:PORT")
    host = host.strip("[]") or "127.0.0.1"
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, int(port)), family=family, backlog=1024)


class Child:
    """One server process on the shared socket; `ready` is set at its first line."""

    def __init__(self, command, fd):
        env = dict(os.environ, LISTEN_FDS="1", LISTEN_FDS_FIRST_FD=str(fd))
        env.pop("LISTEN_PID", None)
        self.ready = threading.Event()
        self.proc = subprocess.Popen(command, env=env, pass_fds=(fd,), stdout=subprocess.PIPE)
        self.copier = threading.Thread(target=self._copy, daemon=True)
        self.copier.start()
        log(f"started pid {self.proc.pid}")

    def _copy(self):
        for line in self.proc.stdout:
            sys.stdout.buffer.write(line)
            sys.stdout.buffer.flush()
            self.ready.set()
        self.ready.set()  # ended: wake a waiter, which then sees it exit

    def wait_ready(self, timeout):
        return self.ready.wait(timeout) and self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ready-timeout", type=float, default=READY_TIMEOUT)
    parser.add_argument("address")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no COMMAND after --")

    sock = listen(args.address)
    fd = sock.fileno()
    signals = queue.SimpleQueue()
    for sig in (signal.SIGHUP, signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, _frame: signals.put(signum))
    current = Child(command, fd)
    if not current.wait_ready(args.ready_timeout):
        current.stop()
        raise SystemExit("handoff: the first process did not start")
    draining = []
    while True:
        try:
            sig = signals.get(timeout=1.0)
        except queue.Empty:
            sig = None
        draining = [c for c in draining if c.proc.poll() is None]
        if sig is None:
            if current.proc.poll() is not None:
                log(f"pid {current.proc.pid} exited with {current.proc.returncode}")
                for c in draining:
                    c.proc.wait()
                return current.proc.returncode
        elif sig == signal.SIGHUP:
            new = Child(command, fd)
            if new.wait_ready(args.ready_timeout):
                log(f"pid {new.proc.pid} ready; draining pid {current.proc.pid}")
                current.stop()
                draining.append(current)
                current = new
            else:
                log(f"pid {new.proc.pid} did not get ready; pid {current.proc.pid} keeps serving")
                new.stop()
                new.proc.wait()
        else:
            log(f"signal {sig}: stopping pid {current.proc.pid}")
            current.stop()
            for c in [*draining, current]:
                c.proc.wait()
            return current.proc.returncode


if __name__ == "__main__":
    sys.exit(main())
