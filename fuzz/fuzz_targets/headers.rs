//! The static-file handler's header and path parsers on arbitrary text.
//!
//! Input layout: byte 0 picks the parser (mod 5), bytes 1..9 are a file
//! length (little-endian u64, reduced to 0..=4096 for multipart bodies), the
//! rest is the header value (lossy UTF-8).
//!
//! Checks: nothing panics; satisfiable ranges are sorted, disjoint, not
//! adjacent, inside the length and at most `MAX_PARTS`; a multipart body of
//! them produces exactly the announced length and parses back into those
//! ranges' bytes; the entity-tag list never yields more tags than bytes.
#![no_main]

use std::io::Read;

use libfuzzer_sys::fuzz_target;
use mini_async_http::Headers;
use mini_async_http::files_internals::{
    MAX_PARTS, Multipart, Ranges, Tags, Validators, accepted_codings, content_type, evaluate,
    if_range_matches, parse_path, parse_range,
};

fuzz_target!(|input: &[u8]| {
    let Some((&which, rest)) = input.split_first() else {
        return;
    };
    if rest.len() < 8 {
        return;
    }
    let (len, text) = rest.split_at(8);
    let len = u64::from_le_bytes(len.try_into().unwrap_or([0; 8]));
    let text = String::from_utf8_lossy(text);
    match which % 5 {
        0 => ranges(&text, len),
        1 => ranges(&text, len % 4097),
        2 => {
            let v = Validators {
                etag: "\"abc\"".into(),
                modified: Some(len % 253_402_300_800),
            };
            for name in [
                "If-Match",
                "If-None-Match",
                "If-Modified-Since",
                "If-Unmodified-Since",
            ] {
                let headers: Headers = [(name, &*text)].into_iter().collect();
                let _ = evaluate(&headers, &v);
            }
            let _ = if_range_matches(&text, &v);
            assert!(Tags(&text).count() <= text.len());
        }
        3 => {
            let headers: Headers = [("Accept-Encoding", &*text)].into_iter().collect();
            assert!(accepted_codings(&headers).len() <= 2);
            let _ = content_type(&text);
        }
        _ => {
            for hidden in [false, true] {
                if let Ok(path) = parse_path(&text, hidden) {
                    for segment in &path.segments {
                        assert!(!segment.is_empty() && segment != "." && segment != "..");
                        assert!(!segment.contains(['/', '\\', ':', '\0']));
                        assert!(hidden || !segment.starts_with('.'));
                    }
                }
            }
        }
    }
});

fn ranges(value: &str, len: u64) {
    let Ranges::Satisfiable(ranges) = parse_range(value, len) else {
        return;
    };
    assert!(!ranges.is_empty() && ranges.len() <= MAX_PARTS);
    for pair in ranges.windows(2) {
        assert!(pair[0].end < pair[1].start);
    }
    for r in &ranges {
        assert!(r.start < r.end && r.end <= len);
    }
    if len > 4096 {
        return;
    }
    let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
    let mut body = Multipart::new(data.clone(), &ranges, len, "x/y", "B0UNDARY");
    let announced = body.body_len();
    let mut out = Vec::new();
    body.read_to_end(&mut out).unwrap();
    assert_eq!(out.len() as u64, announced);
    let mut rest = &out[..];
    for (i, r) in ranges.iter().enumerate() {
        let head = format!(
            "{}--B0UNDARY\r\nContent-Type: x/y\r\nContent-Range: bytes {}-{}/{len}\r\n\r\n",
            if i == 0 { "" } else { "\r\n" },
            r.start,
            r.end - 1
        );
        assert!(rest.starts_with(head.as_bytes()));
        rest = &rest[head.len()..];
        let n = (r.end - r.start) as usize;
        assert_eq!(&rest[..n], &data[r.start as usize..r.end as usize]);
        rest = &rest[n..];
    }
    assert_eq!(rest, b"\r\n--B0UNDARY--\r\n");
}
