//! mini_async_http peer server for bench/compare.sh (our own library).
//! Usage: peer_mini PORT THREADS [router]
//!
//! With `router` as the third argument (or `MINI_ROUTER=1` in the
//! environment), the same answers come from behind a 50-route `Router`
//! (`GET /` and `POST /echo` among 48 other static, parameter and catch-all
//! routes), so a run shows what routing costs under load.
//!
//! With `BENCH_FILES=DIR`, other GET paths are served from DIR by `Files`
//! (the kit's file scenarios); `POST /upload` reads its body (spooled to a
//! temporary file past 1 MiB) through `body_reader` and answers the byte
//! count (bench/upload1g.sh, with `MINI_MAX_BODY` raising the body limit).
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::sync::{Mutex, OnceLock};

use mini_async_http::{AIOServer, Files, Handler, Method, Request, Response, ResponseBuilder, Router};

static FILES: OnceLock<Files> = OnceLock::new();

fn args() -> (u16, usize, bool, bool) {
    let mut a = std::env::args().skip(1);
    let port = a.next().and_then(|s| s.parse().ok()).unwrap_or(18081);
    let threads = a.next().and_then(|s| s.parse().ok()).unwrap_or(1);
    let mode = a.next();
    let router = mode.as_deref() == Some("router")
        || std::env::var("MINI_ROUTER").is_ok_and(|v| v == "1");
    (port, threads.max(1), router, mode.as_deref() == Some("log"))
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
        other(req)
    }
}

/// Files from `BENCH_FILES`, and `POST /upload`.
#[cold]
fn other(req: &Request) -> Response {
    if req.method() == &Method::Post && req.path() == "/upload" {
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
        return ResponseBuilder::empty_200().body(total.to_string()).build().unwrap();
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
    let (port, threads, routed, logged) = args();
    if let Ok(dir) = std::env::var("BENCH_FILES") {
        let _ = FILES.set(Files::new(&dir).expect("BENCH_FILES is a directory"));
    }
    let mut builder = AIOServer::builder().workers(threads);
    if let Some(max) = std::env::var("MINI_MAX_BODY").ok().and_then(|v| v.parse().ok()) {
        builder = builder.max_body_bytes(max);
    }
    if logged {
        let path = std::env::temp_dir().join(format!("mini-access-{port}.log"));
        let file = File::create(&path).expect("access log file");
        log::set_boxed_logger(Box::new(FileLog(Mutex::new(BufWriter::with_capacity(64 * 1024, file)))))
            .expect("one logger");
        log::set_max_level(log::LevelFilter::Info);
        builder = builder.access_log(true);
    }
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
