//! Validators (`ETag`, `Last-Modified`) and the conditional requests that
//! use them, evaluated in the order of RFC 9110 §13.2.2 (after tower-http's
//! `serve_dir/open_file.rs`).

use std::fs::Metadata;
use std::os::unix::fs::MetadataExt;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::http::Headers;

/// Seconds from the epoch to 10000-01-01, the first date `httpdate` cannot
/// write.
const MAX_HTTP_DATE_SECS: u64 = 253_402_300_800;

/// What identifies one version of a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Validators {
    /// The strong entity tag, quotes included: the mtime to the nanosecond
    /// and the size, in hex, and the content coding of a precompressed
    /// variant (so `app.js` and `app.js.br` never share one).
    pub etag: String,
    /// The mtime in whole seconds, if it can be written as an HTTP date.
    pub modified: Option<u64>,
}

impl Validators {
    /// The validators of a file; `coding` is the content coding of a
    /// precompressed variant.
    pub(crate) fn of(meta: &Metadata, coding: Option<&str>) -> Validators {
        // Written by hand: `format!` was a third of the handler's
        // instructions. The same text as `"{:x}.{:x}-{:x}-{coding}"`.
        let mut etag = String::with_capacity(48);
        etag.push('"');
        push_hex(&mut etag, twos_complement(meta.mtime()));
        etag.push('.');
        push_hex(&mut etag, twos_complement(meta.mtime_nsec()));
        etag.push('-');
        push_hex(&mut etag, meta.size());
        if let Some(coding) = coding {
            etag.push('-');
            etag.push_str(coding);
        }
        etag.push('"');
        let modified = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map(|d| d.as_secs())
            .filter(|&s| s < MAX_HTTP_DATE_SECS);
        Validators { etag, modified }
    }

    /// The `Last-Modified` value.
    pub(crate) fn last_modified(&self) -> Option<String> {
        self.modified.map(http_date)
    }

    /// The opaque part of the tag (between the quotes).
    fn opaque(&self) -> &str {
        self.etag.trim_matches('"')
    }
}

/// The bits of `n` as a `u64` (what `{:x}` writes for a negative `i64`).
fn twos_complement(n: i64) -> u64 {
    u64::from_ne_bytes(n.to_ne_bytes())
}

/// Appends `n` in lowercase hex (as `{:x}` writes it).
fn push_hex(out: &mut String, n: u64) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut digits = [0u8; 16];
    let mut i = digits.len();
    let mut n = n;
    loop {
        i -= 1;
        digits[i] = HEX[(n & 0xf) as usize];
        n >>= 4;
        if n == 0 {
            break;
        }
    }
    out.push_str(std::str::from_utf8(&digits[i..]).unwrap_or_default());
}

/// Appends `n` in decimal (as `{}` writes it).
pub(crate) fn push_dec(out: &mut String, n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut n = n;
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.push_str(std::str::from_utf8(&digits[i..]).unwrap_or_default());
}

/// `secs` since the epoch (below [`MAX_HTTP_DATE_SECS`]) as an IMF-fixdate,
/// `Sun, 06 Nov 1994 08:49:37 GMT`: the text `httpdate` writes, without its
/// `fmt` machinery (`http_date_matches_httpdate`).
fn http_date(secs: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = secs / 86_400;
    let of_day = secs % 86_400;
    // Civil from days (H. Hinnant's algorithm), from 0000-03-01.
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    let mut out = String::with_capacity(29);
    out.push_str(DAYS[(days % 7) as usize]);
    out.push_str(", ");
    push_two(&mut out, day);
    out.push(' ');
    out.push_str(MONTHS[(month - 1) as usize]);
    out.push(' ');
    push_two(&mut out, year / 100);
    push_two(&mut out, year % 100);
    out.push(' ');
    push_two(&mut out, of_day / 3600);
    out.push(':');
    push_two(&mut out, of_day / 60 % 60);
    out.push(':');
    push_two(&mut out, of_day % 60);
    out.push_str(" GMT");
    out
}

/// Appends `n` (below 100) as two digits.
fn push_two(out: &mut String, n: u64) {
    out.push(char::from(b'0' + (n / 10) as u8));
    out.push(char::from(b'0' + (n % 10) as u8));
}

/// What the preconditions decide.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precondition {
    /// Serve the file (200, or 206 for a range).
    Proceed,
    /// 304 Not Modified.
    NotModified,
    /// 412 Precondition Failed.
    Failed,
}

