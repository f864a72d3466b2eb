use std::fmt;

use super::dispatch::Table;
use crate::{Request, Response};

/// Code around routes, as the router keeps it.
pub(super) type Middleware = Box<dyn Fn(&Request, Next<'_>) -> Response + Send + Sync>;

/// The rest of the way to the route, given to code around routes
/// ([`RouterBuilder::wrap`](super::RouterBuilder::wrap)): the inner
/// `wrap`s, then the routing itself. Two references, copied for free: a
/// chain costs no allocation per request.
///
/// ```
/// use mini_async_http::{Handler, Method, Request, ResponseBuilder, Router};
///
/// let router = Router::builder()
///     .get("/", |_| ResponseBuilder::new().body(b"inner").build().unwrap())
///     .wrap(|req, next| {
///         if req.header("x-skip").is_some() {
///             return ResponseBuilder::new().body(b"skipped").build().unwrap();
///         }
///         next.run(req)
///     })
///     .build()
///     .unwrap();
/// assert_eq!(router.call(&Request::new(Method::Get, "/")).body(), b"inner");
/// let skip = Request::new(Method::Get, "/").with_header("X-Skip", "1");
/// assert_eq!(router.call(&skip).body(), b"skipped");
/// ```
#[derive(Clone, Copy)]
pub struct Next<'a> {
    /// The `wrap`s still to run, outermost first.
    rest: &'a [Middleware],
    table: &'a Table,
}

impl<'a> Next<'a> {
    /// The first step: every `wrap` of `chain`, then the table.
    pub(super) fn new(chain: &'a [Middleware], table: &'a Table) -> Next<'a> {
        Next { rest: chain, table }
    }

    /// Runs the inner steps and the route on `req` and returns their
    /// response.
    ///
    /// Call it at most once per request: routing stores what it matched in
    /// the request (see [`Request::param`]), once. A request of your own
    /// (`Request::new`, or a modified clone) is routed afresh.
    ///
    /// ```
    /// use mini_async_http::{Handler, Method, Request, ResponseBuilder, Router};
    /// let router = Router::builder()
    ///     .get("/{name}", |req| ResponseBuilder::new().body(req.param("name").unwrap().to_owned()).build().unwrap())
    ///     .wrap(|req, next| next.run(req))
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(router.call(&Request::new(Method::Get, "/ann")).body(), b"ann");
    /// ```
    pub fn run(self, req: &Request) -> Response {
        match self.rest.split_first() {
            Some((first, rest)) => first(
                req,
                Next {
                    rest,
                    table: self.table,
                },
            ),
            None => self.table.dispatch(req),
        }
    }
}

impl fmt::Debug for Next<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Next")
            .field("wraps_left", &self.rest.len())
            .finish_non_exhaustive()
    }
}
