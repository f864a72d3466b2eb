//! The rules of the module doc's table, one test each, and the server's
//! answers (413, 431, 400, 500) as the test client shows them.

use std::collections::VecDeque;

use super::response::parse_responses;
use super::{Closed, Exchange, TestClient, TestResponse};
use crate::proto::{OUTPUT_HIGH_WATER, SPLICE_MIN};
use crate::{Request, Response, ResponseBuilder, ServerBuilder, Version};

/// 200 with the request's method, path, `Host`, `Content-Length` and body.
fn describe(req: &Request) -> Response {
    let text = format!(
        "{} {} host={} cl={} body={}",
        req.method(),
        req.path(),
        req.header("host").unwrap_or("-"),
        req.header("content-length").unwrap_or("-"),
        String::from_utf8_lossy(req.body()),
    );
    ResponseBuilder::empty_200().body(text).build().unwrap()
}

fn echo(req: &Request) -> Response {
    ResponseBuilder::empty_200()
        .body(req.body().to_vec())
        .build()
        .unwrap()
}

#[test]
fn get_status_reason_headers_body() {
    let mut client = TestClient::new(|_: &Request| {
        ResponseBuilder::new()
            .status(202)
            .header("X-Id", "7")
            .body("queued")
            .build()
            .unwrap()
    });
    let resp = client.get("/jobs").send();
    assert_eq!((resp.status(), resp.reason()), (202, "Accepted"));
    assert_eq!(resp.header("x-id"), Some("7"));
    assert_eq!(resp.header("Content-Length"), Some("6"));
    assert_eq!(resp.header("Keep-Alive"), Some("timeout=60"));
    assert!(resp.header("Date").is_some_and(|d| d.ends_with(" GMT")));
    assert_eq!(resp.body(), b"queued");
    assert!(
        resp.wire()
            .starts_with(b"HTTP/1.1 202 Accepted\r\nX-Id: 7\r\n")
    );
    assert!(resp.wire().ends_with(b"\r\n\r\nqueued"));
}

#[test]
fn host_added_unless_set() {
    let mut client = TestClient::new(describe);
    assert_eq!(
        client.get("/").send().text(),
        "GET / host=localhost cl=- body="
    );
    let resp = client.get("/").header("HOST", "example.com").send();
    assert_eq!(resp.text(), "GET / host=example.com cl=- body=");
    let bytes = client.get("/").header("host", "a").to_bytes();
    assert_eq!(bytes, b"GET / HTTP/1.1\r\nhost: a\r\n\r\n");
}

#[test]
fn post_gets_content_length() {
    let mut client = TestClient::new(describe);
    let resp = client.post("/form").body("a=1").send();
    assert_eq!(resp.text(), "POST /form host=localhost cl=3 body=a=1");
    // An empty body set on purpose is announced too; no body is not.
    assert_eq!(
        client.post("/").body("").send().text(),
        "POST / host=localhost cl=0 body="
    );
    assert_eq!(
        client.post("/").send().text(),
        "POST / host=localhost cl=- body="
    );
    // A Content-Length of the test's own is the only one.
    let resp = client
        .put("/")
        .header("Content-Length", "2")
        .body("ok")
        .send();
    assert_eq!(resp.text(), "PUT / host=localhost cl=2 body=ok");
}

#[test]
fn chunked_body_sent_as_written() {
    let mut client = TestClient::new(describe);
    let resp = client
        .post("/up")
        .header("Transfer-Encoding", "chunked")
        .body("3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
        .send();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text(), "POST /up host=localhost cl=- body=abcde");
}

#[test]
fn head_has_content_length_and_no_body() {
    let mut client = TestClient::new(|_: &Request| {
        ResponseBuilder::empty_200()
            .body("twelve bytes")
            .build()
            .unwrap()
    });
    let resp = client.head("/").send();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.header("Content-Length"), Some("12"));
    assert!(resp.body().is_empty());
    assert!(resp.wire().ends_with(b"\r\n\r\n"));
    // The connection is still in step: the next response is read whole.
    assert_eq!(client.get("/").send().text(), "twelve bytes");
    assert_eq!(client.connections(), 1);
}

