//! mini_async_http peer server for bench/compare.sh (our own library).
//! Usage: peer_mini PORT THREADS [router | log] [tls]
//!
//! With `router` as the third argument (or `MINI_ROUTER=1` in the
//! environment), the same answers come from behind a 50-route `Router`
//! (`GET /` and `POST /echo` among 48 other static, parameter and catch-all
//! routes), so a run shows what routing costs under load.
//!
//! With `BENCH_FILES=DIR`, other GET paths are served from DIR by `Files`
//! (the kit's file scenarios); `POST /upload` reads its body (spooled to a
//! temporary file past 1 MiB) through `body_reader` and answers the byte
//! count (bench/upload1g.sh, with `MINI_MAX_BODY` raising the body limit),
//! or, with `MINI_UPLOAD_DIR` set, keeps it there (`persist_body`, a new
//! name per upload) and answers its length. `MINI_MAX_HEAD` sets
//! `max_head_bytes` (how the input buffer grows depends on it).
//!
//! With `tls` among the arguments (or `MINI_TLS=1`; compare.sh's
//! `mini_tls`), it serves HTTPS only, with the PEM certificate and key in
//! `BENCH_TLS_CERT` / `BENCH_TLS_KEY` and `TlsConfig`'s defaults;
//! `BENCH_TLS_RESUME=0` takes session resumption away (no tickets, no
//! session cache), so every connection makes a full handshake. That needs
//! this crate's `tls` feature (the library's): compare.sh builds it into
//! `target/tls/`, so the plain `mini` binary stays the one without TLS.
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::sync::{Mutex, OnceLock};

use mini_async_http::{
    AIOServer, Files, Handler, Method, Request, Response, ResponseBuilder, Router,
};

static FILES: OnceLock<Files> = OnceLock::new();

/// Port, threads, and the modes named after them: `router`, `log`, `tls`.
fn args() -> (u16, usize, bool, bool, bool) {
    let mut a = std::env::args().skip(1);
    let port = a.next().and_then(|s| s.parse().ok()).unwrap_or(18081);
    let threads = a.next().and_then(|s| s.parse().ok()).unwrap_or(1);
    let modes: Vec<String> = a.collect();
    let on = |mode: &str| modes.iter().any(|m| m == mode);
    let env = |var: &str| std::env::var(var).is_ok_and(|v| v == "1");
    (
        port,
        threads.max(1),
        on("router") || env("MINI_ROUTER"),
        on("log"),
        on("tls") || env("MINI_TLS"),
    )
}

#[cfg(feature = "tls")]
mod tls {
    use std::sync::Arc;

    use mini_async_http::rustls::server::{NoServerSessionStorage, ProducesTickets};
    use mini_async_http::TlsConfig;

    /// Issues no tickets (`BENCH_TLS_RESUME=0`).
    #[derive(Debug)]
    struct NoTickets;

    impl ProducesTickets for NoTickets {
        fn enabled(&self) -> bool {
            false
        }
        fn lifetime(&self) -> u32 {
            0
        }
        fn encrypt(&self, _plain: &[u8]) -> Option<Vec<u8>> {
            None
        }
        fn decrypt(&self, _cipher: &[u8]) -> Option<Vec<u8>> {
            None
        }
    }

    /// The certificate of `BENCH_TLS_CERT` / `BENCH_TLS_KEY` with `TlsConfig`'s
    /// defaults, or those defaults without resumption.
    pub fn config() -> TlsConfig {
        let var = |name: &str| {
            std::env::var_os(name).unwrap_or_else(|| panic!("{name} must name a PEM file"))
        };
        let tls = TlsConfig::from_pem_files(var("BENCH_TLS_CERT"), var("BENCH_TLS_KEY"));
        if std::env::var("BENCH_TLS_RESUME").is_ok_and(|v| v == "0") {
            let mut config = (*tls.load().expect("certificate and key")).clone();
            config.session_storage = Arc::new(NoServerSessionStorage {});
            config.ticketer = Arc::new(NoTickets);
            config.send_tls13_tickets = 0;
            TlsConfig::from_rustls(Arc::new(config))
        } else {
            tls
        }
    }
}

