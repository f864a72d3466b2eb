use std::borrow::Cow;
use std::fmt;
use std::fs::File;
use std::io::Read;
use std::sync::{Arc, Mutex, PoisonError};

mod channel;
mod shared;
mod source;

#[allow(unused_imports)] // the server's notification type
pub(crate) use channel::Notify;
pub use channel::{BodySender, Disconnected, TrySendError};
pub(crate) use shared::SharedBuf;
pub(crate) use source::{Pulled, Source};

use channel::ChannelReceiver;

/// The body of a [`Response`](crate::Response): bytes in memory, a file or a
/// range of one, any reader, or a channel that other threads write into.
///
/// # In memory
///
/// Bytes it owns, or bytes that live as long as the program (a `b"..."`
/// literal, `include_bytes!`), which are sent without being copied.
/// [`ResponseBuilder::body`](crate::ResponseBuilder::body) takes anything that
/// becomes a `Body`:
///
/// | argument | stored as |
/// |---|---|
/// | `b"..."`, `include_bytes!(...)` (`&'static [u8; N]`) | borrowed, no copy |
/// | `Vec<u8>`, `String`, `Box<[u8]>` | moved, no copy |
/// | `&[u8]`, `&str`, `&String`, `&Vec<u8>`, `[u8; N]`, `Cow<[u8]>`, `Cow<str>` | copied (unless the `Cow` owns) |
///
/// A `&str` is copied even when it is a literal, because a function cannot
/// tell a `&'static str` from a shorter-lived one; `Body::from_static(b"...")`
/// or a byte literal avoids the copy. For the same reason a reference to an
/// array that does not live for the whole program (`&buf` of a local
/// `[u8; N]`) does not convert: pass a slice of it (`&buf[..]`, copied).
///
/// ```
/// use mini_async_http::ResponseBuilder;
///
/// let buf = [b'o', b'k'];
/// let resp = ResponseBuilder::new().body(&buf[..]).build().unwrap();
/// assert_eq!(resp.body(), b"ok");
/// ```
///
/// ```
/// use mini_async_http::Body;
///
/// let page = Body::from(b"<h1>Hi</h1>");
/// assert!(page.is_static());
/// assert_eq!(page.as_bytes(), b"<h1>Hi</h1>");
///
/// let owned = Body::from(format!("{} items", 3));
/// assert!(!owned.is_static());
/// assert_eq!(owned.content_length(), Some(7));
/// assert_eq!(owned, Body::from("3 items"));
/// ```
///
/// # Streamed: files, readers, channels
///
/// [`Body::file`], [`Body::reader`] and [`Body::channel`] make bodies the
/// server reads only as the client takes them: a worker reads at most a
/// 64 KiB window ahead of what the socket has accepted, then hands the
/// connection back to the event loop until the socket is writable again, so
/// a slow client of a 1 GiB file costs a descriptor and a bounded buffer,
/// never a thread. On Linux, with the `files` feature, file bytes go from
/// the page cache to the socket with `sendfile` (no copy, no buffer).
///
/// | body | framing (HTTP/1.1) | framing (HTTP/1.0) |
/// |---|---|---|
/// | in memory, file, reader of known length | `Content-Length` | `Content-Length` |
/// | reader of unknown length, channel | `Transfer-Encoding: chunked` | until the connection closes (`Connection: close`) |
///
/// A `HEAD` request, a 204 and a 304 read nothing from the source (a
/// channel's producer then gets [`Disconnected`]); `HEAD` still announces a
/// known length. A source that fails in the middle (a read error, a file
/// that shrank so that fewer bytes come than were announced) closes the
/// connection: the framing cannot be repaired, and the server never pads
/// the body with other bytes (a chunked body is cut off without its last
/// chunk, so the client sees it incomplete).
///
/// The bytes of a streamed body are not in memory: [`as_bytes`](Self::as_bytes)
/// is empty for them and [`is_in_memory`](Self::is_in_memory) says so; use
/// [`content_length`](Self::content_length) for the length.
///
/// A streamed body is sent once: clones share its source, and the first
/// response sent takes it (a later one is answered 500). A file body's clones
/// share the open file and can all be sent (reads are positioned).
#[derive(Clone, Default)]
pub struct Body(Repr);

