use std::error::Error;
use std::fmt;

use crate::Method;

/// Why [`RouterBuilder::build`](super::RouterBuilder::build) refused a route
/// table: the first bad route, with its pattern (a mount is shown as
/// `mount <prefix>`).
///
/// ```
/// use mini_async_http::{ResponseBuilder, RouteError, Router};
///
/// let err = Router::builder()
///     .get("/users/{id}", |_| ResponseBuilder::new().build().unwrap())
///     .get("/users/{name}", |_| ResponseBuilder::new().build().unwrap())
///     .build()
///     .unwrap_err();
/// assert_eq!(
///     err,
///     RouteError::Conflict { pattern: "/users/{name}".into(), with: "/users/{id}".into() }
/// );
/// assert_eq!(
///     err.to_string(),
///     "route \"/users/{name}\" conflicts with \"/users/{id}\": a path could match both"
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RouteError {
    /// The pattern does not start with `/`, or has a character no request
    /// path holds as received: space, `?`, `#`, a control character or a
    /// non-ASCII one (a literal must be written percent-encoded, as clients
    /// send it).
    InvalidPattern(String),
    /// A `{…}` that is empty, not closed, or whose name is not made of ASCII
    /// letters, digits and `_`; or a `}` that closes nothing (`{{` and `}}`
    /// stand for literal braces).
    InvalidParam(String),
    /// The same parameter name twice in one pattern.
    DuplicateParam(String),
    /// Two parameters in one segment (`/{a}-{b}`).
    TwoParamsInSegment(String),
    /// A catch-all `{*name}` that is not at the end of the pattern.
    CatchAllNotLast(String),
    /// The pattern overlaps one given before in a way the router cannot
    /// order: some path could match both (`/{id}` and `/{name}`, `/{a}` and
    /// `/{*rest}`, `/x{a}` and `/{a}y`, …; see the module documentation).
    Conflict {
        /// The pattern refused.
        pattern: String,
        /// The pattern it conflicts with.
        with: String,
    },
    /// The same method on the same pattern twice.
    DuplicateRoute {
        /// The method.
        method: Method,
        /// The pattern.
        pattern: String,
    },
    /// A method that is not an RFC 9110 token (`Method::Other` built by hand).
    InvalidMethod(String),
    /// A mount prefix that is `/`, ends with `/` or has a catch-all (mount
    /// `/static`, not `/static/`; use a fallback for everything else).
    InvalidMountPrefix(String),
}

impl fmt::Display for RouteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RouteError::InvalidPattern(p) => write!(
                f,
                "route {p:?}: a pattern starts with / and has only visible ASCII other than ? and #"
            ),
            RouteError::InvalidParam(p) => write!(
                f,
                "route {p:?}: a parameter is {{name}} or {{*name}} with a name of ASCII letters, digits and _"
            ),
            RouteError::DuplicateParam(p) => write!(f, "route {p:?}: a parameter name is repeated"),
            RouteError::TwoParamsInSegment(p) => {
                write!(f, "route {p:?}: only one parameter is allowed per segment")
            }
            RouteError::CatchAllNotLast(p) => {
                write!(f, "route {p:?}: a catch-all must end the pattern")
            }
            RouteError::Conflict { pattern, with } => write!(
                f,
                "route {pattern:?} conflicts with {with:?}: a path could match both"
            ),
            RouteError::DuplicateRoute { method, pattern } => {
                write!(f, "route {method} {pattern:?} is given twice")
            }
            RouteError::InvalidMethod(m) => write!(f, "method {m:?} is not a token"),
            RouteError::InvalidMountPrefix(p) => write!(
                f,
                "mount {p:?}: a prefix is not / and has no trailing / and no catch-all"
            ),
        }
    }
}

impl Error for RouteError {}
