//! HTTPS: the TLS transport (rustls, the `ring` provider) and its
//! configuration, [`TlsConfig`].
//!
//! TLS is a transport of the server, not a protocol layer: a worker turns
//! ciphertext into plaintext and back around the same `Conn`, and `proto`
//! cannot tell. The handshake is driven by readiness on the workers like any
//! request, a bounded step per job ([`TlsStream`]), never in the event loop
//! and never waiting on a slow client; it counts against the header timeout
//! from accept.
//!
//! # TLS policy
//!
//! | rule | what the client gets | test (`tests/tls/` unless said) |
//! |---|---|---|
//! | TLS 1.3 and 1.2 only; a TLS 1.0 or 1.1 `ClientHello` | `protocol_version` alert, closed | `tls10_client_hello_is_refused` |
//! | rustls's default suites: AEAD with forward secrecy only; a TLS 1.2 hello offering only RSA key exchange or CBC | `handshake_failure` alert, closed | `tls12_suites_without_forward_secrecy_or_aead_are_refused` |
//! | the suite: the server's order, AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305 (`suites.rs` says why); a client listing ChaCha20-Poly1305 first (no AES hardware) gets its own order; a [`from_rustls`](TlsConfig::from_rustls) config as it is | AES-128-GCM for OpenSSL's order (AES-256 first), ChaCha20-Poly1305 for a client listing it first, the only suite offered when only one is | `the_server_order_of_suites_except_for_chacha_first_clients` |
//! | ALPN: `http/1.1` when offered (also next to `h2`) | `http/1.1` selected | `alpn_prefers_http11` |
//! | ALPN offering only protocols other than `http/1.1` (`h2`) | `no_application_protocol` alert, closed | `alpn_h2_only_is_refused` |
//! | plain HTTP on the TLS port (first byte an ASCII letter) | plain-text `400`, closed | `plain_http_gets_400` |
//! | a first record that is not a handshake, garbage, a broken record | an alert, closed; other connections unaffected | `garbage_is_closed` |
//! | a `ClientHello` cut short, then the end of input | closed | `truncated_client_hello_is_closed` |
//! | a silent or trickling handshake | closed at `header_timeout` from accept, holding no worker | `silent_handshake_is_closed_on_time`, `slow_handshakes_hold_no_worker` |
//! | SNI absent (an IP address) | the default certificate; `Request::tls_server_name` is `None` | `sni_is_optional` |
//! | renegotiation (a `ClientHello` inside a TLS 1.2 session) | `no_renegotiation` alert (rustls: a second attempt is fatal); OpenSSL clients give the connection up; others unaffected | `tests/e2e/tls.sh` (`openssl s_client`, `R`) |
//! | 0-RTT early data | never accepted: a [`from_rustls`](TlsConfig::from_rustls) config with `max_early_data_size > 0` is an error at bind | `early_data_config_is_refused` |
//! | `Connection: close`, the idle timeout, shutdown | `close_notify`, then TCP close | `close_notify_at_connection_close`, `close_notify_at_shutdown` |
//! | session resumption | TLS 1.3 tickets (the provider's rotating ticketer), TLS 1.2 tickets or a 512-entry session cache | `resumption_resumes` |
//! | SNI | the certificate of that name, else the default one | `sni_picks_the_certificate` |
//! | a file body ([`Body::file`](crate::Body::file)) | its bytes through rustls, read with positioned reads (`sendfile` is for plain TCP only) | `file_body_over_tls` |
//! | a channel body ([`Body::channel`](crate::Body::channel)) | parked without a worker while its producer is silent, woken when it sends; the producer is told when the client leaves | `channel_body_over_tls` |
//! | handshake outcomes | [`Metrics::tls_handshakes`](crate::Metrics::tls_handshakes) counts completed ones; every TLS connection closed before completing one (alert, plain HTTP, client gone, deadline, shutdown) counts in `tls_handshake_failures` | `handshakes_are_counted` |
//! | closes by the loop (idle timeout, shutdown) | `close_notify` from a worker, counted under the loop's reason (`timeout`, `shutdown`) | `close_notify_at_connection_close`, `close_notify_at_shutdown` |
//! | unreadable or bad certificate or key | `io::Error` naming the file, at bind or reload (the old configuration stays) | `bad_files_name_the_file`, `reload_keeps_the_old_config_on_error` |
//!
//! Lessons taken: RUSTSEC-2024-0341 (a handshake that trickles must not hold
//! anything but its socket and buffer, and must end at a deadline),
//! RUSTSEC-2024-0336 (no `complete_io` loop: every step is bounded),
//! RUSTSEC-2024-0399 (nothing here catches a panic: there is no
//! `catch_unwind` around rustls, and no input reaches an `unwrap`).
//!
//! # Memory
//! A connection that has sent nothing holds an `Arc` (no rustls state is made
//! before its first byte). An idle established keep-alive connection keeps
//! its rustls `ServerConnection` (keys and buffers emptied or shrunk by
//! rustls); the measured cost is in the README ("HTTPS").

