//! Lookups in a 50-route table through `Handler::call` on a prepared
//! `Request`: a static route, a one-parameter route, a catch-all and a miss
//! (`404`), and the bare handler for comparison (what routing adds is the
//! difference). The design target is 100 ns or less for the static and
//! one-parameter lookups.
//!
//! `cargo bench --manifest-path bench/micro/Cargo.toml --bench router`

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
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

criterion_group!(benches, lookups);
criterion_main!(benches);
