//! Micro-benchmarks of the sans-IO protocol code, with `Throughput::Bytes`.
//!
//! `cargo bench --manifest-path bench/micro/Cargo.toml`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mini_async_http::proto::{
    BodyDecoder, BodyLength, BufferPool, Conn, Ctx, Framing, Limits, Stamp, encode, parse_head,
};
use mini_async_http::{Request, Response, ResponseBuilder};

const SHORT: &[u8] = b"GET / HTTP/1.1\r\nHost: localhost:8080\r\n\r\n";

const BROWSER: &[u8] = b"GET /wp-content/uploads/2010/03/hello-kitty-darth-vader-pink.jpg HTTP/1.1\r\n\
Host: www.kittyhell.com\r\n\
User-Agent: Mozilla/5.0 (Macintosh; U; Intel Mac OS X 10.6; ja-JP-mac; rv:1.9.2.3) Gecko/20100401 Firefox/3.6.3 Pathtraq/0.9\r\n\
Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n\
Accept-Language: ja,en-us;q=0.7,en;q=0.3\r\n\
Accept-Encoding: gzip,deflate\r\n\
Accept-Charset: Shift_JIS,utf-8;q=0.7,*;q=0.7\r\n\
Keep-Alive: 115\r\n\
Connection: keep-alive\r\n\
Cookie: wp_ozh_wsa_visits=2; wp_ozh_wsa_visit_lasttime=xxxxxxxxxx; __utma=xxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.x; __utmz=xxxxxxxxx.xxxxxxxxxx.x.x.utmccn=(referral)|utmcsr=reader.livedoor.com|utmcct=/reader/|utmcmd=referral\r\n\r\n";

const DATE: &[u8] = b"Sun, 06 Nov 1994 08:49:37 GMT";

fn parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse_head");
    let limits = Limits::default();
    for (name, raw) in [("short", SHORT), ("browser", BROWSER)] {
        group.throughput(Throughput::Bytes(raw.len() as u64));
        let mut req = Request::default();
        group.bench_function(name, |b| {
            b.iter(|| {
                req = Request::default();
                black_box(parse_head(black_box(raw), &limits, &mut req).unwrap())
            });
        });
    }
    group.finish();
}

fn chunked_1k() -> Vec<u8> {
    let mut raw = Vec::new();
    for _ in 0..8 {
        raw.extend_from_slice(b"80\r\n");
        raw.extend(std::iter::repeat_n(b'x', 128));
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"0\r\n\r\n");
    raw
}

fn decode(c: &mut Criterion) {
    let raw = chunked_1k();
    let mut group = c.benchmark_group("decode");
    group.throughput(Throughput::Bytes(raw.len() as u64));
    let mut body = Vec::with_capacity(2048);
    group.bench_function("chunked_1k", |b| {
        b.iter(|| {
            body.clear();
            let mut dec = BodyDecoder::new(BodyLength::Chunked).unwrap();
            black_box(dec.decode(black_box(&raw), &mut body, 1 << 20).unwrap())
        });
    });
    group.finish();
}

fn encode_bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("encode");
    let stamp = Stamp::new(DATE, Some(60));
    let framing = Framing {
        head_request: false,
        close: false,
        http10_keep_alive: false,
        stamp: &stamp,
    };
    for (name, size) in [("small", 13), ("64k", 64 * 1024)] {
        let resp: Response = ResponseBuilder::empty_200()
            .content_type("text/plain")
            .body(vec![b'x'; size])
            .build()
            .unwrap();
        let mut out = Vec::with_capacity(size + 256);
        out.clear();
        encode(&resp, &framing, &mut out);
        group.throughput(Throughput::Bytes(out.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| {
                out.clear();
                encode(black_box(&resp), &framing, &mut out);
                black_box(out.len())
            });
        });
    }
    group.finish();
}

/// What a handler's response costs before the encoder sees it: built as
/// bench/peers/mini's `hello` builds it, and dropped. It was two fifths of
/// pipe16's user time per request in the server (session 7, 2026-12-02),
/// far more than its instruction count said: moving the builder by value
/// reloaded fields just stored field by field, which the core cannot
/// forward (bench/results/2026-12-02/user_time.md; `HeaderStore` in
/// src/http/response.rs).
fn response(c: &mut Criterion) {
    let mut group = c.benchmark_group("response");
    group.bench_function("empty_build_drop", |b| {
        b.iter(|| black_box(ResponseBuilder::empty_200().build().unwrap()));
    });
    group.bench_function("hello_build_drop", |b| {
        b.iter(|| {
            black_box(
                ResponseBuilder::empty_200()
                    .body(b"Hello, World!")
                    .content_type("text/plain")
                    .build()
                    .unwrap(),
            )
        });
    });
    group.finish();
}

fn pipeline(c: &mut Criterion) {
    let mut raw = Vec::new();
    for _ in 0..16 {
        raw.extend_from_slice(SHORT);
    }
    let handler = |_: &Request| {
        ResponseBuilder::empty_200()
            .body(b"Hello, World!")
            .content_type("text/plain")
            .build()
            .unwrap()
    };
    let stamp = Stamp::new(DATE, Some(60));
    let ctx = Ctx::new(&stamp);
    let mut pool = BufferPool::default();
    let mut conn = Conn::new(Limits::default(), "127.0.0.1:1".parse().unwrap());
    let mut group = c.benchmark_group("conn");
    group.throughput(Throughput::Bytes(raw.len() as u64));
    group.bench_function("pipeline16", |b| {
        b.iter(|| {
            let buf = conn.read_buf(&mut pool).unwrap();
            buf[..raw.len()].copy_from_slice(&raw);
            conn.advance_read(raw.len());
            conn.process(&handler, &ctx);
            let n = conn.output().len();
            conn.advance_write(n);
            conn.release(&mut pool);
            black_box(n)
        });
    });
    group.finish();
}

criterion_group!(benches, parse, decode, encode_bench, response, pipeline);
criterion_main!(benches);
