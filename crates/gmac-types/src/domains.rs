//! Custom domains (issue 12, point 6): the names an environment answers besides its own
//! `.localhost` host. Each says the DNS record to create; a check asks the configured resolver
//! whether the name points at the environment's target, and which certificate it answers with.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::FieldError;

/// A custom domain of an environment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Domain {
    /// Its id.
    pub id: String,
    /// Its environment.
    pub environment_id: String,
    /// The name, lower case, e.g. `shop.example.com`.
    pub name: String,
    /// The record to create at the domain's DNS host, when the target says where its traffic
    /// comes in (its ingress address).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<DnsRecord>,
    /// The `TXT` record that shows the domain is yours (`_gmac-challenge.<name>`): needed
    /// until the domain is first verified, so that no one routes a name they do not hold.
    pub challenge: DnsRecord,
    /// Where the check stands.
    pub status: DomainStatus,
    /// When it was first found pointing at the target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_at: Option<DateTime<Utc>>,
    /// When it was last checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked_at: Option<DateTime<Utc>>,
    /// The addresses it resolved to at that check.
    #[serde(default)]
    pub addresses: Vec<String>,
    /// Why that check failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The certificate it answered with over HTTPS at that check, once it pointed here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsState>,
    /// Who added it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Bumped on every change.
    pub version: i64,
}

/// A DNS record to create.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DnsRecord {
    /// `A`, `AAAA`, `CNAME` or `TXT`.
    #[cfg_attr(feature = "openapi", schema(example = "CNAME"))]
    pub kind: String,
    /// The record's name (the domain).
    pub name: String,
    /// What it holds: the target's ingress address, or the challenge's token.
    pub value: String,
}

/// Where a domain's check stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DomainStatus {
    /// Not checked yet, or never found pointing here: the proxy does not route it.
    Pending,
    /// Points at the target: routed to the environment.
    Verified,
    /// Pointed here once and no longer does (still routed, so a DNS hiccup drops nothing).
    Failing,
}

impl DomainStatus {
    /// Its wire name.
    pub fn id(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Verified => "verified",
            Self::Failing => "failing",
        }
    }

    /// The status of a wire name.
    pub fn from_id(id: &str) -> Option<Self> {
        [Self::Pending, Self::Verified, Self::Failing]
            .into_iter()
            .find(|s| s.id() == id)
    }
}

/// The certificate a domain answered with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TlsState {
    /// What it amounts to.
    pub status: TlsStatus,
    /// When the certificate expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    /// Who issued it (its issuer's common name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// Why it is not valid, when it is not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// What a domain's certificate amounts to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TlsStatus {
    /// Trusted, for this name, and more than [`EXPIRY_WARNING_DAYS`] from its end.
    Valid,
    /// Trusted, but ending within [`EXPIRY_WARNING_DAYS`] (a renewal that keeps failing).
    Expiring,
    /// Past its end.
    Expired,
    /// Not trusted by the system's roots, or not for this name.
    Untrusted,
    /// No HTTPS answer.
    Missing,
}

/// A certificate this close to its end is said to be expiring, and an event says so.
pub const EXPIRY_WARNING_DAYS: i64 = 14;

impl TlsStatus {
    /// Its wire name.
    pub fn id(self) -> &'static str {
        match self {
            Self::Valid => "valid",
            Self::Expiring => "expiring",
            Self::Expired => "expired",
            Self::Untrusted => "untrusted",
            Self::Missing => "missing",
        }
    }

    /// The status of a wire name.
    pub fn from_id(id: &str) -> Option<Self> {
        [
            Self::Valid,
            Self::Expiring,
            Self::Expired,
            Self::Untrusted,
            Self::Missing,
        ]
        .into_iter()
        .find(|s| s.id() == id)
    }
}

/// A domain to add (`POST /environments/{id}/domains`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewDomain {
    /// A fully qualified host name: two labels at least, of letters, digits and hyphens (an
    /// internationalised name in its `xn--` form); not an address, a wildcard or `.localhost`.
    #[cfg_attr(
        feature = "openapi",
        schema(
            example = "shop.example.com",
            min_length = 1,
            max_length = 253,
            pattern = r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?$"
        )
    )]
    pub name: String,
}

/// `raw` as a domain name: lower case, without a final dot; answers why not (the rules of
/// [`NewDomain::name`]'s pattern, and no `.localhost`).
pub fn domain_name(field: &str, raw: &str) -> Result<String, FieldError> {
    let refuse = |code: &str, message: &str| Err(FieldError::new(field, code, message));
    if raw.is_empty() {
        return refuse("required", "A domain name is required.");
    }
    if raw.chars().count() > 253 {
        return refuse("too_long", "A domain name has at most 253 characters.");
    }
    let name = raw.strip_suffix('.').unwrap_or(raw).to_ascii_lowercase();
    if name.starts_with("*.") {
        return refuse(
            "wildcard",
            "Wildcard domains are not taken: add each name (their certificates need a DNS challenge).",
        );
    }
    if name.parse::<std::net::IpAddr>().is_ok() {
        return refuse(
            "address",
            "An address is not a domain: give the name that points at it.",
        );
    }
    let labels: Vec<&str> = name.split('.').collect();
    if labels.len() < 2 {
        return refuse(
            "not_qualified",
            "Give the full name, with its domain (e.g. shop.example.com).",
        );
    }
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    if !labels.iter().all(label_ok) {
        return refuse(
            "invalid",
            "Each part of a domain name is 1 to 63 letters, digits or hyphens, not starting or ending with a hyphen (an internationalised name in its xn-- form).",
        );
    }
    if !labels
        .last()
        .is_some_and(|tld| tld.starts_with(|c: char| c.is_ascii_alphabetic()))
    {
        return refuse(
            "invalid",
            "A domain name's last part (its top-level domain) starts with a letter.",
        );
    }
    if name == "localhost" || name.ends_with(".localhost") {
        return refuse(
            "reserved",
            "Names under .localhost are gmac's own hosts for environments.",
        );
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_lowered_and_lose_a_final_dot_and_what_is_no_host_name_is_refused() {
        assert_eq!(
            domain_name("name", "Shop.Example.COM.").unwrap(),
            "shop.example.com"
        );
        assert_eq!(
            domain_name("name", "xn--bcher-kva.example").unwrap(),
            "xn--bcher-kva.example"
        );
        for (raw, code) in [
            ("", "required"),
            ("shop", "not_qualified"),
            ("*.example.com", "wildcard"),
            ("10.0.0.1", "address"),
            ("::1", "address"),
            ("-a.example.com", "invalid"),
            ("a..example.com", "invalid"),
            ("a_b.example.com", "invalid"),
            ("bücher.example", "invalid"),
            ("a.123", "invalid"),
            ("a.1com", "invalid"),
            (" shop.example.com", "invalid"),
            ("shop.example.com.", "ok"),
            ("web.localhost", "reserved"),
        ] {
            match domain_name("name", raw) {
                Ok(_) => assert_eq!(code, "ok", "{raw}"),
                Err(e) => assert_eq!(e.code, code, "{raw}"),
            }
        }
        let long = format!("{}.com", "a.".repeat(130));
        assert_eq!(domain_name("name", &long).unwrap_err().code, "too_long");
    }
}
