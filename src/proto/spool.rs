//! Request bodies larger than memory should hold: the seam between the
//! connection, which decodes bodies, and the server, which stores them.
//!
//! `proto` opens, writes and reads no file. The server hands
//! [`Conn::process`](super::Conn::process) a [`Spool`] in its
//! [`Ctx`](super::Ctx); the connection decodes body bytes into the request's
//! in-memory body as ever, and once the body is longer than
//! [`Spool::threshold`] it moves them, after every decoding step, to a
//! [`SpoolWriter`] that the spool made (the server's writes an unnamed
//! temporary file, on the worker thread). When the body is complete the
//! writer gives back the file, which becomes the request's body
//! ([`Request::body_reader`]). Memory per upload stays at the threshold plus
//! one input buffer, whatever `max_body_bytes` allows; without a spool in
//! the context (tests, the in-memory test client), every body stays in
//! memory, as before.
//!
//! | rule | outcome | test |
//! |---|---|---|
//! | a body of at most `threshold` bytes stays in memory, one of `threshold + 1` or more is spooled (`Content-Length` and chunked alike, however the bytes are split) | `Request::is_spooled` | `spool_tests::threshold_boundary`, `spool_tests::spooled_bodies_survive_any_split` |
//! | a `Content-Length` over `threshold` gets its spool file before `100 Continue` is sent; when that fails, 507 instead of `100 Continue` | 507 | `spool_tests::spool_fails_before_continue`, `tests/spool.rs::spool_write_error` |
//! | a spool file that cannot be made or written (no such directory, disk full) | 507 and close | `spool_tests::write_error_mid_body`, `tests/spool.rs::spool_write_error` |
//! | memory per body: one input buffer when `Content-Length` is over the threshold, the threshold plus one input buffer when chunked; while spooling, the input buffer may grow to 256 KiB (`SPOOL_INPUT`, only when reads fill it) | bounded | `spool_tests::memory_stays_bounded`, `tests/large_upload.rs::upload_256_mib_with_bounded_memory` |
//! | a spooled `Content-Length` body goes from the input buffer to the spool without a copy into memory; one ending anywhere in a buffer is whole, and a request pipelined behind it is answered | handler sees the body | `spool_tests::spooled_bodies_across_the_input_buffer_boundary`, `tests/spool.rs::pipelined_request_after_a_spooled_body` |
//! | once its buffered bytes are in the file, the rest of such a body may be moved by the server itself (`Conn::raw_body`: the file and the bytes the body still lacks, never more; on Linux over plain TCP, `splice` socket → pipe → file, `server/splice.rs`); not for chunked bodies, TLS, or a writer without [`SpoolWriter::file`]; a failed direct append answers 507 | handler sees the body; the request behind it answered | `raw_body_tests::*`, `tests/splice.rs::*`, `server::splice::tests::*` |
//! | a body arriving slowly holds no worker between reads, spooled or not (the handler runs once it is complete) | other clients served | `tests/spool.rs::slow_uploader_holds_no_worker` |
//! | a spooling connection stays on its worker until a read would block, within the job's rounds (`MAX_ROUNDS`), so a fast uploader shares its worker | other clients served | `tests/spool.rs::fast_uploader_shares_its_worker` |
//! | `max_body_bytes` counts every decoded byte, spooled ones included | 413 | `spool_tests::limit_counts_spooled_bytes`, `tests/spool.rs::limits_with_a_large_max_body` |
//! | the spool file is dropped when the request ends (once its response is written, or at the end of the worker's job if the socket did not take it all: closing a large file costs ~0.2 s per GiB that the client need not wait for), also when the handler panics, and when the connection stops mid-body | file closed | `spool_tests::file_dropped_after_request_and_panic`, `tests/spool.rs::temp_file_gone_after_request_and_panic` |
//! | `Request::body()` on a spooled body panics with a message naming `body_reader()` | 500 | `http::body_reader::tests::body_panics_for_a_spooled_body_and_names_body_reader` |
//!
//! [`Request::body_reader`]: crate::Request::body_reader

use std::fmt;
use std::fs::File;
use std::io;
use std::net::SocketAddr;

use super::Error;
use crate::http::Request;

/// Where request bodies over a threshold go instead of memory; the server
/// provides one (unnamed temporary files), `proto` only calls it.
///
/// ```
/// # #[cfg(feature = "internals")] {
/// use std::fs::File;
/// use std::io::{self, Write};
/// use mini_async_http::proto::{Spool, SpoolWriter};
///
/// /// Spools to a file in the temporary directory (a sketch: the server's
/// /// own spool unlinks its files at once).
/// #[derive(Debug)]
/// struct Files;
///
/// #[derive(Debug)]
/// struct OneFile(File);
///
/// impl Spool for Files {
///     fn threshold(&self) -> u64 {
///         1 << 20
///     }
///     fn create(&self) -> io::Result<Box<dyn SpoolWriter>> {
///         let path = std::env::temp_dir().join("doc-spool-example");
///         Ok(Box::new(OneFile(File::options().read(true).write(true).create(true).truncate(true).open(path)?)))
///     }
/// }
///
/// impl SpoolWriter for OneFile {
///     fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
///         self.0.write_all(bytes)
///     }
///     fn finish(self: Box<Self>) -> io::Result<File> {
///         Ok(self.0)
///     }
/// }
/// # let _ = Files.threshold();
/// # }
/// ```
pub trait Spool: fmt::Debug + Sync {
    /// Bodies longer than this many bytes are spooled; shorter ones, and one
    /// of exactly this length, stay in memory.
    fn threshold(&self) -> u64;

