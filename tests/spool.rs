//! Request bodies over the spool threshold, through real sockets: written to
//! an unnamed file that is gone when the request ends (also after a panic),
//! 507 when the file cannot be made, 413 / 100-continue / the body timeout
//! as for bodies in memory, and a slow uploader holds no worker. The server
//! runs in the test process, so `/proc/self/fd` shows its spool files.
//! (The ≥ 256 MiB upload with its memory check is `tests/large_upload.rs`.)

mod support;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use mini_async_http::{AIOServer, Request, Response, ResponseBuilder, ServerBuilder};
use support::spool::{SpoolDir, byte_sum, read_through};
#[cfg(target_os = "linux")]
use support::spool::{open_in, wait_open};
use support::{Client, TestServer, get, pattern};

/// Waits (at most 10 s) until `dir` has a file open: the server is
/// spooling a body there.
#[cfg(target_os = "linux")]
fn wait_until_spooling(dir: &Path) {
    wait_open(dir, |open| open > 0, "a spool file open");
}

/// Answers `<body_len> <spooled> <sum of bytes mod 2^32>`, read through
/// `body_reader`.
fn describe(req: &Request) -> Response {
    let (sum, _) = read_through(req);
    ResponseBuilder::empty_200()
        .body(format!("{} {} {sum}", req.body_len(), req.is_spooled()))
        .build()
        .unwrap()
}

fn expected(body: &[u8], spooled: bool) -> String {
    format!("{} {spooled} {}", body.len(), byte_sum(body))
}

fn builder(dir: &Path) -> ServerBuilder {
    AIOServer::builder()
        .workers(2)
        .max_body_bytes(1 << 30)
        .spool_threshold(64 * 1024)
        .spool_dir(dir)
}

fn post_head(len: usize, extra: &str) -> String {
    format!("POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: {len}\r\n{extra}\r\n")
}

