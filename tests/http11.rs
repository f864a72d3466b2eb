//! HTTP/1.1 behaviour (RFC 9112, RFC 9110) checked with raw bytes on a
//! socket: persistence, pipelining, split writes, body framing,
//! `100-continue`, HEAD and bodiless statuses, `Date`, handler panics.

mod support;

use std::time::{Duration, SystemTime};

use mini_async_http::{Request, Response, ResponseBuilder};
use support::{Client, TestServer, get, pattern};

/// Answers by path:
/// - `/echo`: the request body;
/// - `/204`, `/304`: that status, no body;
/// - `/close`: `Connection: close` set by the handler;
/// - `/panic`: panics;
/// - anything else: the request-target.
fn handler(req: &Request) -> Response {
    match req.path() {
        "/echo" => ResponseBuilder::new()
            .body(req.body().to_vec())
            .build()
            .unwrap(),
        "/204" => ResponseBuilder::new().status(204).build().unwrap(),
        "/304" => ResponseBuilder::new()
            .status(304)
            .header("ETag", "\"v1\"")
            .build()
            .unwrap(),
        "/close" => ResponseBuilder::new()
            .header("Connection", "close")
            .body("bye")
            .build()
            .unwrap(),
        "/panic" => panic!("handler panic on purpose (tests/http11.rs)"),
        _ => ResponseBuilder::new()
            .content_type("text/plain")
            .body(req.target())
            .build()
            .unwrap(),
    }
}

fn server() -> TestServer {
    TestServer::start(2, handler)
}

fn post(path: &str, body: &str) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: test\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

// ---------------------------------------------------------------------------
// Persistence (RFC 9112 §9.3)

#[test]
fn keep_alive_by_default_in_http11() {
    let server = server();
    let mut c = server.connect();
    for path in ["/first", "/second", "/third"] {
        c.send(get(path));
        let r = c.read_response();
        assert_eq!(r.status, 200);
        assert_eq!(r.body_str(), path);
        assert_eq!(
            r.header("connection"),
            None,
            "no Connection: close on a kept-alive 1.1 response"
        );
        assert_eq!(r.header("keep-alive"), Some("timeout=60"));
    }
}

#[test]
fn http10_closes_by_default() {
    let server = server();
    let mut c = server.connect();
    c.send("GET /old HTTP/1.0\r\n\r\n");
    let r = c.read_response();
    assert_eq!(r.status, 200);
    assert_eq!(r.body_str(), "/old");
    assert_eq!(r.header("connection"), Some("close"));
    assert_eq!(r.header("keep-alive"), None);
    assert!(c.is_closed());
}

#[test]
fn http10_keep_alive_stays_open() {
    let server = server();
    let mut c = server.connect();
    for path in ["/a", "/b"] {
        c.send(format!(
            "GET {path} HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
        ));
        let r = c.read_response();
        assert_eq!(r.body_str(), path);
        assert_eq!(r.header("connection"), Some("keep-alive"));
        assert_eq!(r.header("keep-alive"), Some("timeout=60"));
    }
    // The third one does not ask: answered, then closed.
    c.send("GET /c HTTP/1.0\r\n\r\n");
    let r = c.read_response();
    assert_eq!(
        (r.body_str(), r.header("connection")),
        ("/c", Some("close"))
    );
    assert!(c.is_closed());
}

#[test]
fn connection_close_request_is_answered_then_closed() {
    let server = server();
    let mut c = server.connect();
    // The second request comes in the same write and must not be answered.
    c.send(format!(
        "GET /last HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n{}",
        get("/never")
    ));
    let r = c.read_response();
    assert_eq!(r.body_str(), "/last");
    assert_eq!(r.header("connection"), Some("close"));
    assert!(c.is_closed());

    // Connection options are a case-insensitive list.
    let mut c = server.connect();
    c.send("GET /x HTTP/1.1\r\nHost: test\r\nConnection: Upgrade, CLOSE\r\n\r\n");
    assert_eq!(c.read_response().header("connection"), Some("close"));
    assert!(c.is_closed());
}

#[test]
fn handler_connection_close_closes() {
    let server = server();
    let mut c = server.connect();
    c.send(format!("{}{}", get("/close"), get("/never")));
    let r = c.read_response();
    assert_eq!(r.body_str(), "bye");
    let connection: Vec<_> = r
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("connection"))
        .collect();
    assert_eq!(connection.len(), 1, "one Connection field: {:?}", r.headers);
    assert_eq!(r.header("connection"), Some("close"));
    assert!(c.is_closed());
}