#[derive(Clone)]
enum Repr {
    Static(&'static [u8]),
    Owned(Vec<u8>),
    /// A request's body, shared with the request (`Request::shared_body`).
    Shared(Arc<Vec<u8>>),
    /// `len` bytes of a file from `offset`, read by the server as the socket
    /// takes them (positioned reads: the file's cursor is not used).
    File {
        file: Arc<File>,
        offset: u64,
        len: u64,
    },
    /// A source read by the server as the socket takes it; `len` is the
    /// length when known. Shared by clones: the first to send it takes it.
    Reader {
        reader: Arc<Mutex<Option<Box<dyn Read + Send>>>>,
        len: Option<u64>,
    },
    /// The receiving end of [`Body::channel`]; like a reader, taken by the
    /// first to send it.
    Channel {
        rx: Arc<Mutex<Option<ChannelReceiver>>>,
    },
}

impl Default for Repr {
    fn default() -> Repr {
        Repr::Static(&[])
    }
}

impl Body {
    /// An empty body.
    ///
    /// ```
    /// assert!(mini_async_http::Body::empty().is_empty());
    /// ```
    #[must_use]
    pub const fn empty() -> Body {
        Body(Repr::Static(&[]))
    }

    /// Drops the body; for a static one (nothing to free) without the call
    /// to the enum's drop glue, so that a caller inlined around it can keep
    /// its values in registers (`ResponseBuilder::body`).
    #[inline]
    pub(crate) fn discard(self) {
        if matches!(self.0, Repr::Static(_)) {
            std::mem::forget(self);
        } else {
            drop(self);
        }
    }

    /// A request's in-memory body, shared with it (`Request::shared_body`).
    pub(crate) fn shared(bytes: Arc<Vec<u8>>) -> Body {
        Body(Repr::Shared(bytes))
    }

    /// A request's spooled body: all `len` bytes of its temporary file,
    /// shared with the request (`Request::shared_body`).
    pub(crate) fn spooled(file: Arc<File>, len: u64) -> Body {
        Body(Repr::File {
            file,
            offset: 0,
            len,
        })
    }

    /// A body of bytes that live as long as the program; never copied.
    ///
    /// ```
    /// const PAGE: mini_async_http::Body = mini_async_http::Body::from_static(b"ok");
    /// assert_eq!(PAGE.as_bytes(), b"ok");
    /// ```
    #[must_use]
    pub const fn from_static(bytes: &'static [u8]) -> Body {
        Body(Repr::Static(bytes))
    }

    /// `len` bytes of `file` starting at `offset`, sent by the server from
    /// the file as the client takes them (never read into memory whole;
    /// with `sendfile` on Linux under the `files` feature, else with
    /// positioned reads, so the file's cursor is not used). A file that turns
    /// out shorter than `offset + len` while it is sent closes the connection.
    ///
    /// ```
    /// use mini_async_http::Body;
    /// let file = std::fs::File::open("Cargo.toml").unwrap();
    /// let body = Body::file(file, 0, 10);
    /// assert_eq!(body.content_length(), Some(10));
    /// assert!(!body.is_in_memory());
    /// ```
    #[must_use]
    pub fn file(file: File, offset: u64, len: u64) -> Body {
        Body(Repr::File {
            file: Arc::new(file),
            offset,
            len,
        })
    }

