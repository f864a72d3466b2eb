//! `Range: bytes=…` (RFC 9110 §14.1–§14.4) and `multipart/byteranges`
//! bodies (§14.6), after nginx's `ngx_http_range_filter_module.c`.
//!
//! Overlapping and adjacent ranges are coalesced, and more than
//! [`MAX_PARTS`] parts after that mean the whole file: the ranges of a
//! response are then disjoint, so its body is never larger than the file
//! plus the parts' headers, whatever the `Range` header says (CVE-2011-3192,
//! "Apache Killer", asked for one file a thousand times over).

use std::fs::File;
use std::hash::{BuildHasher, RandomState};
use std::io::{self, Read};
use std::ops::Range;
use std::os::unix::fs::FileExt;

use super::validators::push_dec;

/// The most parts a `multipart/byteranges` response has; more (after
/// coalescing) are answered with the whole file.
pub const MAX_PARTS: usize = 16;

/// What a `Range` header asks of a representation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ranges {
    /// Not a valid `bytes` range set, another unit, more than
    /// [`MAX_PARTS`] parts, or an empty file: send the whole (200).
    Ignore,
    /// No range starts inside the representation (416).
    Unsatisfiable,
    /// Disjoint, non-adjacent, non-empty ranges in ascending order, within
    /// the length, at most [`MAX_PARTS`] of them (206).
    Satisfiable(Vec<Range<u64>>),
}

/// Parses a `Range` value for a representation of `len` bytes.
///
/// ```
/// # #[cfg(feature = "internals")] {
/// use mini_async_http::files_internals::{parse_range, Ranges};
/// assert_eq!(parse_range("bytes=0-9", 100), Ranges::Satisfiable(vec![0..10]));
/// assert_eq!(parse_range("bytes=-10", 100), Ranges::Satisfiable(vec![90..100]));
/// assert_eq!(parse_range("bytes=90-,0-4,3-6", 100), Ranges::Satisfiable(vec![0..7, 90..100]));
/// assert_eq!(parse_range("bytes=100-", 100), Ranges::Unsatisfiable);
/// assert_eq!(parse_range("items=0-1", 100), Ranges::Ignore);
/// # }
/// ```
#[must_use]
pub fn parse_range(value: &str, len: u64) -> Ranges {
    let Some((unit, set)) = value.split_once('=') else {
        return Ranges::Ignore;
    };
    if !unit.eq_ignore_ascii_case("bytes") || len == 0 {
        return Ranges::Ignore;
    }
    let mut ranges = Vec::new();
    let mut specs = 0;
    for spec in set.split(',') {
        let spec = spec.trim_matches([' ', '\t']);
        if spec.is_empty() {
            continue; // empty list elements are allowed (RFC 9110 §5.6.1)
        }
        specs += 1;
        let Some((first, last)) = spec.split_once('-') else {
            return Ranges::Ignore;
        };
        let range = if first.is_empty() {
            // suffix-range: the last `n` bytes.
            match digits(last) {
                None => return Ranges::Ignore,
                Some(0) => None,
                Some(n) => Some(len.saturating_sub(n)..len),
            }
        } else {
            let Some(first) = digits(first) else {
                return Ranges::Ignore;
            };
            let end = if last.is_empty() {
                len
            } else {
                match digits(last) {
                    None => return Ranges::Ignore,
                    Some(last) if last < first => return Ranges::Ignore, // invalid, not unsatisfiable
                    Some(last) => last.saturating_add(1).min(len),
                }
            };
            (first < len).then_some(first..end)
        };
        ranges.extend(range);
    }
    if specs == 0 {
        return Ranges::Ignore;
    }
    if ranges.is_empty() {
        return Ranges::Unsatisfiable;
    }
    let ranges = coalesce(ranges);
    if ranges.len() > MAX_PARTS {
        return Ranges::Ignore;
    }
    Ranges::Satisfiable(ranges)
}

/// `1*DIGIT`, saturating at `u64::MAX` (past the end of any file).
fn digits(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(text.parse().unwrap_or(u64::MAX))
}

/// Sorts and merges ranges that overlap or touch.
fn coalesce(mut ranges: Vec<Range<u64>>) -> Vec<Range<u64>> {
    ranges.sort_unstable_by_key(|r| r.start);
    let mut merged: Vec<Range<u64>> = Vec::with_capacity(ranges.len().min(MAX_PARTS + 1));
    for range in ranges {
        match merged.last_mut() {
            Some(last) if range.start <= last.end => last.end = last.end.max(range.end),
            _ => merged.push(range),
        }
    }
    merged
}

/// `Content-Range` of a part: `bytes first-last/len`.
pub(crate) fn content_range(range: &Range<u64>, len: u64) -> String {
    let mut value = String::with_capacity(48);
    value.push_str("bytes ");
    push_dec(&mut value, range.start);
    value.push('-');
    push_dec(&mut value, range.end - 1);
    value.push('/');
    push_dec(&mut value, len);
    value
}