// ---------------------------------------------------------------------------
// Pipelining and split writes

#[test]
fn pipelined_requests_answered_in_order() {
    let server = server();
    let mut c = server.connect();
    let batch: String = (0..10).map(|i| get(&format!("/p{i}"))).collect();
    c.send(batch);
    for i in 0..10 {
        let r = c.read_response();
        assert_eq!(r.status, 200);
        assert_eq!(r.body_str(), format!("/p{i}"));
    }
    // Still usable afterwards.
    c.send(get("/after"));
    assert_eq!(c.read_response().body_str(), "/after");
}

/// Heads that repeat (the same bytes, pipelined and one at a time, on one
/// connection and on the next): each request has its own body and is
/// answered as if parsed anew ("Repeated heads" in `proto::conn`), and a
/// head like them with one byte more is judged on its own (400).
#[test]
fn repeated_heads_each_get_their_own_answer() {
    let server = TestServer::start(1, handler);
    let mut c = server.connect();
    let bodies = ["aaaa", "bbbb", "cccc"];
    let batch: String = bodies.iter().map(|b| post("/echo", b)).collect();
    c.send(batch);
    for body in bodies {
        let r = c.read_response();
        assert_eq!((r.status, r.body_str()), (200, body));
    }
    c.send(post("/echo", "dddd"));
    assert_eq!(c.read_response().body_str(), "dddd");
    // A new connection (the worker's buffers, with the last head, are reused).
    drop(c);
    let mut c = server.connect();
    c.send(post("/echo", "eeee"));
    assert_eq!(c.read_response().body_str(), "eeee");
    c.send("POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 4\r\nHost: x\r\n\r\nffff");
    let r = c.read_response();
    assert_eq!(r.status, 400);
    assert!(c.is_closed());
}

/// A server answering `GET /N` with N bytes of `pattern`, one worker.
fn sized_server() -> TestServer {
    TestServer::start(1, |req: &Request| {
        let n: usize = req.path()[1..].parse().unwrap_or(0);
        ResponseBuilder::empty_200()
            .body(pattern(n))
            .build()
            .unwrap()
    })
}

/// Bodies of `SPLICE_MIN` (16 KiB) and more go out from where the handler
/// put them, in vectored writes with the heads around them; pipelined with
/// small responses and a `HEAD`, everything still comes out whole and in
/// order, also when the socket fills mid-body. The requests behind a
/// response larger than the output high-water mark (256 KiB) are answered
/// once it has gone out, though no new byte arrives to wake the connection
/// (they used to wait for one).
#[test]
fn large_bodies_pipelined_with_small_ones_in_order() {
    let server = sized_server();
    let mut c = server.connect();
    let sizes = [3 << 20, 5, 70_000, 0, 16_384, 16_383, 1 << 20];
    let mut batch: String = sizes.iter().map(|n| get(&format!("/{n}"))).collect();
    batch.push_str("HEAD /70000 HTTP/1.1\r\nHost: test\r\n\r\n");
    batch.push_str(&get("/7"));
    c.send(batch);
    for n in sizes {
        let r = c.read_response();
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-length"), Some(n.to_string().as_str()));
        assert!(r.body == pattern(n), "body of {n} bytes differs");
    }
    let head = c.read_response_to("HEAD");
    assert_eq!(head.header("content-length"), Some("70000"));
    assert!(head.body.is_empty());
    assert_eq!(c.read_response().body, pattern(7));
}

/// A client that sends its requests and then its FIN (half-close) still
/// gets every answer, also those held behind a response larger than the
/// output high-water mark (they used to be dropped when the input ended).
#[test]
fn requests_before_a_half_close_are_all_answered() {
    let server = sized_server();
    let mut c = server.connect();
    let sizes = [1 << 20, 7, 300_000, 3];
    c.send(
        sizes
            .iter()
            .map(|n| get(&format!("/{n}")))
            .collect::<String>(),
    );
    c.shutdown_write();
    for n in sizes {
        let r = c.read_response();
        assert!(r.body == pattern(n), "body of {n} bytes differs");
    }
    assert!(c.is_closed());
}

#[test]
fn pipelined_mixed_bodies_answered_in_order() {
    let server = server();
    let mut c = server.connect();
    c.send(format!(
        "{}{}POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n{}",
        get("/one"),
        post("/echo", "two"),
        get("/four")
    ));
    for want in ["/one", "two", "abc", "/four"] {
        assert_eq!(c.read_response().body_str(), want);
    }
}

