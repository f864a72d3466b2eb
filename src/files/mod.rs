//! [`Files`]: a handler that serves a directory (feature `files`, Unix).
//!
//! It looks up [`Request::route_path`], the path below the prefix it is
//! mounted under (the whole path when it is not mounted), and answers with
//! the file as a [`Body::file`] (or, for several ranges, a
//! `multipart/byteranges` [`Body::reader`]), which the server sends from the
//! file as the client takes it. A GET of at most 16 KiB (a small file, or a
//! small range of a large one) is answered with the bytes, read when the
//! response is made, so that the server sends them with the head in one
//! write: one TCP segment instead of a write and a `sendfile`
//! (`files::tests::small_bodies_read_with_the_response`).
//!
//! # Policy
//!
//! RFC 9110 §8.8 (validators), §13 (conditional requests), §14 (ranges).
//! Tests named `files::…` are unit tests in `src/files/` (they also read the
//! bodies back); the others are in `tests/files.rs`. `tests/files_wire.rs`
//! checks bodies, ranges, `HEAD`, `304`, large and shrinking files and
//! pipelining through the server over real sockets.
//!
//! | rule | status | test |
//! |---|---|---|
//! | GET of a regular file: the whole file, `Content-Length` its size | 200 | `files::tests::get_serves_whole_file` |
//! | HEAD: the same head as GET, no body; `Range` is not applied to HEAD | 200 | `head_has_get_headers`, `files::tests::head_ignores_range` |
//! | any other method | 405, `Allow: GET, HEAD` | `other_methods_not_allowed` |
//! | `Content-Type` from the extension; `; charset=utf-8` for text, JavaScript, JSON, XML, SVG; `application/octet-stream` when unknown | | `content_type_from_extension`, `files::encoding::tests::content_types` |
//! | `X-Content-Type-Options: nosniff`, `Accept-Ranges: bytes`, `Last-Modified`, a strong `ETag`; `Cache-Control` only when configured | | `representation_headers`, `cache_control_configured` |
//! | the `ETag` changes with the mtime (to the nanosecond) and with the size | | `files::tests::etag_follows_mtime_and_size` |
//! | `If-Match` with no tag that is strongly equal (and not `*`) | 412 | `if_match_strong_comparison` |
//! | `If-Unmodified-Since` before the mtime, without `If-Match` | 412 | `if_unmodified_since_checked_without_if_match` |
//! | `If-None-Match` with `*` or a weakly equal tag (in a list, or in several fields) | 304 with `ETag`, `Last-Modified`, no body | `if_none_match_weak_comparison` |
//! | `If-Modified-Since` not before the mtime, only without `If-None-Match` | 304 | `if_modified_since_only_without_if_none_match` |
//! | a date that does not parse (the field is ignored) | 200 | `files::validators::tests::unparsable_dates_ignored`, `unparsable_date_ignored` |
//! | one range `a-b`, `a-` or `-n` (its end clipped to the file) | 206, `Content-Range: bytes a-b/len` | `files::tests::single_range`, `files::range::tests::single_ranges` |
//! | no range starts inside the file | 416, `Content-Range: bytes */len` | `unsatisfiable_range`, `files::range::tests::unsatisfiable_ranges` |
//! | a `Range` that does not parse, another unit, two `Range` fields, an empty file | 200, whole file | `invalid_range_ignored`, `files::range::tests::invalid_ranges_ignored` |
//! | several ranges: coalesced when they overlap or touch, then one part each | 206 `multipart/byteranges` | `files::tests::multipart_ranges`, `files::range::tests::overlapping_and_adjacent_coalesced` |
//! | more than 16 parts after coalescing (no `Range` makes the body much larger than the file) | 200, whole file | `files::range::tests::more_than_max_parts_ignored`, `files::proptests::coalesced_ranges_within_bounds` |
//! | `If-Range` with the current strong `ETag` or exactly the `Last-Modified` date; anything else means the whole file | 206 / 200 | `if_range` |
//! | `/dir` (a directory without the slash) | 308 to `/dir/`, query kept, `Location` from the mount prefix and the checked segments (never `//host`) | `directory_redirect`, `files::tests::directory_redirect_under_mount` |
//! | `/dir/` with an `index.html` | 200, the index | `directory_index` |
//! | `/dir/` without one, listing off (the default) | 404 | `listing_off_by_default` |
//! | `/dir/` without one, listing on: hidden entries left out, names HTML-escaped, links percent-encoded | 200 `text/html` | `listing_escapes_and_encodes` |
//! | a route path over 4 KiB | 414 | `overlong_path` |
//! | a malformed `%` escape | 400 | `malformed_escape`, `files::path::tests::malformed_escape_is_bad_request` |
//! | a `.` or `..` segment (also encoded), `%2F`, `\`, NUL, `:`, invalid UTF-8 once decoded, an empty segment, a path not starting with `/` | 404 | `traversal_refused`, `files::path::tests::traversal_and_tricks_refused` |
//! | names with space, `+`, `#`, `%`, unicode: reached by their percent-encoding; the query is not part of the name | 200 | `files::tests::encoded_names_reachable` |
//! | a symlink whose target stays below the root (and is not hidden) | followed | `files::tests::symlink_inside_root_followed` |
//! | a symlink leading outside the root (unless `follow_symlinks_outside(true)`), a symlink loop | 404 | `symlink_outside_root_refused`, `symlink_loop_refused` |
//! | a hidden name (`.env`, `.git/…`), unless `hidden(true)` | 404 | `hidden_refused` |
//! | a FIFO, socket or device | 404 (opened non-blocking, never read) | `files::tests::fifo_not_served` |
//! | `name.br` / `name.gz` next to the file, allowed by `Accept-Encoding` (q-values, `q=0` refuses, `*`; `br` first at equal q) | 200/206/304 with `Content-Encoding`, the original's type, the variant's own `ETag` | `precompressed_variant_served`, `files::encoding::tests::accept_encoding_negotiation` |
//! | precompressed variants on (the default): `Vary: Accept-Encoding` on every response for a file, 304 and 206 included | | `vary_on_every_file_response` |
//! | a GET of at most 16 KiB: the bytes read with the response (a file shorter than its length by then: a file body, which closes the connection) | 200/206 | `files::tests::small_bodies_read_with_the_response` |
//! | a root that is missing or not a directory | `Files::new` fails | `root_must_be_a_directory` |
//!
//! # Containment
//!
//! Nothing outside the root is ever served. The path is percent-decoded
//! once and split into segments; each is checked on its own, and only plain
//! names are looked up. The root stays open as a file descriptor and each
//! name is opened with `openat` relative to the directory opened before it,
//! with `O_NOFOLLOW`; a symlink is resolved by the handler against the
//! names walked so far, and followed only when it stays below the root.
//! static-web-server canonicalizes each path and caches the result, which
//! leaves a window in which a swapped symlink leads elsewhere; here there is
//! neither a path string opened whole nor a cache, so there is no such
//! window. The price: one `openat` per segment (measured in
//! `files::tests::openat_walk_against_canonicalize`, `--ignored`). On Linux
//! a path of several segments is first opened whole with one `openat2`
//! (`RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS`): the
//! kernel then refuses any symlink on the way, and a path that has one is
//! walked as above, so the symlink rules stay the walk's
//! (`files::open::tests::openat2_finds_what_the_walk_finds`).
//!
//! # A file that changes while it is sent
//!
//! The response announces the length the file had when it was opened. If
//! the file grows, the rest is not sent; if it shrinks, the body ends early
//! and the server closes the connection, so the client sees a short body
//! and never a response boundary in the wrong place
//! (`tests/files_wire.rs::file_that_shrinks_while_sent_closes_the_connection`). Replace files by
//! renaming a new one over them: an open file keeps its bytes.