    /// A body read from `reader` by the server as the client takes it; `len`
    /// is its length when known (sent as `Content-Length`; else the body is
    /// chunked, or close-delimited for HTTP/1.0). With a length, exactly
    /// `len` bytes are sent: a reader that ends sooner closes the connection,
    /// bytes beyond it are not read.
    ///
    /// The reader is read on a worker thread: one that blocks (a pipe, a
    /// socket) holds that worker while it blocks. For bytes that arrive over
    /// time, use [`Body::channel`], which never holds a worker.
    ///
    /// ```
    /// use mini_async_http::Body;
    /// let body = Body::reader(std::io::Cursor::new(vec![1, 2, 3]), Some(3));
    /// assert_eq!(body.content_length(), Some(3));
    /// ```
    #[must_use]
    pub fn reader(reader: impl Read + Send + 'static, len: Option<u64>) -> Body {
        Body(Repr::Reader {
            reader: Arc::new(Mutex::new(Some(Box::new(reader)))),
            len,
        })
    }

    /// A body that other threads write into while it is sent, as a stream
    /// of server-sent events, a long poll or progress reports: `capacity`
    /// messages (at least 1) may wait in it, then
    /// [`BodySender::send`] waits for the connection to take them
    /// (backpressure; [`BodySender::try_send`] does not wait). The body ends
    /// when the sender is dropped. Once the connection is closed (the client
    /// went away, a timeout, shutdown) or the response was dropped unsent,
    /// `send` returns [`Disconnected`]: the producer's cue to stop.
    ///
    /// Its length is unknown: chunked in HTTP/1.1, and in HTTP/1.0 sent
    /// until the connection closes. While the channel is empty the
    /// connection waits in the event loop, holding no worker, with no
    /// deadline unless [`ServerBuilder::producer_timeout`](crate::ServerBuilder::producer_timeout)
    /// sets one (the write timeout still applies to a client that does not
    /// read); the sender wakes it. A client that half-closes its side while
    /// the body waits for its producer is taken as gone (as nginx does).
    ///
    /// Behind nginx, answer with `X-Accel-Buffering: no` so that nginx
    /// passes each message on as it comes instead of buffering the response.
    ///
    /// ```
    /// use mini_async_http::{Body, ResponseBuilder};
    ///
    /// let (events, body) = Body::channel(16);
    /// std::thread::spawn(move || {
    ///     for i in 0..3 {
    ///         if events.send(format!("data: tick {i}\n\n")).is_err() {
    ///             return; // the client went away
    ///         }
    ///     }
    /// }); // dropping `events` ends the body
    /// let resp = ResponseBuilder::empty_200()
    ///     .content_type("text/event-stream")
    ///     .header("Cache-Control", "no-cache")
    ///     .header("X-Accel-Buffering", "no")
    ///     .body(body)
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(resp.headers().get("x-accel-buffering"), Some("no"));
    /// ```
    #[must_use]
    pub fn channel(capacity: usize) -> (BodySender, Body) {
        let (tx, rx) = channel::channel(capacity);
        let body = Body(Repr::Channel {
            rx: Arc::new(Mutex::new(Some(rx))),
        });
        (tx, body)
    }

    /// The length in bytes, if known before sending (`None` for a reader
    /// of unknown length and for a channel).
    ///
    /// ```
    /// use mini_async_http::Body;
    /// assert_eq!(Body::from("abc").content_length(), Some(3));
    /// assert_eq!(Body::reader(std::io::empty(), None).content_length(), None);
    /// ```
    #[must_use]
    pub fn content_length(&self) -> Option<u64> {
        match &self.0 {
            Repr::Static(bytes) => Some(bytes.len() as u64),
            Repr::Owned(bytes) => Some(bytes.len() as u64),
            Repr::Shared(bytes) => Some(bytes.len() as u64),
            Repr::File { len, .. } => Some(*len),
            Repr::Reader { len, .. } => *len,
            Repr::Channel { .. } => None,
        }
    }

    /// Whether the bytes are in memory (then [`as_bytes`](Self::as_bytes)
    /// has them all); `false` for a file, a reader or a channel.
    ///
    /// ```
    /// use mini_async_http::Body;
    /// assert!(Body::from("abc").is_in_memory());
    /// assert!(!Body::reader(std::io::empty(), Some(0)).is_in_memory());
    /// ```
    #[must_use]
    pub fn is_in_memory(&self) -> bool {
        matches!(self.0, Repr::Static(_) | Repr::Owned(_) | Repr::Shared(_))
    }