#[test]
fn pipelined_batch_sent_bytewise() {
    let server = server();
    let mut c = server.connect();
    let batch = format!(
        "{}{}POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n{}",
        get("/b1"),
        post("/echo", "body"),
        get("/b4?q=1")
    );
    c.send_bytewise(batch);
    for want in ["/b1", "body", "hi", "/b4?q=1"] {
        assert_eq!(c.read_response().body_str(), want);
    }
}

#[test]
fn request_split_at_every_byte() {
    let server = server();
    let mut c = server.connect();
    let raw = "POST /echo?x=1 HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\nX-A: b\r\n\r\n\
               4;ext=1\r\nWiki\r\nA\r\n pedia in \r\n0\r\nTrailer: x\r\n\r\n";
    c.send(raw);
    let whole = c.read_response();
    assert_eq!(whole.body_str(), "Wiki pedia in ");
    for at in 1..raw.len() {
        let (a, b) = raw.as_bytes().split_at(at);
        c.send(a);
        c.send(b);
        let r = c.read_response();
        assert_eq!(r.status, whole.status, "split at {at}");
        assert_eq!(r.body, whole.body, "split at {at}");
    }

    // Leading empty line (skipped) and a Content-Length body.
    let raw = format!("\r\n{}", post("/echo", "split body"));
    for at in 1..raw.len() {
        let (a, b) = raw.as_bytes().split_at(at);
        c.send(a);
        c.send(b);
        assert_eq!(c.read_response().body_str(), "split body", "split at {at}");
    }

    let raw = get("/split?a=b");
    for at in 1..raw.len() {
        let (a, b) = raw.as_bytes().split_at(at);
        c.send(a);
        c.send(b);
        assert_eq!(c.read_response().body_str(), "/split?a=b", "split at {at}");
    }
}

#[test]
fn empty_lines_before_request_line_are_ignored() {
    let server = server();
    let mut c = server.connect();
    c.send(format!("\r\n\r\n{}", get("/crlf")));
    assert_eq!(c.read_response().body_str(), "/crlf");
    c.send(format!("\n\n{}", get("/lf")));
    assert_eq!(c.read_response().body_str(), "/lf");
    // Between pipelined requests too, and across writes.
    c.send(format!("{}\r\n", get("/x")));
    assert_eq!(c.read_response().body_str(), "/x");
    c.send(format!("\r\n{}", get("/y")));
    assert_eq!(c.read_response().body_str(), "/y");
}

// ---------------------------------------------------------------------------
// Request bodies (RFC 9112 §6, §7)

#[test]
fn content_length_body() {
    let server = server();
    let mut c = server.connect();
    c.send(post("/echo", "hello world"));
    assert_eq!(c.read_response().body_str(), "hello world");
    // Body bytes that look like a request are body.
    let inner = get("/smuggled");
    c.send(post("/echo", &inner));
    assert_eq!(c.read_response().body_str(), inner);
    // Content-Length: 0 and an absent one both mean no body.
    c.send("POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\n\r\n");
    assert_eq!(c.read_response().body_str(), "");
    c.send("POST /echo HTTP/1.1\r\nHost: test\r\n\r\n");
    assert_eq!(c.read_response().body_str(), "");
    // A larger body, in several writes.
    let big = "0123456789abcdef".repeat(20_000);
    c.send(format!(
        "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: {}\r\n\r\n",
        big.len()
    ));
    for part in big.as_bytes().chunks(50_000) {
        c.send(part);
    }
    assert_eq!(c.read_response().body, big.as_bytes());
    // A large body with the next request right behind it, in one write:
    // the request after the body is read and answered too.
    let mut both = format!(
        "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: {}\r\n\r\n",
        big.len()
    )
    .into_bytes();
    both.extend_from_slice(big.as_bytes());
    both.extend_from_slice(get("/after").as_bytes());
    c.send(both);
    assert_eq!(c.read_response().body, big.as_bytes());
    assert_eq!(c.read_response().body_str(), "/after");
}

