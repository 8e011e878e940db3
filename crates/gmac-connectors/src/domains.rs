//! Custom domains seen from outside (issue 12, point 6): where a name points, asked of the
//! configured resolver (hickory's stub resolver, without a cache, so a fixed record shows at
//! the next check), and the certificate it answers with over TLS (rustls, recording the
//! certificate and whether the system's roots trust it for the name).

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gmac_core::egress::EgressPolicy;
use gmac_core::ports::{CertificateSeen, DnsFailure, DomainChecker};
use hickory_resolver::config::{NameServerConfig, ResolveHosts, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::RData;
use hickory_resolver::{Resolver, TokioResolver};
use tokio_rustls::rustls;
use tokio_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName, UnixTime};

/// How long a DNS answer, a TCP connection or a TLS handshake may take.
const WAIT: Duration = Duration::from_secs(5);

/// Domains checked through a resolver and a TLS client.
#[derive(Debug)]
pub struct DnsDomainChecker {
    resolver: TokioResolver,
    egress: Arc<EgressPolicy>,
    roots: Option<Arc<rustls::RootCertStore>>,
}

impl DnsDomainChecker {
    /// A checker asking `resolver` (`ip` or `ip:port`), or the system's resolvers
    /// (`/etc/resolv.conf`) when none is given; TLS answers are connected to only where
    /// `egress` allows.
    pub fn new(resolver: Option<&str>, egress: Arc<EgressPolicy>) -> anyhow::Result<Self> {
        let mut builder = match resolver.map(str::trim).filter(|r| !r.is_empty()) {
            Some(given) => {
                let at = parse_resolver(given)?;
                let mut server = NameServerConfig::udp_and_tcp(at.ip());
                for connection in &mut server.connections {
                    connection.port = at.port();
                }
                Resolver::builder_with_config(
                    ResolverConfig::from_name_servers(vec![server]),
                    TokioRuntimeProvider::default(),
                )
            }
            None => Resolver::builder_tokio()
                .map_err(|e| anyhow::anyhow!("the system's DNS configuration: {e}"))?,
        };
        let options = builder.options_mut();
        options.timeout = WAIT;
        options.attempts = 1;
        // A record just fixed shows at the next check: nothing is kept between checks.
        options.cache_size = 0;
        options.use_hosts_file = ResolveHosts::Never;
        let resolver = builder
            .build()
            .map_err(|e| anyhow::anyhow!("the DNS resolver: {e}"))?;
        let mut roots = rustls::RootCertStore::empty();
        let (added, _) =
            roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
        Ok(Self {
            resolver,
            egress,
            roots: (added > 0).then(|| Arc::new(roots)),
        })
    }
}

/// A failed lookup of `what` for `name`: missing when the resolver answered there is none.
fn failure(name: &str, what: &str, e: &hickory_resolver::net::NetError) -> DnsFailure {
    if e.is_no_records_found() || e.is_nx_domain() {
        DnsFailure {
            missing: true,
            message: format!("{name} has no {what}"),
        }
    } else {
        DnsFailure {
            missing: false,
            message: format!("{name} could not be looked up: {e}"),
        }
    }
}

/// `ip` or `ip:port` (53 when left out); a resolver is an address, never a name to resolve.
fn parse_resolver(given: &str) -> anyhow::Result<SocketAddr> {
    if let Ok(at) = given.parse::<SocketAddr>() {
        return Ok(at);
    }
    given
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .map(|ip| SocketAddr::new(ip, 53))
        .map_err(|_| {
            anyhow::anyhow!("the DNS resolver {given:?} is not an address (ip or ip:port)")
        })
}

#[async_trait::async_trait]
impl DomainChecker for DnsDomainChecker {
    async fn resolve(&self, name: &str) -> Result<Vec<IpAddr>, DnsFailure> {
        // Fully qualified: no search domain of gmac's host is tried.
        let lookup = self
            .resolver
            .lookup_ip(format!("{}.", name.trim_end_matches('.')))
            .await
            .map_err(|e| failure(name, "an A or AAAA record (nor a CNAME to one)", &e))?;
        let mut addresses: Vec<IpAddr> = lookup.iter().collect();
        addresses.sort();
        addresses.dedup();
        Ok(addresses)
    }

