//! The append-only, hash-chained audit log.
//!
//! Every entry's hash covers the previous entry's hash and the entry itself, so editing,
//! deleting or inserting a row breaks the chain at that point, and [`verify`] finds it.
//! The hash is an HMAC under a key derived from the master key, so someone who can write the
//! database but does not hold the key cannot rewrite a row and recompute the chain after it.
//! Each entry records its key's version: after a master-key rotation, old entries still verify
//! under the old key's version. Entries are written in the same transaction as the change they
//! describe.

use chrono::{DateTime, SecondsFormat, Utc};
use hmac::{Hmac, KeyInit, Mac};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::entities::{audit_chain, audit_log};
use crate::keys::{KeyVersion, MasterKey};
use crate::{RequestMeta, Result};

/// The keys that link the audit chain, by master key version; the current version signs new
/// entries. A version whose master key was retired after a rotation is still here, read back
/// from the database where the rotation sealed it (`services::key_ring`), so old entries stay
/// verifiable.
#[derive(Clone)]
pub struct ChainKeys {
    version: KeyVersion,
    keys: std::collections::BTreeMap<i32, [u8; 32]>,
}

impl std::fmt::Debug for ChainKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChainKeys")
            .field("current", &self.version.get())
            .finish_non_exhaustive()
    }
}

/// What the audit chain's key of a version is derived as.
pub const CHAIN_KEY_PURPOSE: &str = "gmac/audit-chain/v1";

impl ChainKeys {
    /// Every version `master_key` holds, signing under its oldest.
    pub fn derive(master_key: &MasterKey) -> Self {
        Self::with_version(master_key, KeyVersion::new(master_key.oldest()))
    }

    /// Every version `master_key` holds, signing under the version `version` says.
    pub fn with_version(master_key: &MasterKey, version: KeyVersion) -> Self {
        let keys = master_key
            .derive_all(CHAIN_KEY_PURPOSE)
            .into_iter()
            .filter_map(|(v, key)| Some((i32::try_from(v).ok()?, key)))
            .collect();
        Self { version, keys }
    }

    /// Adds the key of a version whose master key is no longer configured.
    pub fn add_retired(&mut self, version: i32, key: [u8; 32]) {
        self.keys.entry(version).or_insert(key);
    }

    /// The version new entries are signed with.
    pub fn current(&self) -> i32 {
        i32::try_from(self.version.get()).unwrap_or(i32::MAX)
    }

    fn key(&self, version: i32) -> Option<&[u8; 32]> {
        self.keys.get(&version)
    }
}

/// The `prev_hash` of the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who did it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuditActor {
    /// A signed-in user.
    User {
        /// The user's id.
        id: String,
        /// The user's email address.
        label: String,
    },
    /// A user acting through one of their API tokens.
    Token {
        /// The token's id.
        id: String,
        /// The token owner's id.
        user_id: String,
        /// The owner's email address.
        label: String,
    },
    /// Nobody authenticated, e.g. a failed sign-in (the label is the email address tried).
    Anonymous {
        /// What the caller claimed to be.
        label: Option<String>,
    },
    /// gmac itself or its command line.
    System {
        /// Which part, e.g. `cli`, `setup`, `demo`.
        label: String,
    },
}

/// How it ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// It happened.
    Success,
    /// It was attempted and failed (bad credentials, bad token).
    Failure,
    /// It was refused for lack of permission.
    Denied,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Denied => "denied",
        }
    }
}