#[test]
fn body_too_large_413() {
    let mut client = TestClient::with(ServerBuilder::new().max_body_bytes(10), echo);
    assert_eq!(client.post("/").body("0123456789").send().status(), 200);
    let resp = client.post("/").body("0123456789!").send();
    assert_eq!(resp.status(), 413);
    assert_eq!(resp.header("Connection"), Some("close"));
    assert_eq!(resp.closed(), Some(Closed::Rejected(413)));
    let resp = client
        .post("/")
        .header("Transfer-Encoding", "chunked")
        .body("6\r\n012345\r\n6\r\n678901\r\n0\r\n\r\n")
        .send();
    assert_eq!(resp.status(), 413, "{}", resp.text());
}

#[test]
fn too_many_headers_431() {
    let mut client = TestClient::with(ServerBuilder::new().max_headers(3), describe);
    assert_eq!(
        client
            .get("/")
            .header("A", "1")
            .header("B", "2")
            .send()
            .status(),
        200
    );
    let resp = client
        .get("/")
        .header("A", "1")
        .header("B", "2")
        .header("C", "3")
        .send();
    assert_eq!(resp.status(), 431);
    assert_eq!(resp.closed(), Some(Closed::Rejected(431)));
}

#[test]
fn head_too_large_431() {
    let mut client = TestClient::with(ServerBuilder::new().max_head_bytes(200), describe);
    assert_eq!(
        client
            .get("/")
            .header("X", &"a".repeat(100))
            .send()
            .status(),
        200
    );
    let resp = client.get("/").header("X", &"a".repeat(200)).send();
    assert_eq!(resp.status(), 431);
    assert_eq!(resp.text(), "request head too large\n");
}

#[test]
fn handler_panic_500() {
    let mut client = TestClient::new(|req: &Request| {
        assert_ne!(req.path(), "/boom", "the handler fails");
        ResponseBuilder::empty_200().build().unwrap()
    });
    let resp = client.get("/boom").send();
    assert_eq!(resp.status(), 500);
    assert_eq!(resp.closed(), None);
    assert_eq!(client.get("/fine").send().status(), 200);
    assert_eq!(client.connections(), 1);
}

#[test]
fn keep_alive_across_sends() {
    let mut client = TestClient::new(describe);
    for i in 0..5 {
        let resp = client.get(&format!("/{i}")).send();
        assert_eq!(resp.text(), format!("GET /{i} host=localhost cl=- body="));
        assert_eq!(resp.closed(), None);
        assert_eq!(resp.header("Connection"), None);
    }
    assert_eq!(client.connections(), 1);
}

#[test]
fn connection_close_opens_new_connection() {
    let mut client = TestClient::new(|req: &Request| {
        let mut resp = ResponseBuilder::empty_200();
        if req.path() == "/bye" {
            resp = resp.header("Connection", "close");
        }
        resp.build().unwrap()
    });
    let resp = client.get("/").header("Connection", "close").send();
    assert_eq!(resp.header("Connection"), Some("close"));
    assert_eq!(resp.closed(), Some(Closed::NotKeepAlive));
    client.get("/").send();
    assert_eq!(client.connections(), 2);
    // The handler's own `Connection: close` closes too.
    assert_eq!(
        client.get("/bye").send().closed(),
        Some(Closed::NotKeepAlive)
    );
    client.get("/").send();
    assert_eq!(client.connections(), 3);
}

#[test]
fn http10_closes_unless_keep_alive() {
    let mut client = TestClient::new(describe);
    let resp = client.get("/").version(Version::Http10).send();
    assert_eq!(resp.closed(), Some(Closed::NotKeepAlive));
    let resp = client
        .get("/")
        .version(Version::Http10)
        .header("Connection", "keep-alive")
        .send();
    assert_eq!(resp.header("Connection"), Some("keep-alive"));
    assert_eq!(resp.closed(), None);
    client.get("/").send();
    assert_eq!(client.connections(), 2);
}

