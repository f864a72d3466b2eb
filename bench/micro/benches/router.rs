//! Lookups in a 50-route table: a static route, a one-parameter route, a
//! catch-all and a miss (`404`), and the bare handler for comparison (what
//! routing adds is the difference). The design target is 100 ns or less
//! for the static and one-parameter lookups.
//!
//! Two settings: `router/…` calls `Handler::call` on a fresh copy of an
//! unrouted `Request` (a connection's first request), and `pipeline/…`
//! runs 16 pipelined requests through `Conn::process`, as the server does
//! (one `Request` reused per connection, cleared between requests), with
//! the router and with the bare handler, per request.
//!
//! `cargo bench --manifest-path bench/micro/Cargo.toml --bench router`

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use mini_async_http::proto::{BufferPool, Conn, Ctx, Limits, Stamp};
use mini_async_http::{Handler, Method, Request, Response, ResponseBuilder, Router};

fn ok(_: &Request) -> Response {
    ResponseBuilder::new().body(b"ok").build().unwrap()
}

/// Ten sections of five routes: two static, two with a parameter, one
/// catch-all.
fn table() -> Router {
    let mut builder = Router::builder();
    for i in 0..10 {
        builder = builder
            .get(&format!("/section{i}"), ok)
            .get(&format!("/section{i}/about"), ok)
            .get(&format!("/section{i}/items/{{id}}"), ok)
            .post(&format!("/section{i}/items/{{id}}/comments"), ok)
            .get(&format!("/section{i}/files/{{*path}}"), ok);
    }
    builder.build().unwrap()
}

fn lookups(c: &mut Criterion) {
    let router = table();
    let mut group = c.benchmark_group("router");
    let direct = Request::new(Method::Get, "/section7/about");
    group.bench_function("handler_alone", |b| {
        b.iter(|| black_box(ok(black_box(&direct))))
    });
    for (name, target, status) in [
        ("static", "/section7/about", 200),
        ("one_param", "/section7/items/42", 200),
        ("catch_all", "/section7/files/css/site.css", 200),
        ("miss", "/section7/nothing", 404),
    ] {
        let req = Request::new(Method::Get, target);
        // On a copy: a routed request keeps what it matched (set once), and
        // routing it again would add a level below, as under a mount.
        assert_eq!(router.call(&req.clone()).status(), status, "{target}");
        // Each call gets a fresh copy of the unrouted request, made and
        // dropped outside the measurement.
        group.bench_function(name, |b| {
            b.iter_batched_ref(
                || req.clone(),
                |req| black_box(router.call(black_box(req))),
                BatchSize::SmallInput,
            );
        });
    }
    group.finish();
}

/// 16 pipelined requests through a connection, per request.
fn pipeline(c: &mut Criterion) {
    let router = table();
    let routed = |req: &Request| router.call(req);
    let mut group = c.benchmark_group("pipeline");
    group.throughput(Throughput::Elements(16));
    let stamp = Stamp::new(b"Sun, 06 Nov 1994 08:49:37 GMT", Some(60));
    let ctx = Ctx::new(&stamp);
    for (name, target) in [
        ("static", "/section7/about"),
        ("one_param", "/section7/items/42"),
        ("catch_all", "/section7/files/css/site.css"),
    ] {
        let raw = format!("GET {target} HTTP/1.1\r\nHost: localhost\r\n\r\n").repeat(16);
        for (how, handler) in [
            ("bare", &ok as &dyn Fn(&Request) -> Response),
            ("routed", &routed),
        ] {
            let mut pool = BufferPool::default();
            let mut conn = Conn::new(Limits::default(), "127.0.0.1:1".parse().unwrap());
            group.bench_function(format!("{name}_{how}"), |b| {
                b.iter(|| {
                    let buf = conn.read_buf(&mut pool).unwrap();
                    buf[..raw.len()].copy_from_slice(raw.as_bytes());
                    conn.advance_read(raw.len());
                    conn.process(&handler, &ctx);
                    let n = conn.output().len();
                    conn.advance_write(n);
                    conn.release(&mut pool);
                    black_box(n)
                });
            });
        }
    }
    group.finish();
}

criterion_group!(benches, lookups, pipeline);
criterion_main!(benches);