/// A boundary for one response: 128 bits from std's randomly keyed hasher
/// (keys drawn from the OS once per thread, then stepped for each
/// `RandomState`), so it cannot be guessed from the file or the request; a
/// file cannot be crafted to contain it.
pub(crate) fn boundary() -> String {
    let state = RandomState::new();
    format!("{:016x}{:016x}", state.hash_one(1u8), state.hash_one(2u8))
}

/// Positioned reads of what a multipart body is cut from.
pub trait ReadAt {
    /// Reads into `buf` from `offset`; 0 at the end.
    ///
    /// # Errors
    /// The source's read error.
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize>;
}

impl ReadAt for File {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        FileExt::read_at(self, buf, offset)
    }
}

impl ReadAt for Vec<u8> {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.len());
        let n = buf.len().min(self.len() - start);
        buf[..n].copy_from_slice(&self[start..start + n]);
        Ok(n)
    }
}

/// One piece of a multipart body.
#[derive(Clone, Debug)]
enum Piece {
    /// A delimiter and part header (or the closing delimiter).
    Text(Vec<u8>),
    /// Bytes of the source.
    Source(Range<u64>),
}

/// A `multipart/byteranges` body (RFC 9110 §14.6), read from the source as
/// the server sends it: each part is a delimiter, `Content-Type`,
/// `Content-Range`, an empty line and the range's bytes; the last is
/// followed by the closing delimiter. Its length is known in advance
/// ([`body_len`](Self::body_len)); a source that ends early (a file truncated while
/// being sent) is an `UnexpectedEof` error, after which the server closes
/// the connection.
///
/// ```
/// # #[cfg(feature = "internals")] {
/// use std::io::Read;
/// use mini_async_http::files_internals::Multipart;
/// let mut body = Multipart::new(b"0123456789".to_vec(), &[0..2, 5..6], 10, "text/plain", "B");
/// let len = body.body_len();
/// let mut out = String::new();
/// body.read_to_string(&mut out).unwrap();
/// assert_eq!(out.len() as u64, len);
/// assert!(out.starts_with("--B\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-1/10\r\n\r\n01\r\n--B\r\n"));
/// assert!(out.ends_with("\r\n\r\n5\r\n--B--\r\n"));
/// # }
/// ```
#[derive(Debug)]
pub struct Multipart<S> {
    source: S,
    pieces: Vec<Piece>,
    /// The piece being read and how far into it.
    at: usize,
    done: u64,
    len: u64,
}

impl<S: ReadAt> Multipart<S> {
    /// The body of `ranges` of `source` (of `total` bytes, of type
    /// `content_type`), with `boundary`.
    pub fn new(
        source: S,
        ranges: &[Range<u64>],
        total: u64,
        content_type: &str,
        boundary: &str,
    ) -> Multipart<S> {
        let mut pieces = Vec::with_capacity(ranges.len() * 2 + 1);
        for (i, range) in ranges.iter().enumerate() {
            let head = format!(
                "{}--{boundary}\r\nContent-Type: {content_type}\r\nContent-Range: {}\r\n\r\n",
                if i == 0 { "" } else { "\r\n" },
                content_range(range, total),
            );
            pieces.push(Piece::Text(head.into_bytes()));
            pieces.push(Piece::Source(range.clone()));
        }
        pieces.push(Piece::Text(format!("\r\n--{boundary}--\r\n").into_bytes()));
        let len = pieces
            .iter()
            .map(|p| match p {
                Piece::Text(text) => text.len() as u64,
                Piece::Source(range) => range.end - range.start,
            })
            .sum();
        Multipart {
            source,
            pieces,
            at: 0,
            done: 0,
            len,
        }
    }

    /// The body's length in bytes.
    #[must_use]
    pub fn body_len(&self) -> u64 {
        self.len
    }
}

