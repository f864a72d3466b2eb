//! The echo server the black-box tests and the soak script talk to.
//!
//! `cargo run --example echo [port]` (default 7878; 0 picks a free port),
//! bound to 127.0.0.1 with the library's default limits. It prints
//! `listening on 127.0.0.1:PORT` once ready.
//!
//! - any method and path: 200, the request body (de-chunked) as the response
//!   body, and `X-Echo-Method`, `X-Echo-Path` (the request-target as
//!   received) and `X-Echo-Body-Length`; HEAD gets the same headers, no body;
//! - `GET /status/NNN`: status NNN with an empty body.

use std::io::Write;

use mini_async_http::{AIOServer, Method, Request, Response, ResponseBuilder};

fn echo(req: &Request) -> Response {
    if req.method() == &Method::Get {
        if let Some(code) = req.path().strip_prefix("/status/") {
            if let Some(resp) = code
                .parse()
                .ok()
                .and_then(|c| ResponseBuilder::new().status(c).build().ok())
            {
                return resp;
            }
        }
    }
    ResponseBuilder::empty_200()
        .header("X-Echo-Method", req.method().as_str())
        .header("X-Echo-Path", req.target())
        .header("X-Echo-Body-Length", &req.body().len().to_string())
        // The request's own bytes, not a copy of them.
        .body(req.shared_body())
        .build()
        .unwrap_or_else(|_| ResponseBuilder::empty_500().build().expect("plain 500"))
}

/// Starts the server and serves until Ctrl-C.
pub fn main() {
    env_logger::init();
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(7878);
    let mut server = AIOServer::bind(3, ("127.0.0.1", port), echo).unwrap_or_else(|e| {
        eprintln!("echo: cannot listen on 127.0.0.1:{port}: {e}");
        std::process::exit(1);
    });
    #[cfg(feature = "signals")]
    server
        .shutdown_on_signals()
        .expect("install signal handlers");
    println!("listening on {}", server.local_addr());
    std::io::stdout().flush().expect("stdout");
    server.start();
}