mod encoding;
mod file;
mod listing;
mod open;
mod path;
#[cfg(test)]
mod proptests;
mod range;
#[cfg(test)]
mod tests;
mod validators;

use std::io;
use std::path::Path;

use crate::http::{Handler, Method, Request, Response, ResponseBuilder};
use open::{DirFd, Found, OpenError, Options, Root};
use path::{PathError, RequestPath, encode_segment, parse_path};

/// The parsers of `Files`, for the fuzz targets (feature `internals`; not a
/// stable API).
#[cfg(feature = "internals")]
pub mod internals {
    pub use super::encoding::{Coding, accepted_codings, content_type};
    pub use super::path::{MAX_PATH_BYTES, PathError, RequestPath, parse_path};
    pub use super::range::{MAX_PARTS, Multipart, Ranges, ReadAt, parse_range};
    pub use super::validators::{Precondition, Tag, Tags, Validators, evaluate, if_range_matches};
}

/// Serves the files of a directory: GET and HEAD, validators and
/// conditional requests, ranges, directory index and (optional) listing,
/// precompressed variants; nothing outside the directory. The module's
/// policy table lists every rule (see the crate's README, "Static files").
///
/// ```
/// use mini_async_http::{Files, Handler, Method, Request};
///
/// let files = Files::new("src").unwrap().cache_control("max-age=60");
/// let resp = files.call(&Request::new(Method::Get, "/lib.rs"));
/// assert_eq!(resp.status(), 200);
/// assert_eq!(resp.headers().get("Content-Type"), Some("text/x-rust; charset=utf-8"));
/// assert_eq!(files.call(&Request::new(Method::Get, "/../Cargo.toml")).status(), 404);
/// ```
///
/// With the server (a `Router` can mount it under a prefix
/// instead):
///
/// ```no_run
/// use mini_async_http::{AIOServer, Files, Handler};
///
/// let files = Files::new("public")?.listing(true);
/// AIOServer::new(3, "127.0.0.1:8080", files.into_fn()).start();
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct Files {
    root: Root,
    /// `hidden` and `follow_symlinks_outside`.
    open: Options,
    listing: bool,
    precompressed: bool,
    cache_control: Option<String>,
}

