//! Envelope encryption of secrets at rest.
//!
//! Each secret gets its own random data key (AES-256-GCM); the data key is wrapped by a key-
//! encryption key derived from the master key. Both layers authenticate an "associated data"
//! string naming the row the secret belongs to, so a sealed value copied to another row does
//! not open. The sealed form records the master key version: after a rotation, a value is
//! moved to the new version by re-wrapping its data key alone ([`Sealer::rewrap`]).

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use anyhow::{Context, anyhow, bail};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngExt;

use std::collections::BTreeMap;

use crate::keys::{KeyVersion, MasterKey};

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
    version: KeyVersion,
    keks: BTreeMap<u32, Aes256Gcm>,
    fingerprints: BTreeMap<u32, String>,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealer")
            .field("version", &self.version.get())
            .finish_non_exhaustive()
    }
}

/// The master key version a sealed value was sealed under, if it is one.
pub fn version_of(sealed: &str) -> Option<u32> {
    let mut parts = sealed.split('.');
    (parts.next()? == FORMAT).then_some(())?;
    parts.next()?.parse().ok()
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
    /// A sealer that opens values of every version `master` holds, and seals under the
    /// version `version` says.
    pub fn new(master: &MasterKey, version: KeyVersion) -> Self {
        let keks = master
            .derive_all("gmac/kek/v1")
            .into_iter()
            .map(|(v, kek)| (v, Aes256Gcm::new(&kek.into())))
            .collect();
        let fingerprints = master
            .versions()
            .into_iter()
            .filter_map(|v| Some((v, master.fingerprint(v)?)))
            .collect();
        Self {
            version,
            keks,
            fingerprints,
        }
    }

    /// The fingerprint of the key of `version` this sealer holds.
    pub fn fingerprint(&self, version: u32) -> Option<&str> {
        self.fingerprints.get(&version).map(String::as_str)
    }

    fn kek(&self, version: u32) -> anyhow::Result<&Aes256Gcm> {
        self.keks.get(&version).ok_or_else(|| {
            anyhow!("sealed under master key version {version}, which is not configured")
        })
    }

    fn wrap_key(&self, dek: &[u8], binding: &str) -> anyhow::Result<(u32, Vec<u8>)> {
        self.wrap_key_under(self.version.get(), dek, binding)
    }

    fn wrap_key_under(
        &self,
        version: u32,
        dek: &[u8],
        binding: &str,
    ) -> anyhow::Result<(u32, Vec<u8>)> {
        let key_nonce: [u8; NONCE] = random();
        let wrapped = self
            .kek(version)?
            .encrypt(
                &Nonce::from(key_nonce),
                Payload {
                    msg: dek,
                    aad: format!("dek:{binding}").as_bytes(),
                },
            )
            .map_err(|_| anyhow!("wrapping a data key"))?;
        Ok((version, [key_nonce.as_slice(), &wrapped].concat()))
    }

    fn unwrap_key<'a>(
        &self,
        sealed: &'a str,
        binding: &str,
    ) -> anyhow::Result<(u32, Vec<u8>, &'a str)> {
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
        let key_part = URL_SAFE_NO_PAD.decode(key_part).context("sealed key")?;
        if key_part.len() <= NONCE {
            bail!("sealed value too short");
        }
        let (key_nonce, wrapped) = key_part.split_at(NONCE);
        let key_nonce = nonce(key_nonce)?;
        let dek = self
            .kek(version)?
            .decrypt(
                &key_nonce,
                Payload {
                    msg: wrapped,
                    aad: format!("dek:{binding}").as_bytes(),
                },
            )
            .map_err(|_| anyhow!("the data key does not open (wrong master key or wrong row)"))?;
        Ok((version, dek, data_part))
    }

    /// Moves a value sealed for `binding` under an older master key version to the current
    /// one: its data key is unwrapped and wrapped again, and the encrypted data is kept as it
    /// is. `None` when it is already under the current version.
    pub fn rewrap(&self, sealed: &str, binding: &str) -> anyhow::Result<Option<String>> {
        let current = self.version.get();
        if version_of(sealed) == Some(current) {
            return Ok(None);
        }
        let (_, dek, data_part) = self.unwrap_key(sealed, binding)?;
        let (version, key_part) = self.wrap_key_under(current, &dek, binding)?;
        Ok(Some(format!(
            "{FORMAT}.{version}.{}.{data_part}",
            URL_SAFE_NO_PAD.encode(key_part)
        )))
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
        let (version, key_part) = self.wrap_key(&dek_bytes, binding)?;
        let data_part = [data_nonce.as_slice(), &ciphertext].concat();
        Ok(format!(
            "{FORMAT}.{version}.{}.{}",
            URL_SAFE_NO_PAD.encode(key_part),
            URL_SAFE_NO_PAD.encode(data_part)
        ))
    }

    /// Decrypts a value sealed for `binding`, under whichever configured version sealed it.
    pub fn open(&self, sealed: &str, binding: &str) -> anyhow::Result<Vec<u8>> {
        let (_, dek_bytes, data_part) = self.unwrap_key(sealed, binding)?;
        let data_part = URL_SAFE_NO_PAD.decode(data_part).context("sealed data")?;
        if data_part.len() <= NONCE {
            bail!("sealed value too short");
        }
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
        let sealer = Sealer::new(&master, KeyVersion::new(1));
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
            Sealer::new(&MasterKey::generate(), KeyVersion::new(1))
                .open(&stored, "totp_secrets:u1")
                .is_err()
        );
        Ok(())
    }

    #[test]
    fn a_rewrapped_value_moves_to_the_new_version_and_opens_without_the_old_key()
    -> anyhow::Result<()> {
        let (ring, _) = MasterKey::generate().with_new_version();
        let version = KeyVersion::new(1);
        let sealer = Sealer::new(&ring, version.clone());
        let old = sealer.seal(b"hunter2", "r:1")?;
        assert_eq!(version_of(&old), Some(1));
        assert_eq!(sealer.rewrap(&old, "r:1")?, None, "already current");
        version.set(2);
        assert!(sealer.rewrap(&old, "r:2").is_err(), "another row's binding");
        let new = sealer.rewrap(&old, "r:1")?.unwrap_or_default();
        assert_eq!(version_of(&new), Some(2));
        // The data part is untouched: only the data key was wrapped again.
        assert_eq!(old.rsplit('.').next(), new.rsplit('.').next());
        let only_new = Sealer::new(&ring.without_version(1)?, KeyVersion::new(2));
        assert_eq!(only_new.open(&new, "r:1")?, b"hunter2");
        assert!(only_new.open(&old, "r:1").is_err(), "version 1 is gone");
        assert_eq!(version_of(&sealer.seal(b"x", "r")?), Some(2));
        Ok(())
    }

    #[test]
    fn sealing_twice_gives_different_ciphertexts() -> anyhow::Result<()> {
        let sealer = Sealer::new(&MasterKey::generate(), KeyVersion::new(1));
        assert_ne!(sealer.seal(b"x", "r")?, sealer.seal(b"x", "r")?);
        Ok(())
    }

    #[test]
    fn a_tampered_value_does_not_open() -> anyhow::Result<()> {
        let sealer = Sealer::new(&MasterKey::generate(), KeyVersion::new(1));
        let stored = sealer.seal(b"secret", "r")?;
        let mut bytes = stored.into_bytes();
        let last = bytes.len() - 2;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(bytes)?;
        assert!(sealer.open(&tampered, "r").is_err());
        Ok(())
    }
}
