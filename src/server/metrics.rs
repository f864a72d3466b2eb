//! [`Metrics`]: what the server is doing, as a snapshot
//! ([`ServerHandle::metrics`](crate::ServerHandle::metrics)) and as
//! Prometheus text ([`Metrics::to_prometheus`],
//! [`ServerHandle::metrics_handler`](crate::ServerHandle::metrics_handler)).
//!
//! Taking a snapshot reads and sums the per-worker counters (see
//! `src/server/stats.rs`): no lock, nothing the request path waits for.
//!
//! # Prometheus text
//! The text exposition format (version 0.0.4) is written by hand: it is a
//! few lines of `# HELP`, `# TYPE` and `name{label="value"} number`, and a
//! client library would bring a registry, a global default and dependencies
//! to print the same lines. Every label has a fixed set of values (a reason,
//! a status class, a phase, a limit), never a path, a Host or a client, so
//! the number of series is bounded. A test runs `promtool check metrics`
//! on the output. The families are listed in the docs of
//! [`Metrics::to_prometheus`].

use std::fmt::Write as _;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use super::Shared;
use crate::{Request, Response, ResponseBuilder};

/// The content type of [`Metrics::to_prometheus`].
const PROMETHEUS_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A snapshot of a server's counters; see
/// [`ServerHandle::metrics`](crate::ServerHandle::metrics).
///
/// Counters (`…_total` in Prometheus) only grow while the server runs;
/// gauges (open connections, busy workers, queued jobs, uploads and
/// responses in progress) go up and down.
///
/// ```
/// use mini_async_http::{AIOServer, ResponseBuilder};
/// let server = AIOServer::bind(2, "127.0.0.1:0", |_| ResponseBuilder::new().build().unwrap()).unwrap();
/// let m = server.handle().metrics();
/// assert_eq!((m.workers, m.connections_open, m.responses.total()), (2, 0, 0));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Metrics {
    /// Time since the server was bound.
    pub uptime: Duration,
    /// Worker threads.
    pub workers: u64,
    /// Workers serving a connection right now.
    pub workers_busy: u64,
    /// Connections ready and waiting for a worker.
    pub jobs_queued: u64,
    /// Connections open now.
    pub connections_open: u64,
    /// Connections accepted.
    pub connections_accepted: u64,
    /// Connections closed, by reason.
    pub closes: Closes,
    /// Responses sent (queued for writing), by status class; the server's
    /// own rejections, 408s and `100 Continue` included.
    pub responses: Responses,
    /// Bytes of HTTP received (over TLS: the plaintext, after decryption).
    pub bytes_received: u64,
    /// Bytes of HTTP written to sockets (over TLS: the plaintext, before
    /// encryption).
    pub bytes_sent: u64,
    /// Requests or connections that hit a configured limit.
    pub limit_hits: LimitHits,
    /// Deadlines that passed, by what the connection was waiting for.
    pub timeouts: Timeouts,
    /// Requests rejected for breaking the protocol policy, by status (see
    /// the table in the `proto` module doc).
    pub rejected: Rejections,
    /// Handler calls that panicked (each answered 500).
    pub handler_panics: u64,
    /// TLS handshakes completed (0 without
    /// [`ServerBuilder::tls`](crate::ServerBuilder)).
    pub tls_handshakes: u64,
    /// TLS connections closed before their handshake completed, whatever
    /// the cause: a TLS error or refused hello (the client got an alert),
    /// plain HTTP on the TLS port (answered 400), the client leaving, the
    /// header deadline, shutdown. So TLS connections accepted = handshakes
    /// + failures + handshakes under way.
    pub tls_handshake_failures: u64,
    /// Request bodies being spooled to a temporary file now (over
    /// `spool_threshold`, not yet complete), as of each connection's last
    /// pass on a worker.
    pub spooled_uploads: u64,
    /// Responses whose body is streaming (from a file, reader or channel)
    /// now, as of each connection's last pass on a worker (a body that
    /// starts and ends within one pass, such as a small file sent at once,
    /// is never seen in progress).
    pub streaming_responses: u64,
}

