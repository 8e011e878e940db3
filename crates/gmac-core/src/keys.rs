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

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
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
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
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
    fn keys_of_the_wrong_length_are_refused() {
        assert!(MasterKey::from_base64("c2hvcnQ=").is_err());
    }
}
