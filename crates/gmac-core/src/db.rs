//! Connecting to SQLite or PostgreSQL, running migrations, and starting write transactions.

use std::collections::HashMap;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use anyhow::{Context, bail};
use gmac_migrations::{Migrator, MigratorTrait};
use sea_orm::{
    ConnAcquireErr, ConnectionTrait, DatabaseBackend, DatabaseConnection, DatabaseTransaction,
    DbErr, ExecResult, QueryResult, SqliteTransactionMode, SqlxPostgresConnector,
    SqlxSqliteConnector, Statement, TransactionOptions, TransactionTrait,
};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How to size and time out the connection pool.
#[derive(Clone, Debug)]
pub struct PoolOptions {
    /// The most connections the pool opens (SQLite uses at most 8).
    pub max_connections: u32,
    /// How long a request waits for a connection before failing.
    pub acquire_timeout: Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        Self {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(5),
        }
    }
}

/// Which database a URL names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// The embedded default.
    Sqlite,
    /// The store for scaling out.
    Postgres,
}

impl Backend {
    /// Tells the backend from the URL's scheme.
    pub fn of_url(url: &str) -> anyhow::Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            bail!("unsupported database URL: use sqlite://PATH or postgres://...")
        }
    }
}

/// Opens a pool for `url`. SQLite databases are created if missing and run in WAL mode with
/// foreign keys enforced and a busy timeout, so concurrent writers wait instead of failing.
pub async fn connect(url: &str, options: &PoolOptions) -> anyhow::Result<DatabaseConnection> {
    match Backend::of_url(url)? {
        Backend::Sqlite => {
            let in_memory = url.contains(":memory:") || url.contains("mode=memory");
            let connect = SqliteConnectOptions::from_str(url)
                .context("parsing the SQLite URL")?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            if !in_memory {
                restrict_sqlite_files(connect.get_filename())?;
            }
            // An in-memory database lives in one connection; keep exactly that one.
            let max = if in_memory {
                1
            } else {
                options.max_connections.clamp(1, 8)
            };
            // No ping before each use: a SQLite connection is a file handle in this process,
            // and the ping is a round trip to its worker thread on every statement.
            let pool = SqlitePoolOptions::new()
                .test_before_acquire(false)
                .max_connections(max)
                .min_connections(u32::from(in_memory))
                .idle_timeout(if in_memory {
                    None
                } else {
                    Some(Duration::from_mins(10))
                })
                .max_lifetime(if in_memory {
                    None
                } else {
                    Some(Duration::from_hours(1))
                })
                .acquire_timeout(options.acquire_timeout)
                .connect_with(connect)
                .await
                .context("opening the SQLite database")?;
            Ok(SqlxSqliteConnector::from_sqlx_sqlite_pool(pool))
        }
        Backend::Postgres => {
            let connect = PgConnectOptions::from_str(url).context("parsing the PostgreSQL URL")?;
            let pool = PgPoolOptions::new()
                .max_connections(options.max_connections.max(1))
                .acquire_timeout(options.acquire_timeout)
                .connect_with(connect)
                .await
                .context("connecting to PostgreSQL")?;
            Ok(SqlxPostgresConnector::from_sqlx_postgres_pool(pool))
        }
    }
}

/// The file a `sqlite:` URL names; `None` for an in-memory database or another backend's URL.
pub fn sqlite_file(url: &str) -> anyhow::Result<Option<std::path::PathBuf>> {
    if Backend::of_url(url)? != Backend::Sqlite
        || url.contains(":memory:")
        || url.contains("mode=memory")
    {
        return Ok(None);
    }
    let options = SqliteConnectOptions::from_str(url).context("parsing the SQLite URL")?;
    Ok(Some(options.get_filename().to_path_buf()))
}

/// Creates the SQLite database file owner-only (0600) before SQLite opens it, and narrows an
/// existing one and its WAL and shared-memory files: they hold password hashes, sessions and
/// every cost. SQLite gives the WAL and `-shm` files the mode of the database file.
#[cfg(unix)]
fn restrict_sqlite_files(path: &std::path::Path) -> anyhow::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    if path.as_os_str().is_empty() {
        return Ok(());
    }
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => {}
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(err) => {
            return Err(err).with_context(|| format!("creating {}", path.display()));
        }
    }
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let file = std::path::PathBuf::from(name);
        match std::fs::metadata(&file) {
            Ok(meta) if meta.permissions().mode() & 0o077 != 0 => {
                std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))
                    .with_context(|| format!("making {} owner-only", file.display()))?;
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(not(unix))]
fn restrict_sqlite_files(_path: &std::path::Path) -> anyhow::Result<()> {
    Ok(())
}

