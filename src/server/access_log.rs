//! The access log: one [`log`] record per response, on target
//! `mini_async_http::access` at level `info`, when
//! [`ServerBuilder::access_log`](crate::ServerBuilder::access_log) is on.
//!
//! # Format
//! Combined Log Format with the time taken appended:
//!
//! ```text
//! %h - - [%d/%b/%Y:%H:%M:%S %z] "%r" %>s %b "%{Referer}i" "%{User-agent}i" %Dus
//! 203.0.113.9 - - [06/Nov/1994:08:49:37 +0000] "GET /a?b=1 HTTP/1.1" 200 5 "-" "curl/8.5.0" 42us
//! ```
//!
//! - `%h` is [`Request::client_ip`](crate::Request::client_ip) (the peer
//!   unless it is a trusted proxy).
//! - The time is UTC (`+0000`), to the second, when the worker took up the
//!   job that answered the request: the `Date` of the job's responses, with
//!   no clock read of its own. Pipelined requests answered in one job share
//!   it, also when slow handlers before them made the job last longer than
//!   a second.
//! - `%r` is the request line as received; `"-"` for input the server
//!   rejects itself (400, 408, 413, 417, 431, 501: its own answers, not a
//!   handler's).
//! - `%b` is the body bytes on the wire (`-` for none: `HEAD`, 204, 304).
//! - The Referer and User-Agent are `"-"` when absent.
//! - `%D` is the time from the complete request being handed to the handler
//!   to its response being queued for writing, in microseconds (the handler
//!   and encoding; not the write, which may finish later).
//!
//! In the request line, Referer and User-Agent, `"`, `\` and every byte
//! that is not printable ASCII (controls, DEL, anything above 0x7E) are
//! written as `\"`, `\\` and `\xHH`, as nginx does, so a client cannot end
//! the field or the line early and forge a record.
//!
//! | rule | record | test |
//! |---|---|---|
//! | `"` or `\` in the request line, Referer or User-Agent | `\"`, `\\` | `escapes_what_could_forge_a_record`, `tests/access_log.rs::client_fields_cannot_forge_a_record` |
//! | a control byte, DEL or non-ASCII byte there | `\xHH` | the same |
//! | no Referer or User-Agent; no body bytes | `"-"`; `-` | `record_format` |
//! | input the server rejects (400, 408, 413, 417, 431, 501) | request line `"-"`, time `0us` | `record_format`, `tests/access_log.rs::each_response_gets_one_record_in_combined_format` |
//! | `access_log` not set | no record | `tests/access_log.rs::off_by_default` |
//! | the logger leaves the target out | nothing formatted or passed to it | `tests/access_log.rs::nothing_reaches_the_logger_when_the_target_is_disabled` |
//! | a trusted proxy names the client | `%h` is that client | `tests/access_log.rs::records_name_the_client_behind_a_trusted_proxy` |
//!
//! # Cost
//! Records are made on the worker, after the response is queued, never in
//! the event loop. When the option is off, or the logger does not want
//! `info` on this target (`log::log_enabled!`, checked once per job),
//! nothing is formatted and no clock is read; when on, each request reads
//! the monotonic clock twice (for `%D`; the date is the job's), and a
//! record is formatted by hand (no `fmt` machinery) into a line buffer the
//! worker keeps; the logger gets the whole line as one argument.

use std::cell::{Cell, RefCell};
use std::io::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use crate::Request;
use crate::proto::{DATE_LEN, Observer};

/// The log target of access records.
pub(crate) const TARGET: &str = "mini_async_http::access";

/// The access log of one job on a worker.
#[derive(Debug)]
pub(crate) struct AccessLog {
    /// When the request being answered was handed to the handler (none for
    /// input the server rejects itself).
    handling: Cell<Option<Instant>>,
    /// The date of the job's records: when the worker took the job up.
    date: [u8; DATE_LEN],
}

impl AccessLog {
    /// A log for the next job, if records are wanted, with the job's date
    /// (the worker's, as in its responses' `Date`).
    #[inline]
    pub(crate) fn for_job(enabled: bool, date: [u8; DATE_LEN]) -> Option<AccessLog> {
        (enabled && log::log_enabled!(target: TARGET, log::Level::Info)).then(|| AccessLog {
            handling: Cell::new(None),
            date,
        })
    }
}

impl Observer for AccessLog {
    fn handling(&self, _request: &Request) {
        self.handling.set(Some(Instant::now()));
    }

