//! HTTPS with real clients: `ureq` and rustls for ordinary requests and
//! streamed bodies, raw TCP for the edge cases of the TLS policy
//! (`src/server/tls/mod.rs`), and the TLS counters of the metrics.
//! Certificates are made here with `rcgen`; no key is checked in.

#[path = "../support/mod.rs"]
mod support;

mod bodies;
mod handshake;
mod metrics;
mod requests;

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mini_async_http::rustls::pki_types::{CertificateDer, ServerName};
use mini_async_http::rustls::{
    self, ClientConfig, ClientConnection, RootCertStore, StreamOwned, SupportedProtocolVersion,
};
use mini_async_http::{Metrics, Request, Response, ResponseBuilder, ServerBuilder, TlsConfig};
use support::{IO_TIMEOUT, RawResponse, TestServer};

/// A self-signed certificate and its key.
struct Cert {
    pem: String,
    key: String,
    der: CertificateDer<'static>,
}

impl Cert {
    /// A certificate for these names (an IP address becomes an IP SAN).
    fn new(names: &[&str]) -> Cert {
        let names: Vec<String> = names.iter().map(|n| (*n).to_string()).collect();
        let made = rcgen::generate_simple_self_signed(names).expect("rcgen");
        Cert {
            pem: made.cert.pem(),
            key: made.signing_key.serialize_pem(),
            der: made.cert.der().clone(),
        }
    }

    fn config(&self) -> TlsConfig {
        TlsConfig::from_pem(self.pem.clone(), self.key.clone())
    }
}

/// The usual test certificate: `localhost` and 127.0.0.1.
fn local_cert() -> Cert {
    Cert::new(&["localhost", "127.0.0.1"])
}

/// An HTTPS server with `cert` on a builder.
fn serve<F>(builder: ServerBuilder, cert: &Cert, handler: F) -> TestServer
where
    F: Fn(&Request) -> Response + Send + Sync + 'static,
{
    TestServer::with(builder.tls(cert.config()), handler)
}

/// Answers with what the handler was told about TLS, and the path.
fn tls_echo(req: &Request) -> Response {
    let text = format!(
        "tls={} sni={} path={}",
        req.is_tls(),
        req.tls_server_name().unwrap_or("-"),
        req.path()
    );
    ResponseBuilder::empty_200().body(text).build().unwrap()
}

