//! A counter shared by the workers through `Arc<Mutex<_>>`: each request gets
//! the next number. `cargo run --example counter [port]`.

use mini_async_http::{AIOServer, ResponseBuilder};
use std::sync::{Arc, Mutex};

/// Starts the server and serves until Ctrl-C.
pub fn main() {
    env_logger::init();
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(7878);
    let counter = Arc::from(Mutex::from(0));

    let mut server = AIOServer::new(3, ("0.0.0.0", port), move |_request| {
        let lock = counter.clone();
        let mut counter = lock.lock().unwrap();

        let body = counter.to_string();
        *counter += 1;

        ResponseBuilder::empty_200()
            .body(body.as_bytes())
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
}