    fn answered(&self, peer: SocketAddr, request: Option<&Request>, status: u16, body: u64) {
        let micros = match (request, self.handling.take()) {
            (Some(_), Some(at)) => at.elapsed().as_micros(),
            _ => 0,
        };
        let record = Record {
            peer,
            request,
            status,
            body,
            micros: u64::try_from(micros).unwrap_or(u64::MAX),
            date: self.date,
        };
        LINE.with(|line| match line.try_borrow_mut() {
            Ok(mut line) => {
                record.log(&mut line);
                // A record with a long target leaves no long buffer behind.
                if line.capacity() > LINE_KEEP {
                    *line = Vec::with_capacity(LINE_CAPACITY);
                }
            }
            // A logger that answers requests itself (re-entered): a
            // buffer of its own.
            Err(_) => record.log(&mut Vec::new()),
        });
    }
}

thread_local! {
    /// The worker's line buffer: a record is formatted into it, then passed
    /// to the logger whole.
    static LINE: RefCell<Vec<u8>> = RefCell::new(Vec::with_capacity(LINE_CAPACITY));
}

/// What a worker's line buffer starts with, and keeps up to.
const LINE_CAPACITY: usize = 256;
const LINE_KEEP: usize = 4096;

/// One access record.
struct Record<'a> {
    peer: SocketAddr,
    request: Option<&'a Request>,
    status: u16,
    body: u64,
    micros: u64,
    /// IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`.
    date: [u8; DATE_LEN],
}

impl Record<'_> {
    /// Formats the record into `line` and hands it to the logger.
    fn log(&self, line: &mut Vec<u8>) {
        line.clear();
        self.write(line);
        // Every byte written is ASCII (`write`), so the first arm is taken.
        match std::str::from_utf8(line) {
            Ok(text) => log::info!(target: TARGET, "{text}"),
            Err(_) => log::info!(target: TARGET, "{}", String::from_utf8_lossy(line)),
        }
    }

    /// Appends the record to `line`, in ASCII. Written byte by byte rather
    /// than through `fmt`: measured (callgrind, `pipe16` with the log on),
    /// the formatting machinery took about 4 600 instructions a record,
    /// five times the rest of a pipelined request (now about 1 750).
    fn write(&self, line: &mut Vec<u8>) {
        match self.request.map_or(self.peer.ip(), Request::client_ip) {
            IpAddr::V4(ip) => {
                for (i, octet) in ip.octets().into_iter().enumerate() {
                    if i > 0 {
                        line.push(b'.');
                    }
                    push_decimal(line, u64::from(octet));
                }
            }
            IpAddr::V6(ip) => {
                let _ = write!(line, "{ip}");
            }
        }
        // `Sun, 06 Nov 1994 08:49:37 GMT` → `[06/Nov/1994:08:49:37 +0000]`.
        let d = &self.date;
        line.extend_from_slice(&[
            b' ', b'-', b' ', b'-', b' ', b'[', d[5], d[6], b'/', d[8], d[9], d[10], b'/', d[12],
            d[13], d[14], d[15], b':', d[17], d[18], d[19], d[20], d[21], d[22], d[23], d[24],
            b' ', b'+', b'0', b'0', b'0', b'0', b']', b' ', b'"',
        ]);
        match self.request {
            Some(r) => {
                push_escaped(line, r.method().as_str().as_bytes());
                line.push(b' ');
                push_escaped(line, r.target().as_bytes());
                line.push(b' ');
                line.extend_from_slice(r.version().as_str().as_bytes());
            }
            None => line.push(b'-'),
        }
        line.extend_from_slice(b"\" ");
        push_decimal(line, u64::from(self.status));
        line.push(b' ');
        if self.body == 0 {
            line.push(b'-');
        } else {
            push_decimal(line, self.body);
        }
        let field = |name| self.request.and_then(|r| r.header(name)).unwrap_or("-");
        line.extend_from_slice(b" \"");
        push_escaped(line, field("referer").as_bytes());
        line.extend_from_slice(b"\" \"");
        push_escaped(line, field("user-agent").as_bytes());
        line.extend_from_slice(b"\" ");
        push_decimal(line, self.micros);
        line.extend_from_slice(b"us");
    }
}

