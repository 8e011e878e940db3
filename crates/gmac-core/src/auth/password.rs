//! Argon2id password hashing on a bounded pool of blocking threads.
//!
//! Hashing is deliberately slow and memory-hungry, so it runs off the async workers and at most
//! a few at a time: a burst of sign-ins queues rather than exhausting memory.

use std::sync::{Arc, OnceLock};

use anyhow::{Context, anyhow};
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::RngExt;
use tokio::sync::Semaphore;

/// OWASP's first recommended Argon2id configuration: 19 MiB, 2 iterations, 1 lane.
const MEMORY_KIB: u32 = 19 * 1024;
const ITERATIONS: u32 = 2;
const LANES: u32 = 1;

/// Hashes and verifies passwords with Argon2id.
#[derive(Clone, Debug)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
}

impl Default for PasswordHasher {
    fn default() -> Self {
        Self::new()
    }
}

fn argon2() -> Argon2<'static> {
    // The parameters are constants within Argon2's limits, so `Params::new` cannot fail.
    let params = Params::new(MEMORY_KIB, ITERATIONS, LANES, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

impl PasswordHasher {
    /// A hasher that runs at most as many hashes at once as there are CPUs.
    pub fn new() -> Self {
        let parallel = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        Self {
            permits: Arc::new(Semaphore::new(parallel)),
        }
    }

    /// Hashes `password` into a PHC string.
    pub async fn hash(&self, password: &str) -> anyhow::Result<String> {
        let password = password.to_owned();
        self.run(move || {
            let salt = new_salt()?;
            argon2()
                .hash_password(password.as_bytes(), &salt)
                .map(|hash| hash.to_string())
                .map_err(|e| anyhow!("hashing a password: {e}"))
        })
        .await
    }

    /// Checks `password` against `stored`. With no stored hash it still does the same work
    /// against a decoy, so that an unknown account takes as long to refuse as a wrong password.
    pub async fn verify(&self, password: &str, stored: Option<&str>) -> anyhow::Result<bool> {
        let password = password.to_owned();
        let stored = stored.map(str::to_owned);
        self.run(move || {
            let (phc, real) = match &stored {
                Some(hash) => (hash.as_str(), true),
                None => (decoy_hash(), false),
            };
            let parsed =
                PasswordHash::new(phc).map_err(|e| anyhow!("stored hash unreadable: {e}"))?;
            let matches = argon2()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok();
            Ok(real && matches)
        })
        .await
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
    ) -> anyhow::Result<T> {
        let _permit = self
            .permits
            .acquire()
            .await
            .context("the password pool is closed")?;
        tokio::task::spawn_blocking(work)
            .await
            .context("the password hashing task failed")?
    }
}

/// 16 random bytes from the OS generator, as a PHC salt.
fn new_salt() -> anyhow::Result<SaltString> {
    let mut bytes = [0u8; 16];
    rand::rng().fill(&mut bytes);
    SaltString::encode_b64(&bytes).map_err(|e| anyhow!("encoding a salt: {e}"))
}

/// A hash of a random password with the production parameters, made once.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| {
        new_salt()
            .and_then(|salt| {
                argon2()
                    .hash_password(super::tokens::generate_token().as_bytes(), &salt)
                    .map(|hash| hash.to_string())
                    .map_err(|e| anyhow!("{e}"))
            })
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hashed_password_verifies_and_a_wrong_one_does_not() -> anyhow::Result<()> {
        let hasher = PasswordHasher::new();
        let hash = hasher.hash("correct horse battery staple").await?;
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(
            hasher
                .verify("correct horse battery staple", Some(&hash))
                .await?
        );
        assert!(
            !hasher
                .verify("correct horse battery stapler", Some(&hash))
                .await?
        );
        Ok(())
    }

    #[tokio::test]
    async fn an_unknown_account_never_verifies() -> anyhow::Result<()> {
        let hasher = PasswordHasher::new();
        assert!(!hasher.verify("anything at all", None).await?);
        Ok(())
    }
}
