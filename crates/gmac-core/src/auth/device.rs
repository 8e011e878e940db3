//! Device cookies (OWASP's "Slow down online guessing attacks with device cookies"): a browser
//! that signed in to an account before carries a signed token naming that account. Failed
//! sign-ins from such a device count against that device only, so an attacker who locks the
//! account for unknown devices does not lock its owner out. A cookie is bound to the account's
//! current password (changing or resetting it retires every cookie) and lasts a year.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDate;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::keys::{KeyVersion, MasterKey};

/// The keys that sign device cookies, one per master key version: a cookie is signed under the
/// current version and checked under each (a ring holds a few), so a rotation signs no one's
/// devices out.
pub struct DeviceKeys {
    keys: std::collections::BTreeMap<u32, [u8; 32]>,
    version: KeyVersion,
}

impl std::fmt::Debug for DeviceKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeviceKeys([redacted])")
    }
}

impl Clone for DeviceKeys {
    fn clone(&self) -> Self {
        Self {
            keys: self.keys.clone(),
            version: self.version.clone(),
        }
    }
}

impl DeviceKeys {
    /// Derives the signing keys from the master key, signing under its oldest version.
    pub fn derive(master: &MasterKey) -> Self {
        Self::with_version(master, KeyVersion::new(master.oldest()))
    }

    /// Derives the signing keys from every version of the master key; cookies are signed
    /// under the version `version` says.
    pub fn with_version(master: &MasterKey, version: KeyVersion) -> Self {
        Self {
            keys: master.derive_all("gmac/device-cookie/v1"),
            version,
        }
    }

    fn mac_under(key: &[u8; 32], message: &str) -> Option<Vec<u8>> {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).ok()?;
        mac.update(message.as_bytes());
        Some(mac.finalize().into_bytes().to_vec())
    }

    fn mac(&self, message: &str) -> Option<Vec<u8>> {
        Self::mac_under(self.keys.get(&self.version.get())?, message)
    }

    /// A device cookie for `login` (the normalised email) under its current password hash
    /// `binding`, issued on `today`, with a random nonce.
    pub fn issue(&self, login: &str, binding: &str, today: NaiveDate) -> String {
        let nonce = crate::auth::tokens::generate_token();
        let message = format!("{nonce}.{}.{today}", URL_SAFE_NO_PAD.encode(login));
        let signature = self
            .mac(&format!("{message}\n{binding}"))
            .map(hex::encode)
            .unwrap_or_default();
        format!("{message}.{signature}")
    }

    /// The nonce of a valid device cookie for `login` under `binding`, issued within the last
    /// year; `None` for anything else (forged, for another account, from before a password
    /// change, expired, malformed).
    pub fn verify(
        &self,
        token: &str,
        login: &str,
        binding: &str,
        today: NaiveDate,
    ) -> Option<String> {
        let (message, signature) = token.rsplit_once('.')?;
        let given = hex::decode(signature).ok()?;
        let signed = self.keys.values().any(|key| {
            Self::mac_under(key, &format!("{message}\n{binding}")).is_some_and(|expected| {
                bool::from(subtle::ConstantTimeEq::ct_eq(
                    expected.as_slice(),
                    given.as_slice(),
                ))
            })
        });
        if !signed {
            return None;
        }
        let mut parts = message.splitn(3, '.');
        let (nonce, encoded, issued) = (parts.next()?, parts.next()?, parts.next()?);
        let issued: NaiveDate = issued.parse().ok()?;
        let fresh = issued <= today && today - issued <= chrono::Duration::days(MAX_AGE_DAYS);
        let named = URL_SAFE_NO_PAD.decode(encoded).ok()?;
        (fresh && named == login.as_bytes()).then(|| nonce.to_owned())
    }
}

/// How long a device cookie counts, in days.
pub const MAX_AGE_DAYS: i64 = 365;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cookie_names_its_account_and_cannot_be_forged() {
        let keys = DeviceKeys::derive(&MasterKey::generate());
        let day = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap_or_default();
        let cookie = keys.issue("ada@example.com", "hash-1", day);
        assert!(
            keys.verify(&cookie, "ada@example.com", "hash-1", day)
                .is_some()
        );
        assert!(
            keys.verify(&cookie, "eve@example.com", "hash-1", day)
                .is_none()
        );
        let other = DeviceKeys::derive(&MasterKey::generate());
        assert!(
            other
                .verify(&cookie, "ada@example.com", "hash-1", day)
                .is_none()
        );
        let forged = cookie.replace("ada", "eve");
        assert!(
            keys.verify(&forged, "eve@example.com", "hash-1", day)
                .is_none()
        );
        assert!(
            keys.verify("garbage", "ada@example.com", "hash-1", day)
                .is_none()
        );
    }

    #[test]
    fn a_new_password_or_a_year_retires_a_cookie() {
        let keys = DeviceKeys::derive(&MasterKey::generate());
        let day = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap_or_default();
        let cookie = keys.issue("ada@example.com", "hash-1", day);
        assert!(
            keys.verify(&cookie, "ada@example.com", "hash-2", day)
                .is_none()
        );
        let later = day + chrono::Duration::days(MAX_AGE_DAYS);
        assert!(
            keys.verify(&cookie, "ada@example.com", "hash-1", later)
                .is_some()
        );
        let too_late = later + chrono::Duration::days(1);
        assert!(
            keys.verify(&cookie, "ada@example.com", "hash-1", too_late)
                .is_none()
        );
    }
}
