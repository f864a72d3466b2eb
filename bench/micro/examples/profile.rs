//! A fixed workload for `valgrind --tool=callgrind`: instruction counts of the
//! sans-IO path do not depend on what else the machine is doing.
//!
//! `cargo build --release --example profile --manifest-path bench/micro/Cargo.toml`
//! `valgrind --tool=callgrind bench/micro/target/release/examples/profile [pipeline|browser] [iterations]`

use mini_async_http::proto::{BufferPool, Conn, Ctx, Limits, Stamp};
use mini_async_http::{Request, ResponseBuilder};

fn main() {
    let what = std::env::args().nth(1).unwrap_or_else(|| "pipeline".into());
    let iterations: usize = std::env::args().nth(2).and_then(|n| n.parse().ok()).unwrap_or(10_000);
    let one: &[u8] = match what.as_str() {
        "browser" => b"GET /wp-content/uploads/2010/03/hello-kitty-darth-vader-pink.jpg HTTP/1.1\r\nHost: www.kittyhell.com\r\nUser-Agent: Mozilla/5.0 (Macintosh; U; Intel Mac OS X 10.6; ja-JP-mac; rv:1.9.2.3) Gecko/20100401 Firefox/3.6.3 Pathtraq/0.9\r\nAccept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\nAccept-Language: ja,en-us;q=0.7,en;q=0.3\r\nAccept-Encoding: gzip,deflate\r\nAccept-Charset: Shift_JIS,utf-8;q=0.7,*;q=0.7\r\nKeep-Alive: 115\r\nConnection: keep-alive\r\nCookie: wp_ozh_wsa_visits=2; wp_ozh_wsa_visit_lasttime=xxxxxxxxxx\r\n\r\n",
        _ => b"GET / HTTP/1.1\r\nHost: localhost:8080\r\n\r\n",
    };
    // 16 pipelined requests a round, or as many as fit in one read buffer.
    let per_round = (8192 / one.len()).min(16);
    let raw: Vec<u8> = one.repeat(per_round);
    let handler = |_: &Request| {
        ResponseBuilder::empty_200().body(b"Hello, World!").content_type("text/plain").build().unwrap()
    };
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