impl Files {
    /// Serves the directory `root`, which is opened now and stays open.
    ///
    /// # Errors
    /// When `root` does not exist, is not a directory or cannot be opened,
    /// so a wrong path fails at start-up rather than at the first request.
    ///
    /// ```
    /// use mini_async_http::Files;
    /// assert!(Files::new(".").is_ok());
    /// assert!(Files::new("Cargo.toml").is_err());
    /// assert!(Files::new("no/such/dir").is_err());
    /// ```
    pub fn new(root: impl AsRef<Path>) -> io::Result<Files> {
        Ok(Files {
            root: Root::open(root.as_ref())?,
            open: Options {
                hidden: false,
                follow_outside: false,
            },
            listing: false,
            precompressed: true,
            cache_control: None,
        })
    }

    /// Whether a directory without `index.html` is answered with an HTML
    /// listing of its entries (off by default: 404).
    ///
    /// ```
    /// let files = mini_async_http::Files::new(".").unwrap().listing(true);
    /// ```
    #[must_use]
    pub fn listing(mut self, on: bool) -> Files {
        self.listing = on;
        self
    }

    /// Whether hidden names (a leading `.`: `.env`, `.git/`) are served and
    /// listed (off by default: 404).
    ///
    /// ```
    /// let files = mini_async_http::Files::new(".").unwrap().hidden(true);
    /// ```
    #[must_use]
    pub fn hidden(mut self, on: bool) -> Files {
        self.open.hidden = on;
        self
    }

    /// Whether symlinks that lead outside the root are followed (off by
    /// default: 404). Symlinks that stay below the root are always followed.
    ///
    /// ```
    /// let files = mini_async_http::Files::new(".").unwrap().follow_symlinks_outside(true);
    /// ```
    #[must_use]
    pub fn follow_symlinks_outside(mut self, on: bool) -> Files {
        self.open.follow_outside = on;
        self
    }

    /// Whether `name.br` and `name.gz` next to `name` are served instead of
    /// it to clients whose `Accept-Encoding` allows them (on by default; it
    /// costs one failed `openat` per allowed coding when there is no
    /// variant). When on, every response for a file has
    /// `Vary: Accept-Encoding`.
    ///
    /// ```
    /// let files = mini_async_http::Files::new(".").unwrap().precompressed(false);
    /// ```
    #[must_use]
    pub fn precompressed(mut self, on: bool) -> Files {
        self.precompressed = on;
        self
    }

    /// The `Cache-Control` value of every response for a file (none by
    /// default).
    ///
    /// # Panics
    /// If `value` cannot be a field value (CR, LF or another control
    /// character): a configuration error, found at start-up.
    ///
    /// ```
    /// let files = mini_async_http::Files::new(".").unwrap().cache_control("public, max-age=3600");
    /// ```
    #[must_use]
    pub fn cache_control(mut self, value: &str) -> Files {
        assert!(
            ResponseBuilder::new()
                .header("Cache-Control", value)
                .build()
                .is_ok(),
            "invalid Cache-Control value {value:?}"
        );
        self.cache_control = Some(value.to_owned());
        self
    }

