//! Signed-in actors kept between requests.
//!
//! Building an actor reads its session or token, its account, its role bindings and its
//! teams', custom roles, projects and MFA state: five to seven statements. A request instead
//! reads one number, the authorisation epoch, which database triggers bump in the same
//! transaction as any change to those rows (see the `authz_epoch` migration). While the epoch
//! stands still, the actor built at that epoch is still the truth; once it moves, every cached
//! actor is rebuilt on its next request. So a revoked session, a removed binding or a disabled
//! account takes effect on the next request, whichever process or replica made the change.
//!
//! Expiry needs no epoch: each entry keeps the instant its session or token expires.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use sea_orm::DbBackend;

use crate::auth::actor::Actor;
use crate::{Error, Result};

/// What a cached actor was signed in with.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub enum CacheKey {
    /// A session, by id (the access token's signature is checked on every request).
    Session(String),
    /// An API token, by the hash of its secret.
    Token(String),
}

/// When an API token's use was last recorded, as the cache knows it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LastUse {
    /// When.
    pub at: Option<DateTime<Utc>>,
    /// From where.
    pub ip: Option<String>,
}

#[derive(Debug)]
struct Entry {
    epoch: i64,
    actor: Actor,
    expires_at: DateTime<Utc>,
    last_use: LastUse,
}

/// A hit: the actor, and for a token when its use was last recorded.
#[derive(Debug)]
pub struct Hit {
    /// The actor as built at the current epoch.
    pub actor: Actor,
    /// For an API token, its last recorded use.
    pub last_use: LastUse,
}

/// At most this many signed-in callers are kept; past it the cache starts over.
const CAPACITY: usize = 10_000;

/// The cache itself: one per process.
#[derive(Debug, Default)]
pub struct ActorCache {
    entries: Mutex<HashMap<CacheKey, Entry>>,
}

impl ActorCache {
    /// The actor cached under `key` at `epoch`, unless it expired by `now`.
    pub fn get(&self, key: &CacheKey, epoch: i64, now: DateTime<Utc>) -> Option<Hit> {
        let entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let entry = entries.get(key)?;
        (entry.epoch == epoch && entry.expires_at > now).then(|| Hit {
            actor: entry.actor.clone(),
            last_use: entry.last_use.clone(),
        })
    }

    /// Keeps `actor`, built from rows read after `epoch` was read, until `expires_at`.
    pub fn put(
        &self,
        key: CacheKey,
        epoch: i64,
        actor: Actor,
        expires_at: DateTime<Utc>,
        last_use: LastUse,
    ) {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if entries.len() >= CAPACITY && !entries.contains_key(&key) {
            // Everything older than the current epoch is dead weight; when nothing is, start
            // over rather than track recency on every hit.
            entries.retain(|_, e| e.epoch == epoch);
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        entries.insert(
            key,
            Entry {
                epoch,
                actor,
                expires_at,
                last_use,
            },
        );
    }

    /// Records a token's use in its entry, so the next request knows it was written.
    pub fn used(&self, key: &CacheKey, last_use: LastUse) {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(entry) = entries.get_mut(key) {
            entry.last_use = last_use;
        }
    }
}

/// Reads the authorisation epoch: one indexed row. On a SQLite file, in place on this thread
/// ([`crate::sqlite_reads`]); otherwise straight through sqlx: sea-orm's general query path
/// moved more memory than this whole read costs.
pub async fn epoch(core: &crate::Core) -> Result<i64> {
    const SQL: &str = "SELECT value FROM authz_epoch WHERE id = 1";
    let db = &core.db;
    let value = if let Some(reader) = core.sqlite_reads.as_deref() {
        reader.with(|conn| -> Result<Option<i64>> {
            let mut prepared = conn.prepare_cached(SQL)?;
            let mut rows = prepared.query([])?;
            Ok(rows.next()?.map(|row| row.get::<_, i64>(0)).transpose()?)
        })?
    } else {
        match db.get_database_backend() {
            DbBackend::Postgres => {
                sqlx::query_scalar::<_, i64>(SQL)
                    .fetch_optional(db.get_postgres_connection_pool())
                    .await
            }
            _ => {
                sqlx::query_scalar::<_, i64>(SQL)
                    .fetch_optional(db.get_sqlite_connection_pool())
                    .await
            }
        }?
    };
    value.ok_or_else(|| Error::Internal(anyhow::anyhow!("the authz_epoch row is missing")))
}