    /// The bytes of an in-memory body. **Empty for a file, a reader or a
    /// channel**, whose bytes are only read as they are sent: check
    /// [`is_in_memory`](Self::is_in_memory) before taking this as the body.
    ///
    /// ```
    /// use mini_async_http::Body;
    /// assert_eq!(Body::from("hi").as_bytes(), b"hi");
    /// let file = Body::file(std::fs::File::open("Cargo.toml").unwrap(), 0, 10);
    /// assert_eq!(file.as_bytes(), b"");
    /// ```
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Repr::Static(bytes) => bytes,
            Repr::Owned(bytes) => bytes,
            Repr::Shared(bytes) => bytes,
            Repr::File { .. } | Repr::Reader { .. } | Repr::Channel { .. } => &[],
        }
    }

    /// The length of the bytes in memory: 0 for a file, a reader or a
    /// channel, whatever their length.
    ///
    /// ```
    /// # #![allow(deprecated)]
    /// assert_eq!(mini_async_http::Body::from("hello").len(), 5);
    /// ```
    #[deprecated(
        since = "0.1.0",
        note = "a file, reader or channel body is not in memory: use `content_length()` \
                (`None` when unknown) or `as_bytes().len()`"
    )]
    #[must_use]
    pub fn len(&self) -> usize {
        self.as_bytes().len()
    }

    /// Whether the body is known to have no byte: an empty in-memory body,
    /// or a file or reader of length 0 (`false` for a channel and a reader
    /// of unknown length).
    ///
    /// ```
    /// use mini_async_http::Body;
    /// assert!(Body::from(Vec::new()).is_empty());
    /// assert!(!Body::reader(std::io::empty(), None).is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.content_length() == Some(0)
    }

    /// The length of an in-memory body, `usize::MAX` for a streamed one: one
    /// comparison tells the encoder's usual case (a small body it copies)
    /// from the rest.
    #[inline]
    pub(crate) fn inline_len(&self) -> usize {
        match &self.0 {
            Repr::Static(bytes) => bytes.len(),
            Repr::Owned(bytes) => bytes.len(),
            Repr::Shared(bytes) => bytes.len(),
            Repr::File { .. } | Repr::Reader { .. } | Repr::Channel { .. } => usize::MAX,
        }
    }

    /// The source of a streamed body, for sending it; `None` for an
    /// in-memory body, or when a clone of this reader or channel body has
    /// already been taken for sending.
    pub(crate) fn take_source(self) -> Option<Source> {
        match self.0 {
            Repr::Static(_) | Repr::Owned(_) | Repr::Shared(_) => None,
            Repr::File { file, offset, .. } => Some(Source::File { file, offset }),
            Repr::Reader { reader, .. } => take(&reader).map(Source::Reader),
            Repr::Channel { rx } => take(&rx).map(Source::Channel),
        }
    }

    /// Whether the bytes are borrowed for the whole program (not copied, not
    /// freed).
    ///
    /// ```
    /// use mini_async_http::Body;
    /// assert!(Body::from(b"x").is_static());
    /// assert!(!Body::from(vec![b'x']).is_static());
    /// ```
    #[must_use]
    pub fn is_static(&self) -> bool {
        matches!(self.0, Repr::Static(_))
    }

    /// The bytes of an in-memory body as a `Vec` (a copy only when they were
    /// borrowed). **Empty for a file, a reader or a channel** (see
    /// [`as_bytes`](Self::as_bytes)).
    ///
    /// ```
    /// assert_eq!(mini_async_http::Body::from("ab").into_vec(), b"ab".to_vec());
    /// ```
    #[must_use]
    pub fn into_vec(self) -> Vec<u8> {
        match self.0 {
            Repr::Static(bytes) => bytes.to_vec(),
            Repr::Owned(bytes) => bytes,
            Repr::Shared(bytes) => Arc::unwrap_or_clone(bytes),
            Repr::File { .. } | Repr::Reader { .. } | Repr::Channel { .. } => Vec::new(),
        }
    }
}