#[test]
fn request_limit_closes() {
    let builder = ServerBuilder::new().max_requests_per_connection(2);
    let mut client = TestClient::with(builder, describe);
    assert_eq!(client.get("/").send().closed(), None);
    let resp = client.get("/").send();
    assert_eq!(resp.header("Connection"), Some("close"));
    assert_eq!(resp.closed(), Some(Closed::RequestLimit));
    assert_eq!(client.get("/").send().closed(), None);
    assert_eq!(client.connections(), 2);
}

#[test]
fn expect_continue_413_before_body() {
    let mut client = TestClient::with(ServerBuilder::new().max_body_bytes(4), echo);
    let resp = client
        .post("/")
        .header("Expect", "100-continue")
        .body("12345")
        .send();
    assert_eq!(resp.status(), 413);
    assert!(resp.interim().is_empty());
    // Within the limit: 100 Continue, then the answer.
    let resp = client
        .post("/")
        .header("Expect", "100-continue")
        .body("1234")
        .send();
    assert_eq!((resp.status(), resp.text().as_ref()), (200, "1234"));
    let interim: Vec<u16> = resp.interim().iter().map(TestResponse::status).collect();
    assert_eq!(interim, [100]);
    // Without the expectation the body goes with the head: no 100.
    assert!(client.post("/").body("1234").send().interim().is_empty());
}

#[test]
fn raw_returns_interim_continue() {
    let mut client = TestClient::new(echo);
    let head = "POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n";
    let exchange = client.raw_split(format!("{head}hi"), &[head.len()]);
    let statuses: Vec<u16> = exchange
        .responses
        .iter()
        .map(TestResponse::status)
        .collect();
    assert_eq!(statuses, [100, 200]);
    assert_eq!(
        exchange.responses[0].wire(),
        b"HTTP/1.1 100 Continue\r\n\r\n"
    );
    assert_eq!(exchange.responses[1].text(), "hi");
}

const PIPELINE: &str = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n\
    POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello\
    HEAD /c HTTP/1.1\r\nHost: x\r\n\r\n\
    POST /d HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n\
    GET /e HTTP/1.1\r\nHost: x\r\n\r\n";

#[test]
fn pipelined_raw_gives_every_response() {
    let mut client = TestClient::new(describe);
    let exchange = client.raw(PIPELINE);
    let texts: Vec<String> = exchange
        .responses
        .iter()
        .map(|r| r.text().into_owned())
        .collect();
    assert_eq!(
        texts,
        [
            "GET /a host=x cl=- body=",
            "POST /b host=x cl=5 body=hello",
            "", // HEAD
            "POST /d host=x cl=- body=ok",
            "GET /e host=x cl=- body=",
        ]
    );
    assert_eq!(exchange.responses[2].header("Content-Length"), Some("25"));
    assert!(exchange.unparsed.is_empty());
    assert_eq!(exchange.closed, Closed::ClientClosed);
    assert!(exchange.responses.iter().all(|r| r.closed().is_none()));
    assert_eq!(client.connections(), 1);
}

/// The exchange's bytes with every `Date` value blanked (the second may
/// change between two exchanges).
fn undated(exchange: &Exchange) -> Vec<u8> {
    let mut bytes: Vec<u8> = exchange
        .responses
        .iter()
        .flat_map(|r| r.wire().iter().copied())
        .collect();
    let mut at = 0;
    while let Some(i) = bytes[at..].windows(8).position(|w| w == b"\r\nDate: ") {
        let start = at + i + 8;
        bytes[start..start + 29].fill(b'D');
        at = start;
    }
    bytes
}

#[test]
fn raw_split_same_as_one_piece() {
    let mut client = TestClient::new(describe);
    let whole = client.raw(PIPELINE);
    assert_eq!(whole.responses.len(), 5);
    for at in 0..=PIPELINE.len() {
        let split = client.raw_split(PIPELINE, &[at + 7, at, at / 2]);
        assert_eq!(undated(&split), undated(&whole), "split at {at}");
        assert_eq!(
            (split.closed, &split.unparsed),
            (whole.closed, &whole.unparsed)
        );
    }
}

