//! may_minihttp peer server for bench/compare.sh.
//! Usage: peer_may_minihttp PORT THREADS
//!
//! may_minihttp never closes a connection on its own and ignores
//! `Connection: close`. To keep the `close` scenario meaningful we echo
//! `Connection: close` back, so the client (wrk) closes after the response
//! and may_minihttp then sees EOF and drops the connection.
use std::io::{self, Read};

use may_minihttp::{HttpServer, HttpService, Request, Response};

fn args() -> (u16, usize) {
    let mut a = std::env::args().skip(1);
    let port = a.next().and_then(|s| s.parse().ok()).unwrap_or(18084);
    let threads = a.next().and_then(|s| s.parse().ok()).unwrap_or(1);
    (port, threads.max(1))
}

#[derive(Clone)]
struct Svc;

impl HttpService for Svc {
    fn call(&mut self, req: Request, rsp: &mut Response) -> io::Result<()> {
        let wants_close = req.headers().iter().any(|h| {
            h.name.eq_ignore_ascii_case("connection") && h.value.eq_ignore_ascii_case(b"close")
        });
        if wants_close {
            rsp.header("Connection: close");
        }
        let is_post = req.method() == "POST";
        let is_get = req.method() == "GET";
        let path = req.path();
        if is_post && path == "/echo" {
            let mut body = Vec::new();
            req.body().read_to_end(&mut body)?;
            rsp.header("Content-Type: application/octet-stream");
            rsp.body_vec(body);
        } else if is_get && path == "/" {
            rsp.header("Content-Type: text/plain");
            rsp.body("Hello, World!");
        } else {
            rsp.status_code(404, "Not Found");
        }
        Ok(())
    }
}

fn main() {
    let (port, threads) = args();
    may::config().set_workers(threads);
    let server = HttpServer(Svc).start(("127.0.0.1", port)).expect("bind");
    eprintln!("may_minihttp peer listening on 127.0.0.1:{port} with {threads} worker(s)");
    server.join().ok();
}