    fn serve(&self, req: &Request) -> Response {
        if !matches!(req.method(), Method::Get | Method::Head) {
            return finish(
                ResponseBuilder::new()
                    .status(405)
                    .header("Allow", "GET, HEAD")
                    .content_type("text/plain; charset=utf-8")
                    .body(b"Method Not Allowed"),
            );
        }
        let path = match parse_path(req.route_path(), self.open.hidden) {
            Ok(path) => path,
            Err(PathError::TooLong) => return Response::plain(414, "URI Too Long"),
            Err(PathError::BadEscape) => return Response::plain(400, "Bad Request"),
            Err(PathError::Refused) => return not_found(),
        };
        match open::open(&self.root, &path.segments, self.open) {
            Ok(Found::File {
                file,
                meta,
                parent,
                name,
            }) if !path.trailing_slash => self.serve_file(req, file, meta, &parent, &name),
            Ok(Found::File { .. }) | Err(OpenError::NotFound) => not_found(),
            Ok(Found::Dir(_)) if !path.trailing_slash => redirect_to_dir(req, &path),
            Ok(Found::Dir(dir)) => self.serve_dir(req, &path, &dir),
            Err(OpenError::Io(err)) => internal_error(&err),
        }
    }

    /// `/dir/`: its index, else a listing (when on), else 404.
    fn serve_dir(&self, req: &Request, path: &RequestPath, dir: &DirFd<'_>) -> Response {
        let mut index = path.segments.clone();
        index.push("index.html".to_owned());
        match open::open(&self.root, &index, self.open) {
            Ok(Found::File {
                file,
                meta,
                parent,
                name,
            }) => return self.serve_file(req, file, meta, &parent, &name),
            Ok(Found::Dir(_)) | Err(OpenError::NotFound) => {}
            Err(OpenError::Io(err)) => return internal_error(&err),
        }
        if !self.listing {
            return not_found();
        }
        let mut title = mount_prefix(req).to_owned();
        for segment in &path.segments {
            title.push('/');
            title.push_str(segment);
        }
        title.push('/');
        match listing::render(dir, &title, path.segments.is_empty(), self.open.hidden) {
            Ok(page) => finish(
                ResponseBuilder::new()
                    .content_type("text/html; charset=utf-8")
                    .header("X-Content-Type-Options", "nosniff")
                    .header(
                        "Content-Security-Policy",
                        "default-src 'none'; style-src 'unsafe-inline'",
                    )
                    .body(page),
            ),
            Err(err) => internal_error(&err),
        }
    }
}

impl Handler for Files {
    fn call(&self, req: &Request) -> Response {
        self.serve(req)
    }
}

/// The part of the path that the mount consumed (empty when not mounted).
fn mount_prefix(req: &Request) -> &str {
    let path = req.path();
    &path[..path.len() - req.route_path().len()]
}

/// 308 to the directory's URL with a slash. Built from the mount prefix
/// and the checked segments, re-encoded, never from the raw path: a
/// request for `//evil.example/..` cannot make it `//evil.example/`
/// (RUSTSEC-2022-0072), as every segment is non-empty and a prefix's
/// leading slashes are collapsed.
fn redirect_to_dir(req: &Request, path: &RequestPath) -> Response {
    let prefix = mount_prefix(req).trim_end_matches('/');
    let mut location = String::from("/");
    location.push_str(prefix.trim_start_matches(['/', '\\']));
    for segment in &path.segments {
        if !location.ends_with('/') {
            location.push('/');
        }
        location.push_str(&encode_segment(segment).to_string());
    }
    if !location.ends_with('/') {
        location.push('/');
    }
    if let Some(query) = req.query() {
        location.push('?');
        location.push_str(query);
    }
    finish(
        ResponseBuilder::new()
            .status(308)
            .header("Location", &location),
    )
}

fn not_found() -> Response {
    Response::plain(404, "Not Found")
}

fn internal_error(err: &io::Error) -> Response {
    log::error!("files: {err}");
    Response::plain(500, "Internal Server Error")
}

/// Builds a response whose parts the handler made; a part that cannot go on
/// the wire (a bug) is a 500.
fn finish(builder: ResponseBuilder) -> Response {
    builder.build().unwrap_or_else(|err| {
        log::error!("files: {err}");
        Response::plain(500, "Internal Server Error")
    })
}
