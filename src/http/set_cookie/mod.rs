//! Cookies set by the server (no dependency): [`ResponseBuilder::cookie`]
//! writes a `Set-Cookie` field made with [`SetCookie`] (RFC 6265 §4.1).
//!
//! | rule | result | test |
//! |---|---|---|
//! | attributes in the order Path, Domain, Max-Age, Expires, Secure, HttpOnly, SameSite | — | `attribute_order` |
//! | `Max-Age` in whole seconds | — | `attribute_order` |
//! | `Expires` is an IMF-fixdate, clamped to 1970..=9999 | — | `expires_is_an_imf_fixdate_clamped` |
//! | `SameSite=None` adds `Secure` (browsers drop it otherwise) | — | `same_site_none_adds_secure` |
//! | each cookie is its own `Set-Cookie` field | — | `each_cookie_is_a_field` |
//! | a name that is not a token | `BuildError::InvalidCookie` | `invalid_cookie_refused_by_build` |
//! | a value with a byte outside cookie-octet (RFC 6265 §4.1.1: CTL, space, `"` inside, `,`, `;`, `\`, non-ASCII) | `BuildError::InvalidCookie` | `invalid_cookie_refused_by_build` |
//! | a `Path` or `Domain` with `;`, a control character or non-ASCII | `BuildError::InvalidCookie` | `invalid_cookie_refused_by_build` |
//! | `__Secure-` without Secure; `__Host-` without Secure, with a Domain, or a Path other than `/` (RFC 6265bis §4.1.3) | `BuildError::InvalidCookie` | `prefixed_names_need_their_attributes` |

use std::fmt::{self, Write};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{BuildError, ResponseBuilder, is_token};

impl ResponseBuilder {
    /// Adds a `Set-Cookie` field for `cookie` (one per call; every cookie
    /// set is kept).
    ///
    /// A cookie that cannot be written as it is (see [`SetCookie`]) makes
    /// [`build`](Self::build) fail with [`BuildError::InvalidCookie`].
    ///
    /// ```
    /// use mini_async_http::{ResponseBuilder, SameSite, SetCookie};
    ///
    /// let resp = ResponseBuilder::new()
    ///     .cookie(SetCookie::new("session", "abc").path("/").http_only(true).same_site(SameSite::Lax))
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(resp.headers().get("Set-Cookie"), Some("session=abc; Path=/; HttpOnly; SameSite=Lax"));
    ///
    /// assert!(ResponseBuilder::new().cookie(SetCookie::new("a b", "x")).build().is_err());
    /// ```
    pub fn cookie(self, cookie: SetCookie) -> ResponseBuilder {
        match cookie.into_header_value() {
            Ok(value) => self.header("Set-Cookie", &value),
            Err(error) => self.defer_error(error),
        }
    }
}

/// A cookie to set, written as a `Set-Cookie` field by
/// [`ResponseBuilder::cookie`] (RFC 6265 §4.1).
///
/// Attributes are written in the order `Path`, `Domain`, `Max-Age`, `Expires`,
/// `Secure`, `HttpOnly`, `SameSite`. `SameSite=None` also writes `Secure`, since
/// browsers drop a `SameSite=None` cookie that is not `Secure`.
///
/// What cannot be written is refused when the response is built
/// ([`BuildError::InvalidCookie`]): a name that is not a token; a value
/// with a byte outside `cookie-octet` (so no space, `"`, `,`, `;`, `\`,
/// control or non-ASCII byte; encode such values first), though a value may
/// be wrapped in one pair of `"`; a `Path` or `Domain` with `;`, a control
/// character or non-ASCII; a `__Secure-` name that is not `Secure`, and a
/// `__Host-` name that is not `Secure`, has a `Domain`, or a `Path` other
/// than `/` (browsers would ignore those).
///
/// ```
/// use std::time::Duration;
/// use mini_async_http::{SameSite, SetCookie};
///
/// let cookie = SetCookie::new("id", "a3fWa")
///     .max_age(Duration::from_secs(3600))
///     .secure(true)
///     .http_only(true)
///     .same_site(SameSite::Strict);
/// assert_eq!(
///     cookie.to_header_value().unwrap(),
///     "id=a3fWa; Max-Age=3600; Secure; HttpOnly; SameSite=Strict"
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub struct SetCookie {
    name: String,
    value: String,
    path: Option<String>,
    domain: Option<String>,
    max_age: Option<Duration>,
    expires: Option<SystemTime>,
    secure: bool,
    http_only: bool,
    same_site: Option<SameSite>,
}

/// The `SameSite` attribute of a cookie: when the browser sends it with a
/// request from another site.
///
/// ```
/// use mini_async_http::{SameSite, SetCookie};
/// let value = SetCookie::new("a", "1").same_site(SameSite::None).to_header_value().unwrap();
/// assert_eq!(value, "a=1; Secure; SameSite=None");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SameSite {
    /// Only with requests from the same site.
    Strict,
    /// Also with top-level navigations from other sites (what Chromium
    /// assumes when the attribute is missing).
    Lax,
    /// With every request, including from other sites; implies `Secure`.
    None,
}