#[test]
fn chunked_body_is_dechunked() {
    let server = server();
    let mut c = server.connect();
    let head = "POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n";
    let cases: &[(&str, &str)] = &[
        ("5\r\nhello\r\n0\r\n\r\n", "hello"),
        // Extensions (with and without values, quoted) and a trailer section.
        (
            "5;a=b\r\nhello\r\n6;flag;q=\"x y\"\r\n world\r\n0;last\r\nX-Trailer: 1\r\nX-Other: 2\r\n\r\n",
            "hello world",
        ),
        // Hex sizes in both cases, leading zeros.
        (
            "a\r\n0123456789\r\nA\r\nabcdefghij\r\n0\r\n\r\n",
            "0123456789abcdefghij",
        ),
        (
            "1F\r\n0123456789012345678901234567890\r\n000\r\n\r\n",
            "0123456789012345678901234567890",
        ),
        ("0010\r\n0123456789abcdef\r\n0\r\n\r\n", "0123456789abcdef"),
        // Whitespace before extensions (as hyper and nginx accept).
        ("3 ;x\r\nabc\r\n0\r\n\r\n", "abc"),
        // Only the last chunk.
        ("0\r\n\r\n", ""),
    ];
    for (body, want) in cases {
        c.send(format!("{head}{body}"));
        let r = c.read_response();
        assert_eq!(r.status, 200, "{body:?}");
        assert_eq!(r.body_str(), *want, "{body:?}");
    }
    // Transfer-Encoding is case-insensitive.
    c.send("POST /echo HTTP/1.1\r\nHost: test\r\ntransfer-encoding: Chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n");
    assert_eq!(c.read_response().body_str(), "ok");
}

#[test]
fn chunked_body_sent_bytewise() {
    let server = server();
    let mut c = server.connect();
    c.send_bytewise(
        "POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n\
         4;e=v\r\nabcd\r\nB\r\n efghijklmn\r\n0\r\nT: x\r\n\r\n",
    );
    assert_eq!(c.read_response().body_str(), "abcd efghijklmn");
    c.send(get("/next"));
    assert_eq!(c.read_response().body_str(), "/next");
}

// ---------------------------------------------------------------------------
// Expect: 100-continue (RFC 9110 §10.1.1)

#[test]
fn expect_100_continue_before_body() {
    let server = server();
    let mut c = server.connect();
    c.send(
        "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
    );
    // The body has not been sent: the server must speak first.
    let interim = c.read_response();
    assert_eq!((interim.status, interim.reason.as_str()), (100, "Continue"));
    assert!(interim.headers.is_empty(), "{:?}", interim.headers);
    c.send("hello");
    let r = c.read_response();
    assert_eq!((r.status, r.body_str()), (200, "hello"));

    // Chunked, and the token is case-insensitive.
    c.send("POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\nExpect: 100-Continue\r\n\r\n");
    assert_eq!(c.read_response().status, 100);
    c.send("3\r\nabc\r\n0\r\n\r\n");
    assert_eq!(c.read_response().body_str(), "abc");

    // No body at all: nothing to wait for, so no 100.
    c.send("GET /nobody HTTP/1.1\r\nHost: test\r\nExpect: 100-continue\r\n\r\n");
    let r = c.read_response();
    assert_eq!((r.status, r.body_str()), (200, "/nobody"));
}

#[test]
fn expect_100_continue_over_limit_gets_413_without_100() {
    let server = TestServer::with(
        mini_async_http::AIOServer::builder()
            .workers(1)
            .max_body_bytes(100),
        handler,
    );
    let mut c = server.connect();
    c.send(
        "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 101\r\nExpect: 100-continue\r\n\r\n",
    );
    let r = c.read_response();
    assert_eq!(r.status, 413, "413 instead of 100 Continue");
    assert_eq!(r.header("connection"), Some("close"));
    assert!(c.is_closed());
}

#[test]
fn expect_100_continue_in_http10_is_ignored() {
    let server = server();
    let mut c = server.connect();
    c.send("POST /echo HTTP/1.0\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\nok");
    let r = c.read_response();
    assert_eq!((r.status, r.body_str()), (200, "ok"), "no 100 for HTTP/1.0");
    assert!(c.is_closed());
}

// ---------------------------------------------------------------------------
// Responses without a body

