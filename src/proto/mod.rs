//! HTTP/1.1 without sockets, threads or clocks: bytes in, requests out;
//! responses in, bytes out. Everything here can be driven from a test or a fuzz
//! target with plain byte slices ([`Conn`] is the entry point).
//!
//! # Framing and smuggling policy
//!
//! This is the one place that says what the server does with each kind of bad
//! input (RFC 9112 §2–§7, RFC 9110 §5, §8.6, §10.1.1). Every rejection sends the
//! status below with `Connection: close`, answers nothing after it on that
//! connection, half-closes and then closes the connection (lingering briefly so
//! the client reads the status instead of a reset). Each rule has a test of the
//! same name in `tests/bad_input.rs`.
//!
//! | rule | status | test |
//! |---|---|---|
//! | request line or field line that `httparse` rejects (bad method token, bad header-name token, missing version, …) | 400 | `malformed_request_line`, `invalid_method_token`, `invalid_header_name` |
//! | obs-fold: a field line starting with SP or HTAB (RFC 9112 §5.2) | 400 | `obs_fold` |
//! | whitespace between field name and colon (RFC 9112 §5.1) | 400 | `space_before_colon` |
//! | bare CR anywhere in the head (RFC 9112 §2.2) | 400 | `bare_cr` |
//! | NUL or another control byte in the head | 400 | `nul_in_header_value`, `control_byte_in_target` |
//! | a header value that is not UTF-8 (obs-text is not accepted) | 400 | `non_utf8_header_value` |
//! | a request-target that is none of the four forms of RFC 9112 §3.2, or has non-ASCII bytes | 400 | `invalid_target` |
//! | a version other than HTTP/1.0 and HTTP/1.1 | 400 | `unsupported_version` |
//! | HTTP/1.1 without `Host`, with two, or with an invalid one (RFC 9112 §3.2) | 400 | `missing_host`, `repeated_host`, `invalid_host` |
//! | `Content-Length` that is not 1*DIGIT (sign, space, hex, empty) or overflows u64 | 400 | `content_length_invalid` |
//! | several `Content-Length` values that differ (identical repeats are accepted, RFC 9110 §8.6) | 400 | `content_length_conflict` |
//! | `Content-Length` together with `Transfer-Encoding` (RFC 9112 §6.3 rule 3: rejected, not resolved) | 400 | `content_length_with_transfer_encoding` |
//! | `Transfer-Encoding` in an HTTP/1.0 request (RFC 9112 §6.1) | 400 | `transfer_encoding_http10` |
//! | `Transfer-Encoding` with a coding other than `chunked` | 501 | `transfer_encoding_unknown` |
//! | `Transfer-Encoding` where `chunked` is not the last coding, appears twice, or the list is empty | 400 | `transfer_encoding_chunked_not_last` |
//! | chunk size that is empty, not hex, longer than 16 digits or over u64 | 400 | `chunk_size_invalid` |
//! | chunk data not followed by CRLF; bare LF or CR in a chunk line | 400 | `chunk_missing_crlf` |
//! | chunk extensions over 16 KiB in one message (httparse does not bound them) | 400 | `chunk_extensions_too_long` |
//! | a trailer section with control bytes | 400 | `trailer_invalid` |
//! | a trailer section over 16 KiB | 431 | `trailer_invalid` |
//! | a head over `max_head_bytes` (64 KiB) | 431 | `head_too_large` |
//! | more than `max_headers` (100) fields | 431 | `too_many_headers` |
//! | a body over `max_body_bytes` (1 MiB), by `Content-Length` (before reading it, and instead of `100 Continue`) or by chunks | 413 | `body_too_large_content_length`, `body_too_large_chunked` |
//! | `Expect` other than `100-continue` (RFC 9110 §10.1.1) | 417 | `expect_unknown` |
//! | a head or body that does not arrive within its timeout | 408 | `tests/robustness.rs::slowloris_is_closed` |
//! | more than 8 empty lines before a request line | 400 | `too_many_empty_lines` |
//! | a body over the spool threshold (1 MiB) that cannot be stored: its temporary file cannot be made (then instead of `100 Continue`) or written (its own rules: `src/proto/spool.rs`) | 507 | `tests/spool.rs::spool_write_error` |
//! | bytes after a request with `Connection: close` (or after any rejected request) | not answered | `nothing_answered_after_close` |
//!
//! Accepted leniencies, as hyper and nginx accept them: up to 8 empty lines
//! before a request line (RFC 9112 §2.2; more are a 400), a bare LF as the line terminator of the head,
//! `Expect: 100-continue` in HTTP/1.0 (ignored, RFC 9110 §10.1.1), chunk
//! extensions and trailer fields (read and dropped).

