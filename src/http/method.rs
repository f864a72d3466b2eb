use std::fmt;

/// A request method (RFC 9110 §9).
///
/// The nine methods of RFC 9110 and RFC 5789 have their own variants; any other
/// valid token arrives as [`Method::Other`].
///
/// ```
/// use mini_async_http::Method;
///
/// assert_eq!(Method::from_token("GET"), Some(Method::Get));
/// assert_eq!(Method::from_token("PURGE"), Some(Method::Other("PURGE".into())));
/// assert_eq!(Method::from_token("GE T"), None);
/// assert_eq!(Method::Post.as_str(), "POST");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Method {
    /// `GET`
    Get,
    /// `HEAD`: answered with the headers of `GET` and no body.
    Head,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `DELETE`
    Delete,
    /// `CONNECT`
    Connect,
    /// `OPTIONS`
    Options,
    /// `TRACE`
    Trace,
    /// `PATCH`
    Patch,
    /// Any other method token, as received (methods are case-sensitive).
    Other(String),
}

impl Method {
    /// Parses a method token; `None` if `token` is not a valid RFC 9110 token.
    ///
    /// ```
    /// use mini_async_http::Method;
    /// assert_eq!(Method::from_token("DELETE"), Some(Method::Delete));
    /// assert_eq!(Method::from_token("get"), Some(Method::Other("get".into())));
    /// ```
    #[must_use]
    pub fn from_token(token: &str) -> Option<Method> {
        Some(match token {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "DELETE" => Method::Delete,
            "CONNECT" => Method::Connect,
            "OPTIONS" => Method::Options,
            "TRACE" => Method::Trace,
            "PATCH" => Method::Patch,
            other if crate::http::is_token(other) => Method::Other(other.to_owned()),
            _ => return None,
        })
    }

    /// The method as it appears on the wire.
    ///
    /// ```
    /// use mini_async_http::Method;
    /// assert_eq!(Method::Head.as_str(), "HEAD");
    /// ```
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
            Method::Connect => "CONNECT",
            Method::Options => "OPTIONS",
            Method::Trace => "TRACE",
            Method::Patch => "PATCH",
            Method::Other(token) => token,
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
