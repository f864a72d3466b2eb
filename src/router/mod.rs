//! [`Router`]: requests to handlers by method and path pattern, with
//! mounting, code around routes and the HTTP answers a router owes
//! (`404`, `405` with `Allow`, `HEAD`, `OPTIONS`). Feature `router`;
//! [matchit] does the matching, after a table of the patterns without
//! parameters, looked up by the path's bytes, which answers only as matchit
//! would. Built on the `http` layer only.
//!
#![doc = include_str!("policy.md")]

mod builder;
mod dispatch;
mod error;
mod exact;
#[cfg(test)]
mod exact_proptests;
mod middleware;
mod pattern;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

use std::fmt;

pub use builder::RouterBuilder;
use dispatch::Table;
pub use error::RouteError;
use middleware::Middleware;
pub use middleware::Next;

use crate::{Handler, Request, Response};

/// Routes requests to handlers by method and path pattern; a [`Handler`]
/// itself, so it can be mounted in another router. The policy (patterns,
/// decoding, `404`/`405`/`HEAD`/`OPTIONS`, trailing slashes, mounts, code
/// around routes) follows the examples below.
///
/// Made by [`Router::builder`]. It goes to the server through
/// [`into_fn`](Handler::into_fn): `AIOServer::new` and `bind` take a
/// closure (so the seed's `move |request| …` compiles without a type on
/// `request`), and `into_fn` makes the router one, at no cost.
///
/// ```no_run
/// use mini_async_http::{AIOServer, Handler, ResponseBuilder, Router};
///
/// let router = Router::builder()
///     .get("/", |_| ResponseBuilder::new().body(b"Hello").build().unwrap())
///     .get("/users/{id}", |req| {
///         let id = req.param("id").unwrap_or("");
///         ResponseBuilder::new().body(format!("user {id}")).build().unwrap()
///     })
///     .build()
///     .expect("valid routes");
///
/// let mut server = AIOServer::new(3, "0.0.0.0:7878", router.into_fn());
/// server.start();
/// ```
///
/// or, with the builder's settings:
///
/// ```
/// use mini_async_http::{AIOServer, Handler, ResponseBuilder, Router};
///
/// let router = Router::builder()
///     .get("/", |_| ResponseBuilder::new().body(b"Hello").build().unwrap())
///     .build()
///     .unwrap();
/// let server = AIOServer::builder().workers(2).bind("127.0.0.1:0", router.into_fn()).unwrap();
/// ```
///
#[doc = include_str!("policy.md")]
pub struct Router {
    table: Table,
    /// Code around routes, outermost first.
    middleware: Box<[Middleware]>,
}

impl Router {
    /// A builder with no route.
    ///
    /// ```
    /// use mini_async_http::{Handler, Method, Request, ResponseBuilder, Router};
    /// let router = Router::builder()
    ///     .get("/", |_| ResponseBuilder::new().body(b"hi").build().unwrap())
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(router.call(&Request::new(Method::Get, "/")).body(), b"hi");
    /// ```
    pub fn builder() -> RouterBuilder {
        RouterBuilder::new()
    }
}

impl Handler for Router {
    /// Runs the code around routes, then routes `req` (see [`Router`]).
    fn call(&self, req: &Request) -> Response {
        Next::new(&self.middleware, &self.table).run(req)
    }
}

impl fmt::Debug for Router {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Router")
            .field("routes", &self.table.shown().collect::<Vec<_>>())
            .field("wraps", &self.middleware.len())
            .finish_non_exhaustive()
    }
}
