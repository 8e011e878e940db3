//! The job queue's throughput: jobs per second from enqueued to succeeded, through four
//! workers sharing one queue (SQLite, or PostgreSQL when `TEST_DATABASE_URL` is set). Each job
//! is claimed with its lease, logs a line and finishes: the queue's own cost, not a handler's.
//!
//! `GMAC_BENCH_JOBS` sets how many (default 5000).

#![expect(
    clippy::unwrap_used,
    clippy::print_stdout,
    clippy::cast_precision_loss,
    reason = "a benchmark report"
)]

use std::time::{Duration, Instant};

use gmac_core::entities::job;
use gmac_core::platform::jobs::{self, NewJob};
use gmac_core::platform::worker::{self, Worker, WorkerOptions};
use gmac_tests::spawn_app;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, TransactionTrait};

#[tokio::main]
async fn main() {
    let n: u64 = std::env::var("GMAC_BENCH_JOBS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5000);
    let app = spawn_app().await;
    let backend = if gmac_tests::TestDatabase::on_postgres() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let started = Instant::now();
    for chunk in 0..n.div_ceil(500) {
        let txn = app.core.db.begin().await.unwrap();
        for i in chunk * 500..((chunk + 1) * 500).min(n) {
            jobs::enqueue(
                &txn,
                &app.core,
                None,
                NewJob::new("bench.noop", serde_json::json!({ "i": i })),
            )
            .await
            .unwrap();
        }
        txn.commit().await.unwrap();
    }
    let enqueued = started.elapsed();
    println!(
        "jobs ({backend}): enqueued {n} in {:.2} s = {:.0} jobs/s (500 per transaction)",
        enqueued.as_secs_f64(),
        n as f64 / enqueued.as_secs_f64()
    );
    let options = WorkerOptions {
        poll: Duration::from_millis(5),
        ..WorkerOptions::default()
    };
    let started = Instant::now();
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let w = Worker::empty(app.core.clone(), options.clone()).handle(
                "bench.noop",
                worker::handler(|ctx| async move {
                    ctx.log("done").await?;
                    Ok(serde_json::json!({}))
                }),
            );
            tokio::spawn(w.run())
        })
        .collect();
    loop {
        let done = job::Entity::find()
            .filter(job::Column::Status.eq("succeeded"))
            .count(&app.core.db)
            .await
            .unwrap();
        if done == n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let ran = started.elapsed();
    for w in workers {
        w.abort();
    }
    println!(
        "jobs ({backend}): 4 workers ran {n} jobs in {:.2} s = {:.0} jobs/s (claim, log a line, finish)",
        ran.as_secs_f64(),
        n as f64 / ran.as_secs_f64()
    );
}
