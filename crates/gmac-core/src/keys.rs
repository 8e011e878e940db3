//! The master key: the root of every key gmac derives (access-token signing, secret
//! encryption, the audit chain, device cookies). Lose it and every session and encrypted
//! secret is lost with it.
//!
//! The configured master key is a ring of versioned keys, so that it can be rotated while
//! gmac serves: `2:<new key> 1:<old key>` (a lone key, as every installation began, is
//! version 1). Which version seals new values is the database's to say (the newest version in
//! its `master_keys` table, see `services::key_ring`), held in a shared [`KeyVersion`], so
//! that every replica switches together once `gmac keys rotate` records the new one.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use rand::RngExt;
use secrecy::{ExposeSecret, SecretBox};
use sha2::Sha256;

/// The versions of the master key: 32 random bytes each, kept out of `Debug` output and
/// zeroized on drop. Never empty.
pub struct MasterKey(BTreeMap<u32, SecretBox<[u8; 32]>>);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MasterKey(versions {:?}, [redacted])", self.versions())
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

/// The master key version that seals and signs now, shared by every key derived from one
/// [`MasterKey`] in a process.
#[derive(Clone, Debug)]
pub struct KeyVersion {
    current: Arc<AtomicU32>,
    /// A newer version the database seals under that this replica's ring does not hold
    /// (`0`: none).
    missing: Arc<AtomicU32>,
}

impl KeyVersion {
    /// Starts at `version`.
    pub fn new(version: u32) -> Self {
        Self {
            current: Arc::new(AtomicU32::new(version)),
            missing: Arc::new(AtomicU32::new(0)),
        }
    }

    /// The version now.
    pub fn get(&self) -> u32 {
        self.current.load(Ordering::Acquire)
    }

    /// Switches to `version`, which the ring holds.
    pub fn set(&self, version: u32) {
        self.current.store(version, Ordering::Release);
        self.missing.store(0, Ordering::Release);
    }

    /// The version the database seals under when this replica's ring does not hold it: the
    /// replica cannot open what other replicas seal, so it is not ready.
    pub fn missing(&self) -> Option<u32> {
        Some(self.missing.load(Ordering::Acquire)).filter(|v| *v != 0)
    }

    /// Records that the ring does not hold `version`, which the database seals under; answers
    /// whether that is news.
    pub fn set_missing(&self, version: u32) -> bool {
        self.missing.swap(version, Ordering::AcqRel) != version
    }
}

fn random_key() -> SecretBox<[u8; 32]> {
    let mut key = [0u8; 32];
    rand::rng().fill(&mut key);
    SecretBox::new(Box::new(key))
}

fn decode_key(encoded: &str) -> anyhow::Result<SecretBox<[u8; 32]>> {
    let bytes = STANDARD
        .decode(encoded.trim())
        .context("the master key is not valid base64")?;
    let key: [u8; 32] = bytes
        .try_into()
        .map_err(|_| anyhow::anyhow!("the master key must be exactly 32 bytes"))?;
    Ok(SecretBox::new(Box::new(key)))
}

