//! One change to gmac's state, written one way everywhere: [`Change::begin`] opens the write
//! transaction (SQLite's `IMMEDIATE`, so it never fails half-way on a lock upgrade),
//! [`Change::expect_version`] checks `If-Match`, and [`Change::commit`] appends the audit row
//! and its event (see [`crate::platform::events`]) and commits, all in the one transaction.
//! Dropped without a commit, it rolls back: nothing of it is ever seen, its event included.
//!
//! A `Change` is a connection: queries take `&change` as they took `&txn`.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, ExecResult, QueryResult, Statement};

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

#[async_trait::async_trait]
impl ConnectionTrait for Change {
    fn get_database_backend(&self) -> DbBackend {
        self.txn.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.txn.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.txn.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.txn.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.txn.query_all_raw(stmt).await
    }

    fn support_returning(&self) -> bool {
        self.txn.support_returning()
    }

    fn is_mock_connection(&self) -> bool {
        self.txn.is_mock_connection()
    }
}
