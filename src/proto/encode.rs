//! Response to bytes: status line, the handler's fields, then the fields the
//! server owns (`Content-Length` or `Transfer-Encoding: chunked`, `Date`,
//! `Connection`, `Keep-Alive`).
//!
//! Few copies per response, because a pipelined burst of small responses is
//! where the encoder's cost shows (`bench/micro`, callgrind): one reservation,
//! a ready-made status line, and the `Date` and `Keep-Alive` lines with the
//! empty line that ends the head in one copy, made once a second
//! ([`Stamp`]).

use crate::http::Response;

/// The interim response sent before reading a body the client is waiting to send.
pub const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

/// How a response body is delimited on the wire (RFC 9112 §6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delimit {
    /// `Content-Length`: this many bytes (for a stream: still to come).
    Length(u64),
    /// `Transfer-Encoding: chunked` (HTTP/1.1, length unknown).
    Chunked,
    /// Neither: the body ends when the connection closes (HTTP/1.0,
    /// length unknown; the head says `Connection: close`).
    Close,
}

/// How a response goes on this connection.
#[derive(Clone, Copy, Debug)]
pub struct Framing<'a> {
    /// The request was `HEAD`: write the head of the response only.
    pub head_request: bool,
    /// The connection closes after this response.
    pub close: bool,
    /// The request was HTTP/1.0 with `Connection: keep-alive`, so keeping the
    /// connection open must be said explicitly.
    pub http10_keep_alive: bool,
    /// The `Date` value and the idle timeout, with the lines they make.
    pub stamp: &'a Stamp,
}

/// What the server says at the end of every response head at one moment:
/// `Date` and, on a connection kept open, `Keep-Alive: timeout=N`. The
/// lines are made once per date (a second) instead of for every response.
///
/// ```
/// # #[cfg(feature = "internals")] {
/// use mini_async_http::ResponseBuilder;
/// use mini_async_http::proto::{Framing, Stamp, encode};
///
/// let mut stamp = Stamp::new(b"Sun, 06 Nov 1994 08:49:37 GMT", Some(5));
/// stamp.set_date(b"Sun, 06 Nov 1994 08:49:38 GMT");
/// let framing = Framing { head_request: false, close: false, http10_keep_alive: false, stamp: &stamp };
/// let mut out = Vec::new();
/// encode(&ResponseBuilder::empty_200().build().unwrap(), &framing, &mut out);
/// assert!(out.ends_with(b"Date: Sun, 06 Nov 1994 08:49:38 GMT\r\nKeep-Alive: timeout=5\r\n\r\n"));
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Stamp {
    keep_alive_timeout: Option<u64>,
    /// `Date: <date>\r\n`, `Keep-Alive: timeout=<secs>\r\n` if there is
    /// an idle timeout to announce, and the empty line that ends the head.
    kept_alive_end: Vec<u8>,
    /// Length of the date in `kept_alive_end` (after `Date: `).
    date_len: usize,
}

impl Stamp {
    /// A stamp for this `Date` value and idle timeout in seconds (`None`:
    /// not announced).
    #[must_use]
    pub fn new(date: &[u8], keep_alive_timeout: Option<u64>) -> Stamp {
        let mut stamp = Stamp {
            keep_alive_timeout,
            kept_alive_end: Vec::new(),
            date_len: 0,
        };
        stamp.make(date);
        stamp
    }

    /// Moves the stamp to a new `Date` value (nothing to do if it is the same).
    pub fn set_date(&mut self, date: &[u8]) {
        if self.date() != date {
            self.make(date);
        }
    }

    /// The `Date` value, as it stands in the ready-made lines.
    fn date(&self) -> &[u8] {
        &self.kept_alive_end[DATE_PREFIX.len()..DATE_PREFIX.len() + self.date_len]
    }

    fn make(&mut self, date: &[u8]) {
        self.date_len = date.len();
        self.kept_alive_end.clear();
        push_end(
            &mut self.kept_alive_end,
            Some(date),
            self.keep_alive_timeout,
            false,
            false,
        );
    }
}

/// Appends the response, with its in-memory body, to `out`.
pub fn encode(resp: &Response, framing: &Framing<'_>, out: &mut Vec<u8>) {
    let body = resp.body();
    if head(
        resp,
        framing,
        out,
        body.len(),
        Delimit::Length(body.len() as u64),
    ) {
        out.extend_from_slice(body);
    }
}

