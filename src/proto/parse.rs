//! The only caller of `httparse`: turns a complete request head into a
//! [`Request`] and the framing facts the connection needs ([`Head`]).

use std::cell::Cell;
use std::mem::MaybeUninit;

use super::Error;
use crate::http::{Method, Request, Version};

/// The most header fields a head may have, whatever the configuration says
/// (the size of the stack array `httparse` fills).
pub const MAX_HEADERS_CAP: usize = 512;

/// Limits on what one request may make the server hold.
#[allow(clippy::struct_field_names)] // `max_` says what each one is
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of request line plus field lines plus the empty line.
    pub max_head_bytes: usize,
    /// Number of header fields (at most [`MAX_HEADERS_CAP`]).
    pub max_headers: usize,
    /// Bytes of body after de-chunking.
    pub max_body_bytes: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_head_bytes: 64 * 1024,
            max_headers: 100,
            max_body_bytes: 1024 * 1024,
        }
    }
}

/// How the body of a request is delimited (RFC 9112 §6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyLength {
    /// No body.
    Empty,
    /// Exactly this many bytes (never 0: that is `Empty`).
    Length(u64),
    /// Chunked transfer coding.
    Chunked,
}

/// What the connection needs to know about a parsed head.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Head {
    /// Bytes of the head, final empty line included.
    pub len: usize,
    /// How the body is delimited.
    pub body: BodyLength,
    /// Whether the client wants the connection kept open after the response.
    pub keep_alive: bool,
    /// `Expect: 100-continue` on an HTTP/1.1 request.
    pub expect_continue: bool,
}

fn httparse_config() -> httparse::ParserConfig {
    // The defaults are the strict ones for requests: no obs-fold, no space
    // before the colon, single spaces in the request line.
    httparse::ParserConfig::default()
}

fn map_httparse(e: httparse::Error) -> Error {
    match e {
        httparse::Error::TooManyHeaders => Error::TooManyHeaders,
        other => Error::Malformed(other),
    }
}

/// Parses the head at the start of `buf` into `req`; `Ok(None)` if the head
/// is not complete yet (what there is of it is valid so far).
///
/// `req` must have been cleared. Applies every head rule of the policy in the
/// module doc of [`proto`](super).
///
/// # Errors
/// The [`Error`] of the first rule the head breaks.
pub fn parse_head(buf: &[u8], limits: &Limits, req: &mut Request) -> Result<Option<Head>, Error> {
    let mut headers = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS_CAP];
    let mut parsed = httparse::Request::new(&mut []);
    let n = limits.max_headers.min(MAX_HEADERS_CAP);
    let len = match httparse_config()
        .parse_request_with_uninit_headers(&mut parsed, buf, &mut headers[..n])
        .map_err(map_httparse)?
    {
        httparse::Status::Complete(len) => len,
        httparse::Status::Partial => return Ok(None),
    };
    if len > limits.max_head_bytes {
        return Err(Error::HeadTooLarge);
    }
    let (Some(method), Some(target), Some(minor)) = (parsed.method, parsed.path, parsed.version)
    else {
        return Err(Error::Malformed(httparse::Error::Token));
    };
    // `GET`, the usual method, without the table of `from_token`.
    req.method = if method == "GET" {
        Method::Get
    } else {
        Method::from_token(method).ok_or(Error::Malformed(httparse::Error::Token))?
    };
    req.version = if minor == 0 {
        Version::Http10
    } else {
        Version::Http11
    };
    check_target(&req.method, target)?;
    req.target.push_str(target);
    req.path_len = crate::http::path_len(target);

    let mut framing = Framing::default();
    // The fields are copied in one piece, from the first name to the end of
    // the last value, and kept as ranges of that copy. Values as `&str`:
    // validating that piece once is much cheaper than each value on its
    // own, and a piece equal to the previous head's (a client repeats its
    // fields) is not copied or validated again. The method and field names
    // are tokens and the target was checked ASCII, so bytes that are not
    // UTF-8 can only be in a value.
    let offset = |bytes: &[u8]| bytes.as_ptr() as usize - buf.as_ptr() as usize;
    if let (Some(first), Some(last)) = (parsed.headers.first(), parsed.headers.last()) {
        let from = offset(first.name.as_bytes());
        let to = offset(last.value) + last.value.len();
        if !req.headers.set_block(&buf[from..to]) {
            return Err(Error::HeaderValueNotUtf8);
        }
        for header in parsed.headers.iter() {
            let name = offset(header.name.as_bytes()) - from;
            let value = offset(header.value) - from;
            req.headers.push_field(
                name..name + header.name.len(),
                value..value + header.value.len(),
            );
        }
        for (name, value) in req.headers.iter() {
            framing.see(name, value)?;
        }
    }
    framing.finish(len, req.version, limits).map(Some)
}

