//! Envelope encryption of secrets at rest.
//!
//! Each secret gets its own random data key (AES-256-GCM); the data key is wrapped by a key-
//! encryption key derived from the master key. Both layers authenticate an "associated data"
//! string naming the row the secret belongs to, so a sealed value copied to another row does
//! not open. The sealed form records the master key version, ready for key rotation.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use anyhow::{Context, anyhow, bail};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngExt;

use crate::keys::MasterKey;

const FORMAT: &str = "gmac1";
const NONCE: usize = 12;

/// The last four characters of a credential, to tell credentials apart in a list without
/// showing them.
pub fn last_four(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    chars[chars.len().saturating_sub(4)..].iter().collect()
}

/// Seals and opens secrets with keys derived from the master key.
#[derive(Clone)]
pub struct Sealer {
    version: u32,
    kek: Aes256Gcm,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealer")
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

fn random<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    rand::rng().fill(&mut bytes);
    bytes
}

fn nonce(bytes: &[u8]) -> anyhow::Result<Nonce<aes_gcm::aead::consts::U12>> {
    let array: [u8; NONCE] = bytes.try_into().map_err(|_| anyhow!("nonce length"))?;
    Ok(Nonce::from(array))
}

impl Sealer {
    /// A sealer under master key `version`.
    pub fn new(master: &MasterKey, version: u32) -> Self {
        let kek = master.derive("gmac/kek/v1");
        Self {
            version,
            kek: Aes256Gcm::new(&kek.into()),
        }
    }

    /// Encrypts `plaintext` for the row named by `binding` (e.g. `totp_secrets:<user id>`).
    pub fn seal(&self, plaintext: &[u8], binding: &str) -> anyhow::Result<String> {
        let dek_bytes: [u8; 32] = random();
        let dek = Aes256Gcm::new(&dek_bytes.into());
        let data_nonce: [u8; NONCE] = random();
        let ciphertext = dek
            .encrypt(
                &Nonce::from(data_nonce),
                Payload {
                    msg: plaintext,
                    aad: binding.as_bytes(),
                },
            )
            .map_err(|_| anyhow!("encrypting a secret"))?;
        let key_nonce: [u8; NONCE] = random();
        let wrapped = self
            .kek
            .encrypt(
                &Nonce::from(key_nonce),
                Payload {
                    msg: &dek_bytes,
                    aad: format!("dek:{binding}").as_bytes(),
                },
            )
            .map_err(|_| anyhow!("wrapping a data key"))?;
        let key_part = [key_nonce.as_slice(), &wrapped].concat();
        let data_part = [data_nonce.as_slice(), &ciphertext].concat();
        Ok(format!(
            "{FORMAT}.{}.{}.{}",
            self.version,
            URL_SAFE_NO_PAD.encode(key_part),
            URL_SAFE_NO_PAD.encode(data_part)
        ))
    }

    /// Decrypts a value sealed for `binding`.
    pub fn open(&self, sealed: &str, binding: &str) -> anyhow::Result<Vec<u8>> {
        let mut parts = sealed.split('.');
        let (Some(FORMAT), Some(version), Some(key_part), Some(data_part), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            bail!("not a sealed value");
        };
        let version: u32 = version.parse().context("sealed value version")?;
        if version != self.version {
            bail!(
                "sealed under master key version {version}, but version {} is loaded",
                self.version
            );
        }
        let key_part = URL_SAFE_NO_PAD.decode(key_part).context("sealed key")?;
        let data_part = URL_SAFE_NO_PAD.decode(data_part).context("sealed data")?;
        if key_part.len() <= NONCE || data_part.len() <= NONCE {
            bail!("sealed value too short");
        }
        let (key_nonce, wrapped) = key_part.split_at(NONCE);
        let key_nonce = nonce(key_nonce)?;
        let dek_bytes = self
            .kek
            .decrypt(
                &key_nonce,
                Payload {
                    msg: wrapped,
                    aad: format!("dek:{binding}").as_bytes(),
                },
            )
            .map_err(|_| anyhow!("the data key does not open (wrong master key or wrong row)"))?;
        let dek = Aes256Gcm::new_from_slice(&dek_bytes).map_err(|_| anyhow!("data key length"))?;
        let (data_nonce, ciphertext) = data_part.split_at(NONCE);
        let data_nonce = nonce(data_nonce)?;
        dek.decrypt(
            &data_nonce,
            Payload {
                msg: ciphertext,
                aad: binding.as_bytes(),
            },
        )
        .map_err(|_| anyhow!("the secret does not open (tampered, or sealed for another row)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_for_its_own_row_and_key() -> anyhow::Result<()> {
        let master = MasterKey::generate();
        let sealer = Sealer::new(&master, 1);
        let stored = sealer.seal(b"JBSWY3DPEHPK3PXP", "totp_secrets:u1")?;
        assert!(!stored.contains("JBSWY3DP"));
        assert_eq!(
            sealer.open(&stored, "totp_secrets:u1")?,
            b"JBSWY3DPEHPK3PXP"
        );
        assert!(
            sealer.open(&stored, "totp_secrets:u2").is_err(),
            "moved to another row"
        );
        assert!(
            Sealer::new(&MasterKey::generate(), 1)
                .open(&stored, "totp_secrets:u1")
                .is_err()
        );
        assert!(
            Sealer::new(&master, 2)
                .open(&stored, "totp_secrets:u1")
                .is_err()
        );
        Ok(())
    }

    #[test]
    fn sealing_twice_gives_different_ciphertexts() -> anyhow::Result<()> {
        let sealer = Sealer::new(&MasterKey::generate(), 1);
        assert_ne!(sealer.seal(b"x", "r")?, sealer.seal(b"x", "r")?);
        Ok(())
    }

    #[test]
    fn a_tampered_value_does_not_open() -> anyhow::Result<()> {
        let sealer = Sealer::new(&MasterKey::generate(), 1);
        let stored = sealer.seal(b"secret", "r")?;
        let mut bytes = stored.into_bytes();
        let last = bytes.len() - 2;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(bytes)?;
        assert!(sealer.open(&tampered, "r").is_err());
        Ok(())
    }
}
