//! Device cookies (OWASP's "Slow down online guessing attacks with device cookies"): a browser
//! that signed in to an account before carries a signed token naming that account. Failed
//! sign-ins from such a device count against that device only, so an attacker who locks the
//! account for unknown devices does not lock its owner out.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::keys::MasterKey;

/// The key that signs device cookies.
pub struct DeviceKeys([u8; 32]);

impl std::fmt::Debug for DeviceKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeviceKeys([redacted])")
    }
}

impl Clone for DeviceKeys {
    fn clone(&self) -> Self {
        Self(self.0)
    }
}

impl DeviceKeys {
    /// Derives the signing key from the master key.
    pub fn derive(master: &MasterKey) -> Self {
        Self(master.derive("gmac/device-cookie/v1"))
    }

    fn mac(&self, message: &str) -> Option<Vec<u8>> {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0).ok()?;
        mac.update(message.as_bytes());
        Some(mac.finalize().into_bytes().to_vec())
    }

    /// A device cookie for `login` (the normalised email), with a random nonce.
    pub fn issue(&self, login: &str) -> String {
        let nonce = crate::auth::tokens::generate_token();
        let message = format!("{nonce}.{}", URL_SAFE_NO_PAD.encode(login));
        let signature = self.mac(&message).map(hex::encode).unwrap_or_default();
        format!("{message}.{signature}")
    }

    /// The nonce of a valid device cookie for `login`; `None` for anything else (forged, for
    /// another account, malformed).
    pub fn verify(&self, token: &str, login: &str) -> Option<String> {
        let (message, signature) = token.rsplit_once('.')?;
        let (nonce, encoded) = message.split_once('.')?;
        let expected = self.mac(message)?;
        let given = hex::decode(signature).ok()?;
        if !bool::from(subtle::ConstantTimeEq::ct_eq(
            expected.as_slice(),
            given.as_slice(),
        )) {
            return None;
        }
        let named = URL_SAFE_NO_PAD.decode(encoded).ok()?;
        (named == login.as_bytes()).then(|| nonce.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cookie_names_its_account_and_cannot_be_forged() {
        let keys = DeviceKeys::derive(&MasterKey::generate());
        let cookie = keys.issue("ada@example.com");
        assert!(keys.verify(&cookie, "ada@example.com").is_some());
        assert!(keys.verify(&cookie, "eve@example.com").is_none());
        let other = DeviceKeys::derive(&MasterKey::generate());
        assert!(other.verify(&cookie, "ada@example.com").is_none());
        let forged = cookie.replace("ada", "eve");
        assert!(keys.verify(&forged, "eve@example.com").is_none());
        assert!(keys.verify("garbage", "ada@example.com").is_none());
    }
}
