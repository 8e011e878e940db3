//! Reads on SQLite without sqlx's worker threads, for the hottest read paths (issue 8, point 19).
//!
//! sqlx runs each SQLite connection on a thread of its own: every statement is a message to
//! that thread and a wake-up back, and every row is copied value by value (`sqlite3_value_dup`)
//! before it is decoded, then freed. For a page of fifty rows, that cost more than bare
//! actix-web spends on a whole request, and the two thread hops a request made (the
//! authorisation epoch, then the page) cost more again in the kernel.
//!
//! A [`SqliteReader`] keeps a few read-only connections of its own to the same database file,
//! and runs a read on the calling thread: a prepared statement from the connection's cache,
//! rows stepped and read in place. A read in WAL mode does not wait for writers, so it holds
//! the calling thread for the few tens of microseconds the statement takes, as serialising
//! the answer does. It sees what is committed, as every pool connection does.
//!
//! It is used only where the whole database is one file (not an in-memory one, which lives in
//! a single connection), and only for statements it can run exactly; anything else is left to
//! sea-orm, which the callers fall back to.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use sea_orm::sea_query::Value;
use sea_orm::{DatabaseConnection, DbBackend};

/// At most this many idle connections are kept.
const IDLE: usize = 4;

/// Prepared statements kept per connection.
const STATEMENTS: usize = 64;

/// Read-only connections to the database file of a SQLite pool.
#[derive(Debug)]
pub struct SqliteReader {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl SqliteReader {
    /// A reader for `db`'s file, when `db` is a SQLite pool on a file.
    pub fn for_pool(db: &DatabaseConnection) -> Option<Self> {
        if db.get_database_backend() != DbBackend::Sqlite {
            return None;
        }
        let options = db.get_sqlite_connection_pool().connect_options();
        let path = options.get_filename();
        // An in-memory database (sqlx names it, but no file holds it) lives in its pool alone.
        path.is_file().then(|| Self {
            path: path.to_owned(),
            idle: Mutex::default(),
        })
    }

    /// Runs `read` on an idle connection (opening one if none is idle), on this thread.
    pub fn with<T, E: From<rusqlite::Error>>(
        &self,
        read: impl FnOnce(&Connection) -> Result<T, E>,
    ) -> Result<T, E> {
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop();
        let conn = match idle {
            Some(conn) => conn,
            None => self.open()?,
        };
        let out = read(&conn);
        let mut idle = self
            .idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if idle.len() < IDLE {
            idle.push(conn);
        }
        out
    }

    /// Read-write at the file level, so that it can open the WAL's shared memory whatever
    /// state the pool left it in, and refusing every write at the connection level.
    fn open(&self) -> rusqlite::Result<Connection> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.pragma_update(None, "query_only", true)?;
        conn.set_prepared_statement_cache_capacity(STATEMENTS);
        Ok(conn)
    }
}

/// A bound value as sqlx would bind it on SQLite, or `None` for a kind not handled here.
pub fn parameter(value: &Value) -> Option<rusqlite::types::Value> {
    use rusqlite::types::Value as Sql;
    Some(match value {
        Value::Bool(v) => v.map_or(Sql::Null, |b| Sql::Integer(i64::from(b))),
        Value::TinyInt(v) => v.map_or(Sql::Null, |n| Sql::Integer(n.into())),
        Value::SmallInt(v) => v.map_or(Sql::Null, |n| Sql::Integer(n.into())),
        Value::Int(v) => v.map_or(Sql::Null, |n| Sql::Integer(n.into())),
        Value::BigInt(v) => v.map_or(Sql::Null, Sql::Integer),
        Value::TinyUnsigned(v) => v.map_or(Sql::Null, |n| Sql::Integer(n.into())),
        Value::SmallUnsigned(v) => v.map_or(Sql::Null, |n| Sql::Integer(n.into())),
        Value::Unsigned(v) => v.map_or(Sql::Null, |n| Sql::Integer(n.into())),
        Value::BigUnsigned(v) => match v {
            None => Sql::Null,
            Some(n) => Sql::Integer(i64::try_from(*n).ok()?),
        },
        Value::String(v) => v.as_ref().map_or(Sql::Null, |s| Sql::Text(s.clone())),
        Value::ChronoDateTimeUtc(v) => v.as_ref().map_or(Sql::Null, |at| {
            let mut buf = [0; 35];
            Sql::Text(
                gmac_types::time::rfc3339_text(at, gmac_types::time::Zone::Offset, &mut buf)
                    .into_owned(),
            )
        }),
        _ => return None,
    })
}