/// Appends `n` in decimal.
fn push_decimal(line: &mut Vec<u8>, mut n: u64) {
    let mut digits = [b'0'; 20];
    let mut from = digits.len();
    loop {
        from -= 1;
        // A digit: `n % 10` < 10.
        digits[from] += (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    line.extend_from_slice(&digits[from..]);
}

/// Appends `text` with `"`, `\` and every byte outside printable ASCII
/// escaped (`\"`, `\\`, `\xHH`), so that only ASCII is appended whatever
/// the client sent.
fn push_escaped(line: &mut Vec<u8>, text: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let plain = |b: u8| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\';
    if text.iter().all(|&b| plain(b)) {
        line.extend_from_slice(text);
        return;
    }
    let mut from = 0;
    for (i, &b) in text.iter().enumerate() {
        if plain(b) {
            continue;
        }
        line.extend_from_slice(&text[from..i]);
        match b {
            b'"' => line.extend_from_slice(b"\\\""),
            b'\\' => line.extend_from_slice(b"\\\\"),
            _ => line.extend_from_slice(&[
                b'\\',
                b'x',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xf)],
            ]),
        }
        from = i + 1;
    }
    line.extend_from_slice(&text[from..]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Method, Version};

    impl Record<'_> {
        fn line(&self) -> String {
            let mut line = Vec::new();
            self.write(&mut line);
            String::from_utf8(line).expect("ASCII")
        }
    }

    #[test]
    fn escapes_what_could_forge_a_record() {
        let cases = [
            ("plain text/1.0", "plain text/1.0"),
            ("a\"b", "a\\\"b"),
            ("back\\slash", "back\\\\slash"),
            ("line\nbreak\r", "line\\x0Abreak\\x0D"),
            ("tab\tdel\x7f", "tab\\x09del\\x7F"),
            ("é", "\\xC3\\xA9"),
            ("", ""),
        ];
        for (raw, want) in cases {
            let mut line = Vec::new();
            push_escaped(&mut line, raw.as_bytes());
            assert_eq!(line, want.as_bytes(), "{raw:?}");
        }
    }

    #[test]
    fn record_format() {
        let req = Request::new(Method::Get, "/a?b=\"1\"")
            .with_version(Version::Http10)
            .with_peer_addr("192.0.2.1:5000".parse().unwrap())
            .with_header("Referer", "http://x/")
            .with_header("User-Agent", "t\"\n");
        let record = Record {
            peer: req.peer_addr(),
            request: Some(&req),
            status: 200,
            body: 5,
            micros: 42,
            date: *b"Sun, 06 Nov 1994 08:49:37 GMT",
        };
        assert_eq!(
            record.line(),
            "192.0.2.1 - - [06/Nov/1994:08:49:37 +0000] \"GET /a?b=\\\"1\\\" HTTP/1.0\" 200 5 \
             \"http://x/\" \"t\\\"\\x0A\" 42us"
        );
        let rejected = Record {
            request: None,
            body: 0,
            status: 400,
            micros: 0,
            ..record
        };
        assert_eq!(
            rejected.line(),
            "192.0.2.1 - - [06/Nov/1994:08:49:37 +0000] \"-\" 400 - \"-\" \"-\" 0us"
        );
    }

    #[test]
    fn numbers_and_ipv6_clients() {
        for (n, want) in [
            (0, "0"),
            (7, "7"),
            (10, "10"),
            (404, "404"),
            (u64::MAX, "18446744073709551615"),
        ] {
            let mut line = Vec::new();
            push_decimal(&mut line, n);
            assert_eq!(line, want.as_bytes());
        }
        let req =
            Request::new(Method::Head, "/").with_peer_addr("[2001:db8::1]:443".parse().unwrap());
        let record = Record {
            peer: req.peer_addr(),
            request: Some(&req),
            status: 304,
            body: 0,
            micros: 1_000_000,
            date: *b"Mon, 01 Jan 2024 00:00:09 GMT",
        };
        assert_eq!(
            record.line(),
            "2001:db8::1 - - [01/Jan/2024:00:00:09 +0000] \"HEAD / HTTP/1.1\" 304 - \"-\" \"-\" 1000000us"
        );
    }

    #[test]
    fn a_long_record_leaves_no_long_buffer() {
        let target = format!("/{}", "a".repeat(3 * LINE_KEEP));
        let req = Request::new(Method::Get, &target);
        let log = AccessLog {
            handling: Cell::new(None),
            date: *b"Sun, 06 Nov 1994 08:49:37 GMT",
        };
        log.handling(&req);
        log.answered(req.peer_addr(), Some(&req), 200, 5);
        LINE.with_borrow(|line| {
            assert!(line.capacity() <= LINE_KEEP, "{}", line.capacity());
        });
        // The next record is formatted as before.
        let short = Request::new(Method::Get, "/");
        log.answered(short.peer_addr(), Some(&short), 200, 5);
        LINE.with_borrow(|line| {
            assert!(line.starts_with(b"0.0.0.0 - - [06/Nov/1994:08:49:37 +0000] \"GET / "));
        });
    }
}