/// Takes what the first sender of a shared source gets.
fn take<T>(shared: &Mutex<Option<T>>) -> Option<T> {
    shared.lock().unwrap_or_else(PoisonError::into_inner).take()
}

impl AsRef<[u8]> for Body {
    /// The in-memory bytes; empty for a streamed body (see [`Body::as_bytes`]).
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl PartialEq for Body {
    /// In-memory bodies are equal when their bytes are; a file, reader or
    /// channel body only equals itself (or a clone of itself).
    fn eq(&self, other: &Body) -> bool {
        match (&self.0, &other.0) {
            (
                Repr::File { file, offset, len },
                Repr::File {
                    file: f2,
                    offset: o2,
                    len: l2,
                },
            ) => Arc::ptr_eq(file, f2) && offset == o2 && len == l2,
            (Repr::Reader { reader, .. }, Repr::Reader { reader: r2, .. }) => {
                Arc::ptr_eq(reader, r2)
            }
            (Repr::Channel { rx }, Repr::Channel { rx: rx2 }) => Arc::ptr_eq(rx, rx2),
            (Repr::File { .. } | Repr::Reader { .. } | Repr::Channel { .. }, _)
            | (_, Repr::File { .. } | Repr::Reader { .. } | Repr::Channel { .. }) => false,
            _ => self.as_bytes() == other.as_bytes(),
        }
    }
}

impl Eq for Body {}

impl PartialEq<[u8]> for Body {
    /// Only an in-memory body equals bytes.
    fn eq(&self, other: &[u8]) -> bool {
        self.is_in_memory() && self.as_bytes() == other
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::File { offset, len, .. } => {
                return write!(f, "Body::file(offset {offset}, {len} bytes)");
            }
            Repr::Reader { len, .. } => return write!(f, "Body::reader({len:?} bytes)"),
            Repr::Channel { .. } => return f.write_str("Body::channel"),
            Repr::Static(_) | Repr::Owned(_) | Repr::Shared(_) => {}
        }
        match std::str::from_utf8(self.as_bytes()) {
            Ok(text) => fmt::Debug::fmt(text, f),
            Err(_) => fmt::Debug::fmt(self.as_bytes(), f),
        }
    }
}

impl<const N: usize> From<&'static [u8; N]> for Body {
    fn from(bytes: &'static [u8; N]) -> Body {
        Body(Repr::Static(bytes))
    }
}

impl<const N: usize> From<[u8; N]> for Body {
    fn from(bytes: [u8; N]) -> Body {
        Body(Repr::Owned(bytes.to_vec()))
    }
}

impl From<&[u8]> for Body {
    fn from(bytes: &[u8]) -> Body {
        Body(Repr::Owned(bytes.to_vec()))
    }
}

impl From<&Vec<u8>> for Body {
    fn from(bytes: &Vec<u8>) -> Body {
        Body(Repr::Owned(bytes.clone()))
    }
}

impl From<Vec<u8>> for Body {
    fn from(bytes: Vec<u8>) -> Body {
        Body(Repr::Owned(bytes))
    }
}

impl From<Box<[u8]>> for Body {
    fn from(bytes: Box<[u8]>) -> Body {
        Body(Repr::Owned(bytes.into_vec()))
    }
}

impl From<Cow<'_, [u8]>> for Body {
    fn from(bytes: Cow<'_, [u8]>) -> Body {
        Body(Repr::Owned(bytes.into_owned()))
    }
}

impl From<&str> for Body {
    fn from(text: &str) -> Body {
        Body(Repr::Owned(text.as_bytes().to_vec()))
    }
}

impl From<&String> for Body {
    fn from(text: &String) -> Body {
        Body(Repr::Owned(text.as_bytes().to_vec()))
    }
}

impl From<String> for Body {
    fn from(text: String) -> Body {
        Body(Repr::Owned(text.into_bytes()))
    }
}