/// One thing to record.
#[derive(Clone, Debug)]
pub struct AuditEntry {
    /// Who.
    pub actor: AuditActor,
    /// What, as `area.verb`, e.g. `auth.login`.
    pub action: &'static str,
    /// The kind and id of the object acted on.
    pub target: Option<(&'static str, String)>,
    /// The scope the object lives in.
    pub scope: Option<(&'static str, Option<String>)>,
    /// The client of that scope (for a project, its client), for the change's event.
    pub scope_client: Option<String>,
    /// How it ended.
    pub outcome: Outcome,
    /// A summary; keys that look secret are redacted before it is stored.
    pub details: Value,
}

impl AuditEntry {
    /// A successful action by `actor`.
    pub fn success(actor: AuditActor, action: &'static str) -> Self {
        Self {
            actor,
            action,
            target: None,
            scope: None,
            scope_client: None,
            outcome: Outcome::Success,
            details: Value::Null,
        }
    }

    /// A failed attempt by `actor`.
    pub fn failure(actor: AuditActor, action: &'static str) -> Self {
        Self {
            outcome: Outcome::Failure,
            ..Self::success(actor, action)
        }
    }

    /// Names the object acted on.
    #[must_use]
    pub fn target(mut self, kind: &'static str, id: impl Into<String>) -> Self {
        self.target = Some((kind, id.into()));
        self
    }

    /// Names the scope the object lives in (its project, else its client).
    #[must_use]
    pub fn scope(mut self, target: &crate::access::Target) -> Self {
        use crate::access::Target;
        self.scope_client = target.client_id().map(str::to_owned);
        self.scope = Some(match target {
            Target::Global => ("global", None),
            Target::Client(id) => ("client", Some(id.clone())),
            Target::Project { id, .. } => ("project", Some(id.clone())),
        });
        self
    }

    /// Attaches a summary.
    #[must_use]
    pub fn details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }
}

/// Appends `entry` to the chain using `conn`, the transaction of the change. Only
/// [`crate::platform::change::Change`] calls it, so that every change is audited one way.
pub(crate) async fn append(
    keys: &ChainKeys,
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    meta: &RequestMeta,
    entry: AuditEntry,
) -> Result<audit_log::Model> {
    // Bumping the head first takes the lock that orders concurrent writers.
    audit_chain::Entity::update_many()
        .col_expr(
            audit_chain::Column::LastSeq,
            Expr::col(audit_chain::Column::LastSeq).add(1),
        )
        .filter(audit_chain::Column::Id.eq(1))
        .exec(conn)
        .await?;
    let head = audit_chain::Entity::find_by_id(1)
        .one(conn)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the audit chain head row is missing"))?;

    let event = event_of(&entry);
    let (actor_type, actor_id, actor_label) = match entry.actor {
        AuditActor::User { id, label } => ("user", Some(id), Some(label)),
        AuditActor::Token { id, user_id, label } => (
            "token",
            Some(id),
            Some(format!("{label} (token of {user_id})")),
        ),
        AuditActor::Anonymous { label } => ("anonymous", None, label),
        AuditActor::System { label } => ("system", None, Some(label)),
    };
    let (target_type, target_id) = entry
        .target
        .map_or((None, None), |(kind, id)| (Some(kind.to_owned()), Some(id)));
    let mut row = audit_log::Model {
        id: crate::ids::new_id(now),
        seq: head.last_seq,
        occurred_at: now,
        actor_type: actor_type.to_owned(),
        actor_id,
        actor_label,
        action: entry.action.to_owned(),
        target_type,
        target_id,
        scope_type: entry.scope.as_ref().map(|(kind, _)| (*kind).to_owned()),
        scope_id: entry.scope.and_then(|(_, id)| id),
        ip: meta.ip.clone(),
        request_id: meta.request_id.clone(),
        outcome: entry.outcome.as_str().to_owned(),
        details: redact(entry.details).to_string(),
        prev_hash: head.last_hash,
        hash: String::new(),
        key_version: keys.current(),
    };
    row.hash = entry_hash(keys, &row)
        .ok_or_else(|| anyhow::anyhow!("the current audit key is missing"))?;

    audit_chain::Entity::update_many()
        .col_expr(audit_chain::Column::LastHash, Expr::value(row.hash.clone()))
        .filter(audit_chain::Column::Id.eq(1))
        .exec(conn)
        .await?;
    let active: audit_log::ActiveModel = row.clone().into();
    audit_log::Entity::insert(active)
        .exec_without_returning(conn)
        .await?;
    if let Some(mut event) = event {
        // An event's data is always an object; an entry without details has an empty one.
        event.data = serde_json::from_str(&row.details)
            .ok()
            .filter(Value::is_object)
            .unwrap_or_else(|| serde_json::json!({}));
        crate::platform::events::append(conn, now, event).await?;
    }
    Ok(row)
}

/// The event of a successful change (its data is filled in from the redacted details).
fn event_of(entry: &AuditEntry) -> Option<crate::platform::events::NewEvent> {
    use crate::access::Target;
    if entry.outcome != Outcome::Success {
        return None;
    }
    let event_type = crate::platform::events::type_of_action(entry.action)?;
    let target = match (&entry.scope, &entry.scope_client) {
        (Some(("client", Some(id))), _) => Target::Client(id.clone()),
        (Some(("project", Some(id))), Some(client_id)) => Target::Project {
            id: id.clone(),
            client_id: client_id.clone(),
        },
        _ => Target::Global,
    };
    let actor_id = match &entry.actor {
        AuditActor::User { id, .. } => Some(id.clone()),
        AuditActor::Token { user_id, .. } => Some(user_id.clone()),
        AuditActor::Anonymous { .. } | AuditActor::System { .. } => None,
    };
    Some(crate::platform::events::NewEvent {
        event_type,
        target,
        subject: entry
            .target
            .as_ref()
            .map(|(kind, id)| ((*kind).to_owned(), id.clone())),
        actor_id,
        data: Value::Null,
    })
}

/// A canonical JSON array of every column but the hashes, in a fixed order.
fn canonical(row: &audit_log::Model) -> String {
    let mut fields = serde_json::json!([
        row.seq,
        row.id,
        row.occurred_at.to_rfc3339_opts(SecondsFormat::Micros, true),
        row.actor_type,
        row.actor_id,
        row.actor_label,
        row.action,
        row.target_type,
        row.target_id,
        row.scope_type,
        row.scope_id,
        row.ip,
        row.request_id,
        row.outcome,
        row.details,
    ]);
    if row.key_version > 0
        && let Some(list) = fields.as_array_mut()
    {
        list.push(row.key_version.into());
    }
    fields.to_string()
}

/// The hash of an entry: HMAC-SHA256, under the audit key of the entry's `key_version`, over
/// the previous hash and the canonical entry. `None` when that key version is unknown. Version
/// 0 (entries from before the chain was keyed) is plain SHA-256, used only to check such
/// entries before they are re-linked.
pub fn entry_hash(keys: &ChainKeys, row: &audit_log::Model) -> Option<String> {
    let message = canonical(row);
    if row.key_version == 0 {
        let mut hasher = Sha256::new();
        hasher.update(row.prev_hash.as_bytes());
        hasher.update(b"\n");
        hasher.update(message.as_bytes());
        return Some(hex::encode(hasher.finalize()));
    }
    let key = keys.key(row.key_version)?;
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).ok()?;
    mac.update(row.prev_hash.as_bytes());
    mac.update(b"\n");
    mac.update(message.as_bytes());
    Some(hex::encode(mac.finalize().into_bytes()))
}

