//! `cargo run --release --example hello`, then `curl -i http://127.0.0.1:7878/`.
//!
//! Serves `Hello` on 0.0.0.0:7878 (or the port given as the first argument)
//! with 3 worker threads; Ctrl-C stops it gracefully. `RUST_LOG=debug` shows
//! the library's log.

use mini_async_http::{AIOServer, ResponseBuilder};

/// Starts the server and serves until Ctrl-C.
pub fn main() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(7878);

    let mut server = AIOServer::new(3, ("0.0.0.0", port), move |_request| {
        ResponseBuilder::empty_200()
            .body(b"Hello")
            .content_type("text/plain")
            .build()
            .unwrap()
    });
    #[cfg(feature = "signals")]
    server
        .shutdown_on_signals()
        .expect("install signal handlers");
    println!("listening on http://{}", server.local_addr());
    server.start();
    println!("stopped");
}