    async fn txt(&self, name: &str) -> Result<Vec<String>, DnsFailure> {
        let lookup = self
            .resolver
            .txt_lookup(format!("{}.", name.trim_end_matches('.')))
            .await
            .map_err(|e| failure(name, "a TXT record", &e))?;
        Ok(lookup
            .answers()
            .iter()
            .filter_map(|record| match &record.data {
                RData::TXT(txt) => Some(
                    txt.txt_data
                        .iter()
                        .map(|part| String::from_utf8_lossy(part).into_owned())
                        .collect::<String>(),
                ),
                _ => None,
            })
            .collect())
    }

    async fn certificate(
        &self,
        name: &str,
        address: SocketAddr,
    ) -> Result<CertificateSeen, String> {
        if !self.egress.permits(address.ip()) {
            return Err(format!(
                "{} is outside where gmac may connect (egress.allow)",
                address.ip()
            ));
        }
        let server_name = ServerName::try_from(name.to_owned())
            .map_err(|_| format!("{name} is not a name TLS can ask for"))?;
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let trusted = self.roots.as_ref().map(|roots| {
            rustls::client::WebPkiServerVerifier::builder_with_provider(
                roots.clone(),
                provider.clone(),
            )
            .build()
        });
        let recorder = Arc::new(Recorder {
            trusted: trusted.and_then(Result::ok),
            provider: provider.clone(),
            seen: Mutex::default(),
        });
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS: {e}"))?
            .dangerous()
            .with_custom_certificate_verifier(recorder.clone())
            .with_no_client_auth();
        let stream = tokio::time::timeout(WAIT, tokio::net::TcpStream::connect(address))
            .await
            .map_err(|_| format!("{address} did not take a connection within 5 s"))?
            .map_err(|e| format!("{address} refused the connection: {e}"))?;
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let handshake = tokio::time::timeout(WAIT, connector.connect(server_name, stream)).await;
        let seen = recorder
            .seen
            .lock()
            .map_err(|_| "the certificate could not be read".to_owned())?
            .take();
        let Some((der, untrusted)) = seen else {
            return Err(match handshake {
                Err(_) => format!("{address} did not finish a TLS handshake within 5 s"),
                Ok(Err(e)) => format!("{address} answered no certificate for {name}: {e}"),
                Ok(Ok(_)) => format!("{address} answered no certificate for {name}"),
            });
        };
        let (not_after, issuer) = certificate_facts(&der)
            .ok_or_else(|| format!("the certificate of {name} could not be read"))?;
        Ok(CertificateSeen {
            not_after,
            issuer,
            untrusted,
        })
    }
}

