//! mini_async_http peer server for bench/compare.sh (our own library).
//! Usage: peer_mini PORT THREADS [router]
//!
//! With `router` as the third argument (or `MINI_ROUTER=1` in the
//! environment), the same answers come from behind a 50-route `Router`
//! (`GET /` and `POST /echo` among 48 other static, parameter and catch-all
//! routes), so a run shows what routing costs under load.
use mini_async_http::{AIOServer, Handler, Method, Request, Response, ResponseBuilder, Router};

fn args() -> (u16, usize, bool) {
    let mut a = std::env::args().skip(1);
    let port = a.next().and_then(|s| s.parse().ok()).unwrap_or(18081);
    let threads = a.next().and_then(|s| s.parse().ok()).unwrap_or(1);
    let router = a.next().as_deref() == Some("router")
        || std::env::var("MINI_ROUTER").is_ok_and(|v| v == "1");
    (port, threads.max(1), router)
}

fn hello(_: &Request) -> Response {
    ResponseBuilder::empty_200().body(b"Hello, World!").content_type("text/plain").build().unwrap()
}

fn echo(req: &Request) -> Response {
    ResponseBuilder::empty_200().body(req.body()).content_type("application/octet-stream").build().unwrap()
}

fn plain(req: &Request) -> Response {
    if req.method() == &Method::Post && req.path() == "/echo" {
        echo(req)
    } else if req.path() == "/" {
        hello(req)
    } else {
        ResponseBuilder::empty_404().build().unwrap()
    }
}

/// `/` and `/echo` among 48 other routes: 16 sections of a static route,
/// a one-parameter route and a catch-all.
fn router() -> Router {
    let mut builder = Router::builder().get("/", hello).post("/echo", echo);
    for i in 0..16 {
        builder = builder
            .get(&format!("/section{i}/about"), hello)
            .get(&format!("/section{i}/items/{{id}}"), hello)
            .get(&format!("/section{i}/files/{{*path}}"), hello);
    }
    builder.build().expect("valid routes")
}

fn main() {
    let (port, threads, routed) = args();
    let builder = AIOServer::builder().workers(threads);
    let addr = ("127.0.0.1", port);
    let server = if routed { builder.bind(addr, router().into_fn()) } else { builder.bind(addr, plain) }
        .expect("bind");
    let mode = if routed { " behind a 50-route Router" } else { "" };
    eprintln!("mini peer listening on 127.0.0.1:{port} with {threads} worker(s){mode}");
    let mut server = server;
    server.start();
    // If `start()` returns instead of blocking, keep the process alive
    // until compare.sh kills it.
    loop {
        std::thread::park();
    }
}