//!
//! # Response body policy
//!
//! How the body a handler returns goes on the wire (RFC 9112 §6, RFC 9110
//! §6.4.1, §9.3.2). This layer frames a streamed body (a file, a reader, a
//! channel: see [`Body`](crate::Body)) and never reads it: the server pulls
//! its bytes as the socket takes them (see `output.rs` and the worker pool).
//! Tests are in `tests/streaming.rs` unless named otherwise.
//!
//! | rule | what is sent | test |
//! |---|---|---|
//! | a known length (in memory, a file or a range of one, a reader with its length) | `Content-Length` | `file_body_and_a_range_of_one`, `readers_of_known_and_unknown_length` |
//! | an unknown length (a reader without one, a channel), HTTP/1.1 | `Transfer-Encoding: chunked`, ended by the last chunk | `readers_of_known_and_unknown_length`, `channel_events_arrive_as_they_are_sent` |
//! | an unknown length, HTTP/1.0 | no length: the body ends when the connection closes (`Connection: close`; half-close, then close) | `readers_of_known_and_unknown_length` |
//! | `HEAD` | the head only, with the length when known (`Transfer-Encoding: chunked` when not, HTTP/1.1); the source is dropped unread (a channel's producer is told) | `head_reads_nothing_from_the_source` |
//! | 204 and 304 | never a body: the builder refuses one that is not known to be empty, and the encoder drops any source unread | `no_content_and_not_modified_refuse_a_streamed_body` |
//! | a source that fails, or ends before its announced length (a file that shrank) | nothing more is written and the connection closes: never padded, a chunked body gets no last chunk; other connections are unaffected | `a_failing_reader_closes_its_connection_and_no_other`, `a_file_that_shrinks_while_sent_is_cut_off_not_padded` |
//! | a reader with more bytes than announced | the announced bytes only | `output::tests::a_length_stream_sends_exactly_its_length` |
//! | an empty message in a channel | skipped (it would read as the last chunk) | `dropping_the_sender_ends_the_body_and_the_connection_goes_on` |
//! | a reader or channel body sent a second time (a clone) | 500 | `a_reader_or_channel_body_is_sent_once` |
//! | requests pipelined behind a streamed body | answered after it, in order (not processed until it ends, so that its unknown length bounds nothing) | `pipelined_requests_behind_streamed_bodies_are_answered_in_order`, `stream_proptests::streamed_bodies_keep_their_place_in_the_output` |
//! | a channel body's producer sends nothing for `producer_timeout` (none by default) | the connection closes (no last chunk) | `producer_timeout_closes_a_quiet_channel` |
//! | the client half-closes while a channel body waits for its producer | taken as gone: the connection closes, the producer is told | `channel_events_arrive_as_they_are_sent` |

mod conn;
mod date;
mod decode;
mod encode;
mod output;
mod parse;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod raw_body_tests;
mod spool;
#[cfg(test)]
mod spool_tests;
#[cfg(test)]
mod stream_proptests;

#[cfg(test)]
pub(crate) use conn::{OUTPUT_HIGH_WATER, SPLICE_MIN};
mod tally;

pub use conn::{BufferPool, CloseReason, Conn, Ctx, Phase};
pub use date::{DATE_LEN, http_date};
#[cfg(feature = "internals")]
pub use decode::BodyDecoder;
pub use encode::Stamp;
#[cfg(feature = "internals")]
pub use encode::{Delimit, Framing, encode, encode_head};
pub use output::STREAM_WINDOW;
#[cfg(feature = "internals")]
pub use parse::{BodyLength, Head, parse_head};
pub use parse::{Limits, MAX_HEADERS_CAP};
pub use spool::{Spool, SpoolWriter};
pub use tally::{Observer, Tally};

