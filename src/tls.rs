//! TLS for every HTTP client shiprig builds (GitHub, Slack, the product tools, smoke tests):
//! rustls trusting the system's CA certificates, read once per process and only when a first
//! https connection verifies a server. Building a client reads nothing, so a run that only
//! talks plain http (to the emulator, or to a proxy on 127.0.0.1) never parses the store.
//! Linux lists each root twice (the bundle file and the folder of hashed links); each distinct
//! certificate is parsed once.

use std::collections::HashSet;
use std::sync::{Arc, OnceLock};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};

/// The system's roots as a verifier, built on the first https handshake of the process.
static SYSTEM_ROOTS: OnceLock<Result<Arc<WebPkiServerVerifier>, String>> = OnceLock::new();

/// A reqwest client builder whose TLS trusts the system's roots, read lazily.
pub(crate) fn client_builder() -> reqwest::ClientBuilder {
    let builder = reqwest::Client::builder();
    match client_config() {
        Some(config) => builder.tls_backend_preconfigured(config),
        // A provider without TLS 1.2 and 1.3 cannot happen with aws-lc-rs; reqwest's own
        // set-up (which reads the roots at once) is the fallback.
        None => builder,
    }
}

/// rustls settings as reqwest makes them (TLS 1.2 and 1.3, SNI, `h2` then `http/1.1`), with
/// the lazy verifier.
fn client_config() -> Option<rustls::ClientConfig> {
    let provider = CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::aws_lc_rs::default_provider()));
    let mut config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .ok()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(SystemRoots { provider }))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Some(config)
}

/// Verifies servers against the system's roots; signatures need no roots and are checked with
/// the provider's algorithms, as rustls' own verifier does.
#[derive(Debug)]
struct SystemRoots {
    provider: Arc<CryptoProvider>,
}

impl SystemRoots {
    fn verifier(&self) -> Result<&Arc<WebPkiServerVerifier>, rustls::Error> {
        SYSTEM_ROOTS
            .get_or_init(|| load(self.provider.clone()))
            .as_ref()
            .map_err(|e| rustls::Error::General(e.clone()))
    }
}

/// The system's CA certificates (`SSL_CERT_FILE`, `SSL_CERT_DIR`, or where OpenSSL keeps
/// them), each distinct one parsed once.
fn load(provider: Arc<CryptoProvider>) -> Result<Arc<WebPkiServerVerifier>, String> {
    let found = rustls_native_certs::load_native_certs();
    for error in &found.errors {
        tracing::warn!("reading the system's CA certificates: {error}");
    }
    let mut seen = HashSet::new();
    let distinct = found
        .certs
        .into_iter()
        .filter(|cert| seen.insert(cert.as_ref().to_vec()));
    let mut roots = RootCertStore::empty();
    let (_, ignored) = roots.add_parsable_certificates(distinct);
    if ignored > 0 {
        tracing::warn!("{ignored} of the system's CA certificates could not be parsed");
    }
    if roots.is_empty() {
        return Err("no CA certificates were found on this system: install the \
                    ca-certificates package, or point SSL_CERT_FILE at a bundle"
            .into());
    }
    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
        .build()
        .map_err(|e| e.to_string())
}

impl ServerCertVerifier for SystemRoots {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.verifier()?.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A certificate no root vouches for is refused: the lazy verifier still verifies.
    #[test]
    fn a_certificate_no_root_vouches_for_is_refused() {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let provider = CryptoProvider::get_default().unwrap().clone();
        let roots = SystemRoots { provider };
        let name = ServerName::try_from("github.com").unwrap();
        let forged = CertificateDer::from(b"not a certificate".to_vec());
        let verdict = roots.verify_server_cert(&forged, &[], &name, &[], UnixTime::now());
        assert!(verdict.is_err(), "{verdict:?}");
    }
}
