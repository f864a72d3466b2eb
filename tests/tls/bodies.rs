//! Streamed response bodies over TLS: a file body goes through rustls with
//! positioned reads (`sendfile` is for plain TCP only), and a channel body
//! parks its connection and is woken by its producer as over plain TCP.

use std::sync::{Mutex, mpsc};
use std::time::{Duration, Instant};

use mini_async_http::{AIOServer, Body, BodySender, ResponseBuilder, TrySendError};

use crate::support::{IO_TIMEOUT, TempFile, get, pattern};
use crate::{TlsClient, client, local_cert, serve, tls_echo};

/// Larger than what one job pulls (1 MiB) and than the socket buffers, and
/// not a multiple of the 64 KiB window.
const FILE_LEN: usize = (3 << 20) + 12_345;

impl TlsClient {
    /// Reads a response head; returns it without its blank line.
    fn read_head(&mut self) -> String {
        let end = loop {
            if let Some(i) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            assert!(self.fill() > 0, "end of stream before a response head");
        };
        let head = String::from_utf8(self.buf[..end - 4].to_vec()).expect("ascii head");
        self.buf.drain(..end);
        head
    }

    /// Reads chunks until they hold `n` bytes of data (`n == 0`: reads the
    /// last chunk), and returns the data.
    fn read_chunked(&mut self, n: usize) -> Vec<u8> {
        let mut data = Vec::new();
        loop {
            let line_end = loop {
                if let Some(i) = self.buf.windows(2).position(|w| w == b"\r\n") {
                    break i;
                }
                assert!(self.fill() > 0, "end of stream in a chunk size");
            };
            let size = std::str::from_utf8(&self.buf[..line_end]).expect("ascii size");
            let size = usize::from_str_radix(size, 16).expect("hex chunk size");
            while self.buf.len() < line_end + 2 + size + 2 {
                assert!(self.fill() > 0, "end of stream in a chunk");
            }
            let start = line_end + 2;
            assert_eq!(&self.buf[start + size..start + size + 2], b"\r\n");
            data.extend_from_slice(&self.buf[start..start + size]);
            self.buf.drain(..start + size + 2);
            if size == 0 || (n > 0 && data.len() >= n) {
                assert_eq!(data.len(), n, "chunk data");
                return data;
            }
        }
    }
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().skip(1).find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

#[test]
fn file_body_over_tls() {
    let bytes = pattern(FILE_LEN);
    let file = TempFile::with("tls.bin", &bytes);
    let cert = local_cert();
    let server = serve(AIOServer::builder().workers(1), &cert, move |req| {
        let body = match req.path() {
            "/file" => Body::file(file.open(), 0, FILE_LEN as u64),
            "/part" => Body::file(file.open(), 1000, 500_000),
            _ => return tls_echo(req),
        };
        ResponseBuilder::empty_200().body(body).build().unwrap()
    });
    let mut c = TlsClient::connect(server.addr, &client(&cert), "localhost");
    // Pipelined: the file bodies fill the socket before the client reads.
    c.send(format!("{}{}{}", get("/file"), get("/part"), get("/who")));
    let whole = c.read_response();
    assert_eq!(whole.status, 200);
    assert!(
        whole.body == bytes,
        "file body differs ({} bytes)",
        whole.body.len()
    );
    let part = c.read_response();
    assert!(part.body == bytes[1000..501_000], "file range differs");
    assert_eq!(
        c.read_response().body_str(),
        "tls=true sni=localhost path=/who"
    );
    // HEAD reads nothing of the file, and the connection goes on.
    c.send("HEAD /file HTTP/1.1\r\nHost: x\r\n\r\n");
    let head = c.read_response_to("HEAD");
    assert_eq!(
        head.header("content-length"),
        Some(FILE_LEN.to_string().as_str())
    );
    c.send(get("/after"));
    assert_eq!(
        c.read_response().body_str(),
        "tls=true sni=localhost path=/after"
    );
}

#[test]
fn channel_body_over_tls() {
    let (senders_tx, senders) = mpsc::channel::<BodySender>();
    let senders_tx = Mutex::new(senders_tx);
    let cert = local_cert();
    let server = serve(AIOServer::builder().workers(1), &cert, move |req| {
        if req.path() != "/events" {
            return tls_echo(req);
        }
        let (tx, body) = Body::channel(4);
        senders_tx.lock().unwrap().send(tx).unwrap();
        ResponseBuilder::empty_200().body(body).build().unwrap()
    });
    let config = client(&cert);
    let mut c = TlsClient::connect(server.addr, &config, "localhost");
    c.send(get("/events"));
    let tx = senders.recv_timeout(IO_TIMEOUT).expect("handler called");
    let head = c.read_head();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert_eq!(header(&head, "transfer-encoding"), Some("chunked"));
    for i in 0..3 {
        // The body waits for its producer holding no worker: the only one
        // serves another TLS client meanwhile.
        let mut other = TlsClient::connect(server.addr, &config, "localhost");
        other.send(get("/other"));
        assert_eq!(
            other.read_response().body_str(),
            "tls=true sni=localhost path=/other"
        );
        let event = format!("data: event {i}\n\n");
        tx.send(event.clone()).unwrap();
        assert_eq!(c.read_chunked(event.len()), event.as_bytes());
    }
    // A message larger than the socket takes at once: sealed records wait
    // for the client, then the body waits for its producer again.
    let big = pattern(1 << 20);
    tx.send(big.clone()).unwrap();
    assert!(c.read_chunked(big.len()) == big, "1 MiB message differs");
    tx.send("last").unwrap();
    assert_eq!(c.read_chunked(4), b"last");
    drop(tx);
    assert_eq!(c.read_chunked(0), b"");
    c.send(get("/after"));
    assert_eq!(
        c.read_response().body_str(),
        "tls=true sni=localhost path=/after"
    );

    // The client goes away while the body waits: the producer is told.
    c.send(get("/events"));
    let tx = senders.recv_timeout(IO_TIMEOUT).expect("handler called");
    assert!(c.read_head().starts_with("HTTP/1.1 200"));
    drop(c);
    let deadline = Instant::now() + IO_TIMEOUT;
    loop {
        if let Err(TrySendError::Disconnected(_)) = tx.try_send("data: ping\n\n") {
            break;
        }
        assert!(Instant::now() < deadline, "the producer was never told");
        std::thread::sleep(Duration::from_millis(10));
    }
}
