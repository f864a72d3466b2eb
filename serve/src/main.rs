//! `serve`: the static-file server on the command line, built on
//! `mini_async_http`'s public API only.
//!
//! ```sh
//! cargo run --release -p serve -- [--addr ADDR] [--workers N] [--no-listing] [--cache-control VALUE] [DIR]
//! ```
//!
//! Serves `DIR` (default `.`) on `ADDR` (default `127.0.0.1:8080`) with
//! directory listings on, prints `listening on http://ADDR` once the socket
//! is bound, and drains and exits on SIGINT or SIGTERM (a second signal
//! exits at once).
//!
//! HTTPS: `--tls-cert FILE --tls-key FILE` (prints `listening on
//! https://ADDR`; SIGHUP reloads the certificate), `--redirect-http ADDR`
//! answers plain HTTP there with 308 to https (see `tls.rs`).

mod tls;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use mini_async_http::{AIOServer, Files, Handler};

/// Serve a directory over HTTP/1.1.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: String,
    /// Worker threads (default: one per CPU).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    workers: Option<u16>,
    /// Answer 404 for directories without index.html instead of listing them.
    #[arg(long)]
    no_listing: bool,
    /// Cache-Control value of every file response (e.g. "public, max-age=3600").
    #[arg(long, value_name = "VALUE", value_parser = field_value)]
    cache_control: Option<String>,
    /// Directory to serve.
    #[arg(default_value = ".")]
    dir: PathBuf,
    #[command(flatten)]
    tls: tls::TlsArgs,
}

/// A header field value: visible ASCII, space and tab only.
fn field_value(value: &str) -> Result<String, String> {
    if value
        .bytes()
        .all(|b| b == b'\t' || (b' '..=b'~').contains(&b))
    {
        Ok(value.to_owned())
    } else {
        Err("must be visible ASCII (no control characters)".to_owned())
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("serve: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<(), String> {
    let mut files = Files::new(&args.dir)
        .map_err(|e| format!("{}: {e}", args.dir.display()))?
        .listing(!args.no_listing);
    if let Some(value) = &args.cache_control {
        files = files.cache_control(value);
    }
    let workers = args.workers.map_or_else(
        || std::thread::available_parallelism().map_or(2, usize::from),
        usize::from,
    );
    let builder = args.tls.apply(AIOServer::builder().workers(workers));
    let mut server = builder
        .bind(args.addr.as_str(), files.into_fn())
        .map_err(|e| format!("{}: {e}", args.addr))?;
    server
        .shutdown_on_signals()
        .map_err(|e| format!("signal handlers: {e}"))?;
    let https = args.tls.start(&server)?;
    println!(
        "listening on {}://{}",
        args.tls.scheme(),
        server.local_addr()
    );
    https.announce();
    server.start();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_and_defaults() {
        let args = Args::try_parse_from(["serve"]).unwrap();
        assert_eq!(args.addr, "127.0.0.1:8080");
        assert_eq!(args.dir, PathBuf::from("."));
        assert!(!args.no_listing && args.workers.is_none() && args.cache_control.is_none());
        let args = Args::try_parse_from([
            "serve",
            "--addr",
            "0.0.0.0:80",
            "--workers",
            "3",
            "--no-listing",
            "--cache-control",
            "max-age=60",
            "public",
        ])
        .unwrap();
        assert_eq!(args.addr, "0.0.0.0:80");
        assert_eq!(args.workers, Some(3));
        assert!(args.no_listing);
        assert_eq!(args.cache_control.as_deref(), Some("max-age=60"));
        assert_eq!(args.dir, PathBuf::from("public"));
        assert!(Args::try_parse_from(["serve", "--workers", "0"]).is_err());
        assert!(Args::try_parse_from(["serve", "--cache-control", "a\nb"]).is_err());
    }

    #[test]
    fn tls_arguments() {
        let args = Args::try_parse_from(["serve"]).unwrap();
        assert_eq!(args.tls.scheme(), "http");
        let args = Args::try_parse_from([
            "serve",
            "--tls-cert",
            "c.pem",
            "--tls-key",
            "k.pem",
            "--redirect-http",
            "0.0.0.0:80",
        ])
        .unwrap();
        assert_eq!(args.tls.scheme(), "https");
        assert_eq!(args.tls.redirect_http.as_deref(), Some("0.0.0.0:80"));
        for half in [
            &["serve", "--tls-cert", "c.pem"][..],
            &["serve", "--tls-key", "k.pem"],
            &["serve", "--redirect-http", "0.0.0.0:80"],
        ] {
            assert!(Args::try_parse_from(half).is_err(), "{half:?}");
        }
    }
}
