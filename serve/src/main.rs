//! `serve`: the static-file server on the command line, built on
//! `mini_async_http`'s public API only.
//!
//! ```sh
//! cargo run --release -p serve -- [--addr ADDR] [--workers N] [--no-listing] [--cache-control VALUE] [--quiet]
//!     [--metrics PATH] [--reuse-port] [--tls-cert FILE --tls-key FILE [--redirect-http ADDR]] [DIR]
//! ```
//!
//! Serves `DIR` (default `.`) on `ADDR` (default `127.0.0.1:8080`) with
//! directory listings on, prints `listening on http://ADDR` once the socket
//! is bound, logs one access record per response on stderr (Combined Log
//! Format; `--quiet` turns that off), and drains and exits on SIGINT or
//! SIGTERM (a second signal exits at once).
//!
//! | behaviour | test (`serve/tests/cli.rs`) |
//! |---|---|
//! | `listening on http://ADDR` on stdout once bound, the port of `:0` named | every test (`Serve::start` reads it) |
//! | files, listings (`--no-listing`: 404), 404 and traversal, `--cache-control` | `serves_a_file`, `lists_a_directory`, `no_listing_answers_404_for_a_directory`, `missing_file_is_404`, `cache_control_is_sent` |
//! | one access record per response on stderr, Combined Log Format | `access_log_line_on_stderr` |
//! | `--quiet`: no access record | `quiet_prints_no_access_log` |
//! | SIGTERM: the response under way is finished, exit status 0 | `sigterm_drains_and_exits_0` |
//! | `--help` lists every option | `help_works` |
//! | a `DIR` that is missing: exit status 1, nothing on stdout | `missing_directory_fails_to_start` |
//!
//! `tests/e2e/files.sh` (curl) and `tests/e2e/browser.sh` (headless
//! Chromium) drive the same binary from outside.
//!
//! Deploying (the README's "Deploying" section; `tests/e2e/` runs each):
//! `--metrics /metrics` answers the server's Prometheus text at that path
//! (every other path is a file); `--reuse-port` lets a new process bind the
//! port while the old one still drains; started with a socket in
//! `LISTEN_FDS` (systemd socket activation, or a parent that keeps the
//! socket across restarts, `deploy/handoff.py`), it serves that socket and
//! `--addr` is ignored.
//!
//! HTTPS: `--tls-cert FILE --tls-key FILE` (prints `listening on
//! https://ADDR`; SIGHUP reloads the certificate), `--redirect-http ADDR`
//! answers plain HTTP there with 308 to https (see `tls.rs`; tested by
//! `serve/tests/tls.rs`).

mod stderr_log;
mod tls;

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use mini_async_http::{
    AIOServer, Files, Handler, Request, Response, Router, ServerBuilder, listener_from_systemd,
};

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
    /// No access log on stderr (warnings and errors are still printed).
    #[arg(long, short)]
    quiet: bool,
    /// Also answer the server's metrics (Prometheus text) at PATH, e.g. "/metrics".
    #[arg(long, value_name = "PATH", value_parser = metrics_path)]
    metrics: Option<String>,
    /// Bind with the reuse-port option, so that a new process can bind ADDR while this one runs.
    #[arg(long)]
    reuse_port: bool,
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

/// A path for `--metrics`: absolute, one static route (no `{`/`}`).
fn metrics_path(value: &str) -> Result<String, String> {
    if value.starts_with('/') && !value.contains(['{', '}']) {
        Ok(value.to_owned())
    } else {
        Err("must start with '/' and have no '{' or '}'".to_owned())
    }
}

