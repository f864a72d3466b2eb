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
//! - The time is UTC (`+0000`), to the second, from the cached `Date`.
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
//! nothing is formatted and no clock is read; when on, a record is
//! formatted straight into the logger (no intermediate `String`).

use std::cell::Cell;
use std::fmt;
use std::net::SocketAddr;
use std::time::Instant;

use crate::Request;
use crate::proto::{Observer, http_date};

/// The log target of access records.
pub(crate) const TARGET: &str = "mini_async_http::access";

/// The access log of one job on a worker.
#[derive(Debug)]
pub(crate) struct AccessLog {
    /// When the request being answered was handed to the handler.
    handling: Cell<Instant>,
}

impl AccessLog {
    /// A log for the next job, if records are wanted.
    #[inline]
    pub(crate) fn for_job(enabled: bool) -> Option<AccessLog> {
        (enabled && log::log_enabled!(target: TARGET, log::Level::Info)).then(|| AccessLog {
            handling: Cell::new(Instant::now()),
        })
    }
}

impl Observer for AccessLog {
    fn handling(&self, _request: &Request) {
        self.handling.set(Instant::now());
    }

    fn answered(&self, peer: SocketAddr, request: Option<&Request>, status: u16, body: u64) {
        let micros = match request {
            Some(_) => self.handling.get().elapsed().as_micros(),
            None => 0,
        };
        let record = Record {
            peer,
            request,
            status,
            body,
            micros,
            date: http_date(),
        };
        log::info!(target: TARGET, "{record}");
    }
}

/// One access record, formatted when the logger writes it.
struct Record<'a> {
    peer: SocketAddr,
    request: Option<&'a Request>,
    status: u16,
    body: u64,
    micros: u128,
    /// IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`.
    date: [u8; crate::proto::DATE_LEN],
}

impl fmt::Display for Record<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ip = self.request.map_or(self.peer.ip(), Request::client_ip);
        let d = |range: std::ops::Range<usize>| {
            std::str::from_utf8(self.date.get(range).unwrap_or_default()).unwrap_or("?")
        };
        // `06 Nov 1994 08:49:37` → `06/Nov/1994:08:49:37 +0000`.
        write!(
            f,
            "{ip} - - [{}/{}/{}:{} +0000] ",
            d(5..7),
            d(8..11),
            d(12..16),
            d(17..25)
        )?;
        match self.request {
            Some(r) => write!(
                f,
                "\"{} {} {}\"",
                Escaped(r.method().as_str()),
                Escaped(r.target()),
                r.version()
            )?,
            None => f.write_str("\"-\"")?,
        }
        write!(f, " {} ", self.status)?;
        if self.body == 0 {
            f.write_str("-")?;
        } else {
            write!(f, "{}", self.body)?;
        }
        let field = |name| self.request.and_then(|r| r.header(name)).unwrap_or("-");
        write!(
            f,
            " \"{}\" \"{}\" {}us",
            Escaped(field("referer")),
            Escaped(field("user-agent")),
            self.micros
        )
    }
}

/// Text with `"`, `\` and every byte outside printable ASCII escaped.
struct Escaped<'a>(&'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bytes = self.0.as_bytes();
        let mut from = 0;
        for (i, &b) in bytes.iter().enumerate() {
            let plain = (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\';
            if plain {
                continue;
            }
            // Escapes fall on ASCII bytes or within a multi-byte character;
            // a run of plain bytes always ends on a character boundary.
            f.write_str(self.0.get(from..i).unwrap_or_default())?;
            match b {
                b'"' => f.write_str("\\\"")?,
                b'\\' => f.write_str("\\\\")?,
                _ => write!(f, "\\x{b:02X}")?,
            }
            from = i + 1;
        }
        f.write_str(self.0.get(from..).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Method, Version};

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
            assert_eq!(Escaped(raw).to_string(), want, "{raw:?}");
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
            record.to_string(),
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
            rejected.to_string(),
            "192.0.2.1 - - [06/Nov/1994:08:49:37 +0000] \"-\" 400 - \"-\" \"-\" 0us"
        );
    }
}
