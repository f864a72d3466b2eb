//! tiny_http peer server for bench/compare.sh.
//! Usage: peer_tiny_http PORT THREADS
use std::sync::Arc;

use tiny_http::{Header, Method, Response, Server};

fn args() -> (u16, usize) {
    let mut a = std::env::args().skip(1);
    let port = a.next().and_then(|s| s.parse().ok()).unwrap_or(18083);
    let threads = a.next().and_then(|s| s.parse().ok()).unwrap_or(1);
    (port, threads.max(1))
}

fn main() {
    let (port, threads) = args();
    let server = Arc::new(Server::http(("127.0.0.1", port)).expect("bind"));
    eprintln!("tiny_http peer listening on 127.0.0.1:{port} with {threads} thread(s)");
    let text_plain = Header::from_bytes(&b"Content-Type"[..], &b"text/plain"[..]).unwrap();
    let octets =
        Header::from_bytes(&b"Content-Type"[..], &b"application/octet-stream"[..]).unwrap();

    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let server = Arc::clone(&server);
            let text_plain = text_plain.clone();
            let octets = octets.clone();
            std::thread::spawn(move || loop {
                let mut req = match server.recv() {
                    Ok(r) => r,
                    Err(_) => continue,
                };
                let is_post = *req.method() == Method::Post;
                let is_get = *req.method() == Method::Get;
                let path_is = |p: &str| req.url() == p;
                let _ = if is_post && path_is("/echo") {
                    let mut body = Vec::new();
                    let _ = req.as_reader().read_to_end(&mut body);
                    req.respond(Response::from_data(body).with_header(octets.clone()))
                } else if is_get && path_is("/") {
                    req.respond(
                        Response::from_data(&b"Hello, World!"[..]).with_header(text_plain.clone()),
                    )
                } else {
                    req.respond(Response::empty(404))
                };
            })
        })
        .collect();
    for h in handles {
        let _ = h.join();
    }
}
