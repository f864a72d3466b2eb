//! HTTPS: `cargo run --example https -- --self-signed cert.pem`, then
//! `curl --cacert cert.pem https://localhost:8443/`.
//!
//! Options (any order):
//! - `--cert PATH --key PATH`: the certificate chain and key (PEM files);
//! - `--self-signed PATH`: make a certificate for `localhost` and
//!   127.0.0.1 instead, and write it (not its key, which stays in memory)
//!   to PATH for clients to trust;
//! - `--listen ADDR`: where to listen (default `127.0.0.1:8443`; port 0
//!   picks one).
//!
//! Prints `listening on https://ADDR` first. `GET /` says hello and tells
//! the SNI name the client sent, `POST /echo` answers the body (up to
//! 8 MiB), `GET /bytes/N` answers N bytes. Ctrl-C stops it gracefully.

use std::process::exit;

use mini_async_http::{AIOServer, Request, Response, ResponseBuilder, TlsConfig};

fn handle(req: &Request) -> Response {
    let path = req.path();
    if path == "/echo" {
        return ResponseBuilder::empty_200()
            .body(req.body().to_vec())
            .build()
            .unwrap();
    }
    if let Some(n) = path.strip_prefix("/bytes/").and_then(|n| n.parse().ok()) {
        let n: usize = n;
        return ResponseBuilder::empty_200()
            .body(vec![b'x'; n.min(64 << 20)])
            .build()
            .unwrap();
    }
    let sni = req.tls_server_name().unwrap_or("none");
    ResponseBuilder::empty_200()
        .body(format!("Hello over TLS (SNI: {sni})\n"))
        .content_type("text/plain")
        .build()
        .unwrap()
}

/// Parses the options, loads or makes the certificate, and serves.
pub fn main() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let mut args = std::env::args().skip(1);
    let (mut cert, mut key, mut self_signed) = (None, None, None);
    let mut listen = "127.0.0.1:8443".to_string();
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .unwrap_or_else(|| usage(&format!("{flag} needs a value")));
        match flag.as_str() {
            "--cert" => cert = Some(value),
            "--key" => key = Some(value),
            "--self-signed" => self_signed = Some(value),
            "--listen" => listen = value,
            _ => usage(&format!("unknown option {flag}")),
        }
    }
    let tls = match (cert, key, self_signed) {
        (Some(cert), Some(key), None) => TlsConfig::from_pem_files(cert, key),
        (None, None, Some(out)) => {
            let names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
            let made = rcgen::generate_simple_self_signed(names).expect("make a certificate");
            std::fs::write(&out, made.cert.pem()).unwrap_or_else(|e| usage(&format!("{out}: {e}")));
            TlsConfig::from_pem(made.cert.pem(), made.signing_key.serialize_pem())
        }
        _ => usage("give --cert and --key, or --self-signed"),
    };
    let mut server = AIOServer::builder()
        .workers(2)
        .max_body_bytes(8 << 20)
        .tls(tls)
        .bind(listen.as_str(), handle)
        .unwrap_or_else(|e| usage(&format!("cannot serve on {listen}: {e}")));
    #[cfg(feature = "signals")]
    server
        .shutdown_on_signals()
        .expect("install signal handlers");
    println!("listening on https://{}", server.local_addr());
    server.start();
    println!("stopped");
}

fn usage(problem: &str) -> ! {
    eprintln!("https: {problem}");
    eprintln!("usage: https (--cert PATH --key PATH | --self-signed PATH) [--listen ADDR]");
    exit(2)
}