impl SameSite {
    /// The attribute's value as written.
    ///
    /// ```
    /// assert_eq!(mini_async_http::SameSite::Lax.as_str(), "Lax");
    /// ```
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            SameSite::Strict => "Strict",
            SameSite::Lax => "Lax",
            SameSite::None => "None",
        }
    }
}

impl SetCookie {
    /// A cookie `name=value` with no attribute (a session cookie for the
    /// current path and host).
    ///
    /// ```
    /// let value = mini_async_http::SetCookie::new("lang", "en").to_header_value().unwrap();
    /// assert_eq!(value, "lang=en");
    /// ```
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> SetCookie {
        SetCookie {
            name: name.into(),
            value: value.into(),
            path: None,
            domain: None,
            max_age: None,
            expires: None,
            secure: false,
            http_only: false,
            same_site: None,
        }
    }

    /// A cookie that makes the browser delete `name`: an empty value,
    /// `Max-Age=0` and an `Expires` in 1970. Give it the `Path` and
    /// `Domain` the cookie was set with, or the browser keeps it.
    ///
    /// ```
    /// let value = mini_async_http::SetCookie::removal("session").path("/").to_header_value().unwrap();
    /// assert_eq!(value, "session=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT");
    /// ```
    pub fn removal(name: impl Into<String>) -> SetCookie {
        SetCookie::new(name, "")
            .max_age(Duration::ZERO)
            .expires(UNIX_EPOCH)
    }

    /// The cookie's name.
    ///
    /// ```
    /// assert_eq!(mini_async_http::SetCookie::new("a", "1").name(), "a");
    /// ```
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The cookie's value.
    ///
    /// ```
    /// assert_eq!(mini_async_http::SetCookie::new("a", "1").value(), "1");
    /// ```
    #[must_use]
    pub fn value(&self) -> &str {
        &self.value
    }

    /// Sets `Path`: the cookie is sent for this path and those below it.
    ///
    /// ```
    /// let cookie = mini_async_http::SetCookie::new("a", "1").path("/admin");
    /// assert_eq!(cookie.to_header_value().unwrap(), "a=1; Path=/admin");
    /// ```
    pub fn path(mut self, path: impl Into<String>) -> SetCookie {
        self.path = Some(path.into());
        self
    }

    /// Sets `Domain`: the cookie is also sent to this host's subdomains.
    ///
    /// ```
    /// let cookie = mini_async_http::SetCookie::new("a", "1").domain("example.com");
    /// assert_eq!(cookie.to_header_value().unwrap(), "a=1; Domain=example.com");
    /// ```
    pub fn domain(mut self, domain: impl Into<String>) -> SetCookie {
        self.domain = Some(domain.into());
        self
    }

    /// Sets `Max-Age` in whole seconds (fractions are dropped; zero deletes
    /// the cookie).
    ///
    /// ```
    /// use std::time::Duration;
    /// let cookie = mini_async_http::SetCookie::new("a", "1").max_age(Duration::from_secs(60));
    /// assert_eq!(cookie.to_header_value().unwrap(), "a=1; Max-Age=60");
    /// ```
    pub fn max_age(mut self, max_age: Duration) -> SetCookie {
        self.max_age = Some(max_age);
        self
    }

    /// Sets `Expires`, written as an IMF-fixdate (a time before 1970 is
    /// written as 1970, one after 9999 as the end of 9999). Browsers prefer
    /// `Max-Age` when both are set.
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// let at = UNIX_EPOCH + Duration::from_secs(784_111_777);
    /// let cookie = mini_async_http::SetCookie::new("a", "1").expires(at);
    /// assert_eq!(cookie.to_header_value().unwrap(), "a=1; Expires=Sun, 06 Nov 1994 08:49:37 GMT");
    /// ```
    pub fn expires(mut self, expires: SystemTime) -> SetCookie {
        self.expires = Some(expires);
        self
    }

    /// Sets `Secure`: sent over HTTPS only.
    ///
    /// ```
    /// let cookie = mini_async_http::SetCookie::new("a", "1").secure(true);
    /// assert_eq!(cookie.to_header_value().unwrap(), "a=1; Secure");
    /// ```
    pub fn secure(mut self, secure: bool) -> SetCookie {
        self.secure = secure;
        self
    }

    /// Sets `HttpOnly`: hidden from JavaScript.
    ///
    /// ```
    /// let cookie = mini_async_http::SetCookie::new("a", "1").http_only(true);
    /// assert_eq!(cookie.to_header_value().unwrap(), "a=1; HttpOnly");
    /// ```
    pub fn http_only(mut self, http_only: bool) -> SetCookie {
        self.http_only = http_only;
        self
    }

