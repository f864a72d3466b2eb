//! hyper 1.x peer server for bench/compare.sh.
//! Usage: peer_hyper PORT THREADS
use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{header, Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

fn args() -> (u16, usize) {
    let mut a = std::env::args().skip(1);
    let port = a.next().and_then(|s| s.parse().ok()).unwrap_or(18082);
    let threads = a.next().and_then(|s| s.parse().ok()).unwrap_or(1);
    (port, threads.max(1))
}

async fn handle(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let rsp = if req.method() == Method::POST && req.uri().path() == "/echo" {
        let body = match req.into_body().collect().await {
            Ok(c) => c.to_bytes(),
            Err(_) => Bytes::new(),
        };
        Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, "application/octet-stream")
            .body(Full::new(body))
    } else if req.method() == Method::GET && req.uri().path() == "/" {
        Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, "text/plain")
            .body(Full::new(Bytes::from_static(b"Hello, World!")))
    } else {
        Response::builder()
            .status(StatusCode::NOT_FOUND)
            .body(Full::new(Bytes::new()))
    };
    Ok(rsp.expect("valid response"))
}

fn main() {
    let (port, threads) = args();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async move {
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let listener = TcpListener::bind(addr).await.expect("bind");
        eprintln!("hyper peer listening on {addr} with {threads} worker thread(s)");
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
            let io = TokioIo::new(stream);
            tokio::spawn(async move {
                let _ = http1::Builder::new()
                    .pipeline_flush(true)
                    .serve_connection(io, service_fn(handle))
                    .await;
            });
        }
    });
}