#[cfg(any(test, feature = "internals"))]
mod pipe;
mod stream;
mod suites;
#[cfg(test)]
mod tests;

#[cfg(feature = "internals")]
pub use pipe::MemorySocket;

#[cfg(not(feature = "internals"))]
pub(crate) use stream::TlsStream;
#[cfg(feature = "internals")]
pub use stream::{PLAIN_HTTP_400, TlsStream};

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};

use rustls::crypto::{CryptoProvider, ring};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, DnsName, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert, ServerSessionMemoryCache};
use rustls::sign::CertifiedKey;
use rustls::{ServerConfig, version};

use super::ServerHandle;
use suites::Configs;

/// TLS 1.2 sessions the server remembers for resumption by session ID
/// (TLS 1.3 and most TLS 1.2 clients resume with tickets, which need no
/// server memory).
const SESSION_CACHE_ENTRIES: usize = 512;

/// Where the server's certificates come from: PEM files, PEM bytes, or a
/// complete rustls configuration.
///
/// Files are read when the server is bound ([`ServerBuilder::tls`]) and
/// again at each [`ServerHandle::reload_tls`], so rotating a certificate is:
/// replace the files, call `reload_tls` with the same `TlsConfig`. The
/// certificate chain is PEM (leaf first), the key PEM in PKCS#8, PKCS#1
/// (RSA) or SEC1 (EC) form.
///
/// The defaults: TLS 1.3 and 1.2, rustls's default cipher suites (AEAD with
/// forward secrecy) in the server's order, AES-128-GCM first, except for a
/// client that lists ChaCha20-Poly1305 first (one without AES hardware),
/// which gets its own order; ALPN `http/1.1`, session resumption by tickets and a
/// bounded cache of 512 TLS 1.2 sessions, no client certificates, no
/// 0-RTT.
///
/// ```no_run
/// use mini_async_http::{AIOServer, ResponseBuilder, TlsConfig};
///
/// let tls = TlsConfig::from_pem_files("cert.pem", "key.pem")
///     .with_sni("api.example.com", "api.pem", "api.key");
/// let mut server = AIOServer::builder()
///     .tls(tls)
///     .bind("0.0.0.0:8443", |req| {
///         let text = format!("hello over {}", if req.is_tls() { "TLS" } else { "TCP" });
///         ResponseBuilder::empty_200().body(text).build().unwrap()
///     })
///     .expect("bind 8443 and load the certificates");
/// server.start();
/// ```
///
/// [`ServerBuilder::tls`]: crate::ServerBuilder::tls
#[derive(Clone)]
pub struct TlsConfig {
    source: Source,
}

#[derive(Clone)]
enum Source {
    Certs {
        default: Pair,
        /// Lower-case SNI name → its certificate.
        by_name: Vec<(String, Pair)>,
    },
    Rustls {
        config: Arc<ServerConfig>,
        /// `with_sni` was called on it (an error at load: the resolver is
        /// the given configuration's).
        with_sni: bool,
    },
}

/// A certificate chain and its private key.
#[derive(Clone)]
struct Pair {
    cert: Pem,
    key: Pem,
}

#[derive(Clone)]
enum Pem {
    File(PathBuf),
    Memory(Arc<[u8]>),
}

impl fmt::Debug for Pem {
    /// Paths, never key bytes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pem::File(path) => write!(f, "{}", path.display()),
            Pem::Memory(bytes) => write!(f, "<{} bytes of PEM>", bytes.len()),
        }
    }
}

impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.source {
            Source::Certs { default, by_name } => f
                .debug_struct("TlsConfig")
                .field("cert", &default.cert)
                .field("key", &default.key)
                .field("sni", &by_name.iter().map(|(n, _)| n).collect::<Vec<_>>())
                .finish(),
            Source::Rustls { .. } => f
                .debug_struct("TlsConfig")
                .field("rustls", &"ServerConfig")
                .finish(),
        }
    }
}

impl TlsConfig {
    /// The certificate chain and private key in these PEM files, used for
    /// every client (unless [`with_sni`](Self::with_sni) names another for
    /// the name it asks for). The files are read at bind.
    ///
    /// ```
    /// use mini_async_http::TlsConfig;
    /// let missing = TlsConfig::from_pem_files("/no/such/cert.pem", "/no/such/key.pem");
    /// let err = missing.load().unwrap_err();
    /// assert!(err.to_string().contains("/no/such/cert.pem"), "{err}");
    /// ```
    #[must_use]
    pub fn from_pem_files(cert_chain: impl AsRef<Path>, key: impl AsRef<Path>) -> TlsConfig {
        TlsConfig::certs(Pair::files(cert_chain.as_ref(), key.as_ref()))
    }

    /// The certificate chain and private key as PEM text (e.g. from a
    /// secret store), like [`from_pem_files`](Self::from_pem_files).
    ///
    /// ```
    /// use mini_async_http::TlsConfig;
    /// let cert = rcgen::generate_simple_self_signed(["localhost".to_string()]).unwrap();
    /// let tls = TlsConfig::from_pem(cert.cert.pem(), cert.signing_key.serialize_pem());
    /// assert!(tls.load().is_ok());
    /// ```
    #[must_use]
    pub fn from_pem(cert_chain: impl Into<Vec<u8>>, key: impl Into<Vec<u8>>) -> TlsConfig {
        TlsConfig::certs(Pair::memory(cert_chain.into(), key.into()))
    }

    /// A complete rustls configuration, for full control (client
    /// certificates, other suites, a custom resolver or ticketer). Keep
    /// `http/1.1` in its ALPN list (or leave the list empty); its
    /// `max_early_data_size` must stay 0 (the server does not take 0-RTT
    /// data, which can be replayed). `with_sni` does not apply to it.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use mini_async_http::{TlsConfig, rustls};
    ///
    /// let cert = rcgen::generate_simple_self_signed(["localhost".to_string()]).unwrap();
    /// let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.signing_key.serialize_der().into());
    /// let provider = Arc::new(rustls::crypto::ring::default_provider());
    /// let config = rustls::ServerConfig::builder_with_provider(provider)
    ///     .with_protocol_versions(&[&rustls::version::TLS13])
    ///     .unwrap()
    ///     .with_no_client_auth()
    ///     .with_single_cert(vec![cert.cert.der().clone()], key)
    ///     .unwrap();
    /// let tls = TlsConfig::from_rustls(Arc::new(config));
    /// assert!(tls.load().is_ok());
    /// ```
    #[must_use]
    pub fn from_rustls(config: Arc<ServerConfig>) -> TlsConfig {
        TlsConfig {
            source: Source::Rustls {
                config,
                with_sni: false,
            },
        }
    }

    /// Serves the certificate chain and key of these PEM files to clients
    /// that ask for `name` (by SNI, case-insensitive); others get the
    /// default certificate.
    ///
    /// ```
    /// use mini_async_http::TlsConfig;
    /// let tls = TlsConfig::from_pem_files("cert.pem", "key.pem")
    ///     .with_sni("static.example.com", "static.pem", "static.key");
    /// # let _ = tls;
    /// ```
    #[must_use]
    pub fn with_sni(
        self,
        name: &str,
        cert_chain: impl AsRef<Path>,
        key: impl AsRef<Path>,
    ) -> TlsConfig {
        self.named(name, Pair::files(cert_chain.as_ref(), key.as_ref()))
    }

    /// [`with_sni`](Self::with_sni) with PEM text.
    ///
    /// ```
    /// use mini_async_http::TlsConfig;
    /// let a = rcgen::generate_simple_self_signed(["a.test".to_string()]).unwrap();
    /// let b = rcgen::generate_simple_self_signed(["b.test".to_string()]).unwrap();
    /// let tls = TlsConfig::from_pem(a.cert.pem(), a.signing_key.serialize_pem())
    ///     .with_sni_pem("b.test", b.cert.pem(), b.signing_key.serialize_pem());
    /// assert!(tls.load().is_ok());
    /// ```
    #[must_use]
    pub fn with_sni_pem(
        self,
        name: &str,
        cert_chain: impl Into<Vec<u8>>,
        key: impl Into<Vec<u8>>,
    ) -> TlsConfig {
        self.named(name, Pair::memory(cert_chain.into(), key.into()))
    }