fn chunked(body: &[u8], chunk: usize) -> Vec<u8> {
    let mut out = b"POST /up HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for piece in body.chunks(chunk) {
        out.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        out.extend_from_slice(piece);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

#[test]
fn bodies_over_the_threshold_are_spooled_and_read_back() {
    let dir = SpoolDir::new("read-back");
    let server = TestServer::with(builder(&dir.0), describe);
    let mut client = server.connect();
    for len in [64 * 1024, 64 * 1024 + 1, 1 << 20] {
        let body = pattern(len);
        client.send(post_head(len, ""));
        client.send(&body);
        let resp = client.read_response();
        assert_eq!(
            resp.body_str(),
            expected(&body, len > 64 * 1024),
            "length {len}"
        );
        client.send(chunked(&body, 10_000));
        let resp = client.read_response();
        assert_eq!(
            resp.body_str(),
            expected(&body, len > 64 * 1024),
            "chunked {len}"
        );
    }
    assert_eq!(dir.entries(), 0);
}

/// Policy row (src/proto/mod.rs): a spool file that cannot be made answers
/// 507 and closes, instead of `100 Continue` when the client waits for it,
/// and the server goes on. The spool directory does not exist, which fails
/// the create deterministically; a write failing mid-body (a full disk) is
/// shown by `proto::spool_tests::write_error_mid_body` (the 507 path) and
/// `server::spool::tests::a_full_disk_fails_the_append` (ENOSPC from
/// `/dev/full` reaches the spool as an error).
#[test]
fn spool_write_error() {
    let missing = std::env::temp_dir().join(format!(
        "mini_async_http-no-such-dir-{}/spool",
        std::process::id()
    ));
    let server = TestServer::with(builder(&missing), describe);
    let big = pattern(200_000);

    let mut client = server.connect();
    client.send(post_head(big.len(), ""));
    client.send(&big);
    let resp = client.read_response();
    assert_eq!(
        (resp.status, resp.reason.as_str()),
        (507, "Insufficient Storage")
    );
    assert_eq!(resp.header("connection"), Some("close"));
    assert!(client.is_closed());

    let mut client = server.connect();
    client.send(post_head(big.len(), "Expect: 100-continue\r\n"));
    let resp = client.read_response();
    assert_eq!(resp.status, 507, "instead of 100 Continue");
    assert!(client.is_closed());

    let mut client = server.connect();
    client.send(chunked(&big, 16_000));
    assert_eq!(client.read_response().status, 507);

    // Bodies that stay in memory are served as ever.
    let mut client = server.connect();
    let small = pattern(1000);
    client.send(post_head(small.len(), ""));
    client.send(&small);
    assert_eq!(client.read_response().body_str(), expected(&small, false));
}

/// The spool file is open while the handler runs, never has a name in the
/// directory, and is closed once the response is written: after a normal
/// response and after a handler panic (500).
#[cfg(target_os = "linux")]
#[test]
fn temp_file_gone_after_request_and_panic() {
    let dir = SpoolDir::new("gone");
    let path = dir.0.clone();
    let seen = Arc::new(AtomicUsize::new(usize::MAX));
    let seen_in_handler = Arc::clone(&seen);
    let server = TestServer::with(builder(&dir.0), move |req: &Request| {
        let named = std::fs::read_dir(&path).unwrap().count();
        seen_in_handler.store(open_in(&path) * 10 + named, Ordering::SeqCst);
        assert!(
            req.path() != "/panic",
            "the handler panics with a spooled body"
        );
        describe(req)
    });
    let body = pattern(300_000);
    for (target, status) in [("/up", 200), ("/panic", 500)] {
        let mut client = server.connect();
        client.send(post_head(body.len(), "").replace("/up", target));
        client.send(&body);
        let resp = client.read_response();
        assert_eq!(resp.status, status, "{target}");
        assert_eq!(
            seen.load(Ordering::SeqCst),
            10,
            "{target}: one open file, no name"
        );
        wait_until_closed(&dir.0);
    }
}

/// Waits (at most 10 s) until no file of `dir` is open: the worker closes
/// a spool file right after it has written the response, in the same job,
/// so the client may read the response a moment before.
#[cfg(target_os = "linux")]
fn wait_until_closed(dir: &Path) {
    wait_open(dir, |open| open == 0, "every spool file closed");
}

/// `Request::body()` on a spooled body panics (it names `body_reader()`),
/// which the server answers with 500: never an empty or short body.
#[test]
fn body_of_a_spooled_request_is_a_500_not_a_short_body() {
    let dir = SpoolDir::new("body-panics");
    let server = TestServer::with(builder(&dir.0), |req: &Request| {
        ResponseBuilder::empty_200()
            .body(format!("{} bytes", req.body().len()))
            .build()
            .unwrap()
    });
    let mut client = server.connect();
    let body = pattern(100_000);
    client.send(post_head(body.len(), ""));
    client.send(&body);
    assert_eq!(client.read_response().status, 500);
}

/// With `max_body_bytes` at gigabytes: a `Content-Length` over it is 413
/// before anything is read (and instead of `100 Continue`); under it,
/// `100 Continue` then the spooled body; chunks past the limit are 413.
#[test]
fn limits_with_a_large_max_body() {
    let dir = SpoolDir::new("limits");
    let server = TestServer::with(builder(&dir.0).max_body_bytes(8 << 30), describe);

    let mut client = server.connect();
    client.send(post_head(9 << 30, "Expect: 100-continue\r\n"));
    assert_eq!(client.read_response().status, 413);

    let mut client = server.connect();
    let body = pattern(1 << 20);
    client.send(post_head(body.len(), "Expect: 100-continue\r\n"));
    assert_eq!(client.read_response().status, 100);
    client.send(&body);
    assert_eq!(client.read_response().body_str(), expected(&body, true));

    let small = TestServer::with(builder(&dir.0).max_body_bytes(1 << 20), describe);
    let mut client = small.connect();
    // A little over the limit, so that what follows the 413 is soon read
    // and discarded by the lingering close.
    client.send(chunked(&pattern((1 << 20) + 200_000), 100_000));
    assert_eq!(client.read_response().status, 413);
    assert_eq!(dir.entries(), 0);
}

/// A body that stops arriving while it is being spooled gets 408 after the
/// body timeout, and its file is closed.
#[test]
fn body_timeout_while_spooling() {
    let dir = SpoolDir::new("timeout");
    let server = TestServer::with(
        builder(&dir.0).body_timeout(Duration::from_millis(300)),
        describe,
    );
    let mut client = server.connect();
    client.send(post_head(1 << 20, ""));
    client.send(pattern(200_000));
    // The header timeout is 10 s: a 408 this soon is the body timeout, in
    // the body phase, where the spool file was made with the head.
    assert_eq!(client.read_response().status, 408);
    #[cfg(target_os = "linux")]
    assert_eq!(open_in(&dir.0), 0);
}

/// With one worker, a client that sends half of a spooled body and stops
/// holds no worker: another client is answered meanwhile, and the upload
/// completes once the rest arrives.
#[test]
fn slow_uploader_holds_no_worker() {
    let dir = SpoolDir::new("slow");
    let server = TestServer::with(builder(&dir.0).workers(1), describe);
    let body = pattern(1 << 20);
    let mut slow = server.connect();
    slow.send(post_head(body.len(), ""));
    slow.send(&body[..body.len() / 2]);
    #[cfg(target_os = "linux")]
    wait_until_spooling(&dir.0);

    let mut other = Client::connect(server.addr);
    other.send(get("/other"));
    let resp = other.read_response();
    assert_eq!(resp.body_str(), expected(&[], false));

    slow.send(&body[body.len() / 2..]);
    assert_eq!(slow.read_response().body_str(), expected(&body, true));
}

/// A request pipelined right behind a spooled body, in the same writes, is
/// answered after it, in order.
#[test]
fn pipelined_request_after_a_spooled_body() {
    let dir = SpoolDir::new("pipelined");
    let server = TestServer::with(builder(&dir.0).workers(1), describe);
    let body = pattern(3 << 20);
    let mut wire = post_head(body.len(), "").into_bytes();
    wire.extend_from_slice(&body);
    wire.extend_from_slice(get("/after").as_bytes());
    let mut client = server.connect();
    let writer = {
        let mut stream = client.stream.try_clone().unwrap();
        std::thread::spawn(move || std::io::Write::write_all(&mut stream, &wire))
    };
    assert_eq!(client.read_response().body_str(), expected(&body, true));
    assert_eq!(client.read_response().body_str(), expected(&[], false));
    writer.join().unwrap().unwrap();
}

/// With one worker, an uploader that keeps the socket full holds the worker
/// only for a bounded part of each job: another client is answered while
/// the upload is still under way (its body, 1 TiB, never ends: were the
/// worker kept until the body is complete, the answer would never come).
#[test]
fn fast_uploader_shares_its_worker() {
    let dir = SpoolDir::new("fast");
    let server = TestServer::with(builder(&dir.0).workers(1).max_body_bytes(1 << 40), describe);
    let mut uploader = server.connect();
    uploader.send(post_head(1 << 40, ""));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sender = {
        let mut stream = uploader.stream.try_clone().unwrap();
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let piece = pattern(1 << 20);
            while !stop.load(Ordering::Relaxed) {
                if std::io::Write::write_all(&mut stream, &piece).is_err() {
                    break;
                }
            }
        })
    };
    #[cfg(target_os = "linux")]
    wait_until_spooling(&dir.0);
    let mut other = Client::connect(server.addr);
    other.send(get("/other"));
    assert_eq!(other.read_response().body_str(), expected(&[], false));
    stop.store(true, Ordering::Relaxed);
    sender.join().unwrap();
    drop(uploader);
}

