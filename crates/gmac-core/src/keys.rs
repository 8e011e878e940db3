//! The master key: the root of every key gmac derives (access-token signing now, secret
//! encryption later). Lose it and every session and encrypted secret is lost with it.

use std::path::Path;

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use rand::RngExt;
use secrecy::{ExposeSecret, SecretBox};
use sha2::Sha256;

/// 32 random bytes, kept out of `Debug` output and zeroized on drop.
pub struct MasterKey(SecretBox<[u8; 32]>);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey([redacted])")
    }
}

/// Where a master key came from, so start-up can say so.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeySource {
    /// Given in configuration.
    Configured,
    /// Read from an existing key file.
    File,
    /// Generated now and written to the key file.
    Created,
}

impl MasterKey {
    /// Parses a base64-encoded 32-byte key.
    pub fn from_base64(encoded: &str) -> anyhow::Result<Self> {
        let bytes = STANDARD
            .decode(encoded.trim())
            .context("the master key is not valid base64")?;
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| anyhow::anyhow!("the master key must be exactly 32 bytes"))?;
        Ok(Self(SecretBox::new(Box::new(key))))
    }

    /// A fresh random key.
    pub fn generate() -> Self {
        let mut key = [0u8; 32];
        rand::rng().fill(&mut key);
        Self(SecretBox::new(Box::new(key)))
    }

    /// Reads the key file at `path`, or creates it (mode 0600) with a new key.
    pub fn load_or_create(path: &Path) -> anyhow::Result<(Self, KeySource)> {
        if path.exists() {
            let encoded = std::fs::read_to_string(path)
                .with_context(|| format!("reading the master key file {}", path.display()))?;
            return Ok((Self::from_base64(&encoded)?, KeySource::File));
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let key = Self::generate();
        let encoded = STANDARD.encode(key.0.expose_secret());
        write_private(path, &format!("{encoded}\n"))
            .with_context(|| format!("writing the master key file {}", path.display()))?;
        Ok((key, KeySource::Created))
    }

    /// Derives a purpose-bound subkey (HMAC-SHA256 of the purpose under the master key), so
    /// no two uses ever share key material.
    #[expect(clippy::expect_used, reason = "HMAC accepts keys of any length")]
    pub fn derive(&self, purpose: &str) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(self.0.expose_secret())
            .expect("HMAC accepts keys of any length");
        mac.update(purpose.as_bytes());
        mac.finalize().into_bytes().into()
    }
}

/// A master key sealed under a passphrase, as a backup carries it: Argon2id stretches the
/// passphrase into a key that seals the master key with AES-256-GCM. The parameters travel
/// with it, so a later gmac with stronger defaults still opens an old backup.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WrappedKey {
    /// Always `argon2id`.
    pub kdf: String,
    /// Argon2 memory cost in KiB.
    pub memory_kib: u32,
    /// Argon2 passes.
    pub iterations: u32,
    /// Argon2 lanes.
    pub lanes: u32,
    /// Base64 of the 16-byte salt.
    pub salt: String,
    /// Base64 of the 12-byte AES-GCM nonce.
    pub nonce: String,
    /// Base64 of the sealed key and its tag.
    pub sealed: String,
}

/// The shortest passphrase a key may be wrapped under.
pub const MIN_PASSPHRASE_CHARS: usize = 12;
const WRAP_AAD: &[u8] = b"gmac/backup-key/v1";
// 64 MiB and 3 passes: a second or so per guess on a laptop core, once per backup.
const WRAP_MEMORY_KIB: u32 = 64 * 1024;
const WRAP_ITERATIONS: u32 = 3;

fn passphrase_key(
    passphrase: &str,
    salt: &[u8],
    memory_kib: u32,
    iterations: u32,
    lanes: u32,
) -> anyhow::Result<aes_gcm::Aes256Gcm> {
    use aes_gcm::KeyInit as _;
    let params = argon2::Params::new(memory_kib, iterations, lanes, Some(32))
        .map_err(|e| anyhow::anyhow!("Argon2 parameters: {e}"))?;
    let argon2 = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut key = [0u8; 32];
    argon2
        .hash_password_into(passphrase.as_bytes(), salt, &mut key)
        .map_err(|e| anyhow::anyhow!("stretching the passphrase: {e}"))?;
    Ok(aes_gcm::Aes256Gcm::new(&key.into()))
}