    /// Reads the certificates and keys now and builds the rustls
    /// configuration the server would use: what bind and
    /// [`ServerHandle::reload_tls`] do, for a configuration check. (The
    /// server also uses this configuration in the client's order of suites,
    /// for a client that lists ChaCha20-Poly1305 first.)
    ///
    /// # Errors
    /// A file that cannot be read, holds no certificate or no key, a key
    /// that rustls cannot use or that does not match its certificate, an
    /// invalid SNI name (each error names its file or name); a
    /// [`from_rustls`](Self::from_rustls) configuration with 0-RTT on or
    /// with `with_sni`.
    ///
    /// ```
    /// use mini_async_http::TlsConfig;
    /// let err = TlsConfig::from_pem("not PEM", "not PEM").load().unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    /// ```
    pub fn load(&self) -> io::Result<Arc<ServerConfig>> {
        self.load_configs()
            .map(|configs| Arc::clone(configs.main()))
    }

    /// [`load`](Self::load), with the twin in the client's order of suites
    /// that a client listing ChaCha20-Poly1305 first gets (`suites.rs`).
    pub(crate) fn load_configs(&self) -> io::Result<Configs> {
        match &self.source {
            Source::Rustls { with_sni: true, .. } => Err(invalid_input(
                "with_sni does not apply to a rustls ServerConfig: give it a resolver",
            )),
            Source::Rustls { config, .. } if config.max_early_data_size > 0 => Err(invalid_input(
                "max_early_data_size must be 0: 0-RTT data is not supported",
            )),
            Source::Rustls { config, .. } => Ok(Configs::fixed(Arc::clone(config))),
            Source::Certs { default, by_name } => {
                let provider = Arc::new(suites::server_order(ring::default_provider()));
                let mut resolver = Certs {
                    default: default.load(&provider)?,
                    by_name: HashMap::new(),
                };
                for (name, pair) in by_name {
                    if DnsName::try_from(name.as_str()).is_err() {
                        return Err(invalid_input(&format!("invalid SNI name {name:?}")));
                    }
                    resolver.by_name.insert(name.clone(), pair.load(&provider)?);
                }
                server_config(provider, Arc::new(resolver)).map(Configs::with_chacha_rule)
            }
        }
    }

    fn certs(default: Pair) -> TlsConfig {
        TlsConfig {
            source: Source::Certs {
                default,
                by_name: Vec::new(),
            },
        }
    }

    fn named(mut self, name: &str, pair: Pair) -> TlsConfig {
        match &mut self.source {
            Source::Certs { by_name, .. } => by_name.push((name.to_ascii_lowercase(), pair)),
            Source::Rustls { with_sni, .. } => *with_sni = true,
        }
        self
    }
}

/// The defaults of [`TlsConfig`] around a certificate resolver.
fn server_config(
    provider: Arc<CryptoProvider>,
    resolver: Arc<dyn ResolvesServerCert>,
) -> io::Result<ServerConfig> {
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&version::TLS13, &version::TLS12])
        .map_err(tls_error)?
        .with_no_client_auth()
        .with_cert_resolver(resolver);
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    config.session_storage = ServerSessionMemoryCache::new(SESSION_CACHE_ENTRIES);
    config.ticketer = ring::Ticketer::new().map_err(tls_error)?;
    Ok(config)
}

impl Pair {
    fn files(cert: &Path, key: &Path) -> Pair {
        Pair {
            cert: Pem::File(cert.to_owned()),
            key: Pem::File(key.to_owned()),
        }
    }

    fn memory(cert: Vec<u8>, key: Vec<u8>) -> Pair {
        Pair {
            cert: Pem::Memory(cert.into()),
            key: Pem::Memory(key.into()),
        }
    }