#[test]
fn head_gets_get_headers_without_body() {
    let server = server();
    let mut c = server.connect();
    c.send(get("/resource"));
    let g = c.read_response();
    c.send(format!(
        "HEAD /resource HTTP/1.1\r\nHost: test\r\n\r\n{}",
        get("/after-head")
    ));
    let h = c.read_response_to("HEAD");
    assert_eq!(h.status, 200);
    assert!(h.body.is_empty());
    assert_eq!(h.header("content-length"), Some("9"));
    assert_eq!(h.header("content-length"), g.header("content-length"));
    assert_eq!(h.header("content-type"), g.header("content-type"));
    // Had the HEAD response carried a body, this would read it instead.
    let next = c.read_response();
    assert_eq!((next.status, next.body_str()), (200, "/after-head"));
}

#[test]
fn no_body_and_no_content_length_on_204_and_304() {
    let server = server();
    let mut c = server.connect();
    c.send(format!("{}{}{}", get("/204"), get("/304"), get("/tail")));
    let r = c.read_response();
    assert_eq!(r.status, 204);
    assert_eq!(r.header("content-length"), None);
    let r = c.read_response();
    assert_eq!(r.status, 304);
    assert_eq!(r.header("content-length"), None);
    assert_eq!(r.header("etag"), Some("\"v1\""));
    // Any body bytes after those heads would corrupt this response.
    assert_eq!(c.read_response().body_str(), "/tail");
}

// ---------------------------------------------------------------------------
// Date (RFC 9110 §6.6.1)

#[test]
fn date_is_imf_fixdate() {
    let server = server();
    let mut c = server.connect();
    let before = SystemTime::now() - Duration::from_secs(2);
    c.send(get("/"));
    let r = c.read_response();
    let after = SystemTime::now() + Duration::from_secs(2);
    let dates: Vec<_> = r
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("date"))
        .collect();
    assert_eq!(dates.len(), 1, "{:?}", r.headers);
    let value = r.header("date").unwrap();
    let parsed = httpdate::parse_http_date(value).unwrap_or_else(|e| panic!("{value:?}: {e}"));
    // IMF-fixdate is the format httpdate writes; the other two obsolete
    // formats parse too, so compare the text.
    assert_eq!(httpdate::fmt_http_date(parsed), value);
    assert!(value.ends_with(" GMT") && value.len() == 29, "{value:?}");
    assert!(parsed >= before && parsed <= after, "{value:?} is not now");

    // Error responses carry one too.
    let mut c = server.connect();
    c.send("BAD\r\n\r\n");
    let r = c.read_response();
    assert_eq!(r.status, 400);
    assert!(httpdate::parse_http_date(r.header("date").unwrap()).is_ok());
}

// ---------------------------------------------------------------------------
// Handler panics

#[test]
fn handler_panic_is_500_and_server_keeps_serving() {
    let server = server();
    let mut c = server.connect();
    let mut other = server.connect();
    c.send(get("/panic"));
    let r = c.read_response();
    assert_eq!(r.status, 500);
    // Same connection: still served.
    c.send(format!("{}{}", get("/fine"), get("/panic")));
    assert_eq!(c.read_response().body_str(), "/fine");
    assert_eq!(c.read_response().status, 500);
    c.send(get("/still"));
    assert_eq!(c.read_response().body_str(), "/still");
    // Another connection, opened before the panics and after them.
    other.send(get("/other"));
    assert_eq!(other.read_response().body_str(), "/other");
    // Enough panics to hit every worker more than once.
    for _ in 0..6 {
        let mut c = server.connect();
        c.send(get("/panic"));
        assert_eq!(c.read_response().status, 500);
    }
    let mut fresh = Client::connect(server.addr);
    fresh.send(get("/fresh"));
    assert_eq!(fresh.read_response().body_str(), "/fresh");
}

// ---------------------------------------------------------------------------
// Concurrency

#[test]
fn many_concurrent_keep_alive_connections() {
    const THREADS: usize = 50;
    const REQUESTS: usize = 100;
    let server = TestServer::start(4, handler);
    let addr = server.addr;
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            std::thread::spawn(move || {
                let mut c = Client::connect(addr);
                for i in 0..REQUESTS {
                    let id = format!("/t{t}/r{i}");
                    if i % 3 == 0 {
                        c.send(post("/echo", &id));
                    } else {
                        c.send(get(&id));
                    }
                    let r = c.read_response();
                    assert_eq!(r.status, 200);
                    assert_eq!(r.body_str(), id);
                    assert_eq!(r.header("connection"), None);
                }
                REQUESTS
            })
        })
        .collect();
    let answered: usize = threads
        .into_iter()
        .map(|t| t.join().expect("client thread"))
        .sum();
    assert_eq!(answered, THREADS * REQUESTS);
}
