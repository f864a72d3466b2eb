use std::borrow::Cow;
use std::fmt;

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

    /// The bytes.
    ///
    /// ```
    /// assert_eq!(mini_async_http::Body::from("hi").as_bytes(), b"hi");
    /// ```
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Repr::Static(bytes) => bytes,
            Repr::Owned(bytes) => bytes,
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
        }
    }
}

impl AsRef<[u8]> for Body {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl PartialEq for Body {
    fn eq(&self, other: &Body) -> bool {
        self.as_bytes() == other.as_bytes()
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