/// A rustls client configuration trusting `roots`, offering `alpn`.
fn client_config(
    roots: &[&Cert],
    versions: &[&'static SupportedProtocolVersion],
    alpn: &[&[u8]],
) -> Arc<ClientConfig> {
    let mut store = RootCertStore::empty();
    for cert in roots {
        store.add(cert.der.clone()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(store)
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Arc::new(config)
}

/// TLS 1.3 and 1.2, ALPN `http/1.1`, trusting `root`.
fn client(root: &Cert) -> Arc<ClientConfig> {
    client_config(&[root], rustls::DEFAULT_VERSIONS, &[b"http/1.1"])
}

/// A TCP connection with timeouts.
fn tcp(addr: SocketAddr) -> TcpStream {
    let tcp = TcpStream::connect_timeout(&addr, IO_TIMEOUT).expect("connect");
    tcp.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    tcp.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    tcp.set_nodelay(true).unwrap();
    tcp
}

/// A blocking rustls client over TCP (every socket call has a timeout).
struct TlsClient {
    tls: StreamOwned<ClientConnection, TcpStream>,
    buf: Vec<u8>,
}

impl TlsClient {
    fn connect(addr: SocketAddr, config: &Arc<ClientConfig>, name: &str) -> TlsClient {
        let name = ServerName::try_from(name.to_string()).expect("server name");
        let conn = ClientConnection::new(Arc::clone(config), name).expect("client connection");
        TlsClient {
            tls: StreamOwned::new(conn, tcp(addr)),
            buf: Vec::new(),
        }
    }

    /// Runs the handshake to its end.
    fn handshake(&mut self) -> io::Result<()> {
        for _ in 0..100 {
            if !self.tls.conn.is_handshaking() {
                return Ok(());
            }
            self.tls.conn.complete_io(&mut self.tls.sock)?;
        }
        Err(io::Error::other("handshake did not finish"))
    }

    /// The server's end-entity certificate.
    fn server_cert(&self) -> CertificateDer<'static> {
        self.tls.conn.peer_certificates().expect("certificates")[0].clone()
    }

    fn send(&mut self, bytes: impl AsRef<[u8]>) {
        self.tls.write_all(bytes.as_ref()).expect("write");
        self.tls.flush().expect("flush");
    }

    fn read_response(&mut self) -> RawResponse {
        self.read_response_to("GET")
    }

    /// Reads one response (to a request with `method`).
    fn read_response_to(&mut self, method: &str) -> RawResponse {
        let head_end = loop {
            if let Some(i) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            assert!(self.fill() > 0, "end of stream before a response head");
        };
        let head = String::from_utf8(self.buf[..head_end - 4].to_vec()).expect("ascii head");
        self.buf.drain(..head_end);
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap();
        let mut parts = status_line.splitn(3, ' ');
        assert_eq!(parts.next(), Some("HTTP/1.1"), "{status_line}");
        let status = parts.next().unwrap().parse().unwrap();
        let reason = parts.next().unwrap_or("").to_owned();
        let headers: Vec<(String, String)> = lines
            .map(|l| {
                let (n, v) = l.split_once(':').expect("field line");
                (n.to_owned(), v.trim().to_owned())
            })
            .collect();
        let resp = RawResponse {
            status,
            reason,
            headers,
            body: Vec::new(),
        };
        let len = if method == "HEAD" {
            0
        } else {
            resp.header("content-length")
                .expect("Content-Length")
                .parse()
                .unwrap()
        };
        while self.buf.len() < len {
            assert!(self.fill() > 0, "end of stream in a body");
        }
        let body = self.buf.drain(..len).collect();
        RawResponse { body, ..resp }
    }

    fn fill(&mut self) -> usize {
        let mut chunk = [0u8; 16384];
        let n = self.tls.read(&mut chunk).expect("read");
        self.buf.extend_from_slice(&chunk[..n]);
        n
    }

    /// What the next read says once every buffered byte is consumed:
    /// `Ok(0)` after the server's `close_notify`, `UnexpectedEof` when TCP
    /// ended without one.
    fn read_end(&mut self) -> io::Result<usize> {
        assert!(self.buf.is_empty(), "unread bytes: {:?}", self.buf);
        let mut byte = [0u8; 1];
        self.tls.read(&mut byte)
    }
}

/// The bytes of a TLS `ClientHello` a rustls client with `config` sends.
fn client_hello(config: &Arc<ClientConfig>) -> Vec<u8> {
    let mut conn = ClientConnection::new(
        Arc::clone(config),
        ServerName::try_from("localhost").unwrap(),
    )
    .unwrap();
    let mut hello = Vec::new();
    while conn.wants_write() {
        conn.write_tls(&mut hello).unwrap();
    }
    hello
}

/// Reads raw bytes until the server closes (end or reset), at most
/// `IO_TIMEOUT` per read; panics if it does not close.
fn read_until_closed(tcp: &mut TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    let mut chunk = [0u8; 4096];
    for _ in 0..1000 {
        match tcp.read(&mut chunk) {
            Ok(0) => return got,
            Ok(n) => got.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => return got,
            Err(e) => panic!("connection not closed: {e} (got {got:?})"),
        }
    }
    panic!("connection not closed");
}

/// The server's metrics once `done` holds for them, or after `IO_TIMEOUT`
/// (the loop counts a close just before the socket goes, so a client may
/// see the close first).
fn metrics_when(server: &TestServer, done: impl Fn(&Metrics) -> bool) -> Metrics {
    let deadline = Instant::now() + IO_TIMEOUT;
    loop {
        let m = server.handle.metrics();
        if done(&m) || Instant::now() >= deadline {
            return m;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}
