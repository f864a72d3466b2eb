//! mini_async_http peer server for bench/compare.sh (our own library).
//! Usage: peer_mini PORT THREADS
use mini_async_http::{AIOServer, Method, ResponseBuilder};

fn args() -> (u16, usize) {
    let mut a = std::env::args().skip(1);
    let port = a.next().and_then(|s| s.parse().ok()).unwrap_or(18081);
    let threads = a.next().and_then(|s| s.parse().ok()).unwrap_or(1);
    (port, threads.max(1))
}

fn main() {
    let (port, threads) = args();
    let server = AIOServer::builder().workers(threads).bind(("127.0.0.1", port), move |req| {
        if req.method() == &Method::Post && req.path() == "/echo" {
            ResponseBuilder::empty_200().body(req.body()).content_type("application/octet-stream").build().unwrap()
        } else if req.path() == "/" {
            ResponseBuilder::empty_200().body(b"Hello, World!").content_type("text/plain").build().unwrap()
        } else { ResponseBuilder::empty_404().build().unwrap() }
    }).expect("bind");
    eprintln!("mini peer listening on 127.0.0.1:{port} with {threads} worker(s)");
    let mut server = server;
    server.start();
    // If `start()` returns instead of blocking, keep the process alive
    // until compare.sh kills it.
    loop {
        std::thread::park();
    }
}