fn main() -> ExitCode {
    // First, before any thread: it takes the variables out of the environment.
    let activated = listener_from_systemd();
    let args = Args::parse();
    match activated
        .map_err(|e| format!("LISTEN_FDS: {e}"))
        .and_then(|listener| run(&args, listener))
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("serve: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args, activated: Option<std::net::TcpListener>) -> Result<(), String> {
    stderr_log::init(!args.quiet);
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
    let builder = args
        .tls
        .apply(AIOServer::builder().workers(workers))
        .access_log(!args.quiet)
        .reuse_port(args.reuse_port);
    let handler = with_metrics(args.metrics.as_deref(), &builder, files)?;
    let mut server = match activated {
        Some(listener) => builder
            .listen(listener, handler)
            .map_err(|e| format!("LISTEN_FDS: {e}"))?,
        None => builder
            .bind(args.addr.as_str(), handler)
            .map_err(|e| format!("{}: {e}", args.addr))?,
    };
    server
        .shutdown_on_signals()
        .map_err(|e| format!("signal handlers: {e}"))?;
    let https = args.tls.start(&server)?;
    announce(args.tls.scheme(), server.local_addr()).map_err(|e| format!("stdout: {e}"))?;
    https.announce();
    server.start();
    Ok(())
}

/// The handler: `files`, or, with a `--metrics` path, a router that
/// answers the metrics of the server `builder` binds there (`HEAD` too,
/// `405` for other methods) and hands every other path to `files`.
fn with_metrics(
    path: Option<&str>,
    builder: &ServerBuilder,
    files: Files,
) -> Result<Handle, String> {
    let Some(path) = path else {
        return Ok(Box::new(files.into_fn()));
    };
    let router = Router::builder()
        .get(path, builder.metrics_handler())
        .fallback(files.into_fn())
        .build()
        .map_err(|e| format!("--metrics: {e}"))?;
    Ok(Box::new(router.into_fn()))
}

/// What the server runs.
type Handle = Box<dyn Fn(&Request) -> Response + Send + Sync + 'static>;

/// Prints the address once bound, flushed at once: a script or a test waits
/// for this line (with `--addr 127.0.0.1:0`, it names the port).
fn announce(scheme: &str, addr: SocketAddr) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "listening on {scheme}://{addr}")?;
    out.flush()
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
        assert!(!args.quiet);
        assert!(Args::try_parse_from(["serve", "--quiet"]).unwrap().quiet);
        assert!(Args::try_parse_from(["serve", "-q"]).unwrap().quiet);
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

    #[test]
    fn deploying_arguments() {
        let args = Args::try_parse_from(["serve"]).unwrap();
        assert!(args.metrics.is_none() && !args.reuse_port);
        let args =
            Args::try_parse_from(["serve", "--metrics", "/metrics", "--reuse-port"]).unwrap();
        assert_eq!(args.metrics.as_deref(), Some("/metrics"));
        assert!(args.reuse_port);
        for bad in ["metrics", "/m/{name}", "/m/}", ""] {
            assert!(
                Args::try_parse_from(["serve", "--metrics", bad]).is_err(),
                "{bad:?} accepted"
            );
        }
    }

    /// `--metrics PATH` answers the metrics there (503 until the server is
    /// bound, 405 for other methods) and every other path from the
    /// directory; without it, PATH is a file path like any other.
    #[test]
    fn metrics_path_beside_the_files() {
        use mini_async_http::Method;
        let dir = std::env::temp_dir().join(format!("serve-metrics-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("index.html"), "hello").unwrap();
        let builder = AIOServer::builder();
        let get = |h: &Handle, path: &str| h(&Request::new(Method::Get, path)).status();

        let routed = with_metrics(Some("/metrics"), &builder, Files::new(&dir).unwrap()).unwrap();
        assert_eq!(get(&routed, "/metrics"), 503);
        assert_eq!(get(&routed, "/index.html"), 200);
        assert_eq!(get(&routed, "/missing"), 404);
        assert_eq!(
            routed(&Request::new(Method::Post, "/metrics")).status(),
            405
        );
        let plain = with_metrics(None, &builder, Files::new(&dir).unwrap()).unwrap();
        assert_eq!(get(&plain, "/metrics"), 404);
        assert_eq!(get(&plain, "/index.html"), 200);

        let server = builder
            .bind("127.0.0.1:0", |_: &Request| {
                mini_async_http::ResponseBuilder::empty_200()
                    .build()
                    .unwrap()
            })
            .unwrap();
        let body = routed(&Request::new(Method::Get, "/metrics"));
        assert_eq!(body.status(), 200);
        assert!(String::from_utf8_lossy(body.body()).contains("mini_http_workers "));
        drop(server);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
