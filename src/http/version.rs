use std::fmt;

/// The HTTP version of a request. Only HTTP/1.0 and HTTP/1.1 are spoken.
///
/// ```
/// use mini_async_http::Version;
/// assert_eq!(Version::Http11.to_string(), "HTTP/1.1");
/// assert!(Version::Http10 < Version::Http11);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Version {
    /// `HTTP/1.0`: the connection closes after the response unless the request
    /// asked for `Connection: keep-alive`.
    Http10,
    /// `HTTP/1.1`: persistent connections by default.
    Http11,
}

impl Version {
    /// The version as it appears on the wire.
    ///
    /// ```
    /// use mini_async_http::Version;
    /// assert_eq!(Version::Http10.as_str(), "HTTP/1.0");
    /// ```
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Version::Http10 => "HTTP/1.0",
            Version::Http11 => "HTTP/1.1",
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
