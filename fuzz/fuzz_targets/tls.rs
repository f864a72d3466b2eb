//! Random bytes into the server's TLS transport must never panic, and a
//! real session through it must carry the bytes unchanged (see
//! `fuzz_harness::tls` for the invariants).
//!
//! Input layout: byte 0 = `w rr bbb mm` (high bit to low):
//! `mm` (bits 0-1) = mode (0, 1: raw bytes; 2: a session; 3: a session with
//! one byte of the client's records flipped, where the first data byte says),
//! `bbb` (bits 2-4) = the server's read buffer size, `rr` (bits 5-6) = the
//! socket's largest read, bit 7 = a small write room per step; then the data.
#![no_main]

use fuzz_harness::tls::{Sizes, raw, session};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let Some((&control, data)) = input.split_first() else {
        return;
    };
    let sizes = Sizes {
        buf: [1, 3, 16, 100, 1000, 8192, 16384, 65536][usize::from((control >> 2) & 0b111)],
        max_read: [1, 5, 4096, usize::MAX][usize::from((control >> 5) & 0b11)],
        room: if control & 0x80 == 0 { 8192 } else { 7 },
    };
    match control & 0b11 {
        0 | 1 => raw(data, sizes),
        2 => session(data, sizes, None),
        _ => {
            let at = data.first().map_or(0, |&b| usize::from(b) * 7);
            session(data, sizes, Some(at));
        }
    }
});