#[test]
fn bad_request_400_and_close_reason() {
    let mut client = TestClient::new(describe);
    let exchange = client.raw("GET /ok HTTP/1.1\r\nHost: x\r\n\r\nGET /no HTTP/1.1\r\n\r\nGET /x HTTP/1.1\r\nHost: x\r\n\r\n");
    let statuses: Vec<u16> = exchange
        .responses
        .iter()
        .map(TestResponse::status)
        .collect();
    assert_eq!(statuses, [200, 400]);
    assert_eq!(exchange.responses[1].text(), "missing Host header\n");
    assert_eq!(exchange.responses[1].header("Connection"), Some("close"));
    assert_eq!(exchange.responses[1].closed(), Some(Closed::Rejected(400)));
    assert_eq!(exchange.closed, Closed::Rejected(400));

    let exchange = client.raw("GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n");
    assert_eq!(exchange.closed, Closed::Rejected(501));
}

#[test]
#[should_panic(expected = "expected one response")]
fn unanswered_send_panics() {
    let mut client = TestClient::new(echo);
    client
        .post("/")
        .header("Content-Length", "10")
        .body("short")
        .send();
}

/// Bodies of [`SPLICE_MIN`] or more leave the connection as slices of their
/// own, and pipelined output past [`OUTPUT_HIGH_WATER`] holds the requests
/// behind it until the client has read it: both come through whole.
#[test]
fn large_bodies_come_through_whole() {
    let big = |req: &Request| {
        let n: usize = req.path()[1..].parse().unwrap();
        let body: Vec<u8> = (0..n).map(|i| (i % 251) as u8).collect();
        ResponseBuilder::empty_200().body(body).build().unwrap()
    };
    let mut client = TestClient::new(big);
    let resp = client.get(&format!("/{SPLICE_MIN}")).send();
    assert_eq!(resp.body().len(), SPLICE_MIN);
    assert!(
        resp.body()
            .iter()
            .enumerate()
            .all(|(i, &b)| b == (i % 251) as u8)
    );

    let sizes = [
        OUTPUT_HIGH_WATER + 1,
        10,
        OUTPUT_HIGH_WATER,
        2 * SPLICE_MIN,
        3,
    ];
    let bytes = sizes
        .iter()
        .map(|n| format!("GET /{n} HTTP/1.1\r\nHost: x\r\n\r\n"))
        .collect::<Vec<_>>()
        .concat();
    let exchange = client.raw(bytes);
    let lengths: Vec<usize> = exchange.responses.iter().map(|r| r.body().len()).collect();
    assert_eq!(lengths, sizes);
}

/// A large upload is read in pieces through the server's bounded input buffer.
#[test]
fn large_request_body() {
    let mut client = TestClient::new(|req: &Request| {
        ResponseBuilder::empty_200()
            .body(req.body().len().to_string())
            .build()
            .unwrap()
    });
    assert_eq!(
        client.post("/").body(vec![7; 900_000]).send().text(),
        "900000"
    );
}

/// Responses the server does not write yet (chunked, until the close) are
/// read as RFC 9112 §6.3 says.
#[test]
fn response_framing_chunked_and_close_delimited() {
    let out = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
        4;x=y\r\nWiki\r\n5\r\npedia\r\n0\r\nTrailer: t\r\n\r\n\
        HTTP/1.1 204 No Content\r\n\r\n\
        HTTP/1.0 200 OK\r\n\r\nuntil the end";
    let mut heads = VecDeque::from([false, false, false]);
    let (responses, used) = parse_responses(out, &mut heads, true);
    let bodies: Vec<&[u8]> = responses.iter().map(TestResponse::body).collect();
    assert_eq!(bodies, [&b"Wikipedia"[..], b"", b"until the end"]);
    assert_eq!(used, out.len());
    assert!(heads.is_empty());

    // Before the close, a body without a length is not complete; nor is a
    // chunked body cut short.
    let (responses, used) = parse_responses(
        b"HTTP/1.1 200 OK\r\n\r\nso far",
        &mut VecDeque::new(),
        false,
    );
    assert!(responses.is_empty() && used == 0);
    let cut = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWi";
    let (responses, _) = parse_responses(cut, &mut VecDeque::new(), true);
    assert!(responses.is_empty());
}