/// Closed connections by reason (`mini_http_connections_closed_total`).
///
/// ```
/// # use mini_async_http::{AIOServer, ResponseBuilder};
/// # let server = AIOServer::bind(1, "127.0.0.1:0", |_| ResponseBuilder::new().build().unwrap()).unwrap();
/// let closes = server.handle().metrics().closes;
/// assert_eq!(closes.client_closed + closes.timeout, 0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Closes {
    /// The client closed its side.
    pub client_closed: u64,
    /// After a response with `Connection: close` (asked for by the client
    /// or the handler, or HTTP/1.0 without keep-alive).
    pub not_keep_alive: u64,
    /// After `max_requests_per_connection` requests.
    pub request_limit: u64,
    /// After a rejected request (400, 413, 417, 431, 501).
    pub rejected: u64,
    /// A deadline passed (408, idle, write or linger timeout).
    pub timeout: u64,
    /// Closed by a graceful shutdown.
    pub shutdown: u64,
    /// The socket failed (reset, broken pipe), or a streamed response
    /// body's source failed and the response was cut off.
    pub error: u64,
}

/// Responses by status class (`mini_http_responses_total{class=…}`).
///
/// ```
/// # use mini_async_http::{AIOServer, ResponseBuilder};
/// # let server = AIOServer::bind(1, "127.0.0.1:0", |_| ResponseBuilder::new().build().unwrap()).unwrap();
/// let r = server.handle().metrics().responses;
/// assert_eq!(r.success, 0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Responses {
    /// 1xx.
    pub informational: u64,
    /// 2xx.
    pub success: u64,
    /// 3xx.
    pub redirection: u64,
    /// 4xx.
    pub client_error: u64,
    /// 5xx.
    pub server_error: u64,
}

impl Responses {
    /// All classes together.
    ///
    /// ```
    /// # use mini_async_http::{AIOServer, ResponseBuilder};
    /// # let server = AIOServer::bind(1, "127.0.0.1:0", |_| ResponseBuilder::new().build().unwrap()).unwrap();
    /// assert_eq!(server.handle().metrics().responses.total(), 0);
    /// ```
    #[must_use]
    pub fn total(&self) -> u64 {
        self.informational + self.success + self.redirection + self.client_error + self.server_error
    }
}

/// Limits hit (`mini_http_limit_hits_total{limit=…}`).
///
/// ```
/// # use mini_async_http::{AIOServer, ResponseBuilder};
/// # let server = AIOServer::bind(1, "127.0.0.1:0", |_| ResponseBuilder::new().build().unwrap()).unwrap();
/// assert_eq!(server.handle().metrics().limit_hits.body, 0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LimitHits {
    /// Heads over `max_head_bytes` (431).
    pub head: u64,
    /// Heads with more than `max_headers` fields (431).
    pub headers: u64,
    /// Bodies over `max_body_bytes` (413).
    pub body: u64,
    /// New connections that found `max_connections` open (they wait in
    /// the listen backlog; counted per listener event, so a burst may count
    /// once).
    pub connections: u64,
    /// Connections answered 503 because the process was out of file
    /// descriptors (raise `LimitNOFILE`).
    pub descriptors: u64,
}

/// Deadlines that passed (`mini_http_timeouts_total{phase=…}`).
///
/// ```
/// # use mini_async_http::{AIOServer, ResponseBuilder};
/// # let server = AIOServer::bind(1, "127.0.0.1:0", |_| ResponseBuilder::new().build().unwrap()).unwrap();
/// assert_eq!(server.handle().metrics().timeouts.idle, 0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timeouts {
    /// `header_timeout`: a head that did not arrive (408, or a silent
    /// close when nothing was sent).
    pub header: u64,
    /// `body_timeout` (408).
    pub body: u64,
    /// `idle_timeout` between requests.
    pub idle: u64,
    /// `write_timeout`: a client that does not read.
    pub write: u64,
    /// `linger_timeout`: a closing client that does not close.
    pub linger: u64,
}

/// Rejected requests by status (`mini_http_rejected_requests_total{status=…}`).
///
/// ```
/// # use mini_async_http::{AIOServer, ResponseBuilder};
/// # let server = AIOServer::bind(1, "127.0.0.1:0", |_| ResponseBuilder::new().build().unwrap()).unwrap();
/// assert_eq!(server.handle().metrics().rejected.total(), 0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Rejections {
    /// 400: malformed or smuggling-prone framing.
    pub bad_request: u64,
    /// 413: body over `max_body_bytes`.
    pub content_too_large: u64,
    /// 417: an unknown `Expect`.
    pub expectation_failed: u64,
    /// 431: head or trailers too large, too many fields.
    pub header_fields_too_large: u64,
    /// 501: a transfer coding other than `chunked`.
    pub not_implemented: u64,
}

