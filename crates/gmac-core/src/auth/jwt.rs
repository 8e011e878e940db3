//! Short-lived access tokens: HS256 JWTs with a fixed algorithm, issuer and audience.

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::keys::{KeyVersion, MasterKey};

/// The `iss` of every access token.
pub const ISSUER: &str = "gmac";
/// The `aud` of every access token.
pub const AUDIENCE: &str = "gmac-api";
/// The `aud` of the short-lived token between the password and the second factor; it is not
/// an access token and no endpoint but `/auth/mfa` accepts it.
pub const MFA_AUDIENCE: &str = "gmac-mfa";

/// What an access token asserts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// The user id.
    pub sub: String,
    /// The session id; revoking the session invalidates the token at once.
    pub sid: String,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Expires at (Unix seconds).
    pub exp: i64,
}

/// The signing and verification keys, derived from each version of the master key. A token
/// names its version in its `kid`; one without (issued before rotation existed) is version 1.
#[derive(Clone)]
pub struct JwtKeys {
    keys: Arc<std::collections::BTreeMap<u32, (EncodingKey, DecodingKey)>>,
    version: KeyVersion,
    verified: Arc<Mutex<Verified>>,
}

/// Access tokens whose signature, issuer and audience were checked, by their exact text.
///
/// A client sends the same access token on every request until it refreshes it, and checking
/// it (base64, JSON and an HMAC) cost more than a whole bare actix-web request (issue 8, point
/// 19). Only a token that passed every check is kept, so a flood of forged ones adds nothing;
/// a kept token still expires by the clock on each use, and whether its session still stands
/// is the actor cache's question, asked on every request.
type Verified = HashMap<Box<str>, Claims, foldhash::fast::RandomState>;

/// At most this many verified tokens are kept; past it the map starts over.
const VERIFIED_CAPACITY: usize = 10_000;

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JwtKeys([redacted])")
    }
}

impl JwtKeys {
    /// Derives the HS256 keys from the master key, signing under its oldest version.
    pub fn derive(master: &MasterKey) -> Self {
        Self::with_version(master, KeyVersion::new(master.oldest()))
    }

    /// Derives the HS256 keys from every version of the master key; tokens are signed under
    /// the version `version` says.
    pub fn with_version(master: &MasterKey, version: KeyVersion) -> Self {
        let keys = master
            .derive_all("gmac/jwt/v1")
            .into_iter()
            .map(|(v, secret)| {
                (
                    v,
                    (
                        EncodingKey::from_secret(&secret),
                        DecodingKey::from_secret(&secret),
                    ),
                )
            })
            .collect();
        Self {
            keys: Arc::new(keys),
            version,
            verified: Arc::default(),
        }
    }

    fn sign(&self, claims: &Claims) -> anyhow::Result<String> {
        let version = self.version.get();
        let (key, _) = self
            .keys
            .get(&version)
            .ok_or_else(|| anyhow::anyhow!("master key version {version} is not configured"))?;
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(version.to_string());
        Ok(encode(&header, claims, key)?)
    }

    /// Signs an access token for `user_id` in session `session_id`.
    pub fn issue(
        &self,
        user_id: &str,
        session_id: &str,
        now: DateTime<Utc>,
        ttl: chrono::Duration,
    ) -> anyhow::Result<String> {
        let claims = Claims {
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            sub: user_id.to_owned(),
            sid: session_id.to_owned(),
            iat: now.timestamp(),
            exp: (now + ttl).timestamp(),
        };
        self.sign(&claims)
    }

    /// Signs the token that carries a half-finished sign-in to the second factor.
    pub fn issue_mfa(&self, user_id: &str, now: DateTime<Utc>) -> anyhow::Result<String> {
        let claims = Claims {
            iss: ISSUER.to_owned(),
            aud: MFA_AUDIENCE.to_owned(),
            sub: user_id.to_owned(),
            sid: String::new(),
            iat: now.timestamp(),
            exp: (now + chrono::Duration::minutes(5)).timestamp(),
        };
        self.sign(&claims)
    }

    /// The user a still-valid second-factor token was issued to.
    pub fn verify_mfa(&self, token: &str, now: DateTime<Utc>) -> Option<String> {
        self.verify_for(token, now, MFA_AUDIENCE).map(|c| c.sub)
    }

