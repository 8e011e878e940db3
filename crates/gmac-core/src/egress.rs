//! The one egress policy for every connection gmac makes on a user's behalf: cloud endpoints
//! now; git hosts, container hosts, clusters, webhooks and domain checks as they come.
//!
//! Loopback, link-local (cloud metadata at 169.254.169.254), private, shared and other
//! non-public ranges are refused unless the install's configuration allows a network (for an
//! emulator, a private AWS endpoint, a LAN git host). Names are checked after DNS resolution,
//! every address they resolve to; connectors also filter at connection time through
//! [`EgressPolicy::resolve`], so a name that changes its answer between the check and the
//! connection (DNS rebinding) still reaches no internal address. Refusals never depend on
//! whether anything listens there, so they tell nothing about open ports.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

/// Which networks gmac may connect to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EgressPolicy {
    allowed: Vec<IpNet>,
    /// Whether public addresses are reachable; without them (an air-gapped install, or a test
    /// run that must stay on this machine) only `allowed` is, and names are not even looked up
    /// (but `localhost`).
    public: bool,
}

impl Default for EgressPolicy {
    fn default() -> Self {
        Self {
            allowed: Vec::new(),
            public: true,
        }
    }
}

/// Why a destination is refused, for people.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EgressDenied {
    /// Not an http(s) URL with a host.
    #[error("not an http(s) URL with a host")]
    BadUrl,
    /// The name does not resolve.
    #[error("{host} does not resolve")]
    Unresolved {
        /// The name.
        host: String,
    },
    /// Only the allowed networks are reachable, and this is not in them.
    #[error("{host} is outside the networks this gmac may reach (egress.allow)")]
    Outside {
        /// The name or address.
        host: String,
    },
    /// It is, or resolves to, an internal address the configuration does not allow.
    #[error(
        "{host} is an internal address (loopback, link-local or private) that this gmac may not reach; an administrator can allow its network with the egress.allow setting"
    )]
    Internal {
        /// The name or address.
        host: String,
    },
}

impl EgressPolicy {
    /// A policy that also allows `networks` (CIDR, e.g. `10.1.0.0/16`, `127.0.0.1/32`).
    pub fn allowing(networks: &[String]) -> anyhow::Result<Self> {
        let allowed = networks
            .iter()
            .map(|n| {
                n.parse::<IpNet>()
                    .or_else(|_| n.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| anyhow::anyhow!("egress.allow: {n:?} is not a network (CIDR)"))
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Self {
            allowed,
            public: true,
        })
    }

    /// The same policy with public addresses out of reach as well.
    #[must_use]
    pub fn without_public(self) -> Self {
        Self {
            public: false,
            ..self
        }
    }

    /// Whether gmac may connect to `ip`.
    pub fn permits(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.allowed.iter().any(|net| net.contains(&ip)) || (self.public && is_public(ip))
    }

    /// Checks an http(s) URL: its host, or every address its name resolves to.
    pub async fn check_url(&self, url: &str) -> Result<(), EgressDenied> {
        let parsed = url::Url::parse(url).map_err(|_| EgressDenied::BadUrl)?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(EgressDenied::BadUrl);
        }
        let host = match parsed.host() {
            Some(url::Host::Domain(name)) => name.to_owned(),
            Some(url::Host::Ipv4(ip)) => return self.check_ip(IpAddr::V4(ip), url),
            Some(url::Host::Ipv6(ip)) => return self.check_ip(IpAddr::V6(ip), url),
            None => return Err(EgressDenied::BadUrl),
        };
        self.resolve(&host).await.map(drop)
    }

    fn check_ip(&self, ip: IpAddr, shown: &str) -> Result<(), EgressDenied> {
        if self.permits(ip) {
            Ok(())
        } else if self.public || !is_public(ip) {
            Err(EgressDenied::Internal {
                host: host_of(shown),
            })
        } else {
            Err(EgressDenied::Outside {
                host: host_of(shown),
            })
        }
    }

    /// Resolves `host` and returns the addresses gmac may reach, refusing the name when there
    /// are none.
    pub async fn resolve(&self, host: &str) -> Result<Vec<IpAddr>, EgressDenied> {
        if let Ok(ip) = host.trim_matches(['[', ']']).parse::<IpAddr>() {
            return self.check_ip(ip, host).map(|()| vec![ip]);
        }
        if !self.public && !host.eq_ignore_ascii_case("localhost") {
            // No lookup at all: the name server is outside too.
            return Err(EgressDenied::Outside {
                host: host.to_owned(),
            });
        }
        let addresses: Vec<IpAddr> = tokio::net::lookup_host((host, 0))
            .await
            .map_err(|_| EgressDenied::Unresolved {
                host: host.to_owned(),
            })?
            .map(|a| a.ip())
            .collect();
        if addresses.is_empty() {
            return Err(EgressDenied::Unresolved {
                host: host.to_owned(),
            });
        }
        // Only the permitted addresses are handed on to connect to: `localhost` allowed as
        // 127.0.0.1/32 reaches 127.0.0.1 and never ::1, and a name answering both a public
        // and an internal address reaches only the public one.
        let permitted: Vec<IpAddr> = addresses
            .into_iter()
            .filter(|ip| self.permits(*ip))
            .collect();
        if permitted.is_empty() {
            Err(EgressDenied::Internal {
                host: host.to_owned(),
            })
        } else {
            Ok(permitted)
        }
    }
}