impl Rejections {
    /// All statuses together.
    ///
    /// ```
    /// # use mini_async_http::{AIOServer, ResponseBuilder};
    /// # let server = AIOServer::bind(1, "127.0.0.1:0", |_| ResponseBuilder::new().build().unwrap()).unwrap();
    /// assert_eq!(server.handle().metrics().rejected.total(), 0);
    /// ```
    #[must_use]
    pub fn total(&self) -> u64 {
        self.bad_request
            + self.content_too_large
            + self.expectation_failed
            + self.header_fields_too_large
            + self.not_implemented
    }
}

impl Metrics {
    /// The snapshot in the Prometheus text format (version 0.0.4):
    ///
    /// | metric | type | labels |
    /// |---|---|---|
    /// | `mini_http_uptime_seconds` | gauge | |
    /// | `mini_http_workers`, `mini_http_workers_busy`, `mini_http_jobs_queued` | gauge | |
    /// | `mini_http_connections_open` | gauge | |
    /// | `mini_http_connections_accepted_total` | counter | |
    /// | `mini_http_connections_closed_total` | counter | `reason`: `client_closed`, `not_keep_alive`, `request_limit`, `rejected`, `timeout`, `shutdown`, `error` |
    /// | `mini_http_responses_total` | counter | `class`: `1xx` … `5xx` |
    /// | `mini_http_received_bytes_total`, `mini_http_sent_bytes_total` | counter | |
    /// | `mini_http_limit_hits_total` | counter | `limit`: `head`, `headers`, `body`, `connections`, `descriptors` |
    /// | `mini_http_timeouts_total` | counter | `phase`: `header`, `body`, `idle`, `write`, `linger` |
    /// | `mini_http_rejected_requests_total` | counter | `status`: `400`, `413`, `417`, `431`, `501` |
    /// | `mini_http_handler_panics_total` | counter | |
    /// | `mini_http_tls_handshakes_total` | counter | `result`: `ok`, `failed` |
    /// | `mini_http_spooled_uploads`, `mini_http_streaming_responses` | gauge | |
    ///
    /// ```
    /// # use mini_async_http::{AIOServer, ResponseBuilder};
    /// # let server = AIOServer::bind(1, "127.0.0.1:0", |_| ResponseBuilder::new().build().unwrap()).unwrap();
    /// let text = server.handle().metrics().to_prometheus();
    /// assert!(text.contains("# TYPE mini_http_responses_total counter\n"));
    /// assert!(text.contains("mini_http_responses_total{class=\"2xx\"} 0\n"));
    /// ```
    #[must_use]
    pub fn to_prometheus(&self) -> String {
        let mut out = String::with_capacity(4096);
        for (name, kind, help, label, samples) in self.families() {
            let _ = writeln!(out, "# HELP mini_http_{name} {help}");
            let _ = writeln!(out, "# TYPE mini_http_{name} {kind}");
            for (value, n) in samples {
                if label.is_empty() {
                    let _ = writeln!(out, "mini_http_{name} {n}");
                } else {
                    let _ = writeln!(out, "mini_http_{name}{{{label}=\"{value}\"}} {n}");
                }
            }
        }
        let _ = writeln!(
            out,
            "# HELP mini_http_uptime_seconds Seconds since the server was bound.\n\
             # TYPE mini_http_uptime_seconds gauge\n\
             mini_http_uptime_seconds {:.3}",
            self.uptime.as_secs_f64()
        );
        out
    }