/// Re-links entries written before the chain was keyed (version 0) under the current key, once,
/// at start-up. They are checked first: a legacy chain that does not verify is left as it is,
/// so [`verify`] keeps reporting where it breaks. Returns how many entries were re-linked.
pub async fn relink_legacy(db: &sea_orm::DatabaseConnection, keys: &ChainKeys) -> Result<u64> {
    let legacy = audit_log::Entity::find()
        .filter(audit_log::Column::KeyVersion.eq(0))
        .one(db)
        .await?;
    if legacy.is_none() {
        return Ok(0);
    }
    let txn = crate::db::begin_write(db).await?;
    // Take the head first, as `append` does, so no entry is appended while the chain is
    // rewritten (another replica may be serving already).
    audit_chain::Entity::update_many()
        .col_expr(
            audit_chain::Column::LastSeq,
            Expr::col(audit_chain::Column::LastSeq),
        )
        .filter(audit_chain::Column::Id.eq(1))
        .exec(&txn)
        .await?;
    let check = verify_with_legacy(&txn, keys, true).await?;
    if !check.valid {
        txn.rollback().await?;
        tracing::error!(
            first_bad = ?check.first_bad,
            "the audit log does not verify; its entries were not re-linked under the audit key"
        );
        return Ok(0);
    }
    let mut prev_hash = GENESIS_HASH.to_owned();
    let mut last_seen = 0i64;
    let mut relinked = 0u64;
    loop {
        let rows = audit_log::Entity::find()
            .filter(audit_log::Column::Seq.gt(last_seen))
            .order_by_asc(audit_log::Column::Seq)
            .limit(1000)
            .all(&txn)
            .await?;
        if rows.is_empty() {
            break;
        }
        for mut row in rows {
            last_seen = row.seq;
            row.prev_hash = prev_hash;
            if row.key_version == 0 {
                row.key_version = keys.current();
                relinked += 1;
            }
            row.hash = entry_hash(keys, &row)
                .ok_or_else(|| anyhow::anyhow!("an audit key version is missing"))?;
            audit_log::Entity::update_many()
                .col_expr(
                    audit_log::Column::PrevHash,
                    Expr::value(row.prev_hash.clone()),
                )
                .col_expr(audit_log::Column::Hash, Expr::value(row.hash.clone()))
                .col_expr(audit_log::Column::KeyVersion, Expr::value(row.key_version))
                .filter(audit_log::Column::Seq.eq(row.seq))
                .exec(&txn)
                .await?;
            prev_hash = row.hash;
        }
    }
    audit_chain::Entity::update_many()
        .col_expr(audit_chain::Column::LastHash, Expr::value(prev_hash))
        .filter(audit_chain::Column::Id.eq(1))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(relinked)
}