/// Connects, retrying for up to `patience` so that gmac can start before its database does.
pub async fn connect_with_retry(
    url: &str,
    options: &PoolOptions,
    patience: Duration,
) -> anyhow::Result<DatabaseConnection> {
    let deadline = tokio::time::Instant::now() + patience;
    let mut delay = Duration::from_millis(250);
    loop {
        match connect(url, options).await {
            Ok(db) => return Ok(db),
            Err(err) if tokio::time::Instant::now() + delay < deadline => {
                tracing::warn!(
                    error = format!("{err:#}"),
                    retry_in_ms = delay.as_millis(),
                    "database not reachable yet"
                );
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
            Err(err) => return Err(err),
        }
    }
}

/// The migration that keyed the audit chain: when it is applied by this start, the entries
/// written before it are re-linked under the key, then and never again.
const AUDIT_KEYS_MIGRATION: &str = "m20261203_000010_audit_keys";

/// Applies every pending migration. On PostgreSQL an advisory lock makes replicas that start
/// together take turns. Answers whether this call keyed the audit chain (applied the migration
/// that added key versions), so the caller re-links the older entries once.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<bool> {
    async fn up(conn: &DatabaseConnection) -> anyhow::Result<bool> {
        let keys_pending = Migrator::get_pending_migrations(conn)
            .await
            .context("listing pending migrations")?
            .iter()
            .any(|m| m.name() == AUDIT_KEYS_MIGRATION);
        Migrator::up(conn, None)
            .await
            .context("running migrations")?;
        Ok(keys_pending)
    }
    match db.get_database_backend() {
        DatabaseBackend::Postgres => {
            // Session-level advisory locks belong to one connection, so migrate over a
            // dedicated single-connection pool that holds it.
            let pool = db.get_postgres_connection_pool();
            let single = PgPoolOptions::new()
                .max_connections(1)
                .connect_with(pool.connect_options().as_ref().clone())
                .await
                .context("opening a connection for migrations")?;
            let conn = SqlxPostgresConnector::from_sqlx_postgres_pool(single);
            conn.execute_unprepared(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
                .await
                .context("taking the migration lock")?;
            let result = up(&conn).await;
            let unlock = conn
                .execute_unprepared(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))
                .await;
            let keyed = result?;
            unlock.context("releasing the migration lock")?;
            conn.close().await.ok();
            Ok(keyed)
        }
        _ => up(db).await,
    }
}

/// An arbitrary constant naming gmac's migration lock ("gmac" in ASCII).
const MIGRATION_LOCK: i64 = 0x676d_6163;

/// How long a writer waits for its turn before it is answered 503: longer than a big
/// import's publish step (about 7 s for a million lines), which holds the write lock. Waiting
/// costs no connection.
const WRITE_PATIENCE: Duration = Duration::from_secs(30);

/// The queue of gmac's writers to one SQLite database, if `db` is one.
///
/// SQLite lets one writer in at a time, and its busy handler is not fair: a waiter sleeps and
/// tries again, so a writer that commits and begins again at once (the cost import's line
/// writer) can win the lock every time; and each waiter holds a pool connection while it
/// sleeps, so that enough of them leave a reader none. gmac's writers therefore line up here,
/// first come first served, and take a connection only at their turn. Another process on the
/// same file (a separate `gmac worker`) still meets SQLite's busy timeout instead.
pub fn write_turns(db: &DatabaseConnection) -> Option<Arc<Semaphore>> {
    static TURNS: LazyLock<Mutex<HashMap<PathBuf, Arc<Semaphore>>>> = LazyLock::new(Mutex::default);
    if db.get_database_backend() != DatabaseBackend::Sqlite {
        return None;
    }
    // In memory, or a file: each in-memory database has a name of its own.
    let options = db.get_sqlite_connection_pool().connect_options();
    let file = options.get_filename();
    let mut turns = TURNS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(queue) = turns.get(file) {
        return Some(queue.clone());
    }
    let queue = Arc::new(Semaphore::new(1));
    turns.insert(file.to_owned(), queue.clone());
    Some(queue)
}

/// Waits for a writer's turn at `turns` (see [`write_turns`]), for at most `WRITE_PATIENCE`.
pub async fn wait_turn(turns: Arc<Semaphore>) -> Result<OwnedSemaphorePermit, DbErr> {
    match tokio::time::timeout(WRITE_PATIENCE, turns.acquire_owned()).await {
        Ok(Ok(turn)) => Ok(turn),
        Ok(Err(_)) | Err(_) => Err(DbErr::ConnectionAcquire(ConnAcquireErr::Timeout)),
    }
}

/// Waits for a writer's turn on `db` when it is SQLite: a write outside [`begin_write`] (one
/// statement, committed by itself) holds it while it runs.
pub async fn turn(db: &DatabaseConnection) -> Result<Option<OwnedSemaphorePermit>, DbErr> {
    match write_turns(db) {
        Some(turns) => Ok(Some(wait_turn(turns).await?)),
        None => Ok(None),
    }
}

/// `db` for statements that write outside a transaction, each committed by itself: each
/// statement waits for its writer's turn ([`write_turns`]), so that it is not starved by
/// writers that follow each other closely.
#[derive(Clone, Copy, Debug)]
pub struct Solo<'a>(pub &'a DatabaseConnection);