/// Accepts any certificate, so that what a domain answers can be told, and records it with
/// the system roots' verdict.
#[derive(Debug)]
struct Recorder {
    trusted: Option<Arc<rustls::client::WebPkiServerVerifier>>,
    provider: Arc<rustls::crypto::CryptoProvider>,
    seen: Mutex<Option<(Vec<u8>, Option<String>)>>,
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict = match &self.trusted {
            Some(verifier) => verifier
                .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
                .err()
                .map(|e| e.to_string()),
            None => Some("gmac's host has no trusted root certificates".to_owned()),
        };
        if let Ok(mut seen) = self.seen.lock() {
            *seen = Some((end_entity.to_vec(), verdict));
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
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
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// One DER item: its tag, its content and what follows it.
fn der_item(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// A certificate's end of validity and its issuer's common name (RFC 5280: the
/// `TBSCertificate`'s issuer and validity), read from its DER.
fn certificate_facts(der: &[u8]) -> Option<(chrono::DateTime<chrono::Utc>, String)> {
    let (_, certificate, _) = der_item(der)?;
    let (_, tbs, _) = der_item(certificate)?;
    let (mut tag, mut item, mut rest) = der_item(tbs)?;
    if tag == 0xa0 {
        // The explicit version.
        (tag, item, rest) = der_item(rest)?;
    }
    let _ = (tag, item); // the serial number
    let (_, _, rest) = der_item(rest)?; // the signature algorithm
    let (_, issuer, rest) = der_item(rest)?;
    let (_, validity, _) = der_item(rest)?;
    let (_, _, after) = der_item(validity)?; // not before
    let (tag, not_after, _) = der_item(after)?;
    Some((der_time(tag, not_after)?, issuer_name(issuer)))
}

/// A `UTCTime` (`YYMMDDHHMMSSZ`) or a `GeneralizedTime` (`YYYYMMDDHHMMSSZ`).
fn der_time(tag: u8, content: &[u8]) -> Option<chrono::DateTime<chrono::Utc>> {
    let text = std::str::from_utf8(content).ok()?.strip_suffix('Z')?;
    let full = match tag {
        0x17 => {
            let year: u32 = text.get(..2)?.parse().ok()?;
            format!("{}{text}", if year >= 50 { "19" } else { "20" })
        }
        0x18 => text.to_owned(),
        _ => return None,
    };
    chrono::NaiveDateTime::parse_from_str(&full, "%Y%m%d%H%M%S")
        .ok()
        .map(|t| t.and_utc())
}

/// The issuer's common name, else its organisation, else `unnamed`.
fn issuer_name(name: &[u8]) -> String {
    const COMMON_NAME: &[u8] = &[0x55, 0x04, 0x03];
    const ORGANISATION: &[u8] = &[0x55, 0x04, 0x0a];
    let mut found: (Option<String>, Option<String>) = (None, None);
    let mut sets = name;
    while let Some((_, set, rest)) = der_item(sets) {
        sets = rest;
        let mut attributes = set;
        while let Some((_, attribute, rest)) = der_item(attributes) {
            attributes = rest;
            let Some((0x06, oid, value)) = der_item(attribute) else {
                continue;
            };
            let Some((_, text, _)) = der_item(value) else {
                continue;
            };
            let text = String::from_utf8_lossy(text).into_owned();
            if oid == COMMON_NAME {
                found.0 = Some(text);
            } else if oid == ORGANISATION {
                found.1 = Some(text);
            }
        }
    }
    found.0.or(found.1).unwrap_or_else(|| "unnamed".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    /// `openssl req -x509 -newkey ec -subj /CN=shop.example.test -days 30 -set_serial 7`.
    const SELF_SIGNED: &str = "MIIBejCCASCgAwIBAgIBBzAKBggqhkjOPQQDAjAcMRowGAYDVQQDDBFzaG9wLmV4YW1wbGUudGVzdDAeFw0yNjEyMDYxMDE5MTdaFw0yNzAxMDUxMDE5MTdaMBwxGjAYBgNVBAMMEXNob3AuZXhhbXBsZS50ZXN0MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEQqC26E4WixOwgdotHZDY5v7fJRi+GnGWRcRpkbXFu+zP4W+d6QSK6sBMI8pe163syOPt8959ChsqJrYqe0oCLaNTMFEwHQYDVR0OBBYEFAgfmWH33n61hhAKuPSAqzJUJY6OMB8GA1UdIwQYMBaAFAgfmWH33n61hhAKuPSAqzJUJY6OMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIgfViaL2Eiy8ydJsyFJ10vRFPP7V48Lg2WhlBLjrxhV0wCIQDeV8PFKgbm5A2jm7HC39UIkgDVZmyUThe9lnMYf5CmMg==";

    #[test]
    fn a_certificates_end_and_issuer_are_read_as_openssl_reads_them() {
        let der = base64::engine::general_purpose::STANDARD
            .decode(SELF_SIGNED)
            .unwrap();
        let (not_after, issuer) = certificate_facts(&der).unwrap();
        // `openssl x509 -noout -enddate -issuer`: notAfter=Jan  5 10:19:17 2027 GMT.
        assert_eq!(not_after.to_rfc3339(), "2027-01-05T10:19:17+00:00");
        assert_eq!(issuer, "shop.example.test");
        // Cut short anywhere, it is no certificate rather than a panic.
        for end in [0, 1, 10, 60, der.len() - 1] {
            let _ = certificate_facts(&der[..end]);
        }
        assert!(certificate_facts(&der[..40]).is_none());
    }

    #[test]
    fn both_kinds_of_der_time_are_read() {
        assert_eq!(
            der_time(0x17, b"491231235959Z").unwrap().to_rfc3339(),
            "2049-12-31T23:59:59+00:00"
        );
        assert_eq!(
            der_time(0x17, b"500101000000Z").unwrap().to_rfc3339(),
            "1950-01-01T00:00:00+00:00"
        );
        assert_eq!(
            der_time(0x18, b"20991231235959Z").unwrap().to_rfc3339(),
            "2099-12-31T23:59:59+00:00"
        );
        assert!(der_time(0x18, b"2099").is_none());
    }

    #[test]
    fn a_resolver_is_an_address_with_port_53_by_default() {
        assert_eq!(
            parse_resolver("127.0.0.1").unwrap(),
            "127.0.0.1:53".parse().unwrap()
        );
        assert_eq!(
            parse_resolver("127.0.0.1:5353").unwrap(),
            "127.0.0.1:5353".parse().unwrap()
        );
        assert_eq!(
            parse_resolver("[::1]").unwrap(),
            "[::1]:53".parse().unwrap()
        );
        assert!(parse_resolver("dns.example.com").is_err());
    }
}
