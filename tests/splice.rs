//! Spooled `Content-Length` bodies on Linux over plain TCP, whose bytes
//! after the buffered ones go socket → pipe → file by `splice`
//! (`src/server/splice.rs`): each test waits until the spool file is open
//! (the head was parsed, the input buffer is empty) before sending body
//! bytes, so that they arrive on the splice path. The handler sees exactly
//! the body, whatever the split; a request right behind the body is never
//! swallowed into the file; a client that stops or closes mid-body ends as
//! on the read path (408 after the body timeout, or closed), its file closed.
#![cfg(all(feature = "splice", target_os = "linux"))]

mod support;

use std::path::Path;
use std::time::Duration;

use mini_async_http::{AIOServer, Request, Response, ResponseBuilder, ServerBuilder};
use support::spool::{SpoolDir, byte_sum, read_through, wait_open};
use support::{Client, TestServer, get, pattern};

/// Answers `<body_len> <spooled> <sum of bytes mod 2^32> <bytes read>`,
/// read through `body_reader`.
fn describe(req: &Request) -> Response {
    let (sum, read) = read_through(req);
    ResponseBuilder::empty_200()
        .body(format!(
            "{} {} {sum} {read}",
            req.body_len(),
            req.is_spooled()
        ))
        .build()
        .unwrap()
}

fn expected(body: &[u8], spooled: bool) -> String {
    format!("{} {spooled} {} {}", body.len(), byte_sum(body), body.len())
}

fn builder(dir: &Path) -> ServerBuilder {
    AIOServer::builder()
        .workers(1)
        .max_body_bytes(1 << 30)
        .spool_threshold(1024)
        .spool_dir(dir)
}

fn post_head(len: usize) -> String {
    format!("POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: {len}\r\n\r\n")
}

/// Sends the head and the first `prefix` body bytes in one write, waits
/// until the server is spooling (so the rest arrives on the splice path),
/// then sends the rest with `tail` right behind it in one write.
fn upload(client: &mut Client, dir: &Path, body: &[u8], prefix: usize, tail: &[u8]) {
    let mut first = post_head(body.len()).into_bytes();
    first.extend_from_slice(&body[..prefix]);
    client.send(&first);
    wait_open(dir, |open| open == 1, "1 spool files open");
    let mut rest = body[prefix..].to_vec();
    rest.extend_from_slice(tail);
    client.send(&rest);
}

/// The body split at the input buffer's edges: none of it with the head,
/// one byte, the head and body filling the first 8 KiB buffer exactly, and
/// one byte more; each followed by a pipelined GET in the same write,
/// which must be answered, not stored.
#[test]
fn bodies_split_at_the_input_buffer_boundary() {
    let dir = SpoolDir::new("boundary");
    let server = TestServer::with(builder(&dir.0), describe);
    let body = pattern(300_000);
    let head = post_head(body.len()).len();
    for prefix in [0, 1, 8192 - head, 8192 - head + 1, 16384 - head] {
        let mut client = server.connect();
        upload(&mut client, &dir.0, &body, prefix, get("/after").as_bytes());
        let resp = client.read_response();
        assert_eq!(resp.body_str(), expected(&body, true), "prefix {prefix}");
        let resp = client.read_response();
        assert_eq!(
            resp.body_str(),
            expected(&[], false),
            "after, prefix {prefix}"
        );
        wait_open(&dir.0, |open| open == 0, "0 spool files open");
    }
}

/// A body whose bytes come in many small writes, each spliced as it comes.
#[test]
fn body_in_many_small_pieces() {
    let dir = SpoolDir::new("pieces");
    let server = TestServer::with(builder(&dir.0), describe);
    let body = pattern(200_000);
    let mut client = server.connect();
    client.send(post_head(body.len()));
    wait_open(&dir.0, |open| open == 1, "1 spool files open");
    for piece in body.chunks(997) {
        client.send(piece);
    }
    assert_eq!(client.read_response().body_str(), expected(&body, true));
}

/// Spliced bodies back to back on one connection, each with the next
/// request's head (and a spooled body of its own) right behind it: splice
/// never reads past a body's end.
#[test]
fn pipelined_spooled_requests_after_a_spliced_body() {
    let dir = SpoolDir::new("pipelined");
    let server = TestServer::with(builder(&dir.0), describe);
    let first = pattern(500_000);
    let second: Vec<u8> = pattern(70_001).iter().map(|b| b ^ 0x5a).collect();
    let mut tail = post_head(second.len()).into_bytes();
    tail.extend_from_slice(&second);
    tail.extend_from_slice(get("/last").as_bytes());
    let mut client = server.connect();
    upload(&mut client, &dir.0, &first, 10, &tail);
    assert_eq!(client.read_response().body_str(), expected(&first, true));
    assert_eq!(client.read_response().body_str(), expected(&second, true));
    assert_eq!(client.read_response().body_str(), expected(&[], false));
}

/// The client closes its side mid-body: no response, the connection is
/// closed, the spool file with it, and the worker serves the next client.
#[test]
fn client_closing_mid_body() {
    let dir = SpoolDir::new("closing");
    let server = TestServer::with(builder(&dir.0), describe);
    let body = pattern(400_000);
    let mut client = server.connect();
    client.send(post_head(body.len()));
    wait_open(&dir.0, |open| open == 1, "1 spool files open");
    client.send(&body[..250_000]);
    client.shutdown_write();
    assert!(
        client.read_to_end().is_empty(),
        "no response to half a body"
    );
    wait_open(&dir.0, |open| open == 0, "0 spool files open");
    let mut other = server.connect();
    other.send(get("/other"));
    assert_eq!(other.read_response().body_str(), expected(&[], false));
}

/// A `Content-Length` larger than what arrives: 408 once the body timeout
/// passes (the head timeout is 10 s), and the file is closed.
#[test]
fn short_body_times_out() {
    let dir = SpoolDir::new("timeout");
    let server = TestServer::with(
        builder(&dir.0).body_timeout(Duration::from_millis(300)),
        describe,
    );
    let body = pattern(1 << 20);
    let mut client = server.connect();
    client.send(post_head(body.len()));
    wait_open(&dir.0, |open| open == 1, "1 spool files open");
    client.send(&body[..600_000]);
    assert_eq!(client.read_response().status, 408);
    wait_open(&dir.0, |open| open == 0, "0 spool files open");
}
