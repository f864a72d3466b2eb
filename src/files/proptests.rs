//! Property tests of the header parsers: nothing a client sends makes them
//! panic; coalesced ranges stay within the file, disjoint, at most
//! `MAX_PARTS`, and cover every byte asked for; a multipart body is as long
//! as announced and parses back into the asked-for parts. Bounded (`CASES`
//! each); `fuzz/fuzz_targets/headers.rs` checks the same without bounds.

use std::io::Read;
use std::ops::Range;

use proptest::prelude::*;

use super::encoding::accepted_codings;
use super::path::parse_path;
use super::range::{MAX_PARTS, Multipart, Ranges, parse_range};
use super::validators::{Tags, Validators, evaluate, if_range_matches};
use crate::http::Headers;

const CASES: u32 = 512;

/// One range-spec, valid or nearly so.
fn spec() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u64..120, 0u64..120).prop_map(|(a, b)| format!("{a}-{b}")),
        (0u64..120).prop_map(|a| format!("{a}-")),
        (0u64..120).prop_map(|n| format!("-{n}")),
        Just(String::new()),
        "[0-9 ,=-]{0,6}",
        Just("99999999999999999999999-".to_owned()),
    ]
}

fn range_header() -> impl Strategy<Value = String> {
    (
        prop::sample::select(&["bytes=", "BYTES=", "bytes =", "items=", ""][..]),
        prop::collection::vec(spec(), 0..40),
        prop::sample::select(&[",", ", ", " ,\t"][..]),
    )
        .prop_map(|(unit, specs, sep)| format!("{unit}{}", specs.join(sep)))
}

/// The bytes a well-formed spec asks for in a file of `len` bytes.
fn wanted(spec: &str, len: u64) -> Option<Range<u64>> {
    let (a, b) = spec.trim().split_once('-')?;
    let parse = |s: &str| s.parse::<u64>().ok();
    let r = match (a.is_empty(), b.is_empty()) {
        (true, false) => len.saturating_sub(parse(b)?)..len,
        (false, true) => parse(a)?..len,
        (false, false) => parse(a)?..parse(b)?.saturating_add(1).min(len),
        (true, true) => return None,
    };
    (r.start < r.end).then_some(r)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn range_parser_never_panics(value in "\\PC{0,40}", len in any::<u64>()) {
        let _ = parse_range(&value, len);
        let _ = parse_range(&format!("bytes={value}"), len);
    }

    #[test]
    fn coalesced_ranges_within_bounds(header in range_header(), len in 0u64..100) {
        match parse_range(&header, len) {
            Ranges::Satisfiable(ranges) => {
                prop_assert!(!ranges.is_empty() && ranges.len() <= MAX_PARTS);
                let mut total = 0;
                for pair in ranges.windows(2) {
                    // Sorted, and a gap between any two (else coalesced).
                    prop_assert!(pair[0].end < pair[1].start, "{:?}", ranges);
                }
                for r in &ranges {
                    prop_assert!(r.start < r.end && r.end <= len, "{:?}", ranges);
                    total += r.end - r.start;
                }
                prop_assert!(total <= len);
                // Every byte of every satisfiable spec is sent.
                let set = header.split_once('=').map_or("", |(_, set)| set);
                for spec in set.split(',') {
                    if let Some(want) = wanted(spec, len) {
                        for byte in want {
                            prop_assert!(ranges.iter().any(|r| r.contains(&byte)), "{byte} of {spec}");
                        }
                    }
                }
            }
            Ranges::Unsatisfiable => prop_assert!(len > 0),
            Ranges::Ignore => {}
        }
    }

    #[test]
    fn multipart_length_and_parts_parse_back(
        data in prop::collection::vec(any::<u8>(), 1..300),
        header in range_header(),
        boundary in "[0-9a-f]{1,32}",
    ) {
        let len = data.len() as u64;
        let Ranges::Satisfiable(ranges) = parse_range(&header, len) else { return Ok(()) };
        let mut body = Multipart::new(data.clone(), &ranges, len, "x/y", &boundary);
        let announced = body.body_len();
        let mut out = Vec::new();
        body.read_to_end(&mut out).unwrap();
        prop_assert_eq!(out.len() as u64, announced);
        // Read it back as a client would: part by part, by the lengths its
        // Content-Range says.
        let mut rest = &out[..];
        for (i, r) in ranges.iter().enumerate() {
            let head = format!(
                "{}--{boundary}\r\nContent-Type: x/y\r\nContent-Range: bytes {}-{}/{len}\r\n\r\n",
                if i == 0 { "" } else { "\r\n" },
                r.start,
                r.end - 1
            );
            prop_assert!(rest.starts_with(head.as_bytes()));
            rest = &rest[head.len()..];
            let n = (r.end - r.start) as usize;
            prop_assert_eq!(&rest[..n], &data[r.start as usize..r.end as usize]);
            rest = &rest[n..];
        }
        let close = format!("\r\n--{boundary}--\r\n");
        prop_assert_eq!(rest, close.as_bytes());
    }

    #[test]
    fn conditional_parsers_never_panic(
        name in prop::sample::select(&[
            "If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since", "Accept-Encoding",
        ][..]),
        value in prop_oneof!["\\PC{0,40}", "(W/)?\"[!-~]{0,5}\"?( ?,? ?(W/)?\"[ -~]{0,4}\"?){0,4}"],
    ) {
        let headers: Headers = [(name, value.as_str())].into_iter().collect();
        let v = Validators { etag: "\"a\"".into(), modified: Some(1) };
        let _ = evaluate(&headers, &v);
        let _ = if_range_matches(&value, &v);
        prop_assert!(Tags(&value).count() <= value.len());
        let _ = accepted_codings(&headers);
        let _ = parse_path(&value, false);
        let _ = parse_path(&format!("/{value}"), true);
    }
}