#[async_trait::async_trait]
impl ConnectionTrait for Solo<'_> {
    fn get_database_backend(&self) -> DatabaseBackend {
        self.0.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        let _turn = turn(self.0).await?;
        self.0.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        let _turn = turn(self.0).await?;
        self.0.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        let _turn = turn(self.0).await?;
        self.0.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        let _turn = turn(self.0).await?;
        self.0.query_all_raw(stmt).await
    }

    fn support_returning(&self) -> bool {
        self.0.support_returning()
    }

    fn is_mock_connection(&self) -> bool {
        self.0.is_mock_connection()
    }
}

/// A transaction that writes: see [`begin_write`]. Queries take `&txn` as a connection.
#[derive(Debug)]
pub struct WriteTxn {
    // Declared first, so dropped first: the transaction ends before the turn passes on.
    txn: DatabaseTransaction,
    _turn: Option<OwnedSemaphorePermit>,
}

impl WriteTxn {
    /// Commits, and lets the next writer in.
    pub async fn commit(self) -> Result<(), DbErr> {
        self.txn.commit().await
    }

    /// Rolls back, and lets the next writer in.
    pub async fn rollback(self) -> Result<(), DbErr> {
        self.txn.rollback().await
    }
}

/// Makes a wrapper of a transaction (its field `txn`) a connection, every call handed on to it:
/// [`WriteTxn`], and [`crate::platform::change::Change`] around it.
macro_rules! connection_through_txn {
    ($wrapper:ty) => {
        #[async_trait::async_trait]
        impl sea_orm::ConnectionTrait for $wrapper {
            fn get_database_backend(&self) -> sea_orm::DatabaseBackend {
                self.txn.get_database_backend()
            }

            async fn execute_raw(
                &self,
                stmt: sea_orm::Statement,
            ) -> ::std::result::Result<sea_orm::ExecResult, sea_orm::DbErr> {
                self.txn.execute_raw(stmt).await
            }

            async fn execute_unprepared(
                &self,
                sql: &str,
            ) -> ::std::result::Result<sea_orm::ExecResult, sea_orm::DbErr> {
                self.txn.execute_unprepared(sql).await
            }

            async fn query_one_raw(
                &self,
                stmt: sea_orm::Statement,
            ) -> ::std::result::Result<Option<sea_orm::QueryResult>, sea_orm::DbErr> {
                self.txn.query_one_raw(stmt).await
            }

            async fn query_all_raw(
                &self,
                stmt: sea_orm::Statement,
            ) -> ::std::result::Result<Vec<sea_orm::QueryResult>, sea_orm::DbErr> {
                self.txn.query_all_raw(stmt).await
            }

            fn support_returning(&self) -> bool {
                self.txn.support_returning()
            }

            fn is_mock_connection(&self) -> bool {
                self.txn.is_mock_connection()
            }
        }
    };
}
pub(crate) use connection_through_txn;

connection_through_txn!(WriteTxn);

/// Starts a transaction that will write. On SQLite it waits for its turn among gmac's writers
/// ([`write_turns`]) and takes the write lock at `BEGIN` (`BEGIN IMMEDIATE`), so a transaction
/// that reads before it writes cannot fail to upgrade.
pub async fn begin_write(db: &DatabaseConnection) -> Result<WriteTxn, DbErr> {
    let turn = self::turn(db).await?;
    let txn = db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        })
        .await?;
    Ok(WriteTxn { txn, _turn: turn })
}

/// Fails with 404 unless the delete removed the row. On PostgreSQL two requests deleting the
/// same object both find it; the second's delete waits for the first and then removes
/// nothing, and so answers 404 and writes no audit row (its transaction is dropped).
pub fn deleted_one(result: &sea_orm::DeleteResult) -> crate::Result<()> {
    if result.rows_affected == 0 {
        Err(crate::Error::NotFound)
    } else {
        Ok(())
    }
}

/// Connection counts of the pool, for the metrics endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolStats {
    /// Open connections.
    pub size: u32,
    /// Open connections not in use.
    pub idle: u32,
    /// The pool's maximum.
    pub max: u32,
}

/// Reads the pool's connection counts.
pub fn pool_stats(db: &DatabaseConnection) -> Option<PoolStats> {
    match db.get_database_backend() {
        DatabaseBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            Some(PoolStats {
                size: pool.size(),
                idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
                max: pool.options().get_max_connections(),
            })
        }
        DatabaseBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            Some(PoolStats {
                size: pool.size(),
                idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
                max: pool.options().get_max_connections(),
            })
        }
        _ => None,
    }
}

/// Whether the database answers, within `timeout`.
pub async fn ping(db: &DatabaseConnection, timeout: Duration) -> bool {
    matches!(tokio::time::timeout(timeout, db.ping()).await, Ok(Ok(())))
}