    /// A new, empty place for one body.
    ///
    /// # Errors
    /// It cannot be made; the client gets 507.
    fn create(&self) -> io::Result<Box<dyn SpoolWriter>>;
}

/// One body on its way to the spool, in order.
pub trait SpoolWriter: fmt::Debug + Send {
    /// Appends the next bytes of the body.
    ///
    /// # Errors
    /// They cannot be stored (disk full…); the client gets 507.
    fn append(&mut self, bytes: &[u8]) -> io::Result<()>;

    /// The body is complete: the file that holds it, every byte appended,
    /// from offset 0. Read at offsets, so its position does not matter.
    ///
    /// # Errors
    /// As for [`append`](Self::append).
    fn finish(self: Box<Self>) -> io::Result<File>;

    /// The file the bytes are appended to, when the server may append the
    /// next ones to it itself (at its current position, as
    /// [`append`](Self::append) would), without them passing through
    /// memory: `splice(2)` from the socket on Linux. `None` (the default):
    /// every byte goes through `append`.
    fn file(&self) -> Option<&File> {
        None
    }
}

/// A body being spooled, in a [`Conn`](super::Conn).
#[derive(Debug)]
pub(crate) struct Spooling {
    writer: Box<dyn SpoolWriter>,
    /// Bytes appended so far.
    len: u64,
    /// The server failed to append bytes to [`SpoolWriter::file`] itself:
    /// the next decoding step answers 507.
    failed: bool,
}

impl Spooling {
    /// Starts spooling a body.
    pub(crate) fn start(spool: &dyn Spool, peer: SocketAddr) -> Result<Spooling, Error> {
        match spool.create() {
            Ok(writer) => Ok(Spooling {
                writer,
                len: 0,
                failed: false,
            }),
            Err(e) => Err(failed(peer, &e)),
        }
    }

    /// After a decoding step: if the body is being spooled, or has just
    /// grown over the threshold, moves its decoded bytes from memory to the
    /// spool; once it is `done`, makes the spool file the request's body.
    /// A body that stays in memory costs one comparison.
    #[inline]
    pub(crate) fn step(
        spooling: &mut Option<Spooling>,
        spool: &dyn Spool,
        request: &mut Request,
        done: bool,
        peer: SocketAddr,
    ) -> Result<(), Error> {
        let current = match spooling {
            Some(current) => current,
            None if request.body.len() as u64 <= spool.threshold() => return Ok(()),
            None => spooling.insert(Spooling::start(spool, peer)?),
        };
        if !request.body.is_empty() {
            if let Err(e) = current.writer.append(request.body.as_slice()) {
                *spooling = None;
                return Err(failed(peer, &e));
            }
            current.len += request.body.len() as u64;
            request.body.clear();
        }
        if done {
            if let Some(Spooling { writer, len, .. }) = spooling.take() {
                let file = writer.finish().map_err(|e| failed(peer, &e))?;
                request.set_spooled(file, len);
            }
        }
        Ok(())
    }
}

impl Spooling {
    /// A `Content-Length` body being spooled: appends its next bytes,
    /// `bytes`, straight from the connection's input buffer (no copy into
    /// the request's in-memory body); once it is `done`, makes the spool
    /// file the request's body. (`max_body_bytes` was checked against the
    /// length when the head was parsed.)
    pub(crate) fn append_raw(
        spooling: &mut Option<Spooling>,
        bytes: &[u8],
        request: &mut Request,
        done: bool,
        peer: SocketAddr,
    ) -> Result<(), Error> {
        let Some(current) = spooling else {
            return Ok(());
        };
        if current.failed {
            *spooling = None;
            return Err(Error::SpoolFailed);
        }
        if !bytes.is_empty() {
            if let Err(e) = current.writer.append(bytes) {
                *spooling = None;
                return Err(failed(peer, &e));
            }
            current.len += bytes.len() as u64;
        }
        if done {
            if let Some(Spooling { writer, len, .. }) = spooling.take() {
                let file = writer.finish().map_err(|e| failed(peer, &e))?;
                request.set_spooled(file, len);
            }
        }
        Ok(())
    }

    /// The file the server may append the next body bytes to itself, unless
    /// an earlier attempt failed.
    #[cfg_attr(not(all(feature = "splice", target_os = "linux")), allow(dead_code))]
    pub(crate) fn direct_file(&self) -> Option<&File> {
        if self.failed {
            None
        } else {
            self.writer.file()
        }
    }

    /// Whether the server failed to append bytes to the file itself.
    pub(crate) fn direct_failed(&self) -> bool {
        self.failed
    }

    /// The server appended `n` bytes to [`direct_file`](Self::direct_file)
    /// itself, or failed to (then the next decoding step answers 507).
    #[cfg_attr(not(all(feature = "splice", target_os = "linux")), allow(dead_code))]
    pub(crate) fn appended_direct(&mut self, result: &io::Result<u64>, peer: SocketAddr) {
        match result {
            Ok(n) => self.len += n,
            Err(e) => {
                log::warn!("{peer}: cannot spool the request body: {e}");
                self.failed = true;
            }
        }
    }
}

/// Logs why a body could not be stored; the error the client sees.
fn failed(peer: SocketAddr, e: &io::Error) -> Error {
    log::warn!("{peer}: cannot spool the request body: {e}");
    Error::SpoolFailed
}