#[cfg(feature = "json")]
#[test]
fn json_body_and_content_type() {
    let mut client = TestClient::new(|req: &Request| {
        let value: serde_json::Value = serde_json::from_slice(req.body()).unwrap();
        let reply = serde_json::json!({"type": req.header("content-type"), "got": value});
        ResponseBuilder::empty_200()
            .body(reply.to_string())
            .build()
            .unwrap()
    });
    let resp = client.post("/").json(&serde_json::json!([1, "two"])).send();
    let reply: serde_json::Value = resp.json().unwrap();
    assert_eq!(
        reply,
        serde_json::json!({"type": "application/json", "got": [1, "two"]})
    );
}

#[cfg(feature = "router")]
#[test]
fn form_body_and_content_type() {
    let mut client = TestClient::new(describe);
    let pairs = vec![
        ("q".to_owned(), "a b".to_owned()),
        ("é".to_owned(), "=&".to_owned()),
    ];
    let resp = client.post("/f").form(&pairs).send();
    assert_eq!(
        resp.text(),
        "POST /f host=localhost cl=19 body=q=a+b&%C3%A9=%3D%26"
    );
    let bytes = client.post("/f").form([("a", "1")]).to_bytes();
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.contains("\r\nContent-Type: application/x-www-form-urlencoded\r\n"));
}

#[test]
fn bodies_over_the_spool_threshold_are_spooled_as_on_the_server() {
    use std::io::Read;
    let handler = |req: &Request| {
        let mut text = String::new();
        req.body_reader().read_to_string(&mut text).unwrap();
        let answer = format!("{} {text}", req.is_spooled());
        ResponseBuilder::empty_200().body(answer).build().unwrap()
    };
    let mut client = TestClient::with(ServerBuilder::new().spool_threshold(10), handler);
    assert_eq!(
        client.post("/").body("0123456789abc").send().text(),
        "true 0123456789abc"
    );
    assert_eq!(client.post("/").body("short").send().text(), "false short");
}

#[test]
fn streamed_bodies_come_through_as_a_client_sees_them() {
    use crate::Body;
    let handler = |req: &Request| {
        let body = match req.path() {
            "/reader" => Body::reader(std::io::Cursor::new(vec![b'r'; 100_000]), None),
            "/sized" => Body::reader(std::io::Cursor::new(b"sized".to_vec()), Some(5)),
            "/short" => Body::reader(std::io::Cursor::new(b"abc".to_vec()), Some(10)),
            _ => {
                let (tx, body) = Body::channel(2);
                std::thread::spawn(move || {
                    for event in ["data: 1\n\n", "data: 2\n\n"] {
                        tx.send(event).unwrap();
                    }
                });
                body
            }
        };
        ResponseBuilder::empty_200().body(body).build().unwrap()
    };
    let mut client = TestClient::new(handler);
    let chunked = client.get("/reader").send();
    assert_eq!(chunked.header("Transfer-Encoding"), Some("chunked"));
    assert_eq!(chunked.body(), vec![b'r'; 100_000]);
    let sized = client.get("/sized").send();
    assert_eq!(
        (sized.header("Content-Length"), sized.text()),
        (Some("5"), "sized".into())
    );
    assert_eq!(
        client.get("/events").send().text(),
        "data: 1\n\ndata: 2\n\n"
    );
    // A source shorter than its length: the response is cut off, the
    // connection closed.
    let exchange = client.raw("GET /short HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(exchange.closed, Closed::BodyFailed);
    assert!(exchange.responses.is_empty(), "{exchange:?}");
}
