//! One change to gmac's state, written one way everywhere: [`Change::begin`] opens the write
//! transaction (SQLite's `IMMEDIATE`, so it never fails half-way on a lock upgrade),
//! [`Change::expect_version`] checks `If-Match`, and [`Change::commit`] appends the audit row
//! and its event (see [`crate::platform::events`]) and commits, all in the one transaction.
//! Dropped without a commit, it rolls back: nothing of it is ever seen, its event included.
//!
//! A `Change` is a connection: queries take `&change` as they took `&txn`.

use chrono::{DateTime, Utc};

use crate::audit::{self, AuditEntry};
use crate::entities::audit_log;
use crate::{Core, Error, RequestMeta, Result, db};

/// An open change.
#[derive(Debug)]
pub struct Change {
    txn: db::WriteTxn,
    now: DateTime<Utc>,
}

impl Change {
    /// Opens the change's write transaction.
    pub async fn begin(core: &Core) -> Result<Self> {
        Ok(Self {
            txn: db::begin_write(&core.db).await?,
            now: core.now(),
        })
    }

    /// When the change happens (its audit row's time).
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// 412 when the caller sent `If-Match` with another version than `current`.
    pub fn expect_version(if_match: Option<i64>, current: i64) -> Result<()> {
        if if_match.is_some_and(|v| v != current) {
            Err(Error::PreconditionFailed)
        } else {
            Ok(())
        }
    }

    /// Appends `entry` to the audit log (and its event), and commits the change.
    pub async fn commit(
        self,
        core: &Core,
        meta: &RequestMeta,
        entry: AuditEntry,
    ) -> Result<audit_log::Model> {
        let row = audit::append(&core.audit_keys, &self.txn, self.now, meta, entry).await?;
        self.txn.commit().await?;
        Ok(row)
    }

    /// A change that is only its audit row (and event): a refusal, a failed attempt.
    pub async fn record(
        core: &Core,
        meta: &RequestMeta,
        entry: AuditEntry,
    ) -> Result<audit_log::Model> {
        Self::begin(core).await?.commit(core, meta, entry).await
    }

    /// Commits with `entry`'s audit row and event when there is one: for a change that may
    /// turn out to change nothing worth recording (a duplicate, nothing to remove).
    pub async fn commit_if(
        self,
        core: &Core,
        meta: &RequestMeta,
        entry: Option<AuditEntry>,
    ) -> Result<()> {
        match entry {
            Some(entry) => self.commit(core, meta, entry).await.map(drop),
            None => self.commit_unaudited().await,
        }
    }

    /// Commits what was written without an audit row: for changes gmac makes by itself that
    /// write their own events.
    pub async fn commit_unaudited(self) -> Result<()> {
        self.txn.commit().await?;
        Ok(())
    }
}

db::connection_through_txn!(Change);
