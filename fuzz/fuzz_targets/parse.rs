//! Raw bytes, in one piece, to a fresh connection; then end of input.
//! See the harness (`src/lib.rs`) for the invariants checked.
#![no_main]

use fuzz_harness::{Writes, check, drive};
use libfuzzer_sys::fuzz_target;
use mini_async_http::proto::Limits;

fuzz_target!(|data: &[u8]| {
    let run = drive(Limits::default(), &[data], Writes::ALL);
    let _ = check(&run);
});
