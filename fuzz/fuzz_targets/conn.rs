//! The same bytes fed in one piece and in pieces (output taken in pieces too)
//! must give the same requests to the handler and the same responses.
//!
//! Input layout: byte 0 = `fff l s s s` bits: `sss` + 1 split points
//! (1..=8), `l` picks small limits (to reach 413/431), `fff` picks the write
//! chunk size; then one byte per split point (a fraction of the data length,
//! /256); then the HTTP bytes.
#![no_main]

use fuzz_harness::{Writes, check, drive, final_responses, small_limits};
use libfuzzer_sys::fuzz_target;
use mini_async_http::proto::Limits;

fuzz_target!(|input: &[u8]| {
    let Some((&control, rest)) = input.split_first() else {
        return;
    };
    let splits = usize::from(control & 0b111) + 1;
    if rest.len() < splits {
        return;
    }
    let (fractions, data) = rest.split_at(splits);
    let limits = if control & 0b1000 == 0 {
        Limits::default()
    } else {
        small_limits()
    };
    let writes = Writes {
        chunk: [1, 2, 3, 7, 16, 61, 512, usize::MAX][usize::from(control >> 5)],
        per_step: 2,
    };

    let mut points: Vec<usize> = fractions
        .iter()
        .map(|&f| data.len() * usize::from(f) / 256)
        .collect();
    points.sort_unstable();
    let mut pieces = Vec::with_capacity(splits + 1);
    let mut from = 0;
    for at in points {
        pieces.push(&data[from..at]);
        from = at;
    }
    pieces.push(&data[from..]);

    let whole = drive(limits, &[data], Writes::ALL);
    let split = drive(limits, &pieces, writes);
    let whole_responses = check(&whole);
    let split_responses = check(&split);
    assert_eq!(whole.seen, split.seen, "handler saw different requests");
    let (a, b) = (
        final_responses(&whole_responses),
        final_responses(&split_responses),
    );
    assert!(
        a == b,
        "different responses:\n{}\n--- split:\n{}",
        String::from_utf8_lossy(&a),
        String::from_utf8_lossy(&b)
    );
    assert_eq!(whole.requests, split.requests);
    assert_eq!(whole.close_reason, split.close_reason);
});