/// RFC 9112 §3.2: origin-form, absolute-form, authority-form (CONNECT only),
/// asterisk-form (OPTIONS only); ASCII only.
fn check_target(method: &Method, target: &str) -> Result<(), Error> {
    // Without early exit, so that it vectorises: a target is often long.
    let visible = target
        .bytes()
        .fold(true, |ok, b| ok & (b.wrapping_sub(0x21) < 0x5e));
    if !visible {
        return Err(Error::InvalidTarget);
    }
    let ok = match method {
        Method::Connect => !target.starts_with('/') && valid_host(target) && target.contains(':'),
        Method::Options if target == "*" => true,
        _ => target.starts_with('/') || absolute_form(target),
    };
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidTarget)
    }
}

/// `scheme "://" ...` with an RFC 3986 scheme.
fn absolute_form(target: &str) -> bool {
    match target.find("://") {
        Some(i) if i > 0 => {
            let scheme = &target.as_bytes()[..i];
            scheme[0].is_ascii_alphabetic()
                && scheme
                    .iter()
                    .all(|&b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
        }
        _ => false,
    }
}

/// Longest `Host` value [`known_host`] remembers.
const KNOWN_HOST_MAX: usize = 48;

thread_local! {
    /// The last `Host` value found valid on this thread, and its length: a
    /// client sends the same one with every request of a connection.
    static KNOWN_HOST: Cell<([u8; KNOWN_HOST_MAX], u8)> =
        const { Cell::new(([0; KNOWN_HOST_MAX], 0)) };
}

/// [`valid_host`], answered by comparing bytes when `host` is the last
/// valid one seen on this thread (only valid values are remembered, so
/// the answer is the same, and cheaper: one short comparison).
fn known_host(host: &str) -> bool {
    let bytes = host.as_bytes();
    let Ok(len) = u8::try_from(bytes.len()) else {
        return valid_host(host);
    };
    if bytes.len() > KNOWN_HOST_MAX || bytes.is_empty() {
        return valid_host(host);
    }
    KNOWN_HOST.with(|known| {
        let (last, last_len) = known.get();
        if last_len == len && last[..bytes.len()] == *bytes {
            return true;
        }
        let valid = valid_host(host);
        if valid {
            let mut remembered = [0; KNOWN_HOST_MAX];
            remembered[..bytes.len()].copy_from_slice(bytes);
            known.set((remembered, len));
        }
        valid
    })
}

/// `uri-host [ ":" port ]` (RFC 9110 §7.2); an empty value is allowed.
fn valid_host(host: &str) -> bool {
    let bytes = host.as_bytes();
    if bytes.first() == Some(&b'[') {
        return valid_ip_literal_host(&bytes[1..]);
    }
    // A reg-name (or IPv4 address) has no colon: what is before the last
    // one is the name, what is after it the port. Without early exit, so
    // that the checks run branch-free (a host is short, and valid).
    let (name, port) = match bytes.iter().rposition(|&b| b == b':') {
        Some(colon) => (&bytes[..colon], &bytes[colon + 1..]),
        None => (bytes, &[][..]),
    };
    name.iter()
        .fold(true, |ok, &b| ok & REG_NAME[usize::from(b)])
        & port.iter().fold(true, |ok, &b| ok & b.is_ascii_digit())
}

/// The rest of a host after its `[`: `IP-literal [ ":" port ]`.
#[cold]
fn valid_ip_literal_host(rest: &[u8]) -> bool {
    let Some(end) = rest.iter().position(|&b| b == b']') else {
        return false;
    };
    let literal = &rest[..end];
    if literal.is_empty()
        || !literal
            .iter()
            .all(|&b| b.is_ascii_hexdigit() || b":.vV".contains(&b))
    {
        return false;
    }
    match &rest[end + 1..] {
        [] => true,
        [b':', port @ ..] => port.iter().all(u8::is_ascii_digit),
        _ => false,
    }
}

/// `unreserved / pct-encoded / sub-delims` of RFC 3986 `reg-name`.
static REG_NAME: [bool; 256] = crate::http::byte_set(b"-._~%!$&'()*+,;=");

/// The framing facts gathered from the fields, one field at a time.
#[allow(clippy::struct_excessive_bools)] // one flag per field seen
#[derive(Default)]
struct Framing {
    hosts: u32,
    content_length: Option<u64>,
    transfer_encoding: bool,
    chunked_last: bool,
    chunked_count: u32,
    unknown_coding: bool,
    close: bool,
    keep_alive: bool,
    expect_continue: bool,
    expect_other: bool,
}

impl Framing {
    fn see(&mut self, name: &str, value: &str) -> Result<(), Error> {
        if name.eq_ignore_ascii_case("host") {
            self.hosts += 1;
            if self.hosts > 1 {
                return Err(Error::RepeatedHost);
            }
            if !known_host(value) {
                return Err(Error::InvalidHost);
            }
        } else if name.eq_ignore_ascii_case("content-length") {
            // The usual value: digits only (at most 19: no overflow).
            let bytes = value.as_bytes();
            if !bytes.is_empty() && bytes.len() <= 19 && bytes.iter().all(u8::is_ascii_digit) {
                let n = bytes
                    .iter()
                    .fold(0u64, |n, &b| n * 10 + u64::from(b - b'0'));
                return match self.content_length {
                    Some(prev) if prev != n => Err(Error::ConflictingContentLength),
                    _ => {
                        self.content_length = Some(n);
                        Ok(())
                    }
                };
            }
            // RFC 9110 §8.6: a list of identical values may stand for one.
            for item in value.split(',') {
                let item = item.trim_matches([' ', '\t']);
                if item.is_empty() || !item.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(Error::InvalidContentLength);
                }
                let n: u64 = item.parse().map_err(|_| Error::InvalidContentLength)?;
                match self.content_length {
                    Some(prev) if prev != n => return Err(Error::ConflictingContentLength),
                    _ => self.content_length = Some(n),
                }
            }
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            self.transfer_encoding = true;
            for coding in value.split(',') {
                let coding = coding.trim_matches([' ', '\t']);
                if coding.is_empty() {
                    continue;
                }
                // A coding may carry parameters (`;q=…`); only its name matters.
                let name = coding
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim_matches([' ', '\t']);
                if name.eq_ignore_ascii_case("chunked") {
                    self.chunked_count += 1;
                    self.chunked_last = true;
                } else {
                    self.unknown_coding = true;
                    self.chunked_last = false;
                }
            }
        } else if name.eq_ignore_ascii_case("connection") {
            for option in value.split(',') {
                let option = option.trim_matches([' ', '\t']);
                if option.eq_ignore_ascii_case("close") {
                    self.close = true;
                } else if option.eq_ignore_ascii_case("keep-alive") {
                    self.keep_alive = true;
                }
            }
        } else if name.eq_ignore_ascii_case("expect") {
            if value
                .trim_matches([' ', '\t'])
                .eq_ignore_ascii_case("100-continue")
            {
                self.expect_continue = true;
            } else {
                self.expect_other = true;
            }
        }
        Ok(())
    }

    /// RFC 9112 §6.3, in order, with the stricter choices of the policy.
    #[allow(clippy::inline_always)] // measured: `#[inline]` left it a call (callgrind)
    #[inline(always)]
    fn finish(self, len: usize, version: Version, limits: &Limits) -> Result<Head, Error> {
        if version == Version::Http11 && self.hosts == 0 {
            return Err(Error::MissingHost);
        }
        let body = if self.transfer_encoding {
            // §6.3 rule 3: "If a message is received with both a
            // Transfer-Encoding and a Content-Length header field, the
            // Transfer-Encoding overrides the Content-Length. Such a message
            // might indicate an attempt to perform request smuggling" — we
            // reject it rather than pick one.
            if self.content_length.is_some() {
                return Err(Error::ContentLengthWithTransferEncoding);
            }
            // §6.1: a server MUST treat Transfer-Encoding in HTTP/1.0 as faulty framing.
            if version == Version::Http10 {
                return Err(Error::TransferEncodingInHttp10);
            }
            // §6.3 rule 4: chunked must be the final coding (and once only):
            // "If a Transfer-Encoding header field is present in a request and
            // the chunked transfer coding is not the final encoding, ... the
            // server MUST respond with the 400 (Bad Request) status code". This
            // is checked before the 501 for an unknown coding, so that
            // `chunked, gzip` is the framing error it is, not a 501.
            let misplaced_chunked =
                self.chunked_count > 1 || (self.chunked_count == 1 && !self.chunked_last);
            if misplaced_chunked || (self.chunked_count == 0 && !self.unknown_coding) {
                return Err(Error::InvalidTransferEncoding);
            }
            // §6.1: a coding the server does not know (`gzip, chunked`, or no
            // `chunked` at all, as in `gzip`) is 501.
            if self.unknown_coding {
                return Err(Error::UnsupportedTransferCoding);
            }
            BodyLength::Chunked
        } else {
            match self.content_length {
                // §6.3 rule 5; rule 6: without either, a request has no body.
                None | Some(0) => BodyLength::Empty,
                Some(n) if n > limits.max_body_bytes => return Err(Error::BodyTooLarge),
                Some(n) => BodyLength::Length(n),
            }
        };
        if self.expect_other {
            return Err(Error::UnsupportedExpectation);
        }
        let keep_alive = match version {
            Version::Http10 => self.keep_alive && !self.close,
            Version::Http11 => !self.close,
        };
        Ok(Head {
            len,
            body,
            keep_alive,
            expect_continue: self.expect_continue
                && version == Version::Http11
                && body != BodyLength::Empty,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &str) -> Result<(Head, Request), Error> {
        let mut req = Request::default();
        req.clear();
        parse_head(raw.as_bytes(), &Limits::default(), &mut req)
            .map(|h| (h.expect("complete"), req))
    }

    #[test]
    fn simple_get() {
        let (head, req) = parse("GET /a?b HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        assert_eq!(head.body, BodyLength::Empty);
        assert!(head.keep_alive);
        assert_eq!(req.path(), "/a");
        assert_eq!(req.header("HOST"), Some("x"));
    }

    #[test]
    fn hosts() {
        for ok in [
            "",
            "a.b",
            "a:80",
            "a:",
            "[::1]:8080",
            "[::1]",
            "[::1]:",
            "1.2.3.4:1",
        ] {
            assert!(valid_host(ok), "{ok}");
        }
        for bad in [
            "a b", "a/b", "[::1", "a:x", "a@b", "[zz]", "a:1:2", ":1:", "a:8:", "[::1]x", "[]",
            "[::1]:x", "a\u{e9}",
        ] {
            assert!(!valid_host(bad), "{bad}");
        }
    }

    /// A remembered host is one found valid: an invalid value is never
    /// taken for the last valid one, whatever came before it.
    #[test]
    fn known_hosts_are_valid_hosts() {
        for host in [
            "a:80", "a:80", "a:8x", "a:80", "[::1]:1", "a b", "a b", "x.y",
        ] {
            assert_eq!(known_host(host), valid_host(host), "{host}");
        }
        let long = "a".repeat(KNOWN_HOST_MAX + 1);
        assert!(known_host(&long) && known_host(&long[..KNOWN_HOST_MAX]));
        assert!(!known_host(&format!("{long} ")));
    }

    #[test]
    fn content_length_lists() {
        let (head, _) =
            parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\n\r\n").unwrap();
        assert_eq!(head.body, BodyLength::Length(5));
        let (head, _) =
            parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0012\r\n\r\n").unwrap();
        assert_eq!(head.body, BodyLength::Length(12));
        let max = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 9999999999999999999\r\n\r\n";
        assert_eq!(parse(max).unwrap_err(), Error::BodyTooLarge);
        let twice = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n";
        assert_eq!(parse(twice).unwrap_err(), Error::ConflictingContentLength);
        for bad in ["+5", "-1", "0x5", "5 5", "", "99999999999999999999999"] {
            let raw = format!("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: {bad}\r\n\r\n");
            assert_eq!(
                parse(&raw).unwrap_err(),
                Error::InvalidContentLength,
                "{bad}"
            );
        }
    }

    #[test]
    fn transfer_codings() {
        let te = |v: &str| {
            parse(&format!(
                "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: {v}\r\n\r\n"
            ))
            .map(|(h, _)| h.body)
        };
        assert_eq!(te("chunked"), Ok(BodyLength::Chunked));
        assert_eq!(te("Chunked"), Ok(BodyLength::Chunked));
        assert_eq!(te("gzip, chunked"), Err(Error::UnsupportedTransferCoding));
        assert_eq!(te("chunked, gzip"), Err(Error::InvalidTransferEncoding));
        assert_eq!(te("gzip"), Err(Error::UnsupportedTransferCoding));
        assert_eq!(te("chunked, chunked"), Err(Error::InvalidTransferEncoding));
        assert_eq!(te(","), Err(Error::InvalidTransferEncoding));
    }
}