/// The access log's records, buffered into a file (`log` mode): what a
/// deployment that logs every request pays.
struct FileLog(Mutex<BufWriter<File>>);

impl log::Log for FileLog {
    fn enabled(&self, meta: &log::Metadata<'_>) -> bool {
        meta.target() == "mini_async_http::access"
    }
    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            if let Ok(mut out) = self.0.lock() {
                let _ = writeln!(out, "{}", record.args());
            }
        }
    }
    fn flush(&self) {
        if let Ok(mut out) = self.0.lock() {
            let _ = out.flush();
        }
    }
}

fn hello(_: &Request) -> Response {
    ResponseBuilder::empty_200()
        .body(b"Hello, World!")
        .content_type("text/plain")
        .build()
        .unwrap()
}

fn echo(req: &Request) -> Response {
    ResponseBuilder::empty_200()
        .body(req.shared_body())
        .content_type("application/octet-stream")
        .build()
        .unwrap()
}

fn plain(req: &Request) -> Response {
    if req.method() == &Method::Post && req.path() == "/echo" {
        echo(req)
    } else if req.path() == "/" {
        hello(req)
    } else {
        other(req)
    }
}

/// Files from `BENCH_FILES`, and `POST /upload`.
#[cold]
fn other(req: &Request) -> Response {
    if req.method() == &Method::Post && req.path() == "/upload" {
        if let Some(dir) = std::env::var_os("MINI_UPLOAD_DIR") {
            static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
            let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let path =
                std::path::Path::new(&dir).join(format!("upload-{}-{n}", std::process::id()));
            return match req.persist_body(path) {
                Ok(len) => ResponseBuilder::empty_200()
                    .body(len.to_string())
                    .build()
                    .unwrap(),
                Err(_) => ResponseBuilder::empty_500().build().unwrap(),
            };
        }
        let mut reader = req.body_reader();
        let mut buf = vec![0; 256 * 1024];
        let mut total = 0u64;
        loop {
            match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => total += n as u64,
                Err(_) => return ResponseBuilder::empty_500().build().unwrap(),
            }
        }
        return ResponseBuilder::empty_200()
            .body(total.to_string())
            .build()
            .unwrap();
    }
    match FILES.get() {
        Some(files) => files.call(req),
        None => ResponseBuilder::empty_404().build().unwrap(),
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
    let (port, threads, routed, logged, tls) = args();
    if let Ok(dir) = std::env::var("BENCH_FILES") {
        let _ = FILES.set(Files::new(&dir).expect("BENCH_FILES is a directory"));
    }
    let mut builder = AIOServer::builder().workers(threads);
    if let Some(max) = std::env::var("MINI_MAX_BODY")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        builder = builder.max_body_bytes(max);
    }
    if let Some(max) = std::env::var("MINI_MAX_HEAD")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        builder = builder.max_head_bytes(max);
    }
    if logged {
        let path = std::env::temp_dir().join(format!("mini-access-{port}.log"));
        let file = File::create(&path).expect("access log file");
        log::set_boxed_logger(Box::new(FileLog(Mutex::new(BufWriter::with_capacity(
            64 * 1024,
            file,
        )))))
        .expect("one logger");
        log::set_max_level(log::LevelFilter::Info);
        builder = builder.access_log(true);
    }
    if tls {
        #[cfg(feature = "tls")]
        {
            builder = builder.tls(tls::config());
        }
        #[cfg(not(feature = "tls"))]
        {
            eprintln!("the `tls` mode needs this peer built with --features tls");
            std::process::exit(2);
        }
    }
    let addr = ("127.0.0.1", port);
    let server = if routed {
        builder.bind(addr, router().into_fn())
    } else {
        builder.bind(addr, plain)
    }
    .expect("bind");
    let mode = if routed {
        " behind a 50-route Router"
    } else {
        ""
    };
    let scheme = if tls { "https" } else { "http" };
    eprintln!("mini peer listening on {scheme}://127.0.0.1:{port} with {threads} worker(s){mode}");
    let mut server = server;
    server.start();
    // If `start()` returns instead of blocking, keep the process alive
    // until compare.sh kills it.
    loop {
        std::thread::park();
    }
}
