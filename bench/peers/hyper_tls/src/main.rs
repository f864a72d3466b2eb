//! hyper 1.x over tokio-rustls (ring) peer server for bench/compare.sh: the
//! HTTPS counterpart of bench/peers/hyper.
//! Usage: peer_hyper_tls PORT THREADS
//!
//! Environment:
//! - `BENCH_TLS_CERT`, `BENCH_TLS_KEY`: the PEM certificate chain and key
//!   (required).
//! - `BENCH_FILES`: directory whose files `GET /NAME` serves (optional).
//! - `BENCH_TLS_RESUME=0`: no session resumption (no tickets, no session
//!   cache), so every connection makes a full handshake.
//!
//! Answers: `GET /` → `Hello, World!`; `POST /echo` → the request body;
//! `GET /NAME` → the file `$BENCH_FILES/NAME`, streamed from disk in 64 KiB
//! reads (tokio::fs, the usual hyper way), with its `Content-Length`;
//! anything else → 404.
//!
//! The TLS configuration is the one `mini_async_http::TlsConfig` makes, so
//! the two peers differ only in their servers: TLS 1.3 and 1.2, rustls's
//! default suites, ALPN `http/1.1`, TLS 1.3 tickets from ring's rotating
//! ticketer and a 512-entry session cache. Accepted sockets get
//! `TCP_NODELAY`, as mini's and nginx's TLS connections have it: without it
//! the response written after the session tickets waits for their ACK.
use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use futures_util::TryStreamExt;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{header, Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use rustls::crypto::ring;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{NoServerSessionStorage, ProducesTickets, ServerSessionMemoryCache};
use rustls::ServerConfig;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_util::io::ReaderStream;

type Body = BoxBody<Bytes, io::Error>;

fn args() -> (u16, usize) {
    let mut a = std::env::args().skip(1);
    let port = a.next().and_then(|s| s.parse().ok()).unwrap_or(18095);
    let threads = a.next().and_then(|s| s.parse().ok()).unwrap_or(1);
    (port, threads.max(1))
}

fn env_path(name: &str) -> PathBuf {
    match std::env::var_os(name) {
        Some(v) => PathBuf::from(v),
        None => {
            eprintln!("{name} must name a PEM file");
            std::process::exit(2);
        }
    }
}

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

fn tls_config(cert: &Path, key: &Path, resume: bool) -> Result<ServerConfig, String> {
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .map_err(|e| format!("{}: {e}", cert.display()))?;
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| format!("{}: {e}", key.display()))?;
    let mut config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| e.to_string())?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    if resume {
        config.session_storage = ServerSessionMemoryCache::new(512);
        config.ticketer = ring::Ticketer::new().map_err(|e| e.to_string())?;
    } else {
        config.session_storage = Arc::new(NoServerSessionStorage {});
        config.ticketer = Arc::new(NoTickets);
        config.send_tls13_tickets = 0;
    }
    Ok(config)
}

fn full(status: StatusCode, content_type: Option<&'static str>, body: Bytes) -> Response<Body> {
    let mut rsp = Response::builder().status(status);
    if let Some(ct) = content_type {
        rsp = rsp.header(header::CONTENT_TYPE, ct);
    }
    rsp.body(
        Full::new(body)
            .map_err(|never: Infallible| match never {})
            .boxed(),
    )
    .expect("valid response")
}

/// `$BENCH_FILES/NAME` for a path `/NAME` with no other `/`, no `..`.
fn file_path(files: Option<&Path>, path: &str) -> Option<PathBuf> {
    let name = path.strip_prefix('/')?;
    if name.is_empty() || name.contains('/') || name.starts_with('.') {
        return None;
    }
    Some(files?.join(name))
}

async fn file(path: PathBuf) -> Response<Body> {
    let Ok(f) = tokio::fs::File::open(&path).await else {
        return full(StatusCode::NOT_FOUND, None, Bytes::new());
    };
    let len = match f.metadata().await {
        Ok(m) if m.is_file() => m.len(),
        _ => return full(StatusCode::NOT_FOUND, None, Bytes::new()),
    };
    let stream = ReaderStream::with_capacity(f, 64 * 1024).map_ok(Frame::data);
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .header(header::CONTENT_LENGTH, len)
        .body(BodyExt::boxed(StreamBody::new(stream)))
        .expect("valid response")
}

async fn handle(
    req: Request<Incoming>,
    files: Option<Arc<Path>>,
) -> Result<Response<Body>, Infallible> {
    let path = req.uri().path();
    let rsp = if req.method() == Method::POST && path == "/echo" {
        let body = match req.into_body().collect().await {
            Ok(c) => c.to_bytes(),
            Err(_) => Bytes::new(),
        };
        full(StatusCode::OK, Some("application/octet-stream"), body)
    } else if req.method() == Method::GET && path == "/" {
        full(
            StatusCode::OK,
            Some("text/plain"),
            Bytes::from_static(b"Hello, World!"),
        )
    } else if let (&Method::GET, Some(p)) = (req.method(), file_path(files.as_deref(), path)) {
        file(p).await
    } else {
        full(StatusCode::NOT_FOUND, None, Bytes::new())
    };
    Ok(rsp)
}

fn main() {
    let (port, threads) = args();
    let resume = std::env::var("BENCH_TLS_RESUME").map_or(true, |v| v != "0");
    let config = match tls_config(
        &env_path("BENCH_TLS_CERT"),
        &env_path("BENCH_TLS_KEY"),
        resume,
    ) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("TLS configuration: {e}");
            std::process::exit(2);
        }
    };
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let files: Option<Arc<Path>> =
        std::env::var_os("BENCH_FILES").map(|d| Arc::from(Path::new(&d)));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async move {
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let listener = TcpListener::bind(addr).await.expect("bind");
        let mode = if resume {
            ""
        } else {
            ", no session resumption"
        };
        eprintln!(
            "hyper_tls peer listening on https://{addr} with {threads} worker thread(s){mode}"
        );
        loop {
            let (stream, _) = match listener.accept().await {
                Ok(s) => s,
                Err(e) => {
                    // e.g. EMFILE: back off briefly instead of spinning.
                    eprintln!("accept error: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let acceptor = acceptor.clone();
            let files = files.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(stream).await else {
                    return;
                };
                let service = service_fn(move |req| handle(req, files.clone()));
                let _ = http1::Builder::new()
                    .pipeline_flush(true)
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
}