impl From<Cow<'_, str>> for Body {
    fn from(text: Cow<'_, str>) -> Body {
        Body(Repr::Owned(text.into_owned().into_bytes()))
    }
}

#[cfg(all(test, unix, feature = "files"))]
impl Body {
    /// Every byte the body would send (a reader body is consumed); for the
    /// tests of handlers that answer with files.
    pub(crate) fn read_all(&self) -> std::io::Result<Vec<u8>> {
        use std::os::unix::fs::FileExt;
        match &self.0 {
            Repr::File { file, offset, len } => {
                let mut buf = vec![0; usize::try_from(*len).unwrap_or(usize::MAX)];
                file.read_exact_at(&mut buf, *offset)?;
                Ok(buf)
            }
            Repr::Reader { reader, .. } => {
                let mut buf = Vec::new();
                let taken = reader.lock().map_or(None, |mut r| r.take());
                if let Some(mut reader) = taken {
                    reader.read_to_end(&mut buf)?;
                }
                Ok(buf)
            }
            Repr::Channel { .. } => {
                Err(std::io::Error::other("a channel body is not read in tests"))
            }
            Repr::Static(_) | Repr::Owned(_) | Repr::Shared(_) => Ok(self.as_bytes().to_vec()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_are_borrowed_everything_else_owned() {
        static PAGE: [u8; 3] = *b"abc";
        assert!(Body::from(&PAGE).is_static());
        assert!(Body::from(b"abc").is_static());
        let local = *b"abc";
        assert!(!Body::from(&local[..]).is_static());
        assert!(!Body::from(local).is_static());
        assert!(!Body::from("abc").is_static());
        assert!(!Body::from(String::from("abc")).is_static());
        assert!(!Body::from(Cow::Borrowed(&b"abc"[..])).is_static());
        for body in [
            Body::from(b"abc"),
            Body::from(local),
            Body::from("abc"),
            Body::from(vec![b'a', b'b', b'c']),
            Body::from(Box::<[u8]>::from(&b"abc"[..])),
            Body::from(Cow::Borrowed("abc")),
        ] {
            assert_eq!(body.as_bytes(), b"abc");
            assert_eq!(body.clone().into_vec(), b"abc");
            assert_eq!(body, Body::from_static(b"abc"));
        }
        assert_eq!(format!("{:?}", Body::from("a\"b")), r#""a\"b""#);
        assert_eq!(format!("{:?}", Body::from(vec![0xff])), "[255]");
    }

    #[test]
    fn streamed_bodies_say_what_they_are() {
        let file = || std::fs::File::open("Cargo.toml").unwrap();
        let (_tx, channel) = Body::channel(1);
        let reader = Body::reader(std::io::empty(), None);
        for body in [Body::file(file(), 0, 3), reader.clone(), channel.clone()] {
            assert!(!body.is_in_memory());
            assert!(!body.is_empty(), "{body:?}");
            assert!(body != *b"".as_slice(), "not equal to bytes");
            assert_eq!(body.inline_len(), usize::MAX);
            assert_eq!(body, body.clone());
        }
        assert!(Body::file(file(), 0, 0).is_empty());
        assert_ne!(Body::file(file(), 0, 3), Body::file(file(), 0, 3));
        assert_eq!(format!("{channel:?}"), "Body::channel");
        // The first to send a reader or channel takes it.
        assert!(matches!(
            reader.clone().take_source(),
            Some(Source::Reader(_))
        ));
        assert!(reader.take_source().is_none());
        assert!(matches!(
            channel.clone().take_source(),
            Some(Source::Channel(_))
        ));
        assert!(channel.take_source().is_none());
        // File clones share the file, each sent whole.
        let body = Body::file(file(), 5, 3);
        for _ in 0..2 {
            let Some(Source::File { offset, .. }) = body.clone().take_source() else {
                panic!("file source");
            };
            assert_eq!(offset, 5);
        }
        assert!(Body::from("x").take_source().is_none());
    }
}