impl MasterKey {
    /// Parses a key: a lone base64-encoded 32-byte key (version 1), or a ring of versioned
    /// ones, `2:<base64> 1:<base64>`, separated by spaces, commas or lines.
    pub fn from_base64(encoded: &str) -> anyhow::Result<Self> {
        let tokens: Vec<&str> = encoded
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|t| !t.is_empty())
            .collect();
        if tokens.is_empty() {
            bail!("the master key is empty");
        }
        let mut keys = BTreeMap::new();
        for token in &tokens {
            let (version, key) = match token.split_once(':') {
                Some((version, key)) => {
                    let version = version
                        .parse::<u32>()
                        .ok()
                        .filter(|v| *v >= 1)
                        .with_context(|| {
                            format!(
                                "the master key version {version:?} is not a whole number from 1"
                            )
                        })?;
                    (version, key)
                }
                None if tokens.len() == 1 => (1, *token),
                None => bail!(
                    "a ring of master keys names each key's version: `2:<new key> 1:<old key>`"
                ),
            };
            if keys.insert(version, decode_key(key)?).is_some() {
                bail!("the master key ring holds version {version} twice");
            }
        }
        Ok(Self(keys))
    }

    /// A fresh random key, version 1.
    pub fn generate() -> Self {
        Self(BTreeMap::from([(1, random_key())]))
    }

    /// This ring with a fresh random key added as the version after its newest; that version.
    pub fn with_new_version(&self) -> (Self, u32) {
        let version = self.newest() + 1;
        let mut keys: BTreeMap<u32, SecretBox<[u8; 32]>> = self
            .0
            .iter()
            .map(|(v, k)| (*v, SecretBox::new(Box::new(*k.expose_secret()))))
            .collect();
        keys.insert(version, random_key());
        (Self(keys), version)
    }

    /// This ring without `version` (an error if it is the only one).
    pub fn without_version(&self, version: u32) -> anyhow::Result<Self> {
        let keys: BTreeMap<u32, SecretBox<[u8; 32]>> = self
            .0
            .iter()
            .filter(|(v, _)| **v != version)
            .map(|(v, k)| (*v, SecretBox::new(Box::new(*k.expose_secret()))))
            .collect();
        if keys.is_empty() {
            bail!("the ring would hold no key");
        }
        Ok(Self(keys))
    }

    /// The versions held, oldest first.
    pub fn versions(&self) -> Vec<u32> {
        self.0.keys().copied().collect()
    }

    /// The oldest version held.
    pub fn oldest(&self) -> u32 {
        self.0.keys().next().copied().unwrap_or(1)
    }

    /// The newest version held.
    pub fn newest(&self) -> u32 {
        self.0.keys().next_back().copied().unwrap_or(1)
    }

    /// Whether the ring holds `version`.
    pub fn holds(&self, version: u32) -> bool {
        self.0.contains_key(&version)
    }

    /// The key in its text form: a lone version 1 key as bare base64 (as every key file began),
    /// a ring as `N:<base64>` entries, newest first, one per line.
    pub fn encoded(&self) -> String {
        if let (1, Some(key)) = (self.0.len(), self.0.get(&1)) {
            return STANDARD.encode(key.expose_secret());
        }
        self.0
            .iter()
            .rev()
            .map(|(v, k)| format!("{v}:{}", STANDARD.encode(k.expose_secret())))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// One version as a ring entry, `N:<base64>`.
    pub fn entry(&self, version: u32) -> Option<String> {
        self.0
            .get(&version)
            .map(|k| format!("{version}:{}", STANDARD.encode(k.expose_secret())))
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
        write_private(path, &format!("{}\n", key.encoded()))
            .with_context(|| format!("writing the master key file {}", path.display()))?;
        Ok((key, KeySource::Created))
    }

    /// Derives a purpose-bound subkey of `version` (HMAC-SHA256 of the purpose under that
    /// key), so no two uses ever share key material; `None` when the ring lacks `version`.
    #[expect(clippy::expect_used, reason = "HMAC accepts keys of any length")]
    pub fn derive_version(&self, version: u32, purpose: &str) -> Option<[u8; 32]> {
        let key = self.0.get(&version)?;
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key.expose_secret())
            .expect("HMAC accepts keys of any length");
        mac.update(purpose.as_bytes());
        Some(mac.finalize().into_bytes().into())
    }

    /// Every version's subkey for `purpose`.
    pub fn derive_all(&self, purpose: &str) -> BTreeMap<u32, [u8; 32]> {
        self.0
            .keys()
            .filter_map(|v| Some((*v, self.derive_version(*v, purpose)?)))
            .collect()
    }

    /// What tells a version's key apart without revealing it: the first 16 hex digits of a
    /// subkey of its own, recorded in the database to catch a wrong key at start-up.
    pub fn fingerprint(&self, version: u32) -> Option<String> {
        self.derive_version(version, "gmac/key-fingerprint/v1")
            .map(|bytes| hex::encode(&bytes[..8]))
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
                    msg: self.wrapped_form().as_slice(),
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
        // A lone version 1 key is sealed as its 32 bytes (as every backup began); a ring as
        // its text.
        match <[u8; 32]>::try_from(opened.as_slice()) {
            Ok(key) => Ok(Self(BTreeMap::from([(1, SecretBox::new(Box::new(key)))]))),
            Err(_) => Self::from_base64(
                std::str::from_utf8(&opened)
                    .map_err(|_| anyhow::anyhow!("the backup's master key is not a key ring"))?,
            ),
        }
    }

    fn wrapped_form(&self) -> Vec<u8> {
        match (self.0.len(), self.0.get(&1)) {
            (1, Some(key)) => key.expose_secret().to_vec(),
            _ => self.encoded().into_bytes(),
        }
    }

    /// Whether two rings hold the same keys under the same versions, compared in constant
    /// time.
    pub fn same_as(&self, other: &Self) -> bool {
        use subtle::ConstantTimeEq;
        self.versions() == other.versions()
            && self
                .0
                .iter()
                .zip(other.0.values())
                .all(|((_, a), b)| bool::from(a.expose_secret().ct_eq(b.expose_secret())))
    }

    /// Whether this ring holds every version of `other`, each the same key (a ring that grew
    /// by `gmac keys add` since `other` was backed up).
    pub fn holds_all_of(&self, other: &Self) -> bool {
        use subtle::ConstantTimeEq;
        other.0.iter().all(|(v, b)| {
            self.0
                .get(v)
                .is_some_and(|a| bool::from(a.expose_secret().ct_eq(b.expose_secret())))
        })
    }

    /// Writes this key to a new owner-only (0600) key file; an existing file is an error.
    pub fn write_new_file(&self, path: &Path) -> anyhow::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        write_private(path, &format!("{}\n", self.encoded()))
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
        assert_eq!(first.derive_version(1, "x"), second.derive_version(1, "x"));
    }

    #[test]
    fn subkeys_differ_by_purpose() {
        let key = MasterKey::generate();
        assert_ne!(
            key.derive_version(1, "gmac/jwt/v1"),
            key.derive_version(1, "gmac/secrets/v1")
        );
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

    #[test]
    fn a_ring_reads_back_from_its_text_and_its_backup_seal() {
        let first = MasterKey::generate();
        // A lone key reads as version 1 and keeps the bare form every key file began with.
        assert_eq!(first.versions(), vec![1]);
        assert!(!first.encoded().contains(':'));
        let (ring, added) = first.with_new_version();
        assert_eq!((added, ring.versions()), (2, vec![1, 2]));
        assert_eq!(ring.derive_version(1, "p"), first.derive_version(1, "p"));
        assert_ne!(ring.derive_version(2, "p"), ring.derive_version(1, "p"));
        let text = ring.encoded();
        assert!(text.starts_with("2:"), "newest first: {text}");
        let reread =
            MasterKey::from_base64(&text.replace('\n', ", ")).unwrap_or_else(|e| panic!("{e}"));
        assert!(reread.same_as(&ring));
        assert!(!reread.same_as(&first));
        let sealed = ring
            .wrap("correct horse battery staple")
            .unwrap_or_else(|e| panic!("{e}"));
        let opened = MasterKey::unwrap(&sealed, "correct horse battery staple")
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(opened.same_as(&ring));
        let without = ring.without_version(1).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(without.versions(), vec![2]);
        assert_eq!(without.fingerprint(2), ring.fingerprint(2));
        assert!(without.without_version(2).is_err());
    }

    #[test]
    fn a_malformed_ring_is_refused() {
        let key = STANDARD.encode([7u8; 32]);
        for bad in [
            String::new(),
            format!("{key} {key}"),
            format!("0:{key}"),
            format!("x:{key}"),
            format!("1:{key} 1:{key}"),
        ] {
            assert!(MasterKey::from_base64(&bad).is_err(), "{bad:?}");
        }
    }
}