/// Evaluates `If-Match`, `If-Unmodified-Since`, `If-None-Match` and
/// `If-Modified-Since` for a GET or HEAD, in that order (RFC 9110 §13.2.2):
/// a date is looked at only without the matching tag field, and a date that
/// does not parse is ignored.
///
/// ```
/// # #[cfg(feature = "internals")] {
/// use mini_async_http::Headers;
/// use mini_async_http::files_internals::{evaluate, Precondition, Validators};
/// let v = Validators { etag: "\"1-2\"".into(), modified: Some(0) };
/// let headers: Headers = [("If-None-Match", "\"x\", \"1-2\"")].into_iter().collect();
/// assert_eq!(evaluate(&headers, &v), Precondition::NotModified);
/// # }
/// ```
#[must_use]
pub fn evaluate(headers: &Headers, v: &Validators) -> Precondition {
    if headers.contains("if-match") {
        if !any_tag(headers, "if-match", |tag| tag.strong_eq(v.opaque())) {
            return Precondition::Failed;
        }
    } else if let (Some(since), Some(modified)) = (date(headers, "if-unmodified-since"), v.modified)
    {
        if modified > since {
            return Precondition::Failed;
        }
    }
    if headers.contains("if-none-match") {
        if any_tag(headers, "if-none-match", |tag| tag.weak_eq(v.opaque())) {
            return Precondition::NotModified;
        }
    } else if let (Some(since), Some(modified)) = (date(headers, "if-modified-since"), v.modified) {
        if modified <= since {
            return Precondition::NotModified;
        }
    }
    Precondition::Proceed
}

/// Whether `If-Range` (RFC 9110 §13.1.5) lets the `Range` apply: the
/// current strong tag, or exactly the current `Last-Modified` date; a weak
/// tag, another validator or something that parses as neither mean the
/// whole file.
///
/// ```
/// # #[cfg(feature = "internals")] {
/// use mini_async_http::files_internals::{if_range_matches, Validators};
/// let v = Validators { etag: "\"1-2\"".into(), modified: Some(784_111_777) };
/// assert!(if_range_matches("\"1-2\"", &v));
/// assert!(!if_range_matches("W/\"1-2\"", &v));
/// assert!(if_range_matches("Sun, 06 Nov 1994 08:49:37 GMT", &v));
/// assert!(!if_range_matches("Sun, 06 Nov 1994 08:49:38 GMT", &v));
/// # }
/// ```
#[must_use]
pub fn if_range_matches(value: &str, v: &Validators) -> bool {
    let value = value.trim_matches(OWS);
    if value.starts_with('"') || value.starts_with("W/") {
        let mut tags = Tags(value);
        matches!((tags.next(), tags.next()), (Some(tag), None) if tag.strong_eq(v.opaque()))
    } else {
        v.modified.is_some() && parse_date(value) == v.modified
    }
}

/// Optional whitespace (RFC 9110 §5.6.3).
const OWS: &[char] = &[' ', '\t'];

/// Whether the list fields `name` hold `*` or a tag for which `matches`.
fn any_tag(headers: &Headers, name: &str, matches: impl Fn(&Tag<'_>) -> bool) -> bool {
    headers
        .get_all(name)
        .any(|value| value.trim_matches(OWS) == "*" || Tags(value).any(|tag| matches(&tag)))
}

/// The first field `name`, as whole seconds since the epoch, if it parses.
fn date(headers: &Headers, name: &str) -> Option<u64> {
    parse_date(headers.get(name)?.trim_matches(OWS))
}

fn parse_date(value: &str) -> Option<u64> {
    let time = httpdate::parse_http_date(value).ok()?;
    time.duration_since(SystemTime::UNIX_EPOCH)
        .ok()
        .map(|d| d.as_secs())
}

/// One entity tag of a list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tag<'a> {
    /// `W/` before it.
    pub weak: bool,
    /// Between the quotes.
    pub opaque: &'a str,
}

impl Tag<'_> {
    /// Strong comparison (RFC 9110 §8.8.3.2): both strong, same opaque tag.
    fn strong_eq(&self, current: &str) -> bool {
        !self.weak && self.opaque == current
    }

    /// Weak comparison: same opaque tag.
    fn weak_eq(&self, current: &str) -> bool {
        self.opaque == current
    }
}

/// The entity tags of a list field value (`#entity-tag`), in order; the
/// list ends at the first element that is not an entity tag (which then
/// matches nothing). Opaque tags may hold commas, so the value is scanned,
/// not split.
///
/// ```
/// # #[cfg(feature = "internals")] {
/// use mini_async_http::files_internals::{Tag, Tags};
/// let tags: Vec<_> = Tags("\"a,b\", W/\"c\"").collect();
/// assert_eq!(tags, [Tag { weak: false, opaque: "a,b" }, Tag { weak: true, opaque: "c" }]);
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Tags<'a>(pub &'a str);