impl<S: ReadAt> Read for Multipart<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while let Some(piece) = self.pieces.get(self.at) {
            let n = match piece {
                Piece::Text(text) => {
                    let rest = &text[self.done as usize..];
                    let n = rest.len().min(buf.len());
                    buf[..n].copy_from_slice(&rest[..n]);
                    n
                }
                Piece::Source(range) => {
                    let left = range.end - range.start - self.done;
                    let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                    if want == 0 {
                        0
                    } else {
                        let n = self
                            .source
                            .read_at(&mut buf[..want], range.start + self.done)?;
                        if n == 0 {
                            return Err(io::Error::new(
                                io::ErrorKind::UnexpectedEof,
                                "file shorter than when its ranges were announced",
                            ));
                        }
                        n
                    }
                }
            };
            let piece_len = match piece {
                Piece::Text(text) => text.len() as u64,
                Piece::Source(range) => range.end - range.start,
            };
            self.done += n as u64;
            if self.done == piece_len {
                self.at += 1;
                self.done = 0;
            }
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
        }
        Ok(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sat(ranges: &[Range<u64>]) -> Ranges {
        Ranges::Satisfiable(ranges.to_vec())
    }

    fn one(range: Range<u64>) -> Ranges {
        Ranges::Satisfiable(vec![range])
    }

    #[test]
    fn single_ranges() {
        assert_eq!(parse_range("bytes=0-0", 10), one(0..1));
        assert_eq!(parse_range("bytes=2-", 10), one(2..10));
        assert_eq!(parse_range("bytes=-3", 10), one(7..10));
        assert_eq!(parse_range("bytes=-30", 10), one(0..10));
        assert_eq!(parse_range("bytes=5-500", 10), one(5..10));
        assert_eq!(parse_range("BYTES= 1-2 ", 10), one(1..3));
        assert_eq!(
            parse_range("bytes=0-99999999999999999999999", 10),
            one(0..10)
        );
        assert_eq!(
            parse_range("bytes=-99999999999999999999999", 10),
            one(0..10)
        );
    }

    #[test]
    fn unsatisfiable_ranges() {
        assert_eq!(parse_range("bytes=10-", 10), Ranges::Unsatisfiable);
        assert_eq!(parse_range("bytes=10-20", 10), Ranges::Unsatisfiable);
        assert_eq!(parse_range("bytes=-0", 10), Ranges::Unsatisfiable);
        assert_eq!(
            parse_range("bytes=99999999999999999999999-", 10),
            Ranges::Unsatisfiable
        );
        assert_eq!(parse_range("bytes=10-11,-0", 10), Ranges::Unsatisfiable);
        assert_eq!(parse_range("bytes=20-30,1-2", 10), one(1..3));
    }

    #[test]
    fn invalid_ranges_ignored() {
        for value in [
            "",
            "bytes",
            "bytes=",
            "bytes=,",
            "bytes=-",
            "bytes=a-b",
            "bytes=1-a",
            "bytes=5-4",
            "bytes=+1-2",
            "bytes=1 -2",
            "bytes=1--2",
            "bytes=0-1;x",
            "bytes=0x1-2",
            "items=0-1",
            "bytes =0-1",
            "bytes=1-2,foo",
            "bytes=--1",
            "bytes=１-2",
        ] {
            assert_eq!(parse_range(value, 10), Ranges::Ignore, "{value:?}");
        }
        assert_eq!(parse_range("bytes=0-1", 0), Ranges::Ignore);
    }

    #[test]
    fn overlapping_and_adjacent_coalesced() {
        assert_eq!(parse_range("bytes=0-1,2-3", 10), one(0..4));
        assert_eq!(parse_range("bytes=5-,0-0,4-6", 10), sat(&[0..1, 4..10]));
        assert_eq!(parse_range("bytes=0-1,3-4", 10), sat(&[0..2, 3..5]));
        assert_eq!(parse_range("bytes=-5,0-9", 10), one(0..10));
        // The Apache Killer's header: 1300 overlapping ranges, one part.
        let killer = (0..1300)
            .map(|i| format!("5-{}", 5 + i))
            .collect::<Vec<_>>()
            .join(",");
        assert_eq!(
            parse_range(&format!("bytes=0-,{killer}"), 10_000),
            one(0..10_000)
        );
        let many = (0..1000).map(|_| "0-9").collect::<Vec<_>>().join(",");
        assert_eq!(parse_range(&format!("bytes={many}"), 10), one(0..10));
    }

    #[test]
    fn more_than_max_parts_ignored() {
        let parts = |n: u64| {
            (0..n)
                .map(|i| format!("{}-{}", 2 * i, 2 * i))
                .collect::<Vec<_>>()
                .join(",")
        };
        let len = 100;
        match parse_range(&format!("bytes={}", parts(MAX_PARTS as u64)), len) {
            Ranges::Satisfiable(r) => assert_eq!(r.len(), MAX_PARTS),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            parse_range(&format!("bytes={}", parts(MAX_PARTS as u64 + 1)), len),
            Ranges::Ignore
        );
    }

    #[test]
    fn multipart_reads_in_any_buffer_size() {
        let data: Vec<u8> = (0..=255).collect();
        let ranges = [0..3, 10..20, 250..256];
        let whole = {
            let mut body = Multipart::new(data.clone(), &ranges, 256, "a/b", "xyz");
            let mut out = Vec::new();
            body.read_to_end(&mut out).unwrap();
            assert_eq!(out.len() as u64, body.body_len());
            out
        };
        for size in [1, 2, 7, 64] {
            let mut body = Multipart::new(data.clone(), &ranges, 256, "a/b", "xyz");
            let mut out = Vec::new();
            let mut buf = vec![0; size];
            loop {
                let n = body.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                out.extend_from_slice(&buf[..n]);
            }
            assert_eq!(out, whole);
        }
    }

    #[test]
    fn multipart_of_truncated_source_fails() {
        let mut body = Multipart::new(vec![0; 5], &[0..2, 8..10], 10, "a/b", "B");
        let mut out = Vec::new();
        let err = body.read_to_end(&mut out).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn boundaries_differ() {
        let (a, b) = (boundary(), boundary());
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
    }
}