    /// Sets `SameSite`; [`SameSite::None`] also sets `Secure`.
    ///
    /// ```
    /// use mini_async_http::{SameSite, SetCookie};
    /// let cookie = SetCookie::new("a", "1").same_site(SameSite::Lax);
    /// assert_eq!(cookie.to_header_value().unwrap(), "a=1; SameSite=Lax");
    /// ```
    pub fn same_site(mut self, same_site: SameSite) -> SetCookie {
        self.same_site = Some(same_site);
        self
    }

    /// The `Set-Cookie` field value.
    ///
    /// # Errors
    /// [`BuildError::InvalidCookie`] with the part that cannot be written
    /// (see [`SetCookie`]).
    ///
    /// ```
    /// use mini_async_http::{BuildError, SetCookie};
    /// let err = SetCookie::new("a", "x;y").to_header_value().unwrap_err();
    /// assert_eq!(err, BuildError::InvalidCookie { name: "a".into(), part: "value" });
    /// ```
    pub fn to_header_value(&self) -> Result<String, BuildError> {
        self.check()?;
        let mut out = String::with_capacity(self.name.len() + self.value.len() + 64);
        out.push_str(&self.name);
        self.write_rest(&mut out);
        Ok(out)
    }

    /// As [`to_header_value`](Self::to_header_value), reusing the name's
    /// allocation.
    fn into_header_value(mut self) -> Result<String, BuildError> {
        self.check()?;
        let mut out = std::mem::take(&mut self.name);
        out.reserve(self.value.len() + 64);
        self.write_rest(&mut out);
        Ok(out)
    }

    /// Writes what follows the name: `=value` and the attributes.
    fn write_rest(&self, out: &mut String) {
        out.push('=');
        out.push_str(&self.value);
        let mut attribute = |name: &str, value: &dyn fmt::Display| {
            // Writing to a String cannot fail.
            let _ = write!(out, "; {name}={value}");
        };
        if let Some(path) = &self.path {
            attribute("Path", path);
        }
        if let Some(domain) = &self.domain {
            attribute("Domain", domain);
        }
        if let Some(max_age) = self.max_age {
            attribute("Max-Age", &max_age.as_secs());
        }
        if let Some(expires) = self.expires {
            attribute("Expires", &imf_fixdate(expires));
        }
        if self.is_secure() {
            out.push_str("; Secure");
        }
        if self.http_only {
            out.push_str("; HttpOnly");
        }
        if let Some(same_site) = self.same_site {
            out.push_str("; SameSite=");
            out.push_str(same_site.as_str());
        }
    }

    /// Whether `Secure` is written (set, or implied by `SameSite=None`).
    fn is_secure(&self) -> bool {
        self.secure || self.same_site == Some(SameSite::None)
    }

    /// The first part that cannot be written, as the error.
    fn check(&self) -> Result<(), BuildError> {
        let fail = |part| {
            Err(BuildError::InvalidCookie {
                name: self.name.clone(),
                part,
            })
        };
        if !is_token(&self.name) {
            return fail("name");
        }
        let value = self.value.as_bytes();
        let unquoted = match value {
            [b'"', inner @ .., b'"'] => inner,
            _ => value,
        };
        if !unquoted.iter().all(|&b| is_cookie_octet(b)) {
            return fail("value");
        }
        if self.path.as_deref().is_some_and(|p| !is_attribute_value(p)) {
            return fail("Path");
        }
        if self
            .domain
            .as_deref()
            .is_some_and(|d| !is_attribute_value(d))
        {
            return fail("Domain");
        }
        let has_prefix = |prefix: &str| {
            self.name
                .get(..prefix.len())
                .is_some_and(|start| start.eq_ignore_ascii_case(prefix))
        };
        let secure_ok = !has_prefix("__Secure-") || self.is_secure();
        let host_ok = !has_prefix("__Host-")
            || (self.is_secure() && self.domain.is_none() && self.path.as_deref() == Some("/"));
        if !(secure_ok && host_ok) {
            return fail("prefix");
        }
        Ok(())
    }
}

/// `cookie-octet` of RFC 6265 §4.1.1: US-ASCII except CTLs, whitespace,
/// DQUOTE, comma, semicolon and backslash.
fn is_cookie_octet(b: u8) -> bool {
    matches!(b, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E)
}

/// A `Path` or `Domain` value: printable ASCII other than `;` (RFC 6265
/// §4.1.1 allows any CHAR but CTLs and `;`; non-ASCII must be encoded).
fn is_attribute_value(s: &str) -> bool {
    s.bytes().all(|b| (0x20..0x7F).contains(&b) && b != b';')
}

/// `time` as an IMF-fixdate, clamped to what `httpdate` can write (it
/// panics before 1970 and from the year 10000 on).
fn imf_fixdate(time: SystemTime) -> String {
    /// 9999-12-31T23:59:59Z.
    const LAST: Duration = Duration::from_secs(253_402_300_799);
    let since_epoch = time.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    httpdate::fmt_http_date(UNIX_EPOCH + since_epoch.min(LAST))
}

#[cfg(test)]
mod tests;
