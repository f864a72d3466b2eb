//! `Request::shared_body`: a response that sends the request's own bytes
//! without a copy. The connection's next body must never write into a
//! buffer a response is still sending, whatever the order in which
//! pipelined requests are decoded and their answers written; a spooled body
//! is sent from its temporary file, which closes once the response is done.

mod support;

use std::io::Write;

use mini_async_http::{AIOServer, Request, Response, ResponseBuilder};
#[cfg(target_os = "linux")]
use support::spool::{SpoolDir, open_in, wait_open};
use support::{Client, TestServer};

fn echo(req: &Request) -> Response {
    ResponseBuilder::empty_200()
        .body(req.shared_body())
        .content_type("application/octet-stream")
        .build()
        .unwrap()
}

/// `len` bytes that differ from request to request (`seed`) and along the
/// body, so that bytes of another body in their place are seen.
fn body(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| seed.wrapping_mul(31).wrapping_add((i % 253) as u8))
        .collect()
}

fn post(body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

/// Pipelined bodies of every size class: under and over the size the
/// encoder queues instead of copying (16 KiB), empty, and large enough that
/// the next requests are decoded while the answer is still being written.
/// Sent from a thread of their own, since the server answers while the
/// client is still sending.
#[test]
fn pipelined_echoes_each_get_their_own_bytes() {
    let server = TestServer::start(2, echo);
    let lens = [
        100 * 1024,
        5,
        20 * 1024,
        0,
        300 * 1024,
        1024,
        16 * 1024,
        70 * 1024,
    ];
    let bodies: Vec<Vec<u8>> = lens
        .iter()
        .enumerate()
        .map(|(i, &len)| body(u8::try_from(i).unwrap() + 1, len))
        .collect();
    for _round in 0..3 {
        let mut client = server.connect();
        let mut writer = client.stream.try_clone().expect("clone stream");
        let wire: Vec<u8> = bodies.iter().flat_map(|b| post(b)).collect();
        let sender = std::thread::spawn(move || writer.write_all(&wire).expect("send"));
        for (i, want) in bodies.iter().enumerate() {
            let resp = client.read_response();
            assert_eq!(resp.status, 200, "request {i}");
            assert_eq!(resp.body.len(), want.len(), "request {i}: length");
            let first_diff = resp.body.iter().zip(want).position(|(a, b)| a != b);
            assert_eq!(first_diff, None, "request {i} ({} bytes)", want.len());
        }
        sender.join().expect("sender");
    }
}

/// One connection, one body after another, each answered before the next
/// is sent: the buffer a response held is not the next body's.
#[test]
fn keep_alive_echoes_of_changing_sizes() {
    let server = TestServer::start(1, echo);
    let mut client = server.connect();
    for (i, len) in [64 * 1024, 64 * 1024, 10, 200 * 1024, 3, 64 * 1024]
        .into_iter()
        .enumerate()
    {
        let want = body(u8::try_from(i).unwrap() + 100, len);
        client.send(post(&want));
        let resp = client.read_response();
        assert_eq!(resp.status, 200);
        assert!(resp.body == want, "request {i} ({len} bytes) differs");
    }
}

/// A spooled body is echoed from its temporary file, whole, and the file
/// is closed once the answer has gone.
#[cfg(target_os = "linux")]
#[test]
fn a_spooled_body_is_sent_from_its_file_which_then_closes() {
    let dir = SpoolDir::new("shared-body");
    let builder = AIOServer::builder()
        .workers(2)
        .max_body_bytes(64 << 20)
        .spool_threshold(64 * 1024)
        .spool_dir(&dir.0);
    let server = TestServer::with(builder, |req: &Request| {
        assert!(req.is_spooled(), "a body over the threshold is spooled");
        echo(req)
    });
    let mut client = Client::connect(server.addr);
    for (i, len) in [64 * 1024 + 1, 3 << 20].into_iter().enumerate() {
        let want = body(u8::try_from(i).unwrap() + 7, len);
        let mut writer = client.stream.try_clone().expect("clone stream");
        let wire = post(&want);
        let sender = std::thread::spawn(move || writer.write_all(&wire).expect("send"));
        let resp = client.read_response();
        sender.join().expect("sender");
        assert_eq!(resp.status, 200);
        assert!(resp.body == want, "spooled body {i} ({len} bytes) differs");
        wait_open(
            &dir.0,
            |open| open == 0,
            "the spool file closed after the answer",
        );
    }
    assert_eq!(open_in(&dir.0), 0);
    assert_eq!(dir.entries(), 0, "spool files have no name");
}