    fn load(&self, provider: &CryptoProvider) -> io::Result<Arc<CertifiedKey>> {
        let chain = match &self.cert {
            Pem::File(path) => {
                CertificateDer::pem_file_iter(path).and_then(Iterator::collect::<Result<Vec<_>, _>>)
            }
            Pem::Memory(bytes) => CertificateDer::pem_slice_iter(bytes).collect(),
        }
        .map_err(|e| pem_error(&self.cert, "certificate chain", &e))?;
        if chain.is_empty() {
            return Err(pem_error(
                &self.cert,
                "certificate chain",
                &rustls::pki_types::pem::Error::NoItemsFound,
            ));
        }
        let key = match &self.key {
            Pem::File(path) => PrivateKeyDer::from_pem_file(path),
            Pem::Memory(bytes) => PrivateKeyDer::from_pem_slice(bytes),
        }
        .map_err(|e| pem_error(&self.key, "private key", &e))?;
        let certified = CertifiedKey::from_der(chain, key, provider).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{:?} with {:?}: {e}", self.cert, self.key),
            )
        })?;
        Ok(Arc::new(certified))
    }
}

fn pem_error(source: &Pem, what: &str, e: &rustls::pki_types::pem::Error) -> io::Error {
    let kind = match e {
        rustls::pki_types::pem::Error::Io(io) => io.kind(),
        _ => io::ErrorKind::InvalidData,
    };
    io::Error::new(kind, format!("{source:?}: cannot read a {what}: {e}"))
}

fn invalid_input(text: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, text.to_owned())
}

fn tls_error(e: rustls::Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, e)
}

/// The certificates of a [`TlsConfig`]: by SNI name, else the default.
#[derive(Debug)]
struct Certs {
    default: Arc<CertifiedKey>,
    by_name: HashMap<String, Arc<CertifiedKey>>,
}

impl ResolvesServerCert for Certs {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        // rustls gives the SNI name in lower case.
        let named = hello.server_name().and_then(|n| self.by_name.get(n));
        Some(Arc::clone(named.unwrap_or(&self.default)))
    }
}

/// The server's current TLS configuration, read once per accepted
/// connection (on the worker that reads its first bytes) and replaced by
/// [`ServerHandle::reload_tls`]: connections keep the configuration they
/// started with.
#[derive(Debug)]
pub(crate) struct TlsAcceptor {
    current: RwLock<Arc<Configs>>,
}

impl TlsAcceptor {
    pub(crate) fn new(configs: Configs) -> TlsAcceptor {
        TlsAcceptor {
            current: RwLock::new(Arc::new(configs)),
        }
    }

    pub(crate) fn configs(&self) -> Arc<Configs> {
        Arc::clone(&self.current.read().unwrap_or_else(PoisonError::into_inner))
    }

    fn replace(&self, configs: Configs) {
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(configs);
    }
}

impl ServerHandle {
    /// Loads `config` and makes it the one new TLS connections use; open
    /// connections keep theirs. For certificate rotation without a restart:
    /// replace the files, then call this with the same `TlsConfig` that
    /// the server was bound with. The new configuration has its own ticket
    /// keys and session cache: sessions made before it are not resumed
    /// (their clients make a full handshake, with the new certificate).
    ///
    /// # Errors
    /// Those of [`TlsConfig::load`] (the configuration in use stays), or
    /// `InvalidInput` if the server was bound without TLS.
    ///
    /// ```
    /// use mini_async_http::{AIOServer, ResponseBuilder, TlsConfig};
    /// let pem = |name: &str| {
    ///     let c = rcgen::generate_simple_self_signed([name.to_string()]).unwrap();
    ///     TlsConfig::from_pem(c.cert.pem(), c.signing_key.serialize_pem())
    /// };
    /// let server = AIOServer::builder()
    ///     .tls(pem("old.test"))
    ///     .bind("127.0.0.1:0", |_| ResponseBuilder::empty_200().build().unwrap())
    ///     .unwrap();
    /// let handle = server.handle();
    /// handle.reload_tls(&pem("new.test")).unwrap();
    /// assert!(handle.reload_tls(&TlsConfig::from_pem_files("/gone.pem", "/gone.key")).is_err());
    /// ```
    pub fn reload_tls(&self, config: &TlsConfig) -> io::Result<()> {
        let Some(acceptor) = &self.shared.tls else {
            return Err(invalid_input("the server was bound without TLS"));
        };
        acceptor.replace(config.load_configs()?);
        log::info!("TLS configuration reloaded");
        Ok(())
    }
}