impl<'a> Iterator for Tags<'a> {
    type Item = Tag<'a>;

    fn next(&mut self) -> Option<Tag<'a>> {
        let rest = self.0.trim_start_matches(|c| c == ',' || OWS.contains(&c));
        let (weak, rest) = match rest.strip_prefix("W/") {
            Some(rest) => (true, rest),
            None => (false, rest),
        };
        let Some(quoted) = rest.strip_prefix('"') else {
            self.0 = "";
            return None;
        };
        // etagc: %x21 / %x23-7E / obs-text (anything but DQUOTE, controls
        // and space).
        let Some(end) = quoted.find(|c: char| c == '"' || c.is_ascii_control() || c == ' ') else {
            self.0 = "";
            return None;
        };
        let after = &quoted[end..];
        let Some(after) = after.strip_prefix('"') else {
            self.0 = "";
            return None;
        };
        let after = after.trim_start_matches(OWS);
        if !(after.is_empty() || after.starts_with(',')) {
            self.0 = "";
            return None;
        }
        self.0 = after;
        Some(Tag {
            weak,
            opaque: &quoted[..end],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn tags(value: &str) -> Vec<(bool, &str)> {
        Tags(value).map(|t| (t.weak, t.opaque)).collect()
    }

    #[test]
    fn entity_tag_lists() {
        assert_eq!(tags("\"a\""), [(false, "a")]);
        assert_eq!(
            tags(" \"a\" ,W/\"b\",, \"\" "),
            [(false, "a"), (true, "b"), (false, "")]
        );
        assert_eq!(tags("\"a\", bogus, \"c\""), [(false, "a")]);
        assert_eq!(tags("\"unterminated"), []);
        assert_eq!(tags("\"a\"x"), []);
        assert_eq!(tags("w/\"a\""), []);
        assert_eq!(tags("\"a b\""), []);
        assert_eq!(tags(""), []);
    }

    #[test]
    fn unparsable_dates_ignored() {
        let v = Validators {
            etag: "\"t\"".into(),
            modified: Some(1_000_000_000),
        };
        for name in ["If-Modified-Since", "If-Unmodified-Since"] {
            for value in [
                "yesterday",
                "",
                "Sun, 06 Nov 1994 08:49:37",
                "Sun, 32 Nov 1994 08:49:37 GMT",
            ] {
                let headers: Headers = [(name, value)].into_iter().collect();
                assert_eq!(
                    evaluate(&headers, &v),
                    Precondition::Proceed,
                    "{name}: {value}"
                );
            }
        }
    }

    #[test]
    fn http_date_matches_httpdate() {
        let mut secs = vec![0, 1, 59, 86_399, 86_400, 951_782_400, 784_111_777];
        secs.extend([4_107_542_400, 253_402_300_799, 68_256_000, 1_709_164_800]);
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..2000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            secs.push(x % MAX_HTTP_DATE_SECS);
        }
        for s in secs {
            let want = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(s));
            assert_eq!(http_date(s), want, "{s}");
        }
    }

    #[test]
    fn numbers_as_format_writes_them() {
        for n in [0, 1, 9, 10, 15, 16, 255, 4096, u64::MAX / 3, u64::MAX] {
            let (mut hex, mut dec) = (String::new(), String::new());
            push_hex(&mut hex, n);
            push_dec(&mut dec, n);
            assert_eq!((hex, dec), (format!("{n:x}"), n.to_string()));
        }
        let negative = -2i64;
        let mut hex = String::new();
        push_hex(&mut hex, twos_complement(negative));
        assert_eq!(hex, format!("{negative:x}"));
    }

    #[test]
    fn dates_compared_in_whole_seconds() {
        let v = Validators {
            etag: "\"t\"".into(),
            modified: Some(784_111_777),
        };
        let at = |name: &str, value: &str| {
            let headers: Headers = [(name, value)].into_iter().collect();
            evaluate(&headers, &v)
        };
        let same = "Sun, 06 Nov 1994 08:49:37 GMT";
        let before = "Sun, 06 Nov 1994 08:49:36 GMT";
        assert_eq!(at("If-Modified-Since", same), Precondition::NotModified);
        assert_eq!(
            at("If-Modified-Since", "Sunday, 06-Nov-94 08:49:37 GMT"),
            Precondition::NotModified
        );
        assert_eq!(at("If-Modified-Since", before), Precondition::Proceed);
        assert_eq!(at("If-Unmodified-Since", same), Precondition::Proceed);
        assert_eq!(at("If-Unmodified-Since", before), Precondition::Failed);
    }
}
