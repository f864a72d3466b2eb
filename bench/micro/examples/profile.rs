//! A fixed workload for `valgrind --tool=callgrind`: instruction counts of the
//! sans-IO path do not depend on what else the machine is doing.
//!
//! `cargo build --release --example profile --manifest-path bench/micro/Cargo.toml`
//! `valgrind --tool=callgrind bench/micro/target/release/examples/profile [mode] [iterations]`
//!
//! Modes: `pipeline` (`GET /`, the default) and `browser` (a long browser
//! head) through a bare handler; `static`, `one_param`, `catch_all` and
//! `miss` through a 50-route `Router` (the table of `benches/router.rs`),
//! and `root`, `GET /` through the 50-route table of the kit's
//! `mini_router` peer (`bench/peers/mini`, the kit's `ka64`/`pipe16`
//! request), each also as `bare-static`, … : the same target through the
//! bare handler. What routing costs per request is the difference of the two,
//! and the start-up cost cancels out of the difference of two runs with
//! different iteration counts (`bench/micro/callgrind_router.sh` does both).

use mini_async_http::proto::{BufferPool, Conn, Ctx, Limits, Stamp};
use mini_async_http::{Handler, Request, Response, ResponseBuilder, Router};

const BROWSER: &[u8] = b"GET /wp-content/uploads/2010/03/hello-kitty-darth-vader-pink.jpg HTTP/1.1\r\nHost: www.kittyhell.com\r\nUser-Agent: Mozilla/5.0 (Macintosh; U; Intel Mac OS X 10.6; ja-JP-mac; rv:1.9.2.3) Gecko/20100401 Firefox/3.6.3 Pathtraq/0.9\r\nAccept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\nAccept-Language: ja,en-us;q=0.7,en;q=0.3\r\nAccept-Encoding: gzip,deflate\r\nAccept-Charset: Shift_JIS,utf-8;q=0.7,*;q=0.7\r\nKeep-Alive: 115\r\nConnection: keep-alive\r\nCookie: wp_ozh_wsa_visits=2; wp_ozh_wsa_visit_lasttime=xxxxxxxxxx\r\n\r\n";

fn hello(_: &Request) -> Response {
    ResponseBuilder::empty_200()
        .body(b"Hello, World!")
        .content_type("text/plain")
        .build()
        .unwrap()
}

/// Ten sections of five routes: two static, two with a parameter, one
/// catch-all (as in `benches/router.rs`).
fn table() -> Router {
    let mut builder = Router::builder();
    for i in 0..10 {
        builder = builder
            .get(&format!("/section{i}"), hello)
            .get(&format!("/section{i}/about"), hello)
            .get(&format!("/section{i}/items/{{id}}"), hello)
            .post(&format!("/section{i}/items/{{id}}/comments"), hello)
            .get(&format!("/section{i}/files/{{*path}}"), hello);
    }
    builder.build().unwrap()
}

/// The kit's `mini_router` table (`bench/peers/mini`): `GET /` and
/// `POST /echo` among 48 static, parameter and catch-all routes.
fn kit_table() -> Router {
    let mut builder = Router::builder().get("/", hello).post("/echo", hello);
    for i in 0..16 {
        builder = builder
            .get(&format!("/section{i}/about"), hello)
            .get(&format!("/section{i}/items/{{id}}"), hello)
            .get(&format!("/section{i}/files/{{*path}}"), hello);
    }
    builder.build().unwrap()
}

fn main() {
    let what = std::env::args().nth(1).unwrap_or_else(|| "pipeline".into());
    let iterations: usize = std::env::args()
        .nth(2)
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000);
    let (bare, route) = match what.strip_prefix("bare-") {
        Some(route) => (true, route),
        None => (false, what.as_str()),
    };
    let target = match route {
        "static" => Some("/section7/about"),
        "one_param" => Some("/section7/items/42"),
        "catch_all" => Some("/section7/files/css/site.css"),
        "miss" => Some("/section7/nothing"),
        "root" => Some("/"),
        _ => None,
    };
    let one: Vec<u8> = match (target, route) {
        (Some(target), _) => {
            format!("GET {target} HTTP/1.1\r\nHost: localhost:8080\r\n\r\n").into()
        }
        (None, "browser") => BROWSER.to_vec(),
        (None, _) => b"GET / HTTP/1.1\r\nHost: localhost:8080\r\n\r\n".to_vec(),
    };
    let router = if route == "root" {
        kit_table()
    } else {
        table()
    };
    let handler: &dyn Fn(&Request) -> Response = if target.is_some() && !bare {
        &|req| router.call(req)
    } else {
        &hello
    };
    // 16 pipelined requests a round, or as many as fit in one read buffer.
    let per_round = (8192 / one.len()).min(16);
    let raw: Vec<u8> = one.repeat(per_round);
    let stamp = Stamp::new(b"Sun, 06 Nov 1994 08:49:37 GMT", Some(60));
    let ctx = Ctx::new(&stamp);
    let mut pool = BufferPool::default();
    let mut conn = Conn::new(Limits::default(), "127.0.0.1:1".parse().unwrap());
    let mut total = 0;
    for _ in 0..iterations {
        let buf = conn.read_buf(&mut pool).unwrap();
        buf[..raw.len()].copy_from_slice(&raw);
        conn.advance_read(raw.len());
        conn.process(&handler, &ctx);
        let n = conn.output().len();
        total += n;
        conn.advance_write(n);
        conn.release(&mut pool);
    }
    println!("{total} bytes out; {} requests", iterations * per_round);
}