/// The result of checking the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verification {
    /// Whether every entry is intact and in place.
    pub valid: bool,
    /// How many entries were checked.
    pub checked: u64,
    /// The first entry where the chain breaks, and why.
    pub first_bad: Option<BrokenLink>,
}

/// Where and how the chain breaks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokenLink {
    /// The sequence number expected or found there.
    pub seq: i64,
    /// `hash_mismatch` (edited), `chain_mismatch` (inserted or reordered), `missing` (deleted),
    /// or `head_mismatch` (entries removed from the end).
    pub reason: &'static str,
}

/// Walks the whole chain in order, a page at a time. Every entry must be linked under an audit
/// key: an unkeyed entry (version 0) is a forgery, since the entries from before the chain was
/// keyed were re-linked when it was.
pub async fn verify(conn: &impl ConnectionTrait, keys: &ChainKeys) -> Result<Verification> {
    verify_with_legacy(conn, keys, false).await
}

/// Like [`verify`]; with `legacy`, unkeyed entries before the first keyed one are checked with
/// plain SHA-256 (only while re-linking them, in the start that keys the chain).
async fn verify_with_legacy(
    conn: &impl ConnectionTrait,
    keys: &ChainKeys,
    legacy: bool,
) -> Result<Verification> {
    const PAGE: u64 = 1000;
    let mut prev_hash = GENESIS_HASH.to_owned();
    let mut expected_seq = 1i64;
    let mut checked = 0u64;
    let broken = |seq, reason| Verification {
        valid: false,
        checked: 0,
        first_bad: Some(BrokenLink { seq, reason }),
    };
    // The head first, and the chain up to it: entries appended while the walk runs (a live
    // installation) come after the head read and are not judged by it.
    let head = audit_chain::Entity::find_by_id(1).one(conn).await?;
    let upto = head.as_ref().map_or(i64::MAX, |h| h.last_seq);
    // Keyset pagination on `seq`, so a long log is read in pages of equal cost.
    let mut last_seen = 0i64;
    let mut keyed = !legacy;
    loop {
        let rows = audit_log::Entity::find()
            .filter(audit_log::Column::Seq.gt(last_seen))
            .filter(audit_log::Column::Seq.lte(upto))
            .order_by_asc(audit_log::Column::Seq)
            .limit(PAGE)
            .all(conn)
            .await?;
        if rows.is_empty() {
            break;
        }
        for row in rows {
            keyed |= row.key_version > 0;
            let bad = if row.seq != expected_seq {
                Some(broken(expected_seq, "missing"))
            } else if row.prev_hash != prev_hash {
                Some(broken(row.seq, "chain_mismatch"))
            } else if (keyed && row.key_version <= 0)
                || entry_hash(keys, &row).is_none_or(|h| h != row.hash)
            {
                Some(broken(row.seq, "hash_mismatch"))
            } else {
                None
            };
            if let Some(bad) = bad {
                return Ok(Verification { checked, ..bad });
            }
            checked += 1;
            expected_seq += 1;
            last_seen = row.seq;
            prev_hash = row.hash;
        }
    }
    if let Some(head) = head {
        let beyond = || {
            audit_log::Entity::find()
                .filter(audit_log::Column::Seq.gt(head.last_seq))
                .count(conn)
        };
        // An entry past the head is a real append made during the walk (the head has moved
        // on) or an insertion (it has not).
        let inserted = beyond().await? > 0
            && audit_chain::Entity::find_by_id(1)
                .one(conn)
                .await?
                .is_some_and(|now| now.last_seq == head.last_seq);
        if inserted || head.last_seq != expected_seq - 1 || head.last_hash != prev_hash {
            return Ok(Verification {
                checked,
                ..broken(expected_seq, "head_mismatch")
            });
        }
    }
    Ok(Verification {
        valid: true,
        checked,
        first_bad: None,
    })
}

