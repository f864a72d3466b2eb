use std::borrow::Cow;
use std::fmt;
use std::fs::File;
use std::io::Read;
use std::sync::{Arc, Mutex};

/// The body of a [`Response`](crate::Response): bytes it owns, or bytes that
/// live as long as the program (a `b"..."` literal, `include_bytes!`), which
/// are sent without being copied.
///
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
/// assert_eq!(owned.len(), 7);
/// assert_eq!(owned, Body::from("3 items"));
/// ```
#[derive(Clone, Default)]
pub struct Body(Repr);

#[derive(Clone)]
enum Repr {
    Static(&'static [u8]),
    Owned(Vec<u8>),
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
    /// the file as the client takes them (never read into memory whole).
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
    /// chunked, or close-delimited for HTTP/1.0).
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

    /// The length in bytes, if known before sending.
    ///
    /// ```
    /// assert_eq!(mini_async_http::Body::from("abc").content_length(), Some(3));
    /// ```
    #[must_use]
    pub fn content_length(&self) -> Option<u64> {
        match &self.0 {
            Repr::Static(bytes) => Some(bytes.len() as u64),
            Repr::Owned(bytes) => Some(bytes.len() as u64),
            Repr::File { len, .. } => Some(*len),
            Repr::Reader { len, .. } => *len,
        }
    }

    /// Whether the bytes are in memory (then [`as_bytes`](Self::as_bytes)
    /// has them all); `false` for a file or a reader.
    ///
    /// ```
    /// assert!(mini_async_http::Body::from("abc").is_in_memory());
    /// ```
    #[must_use]
    pub fn is_in_memory(&self) -> bool {
        matches!(self.0, Repr::Static(_) | Repr::Owned(_))
    }

    /// The bytes of an in-memory body; empty for a file or a reader, which
    /// are only read as they are sent (see [`is_in_memory`](Self::is_in_memory)).
    ///
    /// ```
    /// assert_eq!(mini_async_http::Body::from("hi").as_bytes(), b"hi");
    /// ```
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Repr::Static(bytes) => bytes,
            Repr::Owned(bytes) => bytes,
            Repr::File { .. } | Repr::Reader { .. } => &[],
        }
    }

    /// The length in bytes.
    ///
    /// ```
    /// assert_eq!(mini_async_http::Body::from("hello").len(), 5);
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.as_bytes().len()
    }

    /// Whether there is no byte.
    ///
    /// ```
    /// assert!(mini_async_http::Body::from(Vec::new()).is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.as_bytes().is_empty()
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

    /// The bytes as a `Vec` (a copy only when they were borrowed).
    ///
    /// ```
    /// assert_eq!(mini_async_http::Body::from("ab").into_vec(), b"ab".to_vec());
    /// ```
    #[must_use]
    pub fn into_vec(self) -> Vec<u8> {
        match self.0 {
            Repr::Static(bytes) => bytes.to_vec(),
            Repr::Owned(bytes) => bytes,
            Repr::File { .. } | Repr::Reader { .. } => Vec::new(),
        }
    }
}

impl AsRef<[u8]> for Body {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl PartialEq for Body {
    /// In-memory bodies are equal when their bytes are; a file or reader
    /// body only equals itself (or a clone of itself).
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
            (Repr::File { .. } | Repr::Reader { .. }, _)
            | (_, Repr::File { .. } | Repr::Reader { .. }) => false,
            _ => self.as_bytes() == other.as_bytes(),
        }
    }
}

impl Eq for Body {}

impl PartialEq<[u8]> for Body {
    fn eq(&self, other: &[u8]) -> bool {
        self.as_bytes() == other
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::File { offset, len, .. } => {
                return write!(f, "Body::file(offset {offset}, {len} bytes)");
            }
            Repr::Reader { len, .. } => return write!(f, "Body::reader({len:?} bytes)"),
            Repr::Static(_) | Repr::Owned(_) => {}
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

/// Reading back what a file or reader body would send, for the tests of the
/// static-file handler (`src/files`).
#[cfg(all(test, unix, feature = "files"))]
impl Body {
    /// Every byte the body would send (a reader body is consumed).
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
            Repr::Static(_) | Repr::Owned(_) => Ok(self.as_bytes().to_vec()),
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
}
