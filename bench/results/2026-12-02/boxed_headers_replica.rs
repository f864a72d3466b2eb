//! A replica of how `ResponseBuilder` and `Response` keep their header
//! storage (thread-local spare `Cell<Option<Headers>>`, the builder moved
//! by value), against the same with the storage behind a recycled `Box`.
//! An experiment record for user_time.md, not part of any build: put it in
//! a crate of its own (`[profile.release] lto = "fat"`, `codegen-units =
//! 1`) and run it pinned, `taskset -c 0 target/release/rep`. Measured
//! 2026-12-02: replica 51-53 ns, boxed 23-25 ns per response.
use std::cell::Cell;
use std::hint::black_box;
use std::time::Instant;

#[derive(Default)]
struct H { buf: String, fields: Vec<(usize, usize, usize, usize)>, a: bool, b: bool }
impl H {
    #[inline(never)]
    fn ct(&mut self, v: &str) {
        if self.fields.is_empty() { self.fields.reserve(4); }
        self.buf.reserve(16 + v.len());
        let s = self.buf.len();
        self.buf.push_str("Content-Type: "); self.buf.push_str(v); let e = self.buf.len(); self.buf.push_str("\r\n");
        self.fields.push((s, s + 12, s + 14, e));
    }
    fn clear(&mut self) { self.buf.clear(); self.fields.clear(); self.a = false; self.b = false; }
}
enum Body { Static(&'static [u8]), Owned(Vec<u8>) }
struct R { status: u16, reason: Option<Box<str>>, h: H, body: Body }
impl Drop for R {
    fn drop(&mut self) {
        let mut h = std::mem::take(&mut self.h);
        h.clear();
        SPARE.with(|s| s.set(Some(h)));
    }
}
thread_local! { static SPARE: Cell<Option<H>> = const { Cell::new(None) }; }
struct B { status: u16, reason: Option<Box<str>>, h: H, body: Body, suspect: bool }
impl B {
    #[inline] fn new() -> B { B { status: 200, reason: None, h: SPARE.with(Cell::take).unwrap_or_default(), body: Body::Static(b""), suspect: false } }
    #[inline] fn body(mut self, b: &'static [u8]) -> B { self.body = Body::Static(b); self }
    #[inline] fn ct(mut self, v: &str) -> B { self.suspect |= v.bytes().any(|c| c < 32); self.h.ct(v); self }
    #[inline] fn build(self) -> Result<R, ()> { if self.suspect { return Err(()); } let B { status, reason, h, body, .. } = self; Ok(R { status, reason, h, body }) }
}

// Variant 2: boxed storage
struct H2(Box<H>);
struct R2 { status: u16, reason: Option<Box<str>>, h: Option<H2>, body: Body }
impl Drop for R2 {
    fn drop(&mut self) {
        if let Some(mut h) = self.h.take() { h.0.clear(); SPARE2.with(|s| s.set(Some(h.0))); }
    }
}
thread_local! { static SPARE2: Cell<Option<Box<H>>> = const { Cell::new(None) }; }
struct B2 { status: u16, reason: Option<Box<str>>, h: Option<H2>, body: Body, suspect: bool }
impl B2 {
    #[inline] fn new() -> B2 { B2 { status: 200, reason: None, h: None, body: Body::Static(b""), suspect: false } }
    #[inline] fn body(mut self, b: &'static [u8]) -> B2 { self.body = Body::Static(b); self }
    #[inline] fn ct(mut self, v: &str) -> B2 {
        self.suspect |= v.bytes().any(|c| c < 32);
        let h = self.h.get_or_insert_with(|| H2(SPARE2.with(Cell::take).unwrap_or_default()));
        h.0.ct(v); self }
    #[inline] fn build(self) -> Result<R2, ()> { if self.suspect { return Err(()); } let B2 { status, reason, h, body, .. } = self; Ok(R2 { status, reason, h, body }) }
}

#[inline(never)] fn full() -> R { B::new().body(b"Hello, World!").ct("text/plain").build().unwrap() }
#[inline(never)] fn full2() -> R2 { B2::new().body(b"Hello, World!").ct("text/plain").build().unwrap() }
fn main() {
    let n = 10_000_000u64;
    for _ in 0..3 {
        let t = Instant::now(); for _ in 0..n { let r = black_box(full()); drop(r); } let a = t.elapsed().as_nanos() as f64 / n as f64;
        let t = Instant::now(); for _ in 0..n { let r = black_box(full2()); drop(r); } let b = t.elapsed().as_nanos() as f64 / n as f64;
        println!("replica {a:.2} ns, boxed {b:.2} ns");
    }
}