impl MasterKey {
    /// Seals this key under `passphrase` (at least [`MIN_PASSPHRASE_CHARS`] characters).
    pub fn wrap(&self, passphrase: &str) -> anyhow::Result<WrappedKey> {
        use aes_gcm::aead::{Aead, Payload};
        if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
            bail!("the passphrase must be at least {MIN_PASSPHRASE_CHARS} characters long");
        }
        let mut salt = [0u8; 16];
        let mut nonce = [0u8; 12];
        rand::rng().fill(&mut salt);
        rand::rng().fill(&mut nonce);
        let cipher = passphrase_key(passphrase, &salt, WRAP_MEMORY_KIB, WRAP_ITERATIONS, 1)?;
        let sealed = cipher
            .encrypt(
                &nonce.into(),
                Payload {
                    msg: self.0.expose_secret(),
                    aad: WRAP_AAD,
                },
            )
            .map_err(|_| anyhow::anyhow!("sealing the master key"))?;
        Ok(WrappedKey {
            kdf: "argon2id".to_owned(),
            memory_kib: WRAP_MEMORY_KIB,
            iterations: WRAP_ITERATIONS,
            lanes: 1,
            salt: STANDARD.encode(salt),
            nonce: STANDARD.encode(nonce),
            sealed: STANDARD.encode(sealed),
        })
    }

    /// Opens a key sealed by [`MasterKey::wrap`]. A wrong passphrase and a damaged key read
    /// the same: the seal does not open. Parameters beyond what gmac writes (a crafted file
    /// asking for gigabytes) are refused before any work.
    pub fn unwrap(wrapped: &WrappedKey, passphrase: &str) -> anyhow::Result<Self> {
        use aes_gcm::aead::{Aead, Payload};
        if wrapped.kdf != "argon2id"
            || !(8 * 1024..=1024 * 1024).contains(&wrapped.memory_kib)
            || !(1..=16).contains(&wrapped.iterations)
            || !(1..=8).contains(&wrapped.lanes)
        {
            bail!("the backup's key is sealed with parameters gmac does not use");
        }
        let decode = |field: &str, value: &str| {
            STANDARD
                .decode(value)
                .with_context(|| format!("the backup's key {field} is not base64"))
        };
        let salt = decode("salt", &wrapped.salt)?;
        let nonce: [u8; 12] = decode("nonce", &wrapped.nonce)?
            .try_into()
            .map_err(|_| anyhow::anyhow!("the backup's key nonce is not 12 bytes"))?;
        let cipher = passphrase_key(
            passphrase,
            &salt,
            wrapped.memory_kib,
            wrapped.iterations,
            wrapped.lanes,
        )?;
        let opened = cipher
            .decrypt(
                &nonce.into(),
                Payload {
                    msg: &decode("seal", &wrapped.sealed)?,
                    aad: WRAP_AAD,
                },
            )
            .map_err(|_| {
                anyhow::anyhow!("the passphrase does not open the backup's master key (wrong passphrase, or a damaged backup)")
            })?;
        let key: [u8; 32] = opened
            .try_into()
            .map_err(|_| anyhow::anyhow!("the backup's master key is not 32 bytes"))?;
        Ok(Self(SecretBox::new(Box::new(key))))
    }

    /// Whether two keys are the same key, compared in constant time.
    pub fn same_as(&self, other: &Self) -> bool {
        use subtle::ConstantTimeEq;
        self.0.expose_secret().ct_eq(other.0.expose_secret()).into()
    }

    /// Writes this key to a new owner-only (0600) key file; an existing file is an error.
    pub fn write_new_file(&self, path: &Path) -> anyhow::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let encoded = STANDARD.encode(self.0.expose_secret());
        write_private(path, &format!("{encoded}\n"))
            .with_context(|| format!("writing the master key file {}", path.display()))
    }
}

/// Writes `contents` to a new file at `path` (an existing file is an error), owner-only (0600)
/// from its creation, and flushes it.
#[cfg(unix)]
pub(crate) fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()
}

#[cfg(not(unix))]
pub(crate) fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

/// Checks that a key file, if present, is readable by its owner only.
pub fn check_key_file_permissions(path: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)?.permissions().mode();
        if mode & 0o077 != 0 {
            bail!(
                "{} is readable by others (mode {:o}); run chmod 600 on it",
                path.display(),
                mode & 0o777
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_created_key_file_is_private_and_reloads_to_the_same_key() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("master.key");
        let (first, source) = MasterKey::load_or_create(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(source, KeySource::Created);
        assert!(check_key_file_permissions(&path).is_ok());
        let (second, source) = MasterKey::load_or_create(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(source, KeySource::File);
        assert_eq!(first.derive("x"), second.derive("x"));
    }

    #[test]
    fn subkeys_differ_by_purpose() {
        let key = MasterKey::generate();
        assert_ne!(key.derive("gmac/jwt/v1"), key.derive("gmac/secrets/v1"));
    }

    #[test]
    fn a_wrapped_key_opens_with_its_passphrase_only() {
        let key = MasterKey::generate();
        let wrapped = key
            .wrap("correct horse battery staple")
            .unwrap_or_else(|e| panic!("{e}"));
        let opened = MasterKey::unwrap(&wrapped, "correct horse battery staple")
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(opened.same_as(&key));
        assert!(MasterKey::unwrap(&wrapped, "correct horse battery stapler").is_err());
        // A flipped bit in the seal does not open either.
        let mut damaged = wrapped.clone();
        let mut sealed = STANDARD.decode(&damaged.sealed).unwrap_or_default();
        sealed[0] ^= 1;
        damaged.sealed = STANDARD.encode(sealed);
        assert!(MasterKey::unwrap(&damaged, "correct horse battery staple").is_err());
        // Neither short passphrases nor absurd parameters are accepted.
        assert!(key.wrap("too short").is_err());
        let greedy = WrappedKey {
            memory_kib: 64 * 1024 * 1024,
            ..wrapped
        };
        assert!(MasterKey::unwrap(&greedy, "correct horse battery staple").is_err());
    }

    #[test]
    fn keys_of_the_wrong_length_are_refused() {
        assert!(MasterKey::from_base64("c2hvcnQ=").is_err());
    }
}