/// `persist_body` keeps an upload under a name the handler picks: the
/// bytes are the body's, whether it came with `Content-Length` (on the
/// splice path) or chunked, spooled or in memory; a name already taken is
/// refused. On Linux (with `splice`, as the tests build) a spooled body is
/// linked, not copied: two persists are two names of one inode.
#[test]
fn uploads_persist_under_the_handlers_name() {
    let dir = SpoolDir::new("persist-spool");
    let keep = SpoolDir::new("persist-keep");
    let into = keep.0.clone();
    let server = TestServer::with(builder(&dir.0), move |req: &Request| {
        let name = req.path().trim_start_matches("/up/");
        let first = req.persist_body(into.join(name));
        let second = req.persist_body(into.join(format!("{name}.again")));
        match (first, second) {
            (Ok(a), Ok(b)) => ResponseBuilder::empty_200()
                .body(format!("{a} {b} {}", req.is_spooled()))
                .build()
                .unwrap(),
            (Err(e), _) | (_, Err(e)) => ResponseBuilder::new()
                .status(409)
                .body(format!("{:?}", e.kind()))
                .build()
                .unwrap(),
        }
    });
    let mut client = server.connect();
    let cases = [
        ("big", 3 << 20, false),
        ("chunked", 1 << 20, true),
        ("small", 1000, false),
    ];
    for (name, len, chunks) in cases {
        let body = pattern(len);
        let target = format!("/up/{name}");
        if chunks {
            let mut request = chunked(&body, 60_000);
            request.splice(..b"POST /up".len(), format!("POST {target}").into_bytes());
            client.send(request);
        } else {
            client.send(post_head(len, "").replace("/up", &target));
            client.send(&body);
        }
        let resp = client.read_response();
        let spooled = len > 64 * 1024;
        assert_eq!(resp.body_str(), format!("{len} {len} {spooled}"), "{name}");
        for file in [name.to_string(), format!("{name}.again")] {
            assert!(std::fs::read(keep.0.join(&file)).unwrap() == body, "{file}");
        }
        #[cfg(target_os = "linux")]
        {
            use std::os::unix::fs::MetadataExt;
            let a = std::fs::metadata(keep.0.join(name)).unwrap();
            let b = std::fs::metadata(keep.0.join(format!("{name}.again"))).unwrap();
            let linked = (a.ino(), a.nlink()) == (b.ino(), 2);
            assert_eq!(linked, spooled, "{name}: linked if and only if spooled");
            assert_eq!(a.mode() & 0o777, 0o600, "{name}");
        }
    }
    // A name that is taken: refused, the file left as it was.
    std::fs::write(keep.0.join("taken"), "theirs").unwrap();
    client.send(post_head(5, "").replace("/up", "/up/taken"));
    client.send("mine!");
    let resp = client.read_response();
    assert_eq!((resp.status, resp.body_str()), (409, "AlreadyExists"));
    assert_eq!(std::fs::read(keep.0.join("taken")).unwrap(), b"theirs");
    assert_eq!(dir.entries(), 0, "the spool never names a file");
}

/// The same through a client crate (ureq, `Content-Length` framing): a
/// 2 MiB upload is kept byte for byte.
#[test]
fn an_upload_from_ureq_is_kept() {
    let dir = SpoolDir::new("persist-ureq-spool");
    let keep = SpoolDir::new("persist-ureq-keep");
    let into = keep.0.join("kept.bin");
    let server = TestServer::with(builder(&dir.0), move |req: &Request| {
        let len = req.persist_body(&into).unwrap();
        ResponseBuilder::new()
            .status(201)
            .body(len.to_string())
            .build()
            .unwrap()
    });
    let body = pattern(2 << 20);
    let agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .new_agent();
    let mut resp = agent.put(server.url("/up")).send(&body[..]).unwrap();
    assert_eq!(resp.status(), 201);
    assert_eq!(
        resp.body_mut().read_to_string().unwrap(),
        (2 << 20).to_string()
    );
    assert!(std::fs::read(keep.0.join("kept.bin")).unwrap() == body);
}
