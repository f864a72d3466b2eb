//! [`Handler`]: what answers a request, and [`IntoResponse`]: what a
//! handler may return.

use super::{Request, Response};

/// Answers requests: what a [`Router`](crate::Router) routes to, what it
/// mounts, and what it is itself.
///
/// Every closure `Fn(&Request) -> R` where `R:` [`IntoResponse`] is a handler
/// (the seed's `|request| ResponseBuilder…build().unwrap()` among them), and
/// so is a `Router`, a `Files`, or a user's own type:
///
/// ```
/// use mini_async_http::{Handler, Method, Request, Response, ResponseBuilder};
///
/// struct Hello;
/// impl Handler for Hello {
///     fn call(&self, _req: &Request) -> Response {
///         ResponseBuilder::empty_200().body(b"Hello").build().unwrap()
///     }
/// }
///
/// let req = Request::new(Method::Get, "/");
/// assert_eq!(Hello.call(&req).body(), b"Hello");
/// let closure = |req: &Request| ResponseBuilder::empty_200().body(req.path()).build().unwrap();
/// assert_eq!(Handler::call(&closure, &req).body(), b"/");
/// ```
///
/// # Giving a handler to the server
/// [`AIOServer::new`](crate::AIOServer::new) and
/// [`bind`](crate::ServerBuilder::bind) take a closure, so that the seed's
/// `move |request| …` keeps compiling as written: Rust infers a closure's
/// argument types only from a `Fn` bound, and only closures can meet one (a
/// struct cannot implement `Fn` on stable Rust). A `Router`, `Files` or any
/// other `Handler` goes in as a closure through
/// [`into_fn`](Handler::into_fn):
///
/// ```
/// use mini_async_http::{AIOServer, Handler, Request, Response, ResponseBuilder};
///
/// struct Hello;
/// impl Handler for Hello {
///     fn call(&self, _req: &Request) -> Response {
///         ResponseBuilder::empty_200().body(b"Hello").build().unwrap()
///     }
/// }
/// let server = AIOServer::bind(1, "127.0.0.1:0", Hello.into_fn()).unwrap();
/// ```
pub trait Handler {
    /// Answers one request.
    fn call(&self, req: &Request) -> Response;

    /// This handler as a closure, for [`AIOServer::new`](crate::AIOServer::new)
    /// and [`bind`](crate::ServerBuilder::bind). The call is static (no
    /// `dyn`), so it costs nothing.
    ///
    /// ```
    /// use mini_async_http::{Handler, Method, Request, ResponseBuilder};
    /// let f = (|_: &Request| ResponseBuilder::empty_404().build().unwrap()).into_fn();
    /// assert_eq!(f(&Request::new(Method::Get, "/")).status(), 404);
    /// ```
    fn into_fn(self) -> impl Fn(&Request) -> Response + Send + Sync + 'static
    where
        Self: Sized + Send + Sync + 'static,
    {
        move |req: &Request| self.call(req)
    }
}

impl<F, R> Handler for F
where
    F: Fn(&Request) -> R + ?Sized,
    R: IntoResponse,
{
    #[inline]
    fn call(&self, req: &Request) -> Response {
        self(req).into_response()
    }
}

/// What a handler may return: a [`Response`], or a `Result` whose both sides
/// are responses (so a handler can use `?` with errors that know their
/// status).
///
/// ```
/// use mini_async_http::{IntoResponse, ResponseBuilder};
///
/// let ok: Result<_, mini_async_http::Response> = Ok(ResponseBuilder::empty_200().build().unwrap());
/// assert_eq!(ok.into_response().status(), 200);
/// let err: Result<mini_async_http::Response, _> = Err(ResponseBuilder::empty_404().build().unwrap());
/// assert_eq!(err.into_response().status(), 404);
/// ```
pub trait IntoResponse {
    /// The response to send.
    fn into_response(self) -> Response;
}

impl IntoResponse for Response {
    #[inline]
    fn into_response(self) -> Response {
        self
    }
}

impl<T: IntoResponse, E: IntoResponse> IntoResponse for Result<T, E> {
    #[inline]
    fn into_response(self) -> Response {
        match self {
            Ok(ok) => ok.into_response(),
            Err(err) => err.into_response(),
        }
    }
}
