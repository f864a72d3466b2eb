//! `cargo run --release --example deploy [PORT]`: a server set up the way
//! the README's "Deploying" section runs it (and `deploy/` installs it).
//!
//! - Listens on the socket systemd passes (socket activation), else binds
//!   127.0.0.1:PORT (7878 by default; 0 picks a free port) with
//!   `SO_REUSEPORT`, so several copies can share the port.
//! - `GET /metrics` answers the server's metrics in the Prometheus format;
//!   everything else gets `Hello`.
//! - Logs one access record per response (`RUST_LOG` filters; `info` by
//!   default) and trusts a reverse proxy on the same host to name the
//!   client in `X-Forwarded-For`.
//! - SIGTERM (`systemctl stop`) or Ctrl-C drains and stops it.

use mini_async_http::{AIOServer, Request, ResponseBuilder, listener_from_systemd};

/// Starts the server and serves until SIGTERM or Ctrl-C.
pub fn main() -> std::io::Result<()> {
    // Before any thread starts: it takes the socket's variables out of the
    // environment.
    let activated = listener_from_systemd()?;
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let builder = AIOServer::builder()
        .workers(4)
        .access_log(true)
        .trusted_proxies(["127.0.0.1", "::1"])
        .reuse_port(true);
    let metrics = builder.metrics_handler();
    let handler = move |request: &Request| {
        if request.path() == "/metrics" {
            return metrics(request);
        }
        ResponseBuilder::empty_200()
            .body(b"Hello")
            .content_type("text/plain")
            .build()
            .unwrap()
    };
    let mut server = if let Some(listener) = activated {
        builder.listen(listener, handler)?
    } else {
        let port: u16 = std::env::args()
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or(7878);
        builder.bind(("127.0.0.1", port), handler)?
    };
    #[cfg(feature = "signals")]
    server.shutdown_on_signals()?;
    println!("listening on http://{}", server.local_addr());
    server.start();
    println!("stopped");
    Ok(())
}