    /// Every family but the uptime: name, type, help, label, samples.
    #[allow(clippy::too_many_lines)] // a table, one entry per family
    fn families(&self) -> [Family; 16] {
        const G: &str = "gauge";
        const C: &str = "counter";
        let one = |n: u64| vec![("", n)];
        let (closes, resp, limits) = (&self.closes, &self.responses, &self.limit_hits);
        let (timeouts, rej) = (&self.timeouts, &self.rejected);
        [
            ("workers", G, "Worker threads.", "", one(self.workers)),
            (
                "workers_busy",
                G,
                "Workers serving a connection.",
                "",
                one(self.workers_busy),
            ),
            (
                "jobs_queued",
                G,
                "Ready connections waiting for a worker.",
                "",
                one(self.jobs_queued),
            ),
            (
                "connections_open",
                G,
                "Open connections.",
                "",
                one(self.connections_open),
            ),
            (
                "connections_accepted_total",
                C,
                "Connections accepted.",
                "",
                one(self.connections_accepted),
            ),
            (
                "connections_closed_total",
                C,
                "Connections closed, by reason.",
                "reason",
                vec![
                    ("client_closed", closes.client_closed),
                    ("not_keep_alive", closes.not_keep_alive),
                    ("request_limit", closes.request_limit),
                    ("rejected", closes.rejected),
                    ("timeout", closes.timeout),
                    ("shutdown", closes.shutdown),
                    ("error", closes.error),
                ],
            ),
            (
                "responses_total",
                C,
                "Responses sent, by status class.",
                "class",
                vec![
                    ("1xx", resp.informational),
                    ("2xx", resp.success),
                    ("3xx", resp.redirection),
                    ("4xx", resp.client_error),
                    ("5xx", resp.server_error),
                ],
            ),
            (
                "received_bytes_total",
                C,
                "HTTP bytes received.",
                "",
                one(self.bytes_received),
            ),
            (
                "sent_bytes_total",
                C,
                "HTTP bytes sent.",
                "",
                one(self.bytes_sent),
            ),
            (
                "limit_hits_total",
                C,
                "Requests or connections that hit a configured limit.",
                "limit",
                vec![
                    ("head", limits.head),
                    ("headers", limits.headers),
                    ("body", limits.body),
                    ("connections", limits.connections),
                    ("descriptors", limits.descriptors),
                ],
            ),
            (
                "timeouts_total",
                C,
                "Deadlines that passed, by phase.",
                "phase",
                vec![
                    ("header", timeouts.header),
                    ("body", timeouts.body),
                    ("idle", timeouts.idle),
                    ("write", timeouts.write),
                    ("linger", timeouts.linger),
                ],
            ),
            (
                "rejected_requests_total",
                C,
                "Requests rejected by the protocol policy, by status.",
                "status",
                vec![
                    ("400", rej.bad_request),
                    ("413", rej.content_too_large),
                    ("417", rej.expectation_failed),
                    ("431", rej.header_fields_too_large),
                    ("501", rej.not_implemented),
                ],
            ),
            (
                "handler_panics_total",
                C,
                "Handler calls that panicked.",
                "",
                one(self.handler_panics),
            ),
            (
                "tls_handshakes_total",
                C,
                "TLS handshakes, by result.",
                "result",
                vec![
                    ("ok", self.tls_handshakes),
                    ("failed", self.tls_handshake_failures),
                ],
            ),
            (
                "spooled_uploads",
                G,
                "Request bodies being spooled to a file.",
                "",
                one(self.spooled_uploads),
            ),
            (
                "streaming_responses",
                G,
                "Responses whose body is streaming.",
                "",
                one(self.streaming_responses),
            ),
        ]
    }
}

/// One metric family: name (after `mini_http_`), type, help, label name
/// (empty: none), and `(label value, number)` samples.
type Family = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Vec<(&'static str, u64)>,
);

/// Where a metrics handler finds its server's counters: given at once
/// ([`ServerHandle`](crate::ServerHandle)), or once the builder it came from
/// has bound a server.
#[derive(Clone, Debug)]
pub(crate) enum Source {
    Bound(Arc<Shared>),
    Later(Arc<OnceLock<Arc<Shared>>>),
}

impl Source {
    pub(crate) fn metrics(&self) -> Option<Metrics> {
        let shared = match self {
            Source::Bound(shared) => shared,
            Source::Later(cell) => cell.get()?,
        };
        Some(shared.metrics())
    }

    /// A handler answering every request with the Prometheus text (503
    /// while there is no server yet).
    pub(crate) fn handler(self) -> impl Fn(&Request) -> Response + Clone + Send + Sync + 'static {
        move |_req: &Request| match self.metrics() {
            Some(m) => ResponseBuilder::empty_200()
                .content_type(PROMETHEUS_TYPE)
                .header("Cache-Control", "no-store")
                .body(m.to_prometheus())
                .build()
                .unwrap_or_else(|_| Response::plain(500, "cannot build the metrics response\n")),
            None => Response::plain(503, "the server is not bound yet\n"),
        }
    }
}