    /// Checks the signature, algorithm, issuer and audience, and expiry against `now`.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Option<Claims> {
        let mut verified = self
            .verified
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(claims) = verified.get(token) {
            return (claims.exp > now.timestamp()).then(|| claims.clone());
        }
        drop(verified);
        let claims = self.verify_for(token, now, AUDIENCE)?;
        verified = self
            .verified
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if verified.len() >= VERIFIED_CAPACITY {
            // Expired tokens go first; if every kept token is still live, start over.
            verified.retain(|_, c| c.exp > now.timestamp());
            if verified.len() >= VERIFIED_CAPACITY {
                verified.clear();
            }
        }
        verified.insert(token.into(), claims.clone());
        Some(claims)
    }

    fn verify_for(&self, token: &str, now: DateTime<Utc>, audience: &str) -> Option<Claims> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        // Expiry is checked below against the injected clock, not the library's wall clock.
        validation.validate_exp = false;
        let version = match jsonwebtoken::decode_header(token).ok()?.kid {
            Some(kid) => kid.parse().ok()?,
            None => 1,
        };
        let (_, key) = self.keys.get(&version)?;
        let claims = decode::<Claims>(token, key, &validation).ok()?.claims;
        (claims.exp > now.timestamp()).then_some(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> JwtKeys {
        JwtKeys::derive(&MasterKey::generate())
    }

    #[test]
    fn a_token_verifies_under_the_version_that_signed_it_across_a_rotation() -> anyhow::Result<()> {
        let (ring, _) = MasterKey::generate().with_new_version();
        let version = KeyVersion::new(1);
        let keys = JwtKeys::with_version(&ring, version.clone());
        let now = Utc::now();
        let before = keys.issue("u1", "s1", now, chrono::Duration::minutes(15))?;
        version.set(2);
        let after = keys.issue("u1", "s1", now, chrono::Duration::minutes(15))?;
        assert_eq!(
            jsonwebtoken::decode_header(&after)?.kid.as_deref(),
            Some("2")
        );
        assert!(
            keys.verify(&before, now).is_some(),
            "signed before the switch"
        );
        assert!(keys.verify(&after, now).is_some());
        // Once version 1 is retired, what it signed no longer verifies; version 2's does.
        let retired = JwtKeys::with_version(&ring.without_version(1)?, KeyVersion::new(2));
        assert!(retired.verify(&before, now).is_none());
        assert!(retired.verify(&after, now).is_some());
        Ok(())
    }

    #[test]
    fn an_issued_token_verifies_until_it_expires() -> anyhow::Result<()> {
        let keys = keys();
        let now = Utc::now();
        let token = keys.issue("u1", "s1", now, chrono::Duration::minutes(15))?;
        let claims = keys.verify(&token, now).map(|c| (c.sub, c.sid));
        assert_eq!(claims, Some(("u1".into(), "s1".into())));
        assert!(
            keys.verify(&token, now + chrono::Duration::minutes(16))
                .is_none()
        );
        Ok(())
    }

    #[test]
    fn a_token_signed_with_another_key_is_refused() -> anyhow::Result<()> {
        let now = Utc::now();
        let token = keys().issue("u1", "s1", now, chrono::Duration::minutes(15))?;
        assert!(keys().verify(&token, now).is_none());
        Ok(())
    }

    #[test]
    fn a_second_factor_token_is_not_an_access_token_and_vice_versa() -> anyhow::Result<()> {
        let keys = keys();
        let now = Utc::now();
        let mfa = keys.issue_mfa("u1", now)?;
        assert!(keys.verify(&mfa, now).is_none());
        assert_eq!(keys.verify_mfa(&mfa, now).as_deref(), Some("u1"));
        assert!(
            keys.verify_mfa(&mfa, now + chrono::Duration::minutes(6))
                .is_none()
        );
        let access = keys.issue("u1", "s1", now, chrono::Duration::minutes(15))?;
        assert!(keys.verify_mfa(&access, now).is_none());
        Ok(())
    }

    #[test]
    fn an_unsigned_token_is_refused() {
        // {"alg":"none"} . {"iss":"gmac","aud":"gmac-api","sub":"u1","sid":"s1","iat":0,"exp":9999999999} .
        let token = "eyJhbGciOiJub25lIn0.eyJpc3MiOiJnbWFjIiwiYXVkIjoiZ21hYy1hcGkiLCJzdWIiOiJ1MSIsInNpZCI6InMxIiwiaWF0IjowLCJleHAiOjk5OTk5OTk5OTl9.";
        assert!(keys().verify(token, Utc::now()).is_none());
    }

    /// A kept token answers only for its exact text: the same token with its payload or its
    /// signature changed is checked afresh, and refused.
    #[test]
    fn a_verified_token_vouches_for_no_altered_copy() -> anyhow::Result<()> {
        let keys = keys();
        let now = Utc::now();
        let token = keys.issue("u1", "s1", now, chrono::Duration::minutes(15))?;
        assert!(keys.verify(&token, now).is_some());
        let other = keys.issue("u2", "s2", now, chrono::Duration::minutes(15))?;
        let (head, rest) = token.split_once('.').unwrap_or_default();
        let (_, signature) = rest.split_once('.').unwrap_or_default();
        let (_, other_rest) = other.split_once('.').unwrap_or_default();
        let (other_payload, _) = other_rest.split_once('.').unwrap_or_default();
        let spliced = format!("{head}.{other_payload}.{signature}");
        assert!(keys.verify(&spliced, now).is_none());
        // The first character of the signature: all six of its bits are signature bits.
        let first = if signature.starts_with('A') { 'B' } else { 'A' };
        let flipped = format!(
            "{}{first}{}",
            &token[..token.len() - signature.len()],
            &signature[1..]
        );
        assert!(keys.verify(&flipped, now).is_none());
        assert!(keys.verify(&token, now).is_some());
        Ok(())
    }
}