fn host_of(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| url.to_owned())
}

/// An IPv4 address written as IPv6 (`::ffff:127.0.0.1`, NAT64 `64:ff9b::7f00:1`) is judged
/// as the IPv4 address it is.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return IpAddr::V4(v4);
            }
            let segments = v6.segments();
            if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                let [first, second] = segments[6].to_be_bytes();
                let [third, fourth] = segments[7].to_be_bytes();
                return IpAddr::V4(Ipv4Addr::new(first, second, third, fourth));
            }
            IpAddr::V6(v6)
        }
        v4 @ IpAddr::V4(_) => v4,
    }
}

fn is_public(ip: IpAddr) -> bool {
    match canonical(ip) {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        // Shared address space (carrier-grade NAT), 100.64.0.0/10.
        || (a == 100 && (64..128).contains(&b))
        // IETF protocol assignments, 192.0.0.0/24.
        || (a == 192 && b == 0 && c == 0)
        // Benchmarking, 198.18.0.0/15.
        || (a == 198 && (b == 18 || b == 19))
        // Reserved, 240.0.0.0/4.
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        // Unique local, fc00::/7.
        || (first & 0xfe00) == 0xfc00
        // Link-local, fe80::/10.
        || (first & 0xffc0) == 0xfe80
        // Site-local (deprecated), fec0::/10.
        || (first & 0xffc0) == 0xfec0
        // Documentation, 2001:db8::/32.
        || (first == 0x2001 && ip.segments()[1] == 0x0db8)
        // IPv4-compatible (deprecated) ::a.b.c.d.
        || ip.segments()[..6] == [0, 0, 0, 0, 0, 0])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn internal_addresses_are_refused_in_every_spelling() {
        let policy = EgressPolicy::default();
        for internal in [
            "127.0.0.1",
            "127.8.9.10",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "::",
            "fe80::1",
            "fd00:ec2::254",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
        ] {
            assert!(!policy.permits(ip(internal)), "{internal} was permitted");
        }
        for public in ["52.94.236.248", "1.1.1.1", "2600:1f18::1"] {
            assert!(policy.permits(ip(public)), "{public} was refused");
        }
    }

    #[test]
    fn an_allowed_network_is_reachable_and_nothing_beside_it() {
        let policy = EgressPolicy::allowing(&["127.0.0.1/32".to_owned(), "10.1.0.0/16".to_owned()])
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(policy.permits(ip("127.0.0.1")));
        assert!(policy.permits(ip("::ffff:127.0.0.1")));
        assert!(!policy.permits(ip("127.0.0.2")));
        assert!(policy.permits(ip("10.1.200.3")));
        assert!(!policy.permits(ip("10.2.0.1")));
        assert!(EgressPolicy::allowing(&["not a network".to_owned()]).is_err());
    }

    #[tokio::test]
    async fn without_public_addresses_only_the_allowed_networks_are_reachable() {
        let policy = EgressPolicy::allowing(&["127.0.0.1/32".to_owned()])
            .unwrap_or_else(|e| panic!("{e}"))
            .without_public();
        assert!(policy.permits(ip("127.0.0.1")));
        assert!(!policy.permits(ip("1.1.1.1")));
        assert!(matches!(
            policy
                .check_url("https://ce.us-east-1.amazonaws.com/")
                .await,
            Err(EgressDenied::Outside { .. })
        ));
        assert!(policy.check_url("http://127.0.0.1:5000/").await.is_ok());
    }

    #[tokio::test]
    async fn urls_are_checked_by_literal_address_and_after_resolution() {
        let policy = EgressPolicy::default();
        for url in [
            "http://169.254.169.254/latest/meta-data/",
            "http://[::1]:8080/",
            "http://localhost:4566/",
            "http://0x7f.1/",
            "http://2130706433/",
        ] {
            assert!(
                matches!(
                    policy.check_url(url).await,
                    Err(EgressDenied::Internal { .. })
                ),
                "{url}"
            );
        }
        assert_eq!(
            policy.check_url("ftp://example.com/").await,
            Err(EgressDenied::BadUrl)
        );
    }
}
