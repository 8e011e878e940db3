//! SQLite's writers take turns in gmac, first come first served: a writer waiting for the
//! write lock holds no pool connection meanwhile, and a writer that commits and begins again at
//! once (the cost import's line writer) cannot keep one that waits out. These are properties
//! of the SQLite store, so these tests open one whatever `TEST_DATABASE_URL` says.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use gmac_core::db::{self, PoolOptions};
use sea_orm::{ConnectionTrait, DatabaseConnection};

/// A SQLite file database of `connections` connections, with a table `t` to write to.
async fn sqlite(dir: &tempfile::TempDir, connections: u32) -> DatabaseConnection {
    let url = format!("sqlite://{}", dir.path().join("gmac.db").display());
    let options = PoolOptions {
        max_connections: connections,
        acquire_timeout: Duration::from_secs(2),
    };
    let conn = db::connect(&url, &options).await.unwrap();
    conn.execute_unprepared("CREATE TABLE t (writer TEXT NOT NULL, n INTEGER NOT NULL)")
        .await
        .unwrap();
    conn
}

/// How many rows `t` holds.
async fn rows(conn: &DatabaseConnection) -> Result<i64, sea_orm::DbErr> {
    let row = conn
        .query_one_raw(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            "SELECT count(*) AS n FROM t",
        ))
        .await?
        .expect("a count has a row");
    row.try_get::<i64>("", "n")
}

#[tokio::test]
async fn sqlite_writers_waiting_for_the_lock_leave_readers_a_connection() {
    let dir = tempfile::tempdir().unwrap();
    let conn = sqlite(&dir, 3).await;
    // One writer holds the lock; five more wait for it, more than the pool has connections.
    let holder = db::begin_write(&conn).await.unwrap();
    holder
        .execute_unprepared("INSERT INTO t VALUES ('holder', 0)")
        .await
        .unwrap();
    let waiting: Vec<_> = (0..5)
        .map(|n| {
            let conn = conn.clone();
            tokio::spawn(async move {
                let txn = db::begin_write(&conn).await?;
                txn.execute_unprepared(&format!("INSERT INTO t VALUES ('waiter', {n})"))
                    .await?;
                txn.commit().await
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    // A reader is answered meanwhile, from a connection no waiter took.
    let seen = rows(&conn)
        .await
        .expect("a reader gets a connection while writers wait");
    assert_eq!(seen, 0, "nothing committed yet");
    holder.commit().await.unwrap();
    for waiter in waiting {
        waiter
            .await
            .unwrap()
            .expect("each waiting writer gets its turn");
    }
    assert_eq!(rows(&conn).await.unwrap(), 6, "every write is kept");
}

#[tokio::test]
async fn sqlite_a_waiting_writer_gets_in_between_the_transactions_of_a_busy_writer() {
    const ROUNDS: usize = 300;
    let dir = tempfile::tempdir().unwrap();
    let conn = sqlite(&dir, 4).await;
    let done = Arc::new(AtomicUsize::new(0));
    // A writer that begins again as soon as it commits, like the import's line writer.
    let busy = tokio::spawn({
        let (conn, done) = (conn.clone(), done.clone());
        async move {
            for n in 0..ROUNDS {
                let txn = db::begin_write(&conn).await.unwrap();
                txn.execute_unprepared(&format!("INSERT INTO t VALUES ('busy', {n})"))
                    .await
                    .unwrap();
                txn.commit().await.unwrap();
                done.fetch_add(1, Ordering::SeqCst);
            }
        }
    });
    while done.load(Ordering::SeqCst) < 10 {
        tokio::task::yield_now().await;
    }
    // Another writer comes along: it is let in at the busy one's next commit, not after its
    // last.
    let before = done.load(Ordering::SeqCst);
    let txn = db::begin_write(&conn).await.unwrap();
    txn.execute_unprepared("INSERT INTO t VALUES ('other', 0)")
        .await
        .unwrap();
    txn.commit().await.unwrap();
    let after = done.load(Ordering::SeqCst);
    assert!(
        after - before <= 2,
        "the busy writer committed {} transactions while the other waited",
        after - before
    );
    busy.await.unwrap();
}