/// Appends the head of the response to `out`, its body delimited as
/// `delimit` says; `true` if the body is to follow it on the wire (not for
/// `HEAD`, 1xx, 204 and 304), for the caller to send after the head.
pub fn encode_head(
    resp: &Response,
    framing: &Framing<'_>,
    delimit: Delimit,
    out: &mut Vec<u8>,
) -> bool {
    head(resp, framing, out, 0, delimit)
}

/// The head; `body_room` more bytes are reserved in `out` for the body.
/// Inlined into both callers, so `encode` stays one function.
#[allow(clippy::inline_always)] // measured: `#[inline]` left it a call (callgrind)
#[inline(always)]
fn head(
    resp: &Response,
    framing: &Framing<'_>,
    out: &mut Vec<u8>,
    body_room: usize,
    delimit: Delimit,
) -> bool {
    let status = resp.status();
    let line = resp.status_line();
    // One reservation for the whole response: the status line, the fields,
    // the date, the body, and under 128 bytes of fixed lines.
    out.reserve(
        128 + line.map_or_else(|| resp.reason().len(), <[u8]>::len)
            + resp.headers().encoded_len()
            + framing.stamp.kept_alive_end.len()
            + body_room,
    );
    if let Some(line) = line {
        out.extend_from_slice(line);
    } else {
        // `build` keeps statuses within 100..=999: always three digits.
        let digits = [
            b'0' + (status / 100 % 10) as u8,
            b'0' + (status / 10 % 10) as u8,
            b'0' + (status % 10) as u8,
        ];
        out.extend_from_slice(b"HTTP/1.1 ");
        out.extend_from_slice(&digits);
        out.push(b' ');
        out.extend_from_slice(resp.reason().as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    let has_date = match resp.headers().wire_lines() {
        // The usual case: the fields are stored as their lines, and none is
        // the server's own.
        Some(lines) => {
            out.extend_from_slice(lines);
            false
        }
        None => fields(resp, out),
    };
    // RFC 9110 §8.6: no Content-Length on 1xx and 204; on 304 it would have to
    // be the length of the representation, which the server does not know.
    // RFC 9112 §6.1: no Transfer-Encoding on them either.
    let bodiless_status = status < 200 || status == 204 || status == 304;
    if !bodiless_status {
        match delimit {
            Delimit::Length(len) => {
                out.extend_from_slice(b"Content-Length: ");
                push_decimal(out, len);
                out.extend_from_slice(b"\r\n");
            }
            Delimit::Chunked => out.extend_from_slice(b"Transfer-Encoding: chunked\r\n"),
            Delimit::Close => {}
        }
    }
    let stamp = framing.stamp;
    if !has_date && !framing.close && !framing.http10_keep_alive {
        // The usual case: the lines made once for the stamp.
        out.extend_from_slice(&stamp.kept_alive_end);
    } else {
        push_end(
            out,
            (!has_date).then(|| stamp.date()),
            stamp.keep_alive_timeout,
            framing.close,
            framing.http10_keep_alive,
        );
    }
    !framing.head_request && !bodiless_status
}

/// Appends the handler's fields one by one, leaving out `Connection` and
/// `Keep-Alive` (the server's own, written after them); `true` if one is
/// `Date`.
fn fields(resp: &Response, out: &mut Vec<u8>) -> bool {
    let mut has_date = false;
    for (name, value) in resp.headers().iter_bytes() {
        if name.eq_ignore_ascii_case(b"connection") || name.eq_ignore_ascii_case(b"keep-alive") {
            continue;
        }
        has_date |= name.eq_ignore_ascii_case(b"date");
        out.extend_from_slice(name);
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
    }
    has_date
}

const DATE_PREFIX: &[u8] = b"Date: ";

/// Appends the server's own lines and the empty line that end a head:
/// `Date` (`None`: the handler set one), then `Connection: close`, or
/// `Connection: keep-alive` for HTTP/1.0 and `Keep-Alive`.
fn push_end(
    out: &mut Vec<u8>,
    date: Option<&[u8]>,
    keep_alive_timeout: Option<u64>,
    close: bool,
    http10_keep_alive: bool,
) {
    if let Some(date) = date {
        out.extend_from_slice(DATE_PREFIX);
        out.extend_from_slice(date);
        out.extend_from_slice(b"\r\n");
    }
    if close {
        out.extend_from_slice(b"Connection: close\r\n");
    } else {
        if http10_keep_alive {
            out.extend_from_slice(b"Connection: keep-alive\r\n");
        }
        if let Some(secs) = keep_alive_timeout {
            out.extend_from_slice(b"Keep-Alive: timeout=");
            push_decimal(out, secs);
            out.extend_from_slice(b"\r\n");
        }
    }
    out.extend_from_slice(b"\r\n");
}

/// Appends `n` in decimal, without going through `fmt`.
#[allow(clippy::inline_always)] // measured: `#[inline]` left it a call (callgrind)
#[inline(always)]
fn push_decimal(out: &mut Vec<u8>, mut n: u64) {
    // Small numbers (short bodies, the keep-alive timeout) in one store.
    if n < 10 {
        out.push(b'0' + n as u8);
        return;
    }
    if n < 100 {
        out.extend_from_slice(&[b'0' + (n / 10) as u8, b'0' + (n % 10) as u8]);
        return;
    }
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ResponseBuilder;

    fn stamp() -> Stamp {
        Stamp::new(b"Sun, 06 Nov 1994 08:49:37 GMT", Some(60))
    }

    fn framing(stamp: &Stamp, close: bool, head_request: bool) -> Framing<'_> {
        Framing {
            head_request,
            close,
            http10_keep_alive: false,
            stamp,
        }
    }

    #[test]
    fn hello() {
        let resp = ResponseBuilder::empty_200()
            .body("Hello")
            .content_type("text/plain")
            .build()
            .unwrap();
        let mut out = Vec::new();
        encode(&resp, &framing(&stamp(), false, false), &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\
             Date: Sun, 06 Nov 1994 08:49:37 GMT\r\nKeep-Alive: timeout=60\r\n\r\nHello"
        );
    }

    /// The lines made once per stamp follow its date and timeout, and are
    /// what the field-by-field path writes.
    #[test]
    fn stamp_lines_follow_the_date_and_timeout() {
        let resp = ResponseBuilder::empty_200().build().unwrap();
        let end = |stamp: &Stamp, http10_keep_alive: bool| {
            let mut out = Vec::new();
            let framing = Framing {
                http10_keep_alive,
                ..framing(stamp, false, false)
            };
            encode(&resp, &framing, &mut out);
            let text = String::from_utf8(out).unwrap();
            text[text.find("Date").unwrap()..].to_owned()
        };
        let mut stamp = stamp();
        assert_eq!(
            end(&stamp, false),
            "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\nKeep-Alive: timeout=60\r\n\r\n"
        );
        stamp.set_date(b"Sun, 06 Nov 1994 08:49:38 GMT");
        assert_eq!(
            end(&stamp, false),
            "Date: Sun, 06 Nov 1994 08:49:38 GMT\r\nKeep-Alive: timeout=60\r\n\r\n"
        );
        assert_eq!(
            end(&stamp, true),
            "Date: Sun, 06 Nov 1994 08:49:38 GMT\r\nConnection: keep-alive\r\n\
             Keep-Alive: timeout=60\r\n\r\n"
        );
        let quiet = Stamp::new(b"Sun, 06 Nov 1994 08:49:39 GMT", None);
        assert_eq!(
            end(&quiet, false),
            "Date: Sun, 06 Nov 1994 08:49:39 GMT\r\n\r\n"
        );
        assert_eq!(
            end(&quiet, true),
            "Date: Sun, 06 Nov 1994 08:49:39 GMT\r\nConnection: keep-alive\r\n\r\n"
        );
    }

    /// Fields stored as their wire lines go out in one copy; after a
    /// removal, or with a field the server writes itself, field by field:
    /// the bytes are the same either way.
    #[test]
    fn fields_in_one_copy_or_one_by_one() {
        let encoded = |resp: &Response| {
            let mut out = Vec::new();
            encode(resp, &framing(&stamp(), false, false), &mut out);
            String::from_utf8(out).unwrap()
        };
        let fields = "HTTP/1.1 200 OK\r\nX-A: 1\r\nX-C: 3\r\nContent-Length: 0\r\n";
        let plain = ResponseBuilder::new()
            .header("X-A", "1")
            .header("X-C", "3")
            .build()
            .unwrap();
        assert!(plain.headers().wire_lines().is_some());
        assert!(encoded(&plain).starts_with(fields));
        let mut removed = ResponseBuilder::new()
            .header("X-A", "1")
            .header("X-B", "2")
            .header("X-C", "3")
            .build()
            .unwrap();
        assert_eq!(removed.remove_header("x-b"), 1);
        assert!(removed.headers().wire_lines().is_none());
        assert_eq!(encoded(&removed), encoded(&plain));
        let own = ResponseBuilder::new()
            .header("X-A", "1")
            .header("connection", "keep-alive")
            .header("Keep-Alive", "timeout=1")
            .header("X-C", "3")
            .build()
            .unwrap();
        assert!(own.headers().wire_lines().is_none());
        assert_eq!(encoded(&own), encoded(&plain));
        let dated = ResponseBuilder::new()
            .header("DATE", "Mon, 07 Nov 1994 08:49:37 GMT")
            .build()
            .unwrap();
        assert_eq!(
            encoded(&dated),
            "HTTP/1.1 200 OK\r\nDATE: Mon, 07 Nov 1994 08:49:37 GMT\r\nContent-Length: 0\r\n\
             Keep-Alive: timeout=60\r\n\r\n"
        );
    }

    #[test]
    fn head_and_bodiless() {
        let resp = ResponseBuilder::new().body("Hello").build().unwrap();
        let mut out = Vec::new();
        encode(&resp, &framing(&stamp(), true, true), &mut out);
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("Content-Length: 5\r\n"));
        assert!(text.ends_with("Connection: close\r\n\r\n"));

        let resp = ResponseBuilder::new().status(204).build().unwrap();
        let mut out = Vec::new();
        encode(&resp, &framing(&stamp(), false, false), &mut out);
        assert!(!String::from_utf8(out).unwrap().contains("Content-Length"));
    }

    /// The ready-made status lines say the same as the digit path would.
    #[test]
    fn status_lines() {
        for status in 200..=999 {
            let mut out = Vec::new();
            let resp = ResponseBuilder::new().status(status).build().unwrap();
            encode(&resp, &framing(&stamp(), false, true), &mut out);
            let want = format!("HTTP/1.1 {status} {}\r\n", resp.reason());
            assert!(out.starts_with(want.as_bytes()), "{status}");
        }
        let resp = ResponseBuilder::new().reason("Fine").build().unwrap();
        let mut out = Vec::new();
        encode(&resp, &framing(&stamp(), false, true), &mut out);
        assert!(out.starts_with(b"HTTP/1.1 200 Fine\r\n"));
    }

    #[test]
    fn streamed_bodies_are_delimited_as_told() {
        let head = |delimit, status: u16, head_request| {
            let resp = ResponseBuilder::new().status(status).build().unwrap();
            let mut out = Vec::new();
            let follows = encode_head(
                &resp,
                &framing(&stamp(), false, head_request),
                delimit,
                &mut out,
            );
            (String::from_utf8(out).unwrap(), follows)
        };
        let (text, follows) = head(Delimit::Chunked, 200, false);
        assert!(text.contains("\r\nTransfer-Encoding: chunked\r\n") && follows);
        assert!(!text.contains("Content-Length"));
        let (text, follows) = head(Delimit::Length(1 << 40), 200, true);
        assert!(text.contains("\r\nContent-Length: 1099511627776\r\n") && !follows);
        let (text, _) = head(Delimit::Close, 200, false);
        assert!(!text.contains("Content-Length") && !text.contains("Transfer-Encoding"));
        for status in [204, 304] {
            let (text, follows) = head(Delimit::Chunked, status, false);
            assert!(!text.contains("Transfer-Encoding") && !follows, "{status}");
        }
    }

    #[test]
    fn decimals() {
        for n in [0, 7, 10, 42, 99, 100, 999, u64::MAX] {
            let mut out = Vec::new();
            push_decimal(&mut out, n);
            assert_eq!(out, n.to_string().as_bytes());
        }
    }
}