/// Replaces the values of keys that look secret, at any depth.
pub fn redact(value: Value) -> Value {
    const SECRET_WORDS: [&str; 7] = [
        "password",
        "secret",
        "token",
        "key",
        "code",
        "credential",
        "authorization",
    ];
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let lower = k.to_lowercase();
                    if SECRET_WORDS.iter().any(|w| lower.contains(w)) && !Value::is_null(&v) {
                        (k, Value::String("[redacted]".to_owned()))
                    } else {
                        (k, redact(v))
                    }
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(redact).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_at_any_depth() {
        let value =
            serde_json::json!({"email": "a@b.c", "password": "x", "nested": [{"api_token": "t"}]});
        let redacted = redact(value);
        assert_eq!(redacted["email"], "a@b.c");
        assert_eq!(redacted["password"], "[redacted]");
        assert_eq!(redacted["nested"][0]["api_token"], "[redacted]");
    }

    #[test]
    fn the_hash_covers_every_column_and_the_previous_hash() {
        let row = audit_log::Model {
            id: "i".into(),
            seq: 1,
            occurred_at: Utc::now(),
            actor_type: "user".into(),
            actor_id: None,
            actor_label: None,
            action: "a".into(),
            target_type: None,
            target_id: None,
            scope_type: None,
            scope_id: None,
            ip: None,
            request_id: None,
            outcome: "success".into(),
            details: "null".into(),
            prev_hash: GENESIS_HASH.into(),
            hash: String::new(),
            key_version: 1,
        };
        let keys = ChainKeys::derive(&MasterKey::generate());
        let hash = |row: &audit_log::Model| entry_hash(&keys, row);
        let base = hash(&row);
        assert!(base.is_some());
        let edited = audit_log::Model {
            action: "b".into(),
            ..row.clone()
        };
        let relinked = audit_log::Model {
            prev_hash: "1".repeat(64),
            ..row
        };
        assert_ne!(base, hash(&edited));
        assert_ne!(base, hash(&relinked));
        // Another master key gives another hash: without the key, nobody recomputes it.
        let other = ChainKeys::derive(&MasterKey::generate());
        assert_ne!(base, entry_hash(&other, &edited));
        assert_ne!(entry_hash(&keys, &edited), entry_hash(&other, &edited));
    }
}
