//! The ceiling, not a server: one thread, one mio loop, no HTTP parser, no
//! checks, canned responses. It finds the end of each head, reads a
//! `Content-Length` (as wrk spells it) so `POST /echo` works, and answers.
//! What it reaches is what the client and the kernel allow on this machine;
//! compare.sh reports it beside the real servers so a target that even this
//! loop cannot reach shows as such. Never use it for anything else.
//!
//! With a third argument `spin` it never sleeps: it polls with a zero
//! timeout, so no client write ever has to wake it (no wake-up, no
//! inter-processor interrupt on the client's core). That is the least a
//! server can cost its client per request, which bounds the req/s any
//! server reaches where the client's core is the limit (compare.sh reports
//! it as `raw_spin`). Its busy fraction is 100 % by construction, so its
//! per-core figures mean nothing.
//!
//! Usage: peer_raw_mio PORT THREADS [spin] (THREADS is ignored: always one thread).
use std::io::{ErrorKind, Read, Write};

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};

const LISTENER: Token = Token(usize::MAX);
const HELLO: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\nDate: Thu, 01 Jan 2026 00:00:00 GMT\r\n\r\nHello, World!";
const HELLO_CLOSE: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\nDate: Thu, 01 Jan 2026 00:00:00 GMT\r\nConnection: close\r\n\r\nHello, World!";

struct Conn {
    stream: TcpStream,
    input: Vec<u8>,
    output: Vec<u8>,
    close_after_write: bool,
    writable_interest: bool,
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Answers every complete request in `input`; false if the connection is to close.
fn answer(c: &mut Conn) -> bool {
    let mut start = 0;
    while let Some(end) = find(&c.input[start..], b"\r\n\r\n") {
        let head = &c.input[start..start + end + 4];
        let body_len = find(head, b"Content-Length: ")
            .map(|i| {
                head[i + 16..]
                    .iter()
                    .take_while(|b| b.is_ascii_digit())
                    .fold(0usize, |n, b| n * 10 + usize::from(b - b'0'))
            })
            .unwrap_or(0);
        let total = end + 4 + body_len;
        if c.input.len() - start < total {
            break;
        }
        let close = find(head, b"Connection: close").is_some();
        if head.starts_with(b"POST /echo ") {
            let body = &c.input[start + end + 4..start + total];
            c.output.extend_from_slice(
                format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len()).as_bytes(),
            );
            c.output.extend_from_slice(body);
        } else {
            c.output
                .extend_from_slice(if close { HELLO_CLOSE } else { HELLO });
        }
        if close {
            c.close_after_write = true;
            start += total;
            break;
        }
        start += total;
    }
    c.input.drain(..start);
    true
}

/// Writes what it can; false if the socket failed.
fn flush(c: &mut Conn) -> bool {
    while !c.output.is_empty() {
        match c.stream.write(&c.output) {
            Ok(0) => return false,
            Ok(n) => {
                c.output.drain(..n);
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => return true,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
    true
}

/// Handles readiness; false if the connection is done.
fn ready(c: &mut Conn, buf: &mut [u8]) -> bool {
    loop {
        match c.stream.read(buf) {
            Ok(0) => return false,
            Ok(n) => {
                c.input.extend_from_slice(&buf[..n]);
                if c.input.len() > 1 << 20 {
                    return false;
                }
                if n < buf.len() {
                    break;
                }
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
    answer(c) && flush(c) && !(c.close_after_write && c.output.is_empty())
}

fn main() {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(18085);
    let spin = std::env::args().nth(3).is_some_and(|a| a == "spin");
    let timeout = spin.then_some(std::time::Duration::ZERO);
    let mut listener = TcpListener::bind(([127, 0, 0, 1], port).into()).expect("bind");
    let mut poll = Poll::new().expect("poll");
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .expect("register");
    eprintln!("raw mio peer listening on 127.0.0.1:{port} (one thread, spin: {spin})");
    let mut conns: slab::Slab<Conn> = slab::Slab::new();
    let mut events = Events::with_capacity(1024);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        if let Err(e) = poll.poll(&mut events, timeout) {
            if e.kind() == ErrorKind::Interrupted {
                continue;
            }
            panic!("poll: {e}");
        }
        for event in &events {
            if event.token() == LISTENER {
                loop {
                    match listener.accept() {
                        Ok((mut stream, _)) => {
                            let _ = stream.set_nodelay(true);
                            let entry = conns.vacant_entry();
                            if poll
                                .registry()
                                .register(&mut stream, Token(entry.key()), Interest::READABLE)
                                .is_ok()
                            {
                                entry.insert(Conn {
                                    stream,
                                    input: Vec::new(),
                                    output: Vec::new(),
                                    close_after_write: false,
                                    writable_interest: false,
                                });
                            }
                        }
                        Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                        Err(_) => break, // EMFILE and friends: try again at the next event
                    }
                }
                continue;
            }
            let key = event.token().0;
            let Some(c) = conns.get_mut(key) else {
                continue;
            };
            let alive = ready(c, &mut buf);
            if alive && !c.output.is_empty() != c.writable_interest {
                c.writable_interest = !c.output.is_empty();
                let interest = if c.writable_interest {
                    Interest::READABLE | Interest::WRITABLE
                } else {
                    Interest::READABLE
                };
                let _ = poll
                    .registry()
                    .reregister(&mut c.stream, event.token(), interest);
            }
            if !alive {
                let mut c = conns.remove(key);
                let _ = poll.registry().deregister(&mut c.stream);
            }
        }
    }
}