use std::fmt;

/// One variant per rejected input; [`Error::status`] maps it to the status
/// the client gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// `httparse` rejected the request line or a field line.
    Malformed(httparse::Error),
    /// A header value has bytes that are not UTF-8.
    HeaderValueNotUtf8,
    /// The request-target is not one of the forms of RFC 9112 §3.2.
    InvalidTarget,
    /// HTTP/1.1 without a `Host` field.
    MissingHost,
    /// More than one `Host` field.
    RepeatedHost,
    /// A `Host` value that is not `host[:port]`.
    InvalidHost,
    /// A `Content-Length` value that is not a decimal number.
    InvalidContentLength,
    /// `Content-Length` values that differ.
    ConflictingContentLength,
    /// `Content-Length` and `Transfer-Encoding` together.
    ContentLengthWithTransferEncoding,
    /// `Transfer-Encoding` in an HTTP/1.0 request.
    TransferEncodingInHttp10,
    /// `Transfer-Encoding` where `chunked` is missing, not last or repeated.
    InvalidTransferEncoding,
    /// A transfer coding other than `chunked`.
    UnsupportedTransferCoding,
    /// A chunk-size line that is not valid.
    InvalidChunkSize,
    /// Chunk data not followed by CRLF, or a bad line ending in a chunk line.
    InvalidChunkDelimiter,
    /// Chunk extensions over their limit.
    ChunkExtensionsTooLong,
    /// A trailer field with bad bytes.
    InvalidTrailer,
    /// Trailer section over its limit.
    TrailersTooLarge,
    /// The head is larger than `max_head_bytes`.
    HeadTooLarge,
    /// More than `max_headers` fields.
    TooManyHeaders,
    /// The body is larger than `max_body_bytes`.
    BodyTooLarge,
    /// An `Expect` value other than `100-continue`.
    UnsupportedExpectation,
    /// The head or the body did not arrive in time.
    Timeout,
    /// A body over the spool threshold could not be stored (the server's
    /// error, not the client's: 507).
    SpoolFailed,
}

impl Error {
    /// The status sent for this error.
    #[must_use]
    pub fn status(self) -> u16 {
        match self {
            Error::UnsupportedTransferCoding => 501,
            Error::HeadTooLarge | Error::TooManyHeaders | Error::TrailersTooLarge => 431,
            Error::BodyTooLarge => 413,
            Error::UnsupportedExpectation => 417,
            Error::Timeout => 408,
            Error::SpoolFailed => 507,
            _ => 400,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            Error::Malformed(e) => return write!(f, "malformed head: {e}"),
            Error::HeaderValueNotUtf8 => "header value is not UTF-8",
            Error::InvalidTarget => "invalid request-target",
            Error::MissingHost => "missing Host header",
            Error::RepeatedHost => "more than one Host header",
            Error::InvalidHost => "invalid Host header",
            Error::InvalidContentLength => "invalid Content-Length",
            Error::ConflictingContentLength => "conflicting Content-Length values",
            Error::ContentLengthWithTransferEncoding => "both Content-Length and Transfer-Encoding",
            Error::TransferEncodingInHttp10 => "Transfer-Encoding in an HTTP/1.0 request",
            Error::InvalidTransferEncoding => "chunked must be the last transfer coding, once",
            Error::UnsupportedTransferCoding => "unsupported transfer coding",
            Error::InvalidChunkSize => "invalid chunk size",
            Error::InvalidChunkDelimiter => "invalid chunk delimiter",
            Error::ChunkExtensionsTooLong => "chunk extensions too long",
            Error::InvalidTrailer => "invalid trailer field",
            Error::TrailersTooLarge => "trailer section too large",
            Error::HeadTooLarge => "request head too large",
            Error::TooManyHeaders => "too many header fields",
            Error::BodyTooLarge => "request body too large",
            Error::UnsupportedExpectation => "unsupported expectation",
            Error::Timeout => "request not received in time",
            Error::SpoolFailed => "request body could not be stored",
        };
        f.write_str(text)
    }
}

impl std::error::Error for Error {}
