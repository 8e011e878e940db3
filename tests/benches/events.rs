//! Live updates and writes under load (issue 9), on SQLite, or PostgreSQL when
//! `TEST_DATABASE_URL` is set:
//!
//! 1. events delivered per second to 100 SSE clients (`GET /events/stream`), each change in a
//!    transaction of its own, and the lag from commit to a client's receipt (p50, p99);
//! 2. the latency (p50, p99, max) of sign-in and of creating a budget over HTTP, alone and
//!    while a FOCUS import of `GMAC_BENCH_ROWS` rows (default 1,000,000) runs.
//!
//! `RUST_LOG=gmac_core=info` also logs each phase of the import and how long it took.
//! `GMAC_BENCH_EVENTS` sets how many events (default 500), `GMAC_BENCH_CLIENTS` how many
//! streams (default 100).

#![expect(
    clippy::unwrap_used,
    clippy::print_stdout,
    clippy::cast_precision_loss,
    reason = "a benchmark report"
)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use gmac_core::access::Target;
use gmac_core::focus_gen;
use gmac_core::platform::events::{self, NewEvent};
use gmac_tests::{Session, TestApp, spawn_app};
use gmac_types::{
    BudgetPeriod, BudgetScope, CostImportParams, LoginRequest, NewBudget, OnRowError,
};
use sea_orm::TransactionTrait;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() {
    // `RUST_LOG=gmac_core=info` shows where an import spends its time.
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .init();
    }
    let backend = if gmac_tests::TestDatabase::on_postgres() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    stream_fan_out(&app, &admin, backend).await;
    writes_during_an_import(&app, &admin, backend).await;
}

/// The `q` quantile of sorted `values`.
fn quantile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let last = sorted.len() - 1;
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "an index within the slice"
    )]
    let at = ((last as f64) * q).round() as usize;
    sorted[at.min(last)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn stream_fan_out(app: &TestApp, admin: &Session, backend: &str) {
    let n = env_number("GMAC_BENCH_EVENTS", 500);
    let clients = env_number("GMAC_BENCH_CLIENTS", 100);
    let head = events::head(&app.core.db).await.unwrap();
    let sent: Arc<Mutex<HashMap<i64, Instant>>> = Arc::default();
    let mut readers = Vec::new();
    for _ in 0..clients {
        let mut stream = admin.client.open_event_stream(Some(head)).await.unwrap();
        let sent = sent.clone();
        readers.push(tokio::spawn(async move {
            let mut lags = Vec::new();
            let mut got = 0;
            while got < n {
                let event = stream.next().await.unwrap().unwrap();
                if event.event != "bench.tick" {
                    continue;
                }
                let id: i64 = event.id.unwrap().parse().unwrap();
                let at = Instant::now();
                if let Some(start) = sent.lock().unwrap().get(&id) {
                    lags.push(at.duration_since(*start));
                }
                got += 1;
            }
            (Instant::now(), lags)
        }));
    }
    let started = Instant::now();
    for i in 0..n {
        let txn = app.core.db.begin().await.unwrap();
        let now = app.core.now();
        let before = Instant::now();
        let id = events::append(
            &txn,
            now,
            NewEvent {
                event_type: "bench.tick".to_owned(),
                target: Target::Global,
                subject: None,
                actor_id: None,
                data: serde_json::json!({ "i": i }),
            },
        )
        .await
        .unwrap();
        txn.commit().await.unwrap();
        sent.lock().unwrap().insert(id, before);
        // A steady stream of changes, not one burst: 1,000 a second at most.
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let written = started.elapsed();
    let mut last = started;
    let mut lags = Vec::new();
    for reader in readers {
        let (done, mut l) = reader.await.unwrap();
        last = last.max(done);
        lags.append(&mut l);
    }
    let all = last.duration_since(started);
    lags.sort();
    let delivered = n * clients;
    println!(
        "events ({backend}): {n} events written in {:.2} s, one transaction each; {clients} SSE \
         clients received all {delivered} in {:.2} s = {:.0} deliveries/s; lag from commit to \
         receipt p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        written.as_secs_f64(),
        all.as_secs_f64(),
        delivered as f64 / all.as_secs_f64(),
        ms(quantile(&lags, 0.5)),
        ms(quantile(&lags, 0.99)),
        ms(lags.last().copied().unwrap_or_default()),
    );
}

/// Signs in and creates a budget, one after the other, until `until` says stop; answers the
/// latencies of each.
async fn probe(
    app: &TestApp,
    admin: &Session,
    client_id: &str,
    until: impl Fn(usize) -> bool,
) -> (Vec<Duration>, Vec<Duration>) {
    let mut sign_ins = Vec::new();
    let mut budgets = Vec::new();
    let anonymous = app.new_client();
    let mut i = 0;
    while !until(i) {
        let started = Instant::now();
        anonymous
            .login(&LoginRequest {
                email: admin.email.clone(),
                password: admin.password.clone().into(),
            })
            .await
            .unwrap();
        sign_ins.push(started.elapsed());
        let started = Instant::now();
        admin
            .client
            .create_budget(&NewBudget {
                name: format!("Probe {}", uuid::Uuid::new_v4()),
                scope: BudgetScope::Client {
                    id: client_id.to_owned(),
                },
                period: BudgetPeriod::Monthly,
                amount: rust_decimal::Decimal::from(1000),
                currency: None,
                thresholds: None,
                notify: None,
            })
            .await
            .unwrap();
        budgets.push(started.elapsed());
        i += 1;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    sign_ins.sort();
    budgets.sort();
    (sign_ins, budgets)
}

fn report(what: &str, backend: &str, when: &str, sorted: &[Duration]) {
    println!(
        "{what} ({backend}, {when}): {} requests, p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        sorted.len(),
        ms(quantile(sorted, 0.5)),
        ms(quantile(sorted, 0.99)),
        ms(sorted.last().copied().unwrap_or_default()),
    );
}

async fn writes_during_an_import(app: &TestApp, admin: &Session, backend: &str) {
    let rows = env_number("GMAC_BENCH_ROWS", 1_000_000);
    let client_id = app.fixture(admin).client("Bench").await;
    let (sign_ins, budgets) = probe(app, admin, &client_id, |i| i >= 40).await;
    report("sign-in", backend, "idle", &sign_ins);
    report("budget creation", backend, "idle", &budgets);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("focus.csv");
    let options = focus_gen::Options {
        last_day: NaiveDate::from_ymd_opt(2025, 12, 31).unwrap(),
        days: 365,
        rows_per_day: u32::try_from(rows.div_ceil(365)).unwrap(),
        owners: (0..40).map(|i| format!("user{i}@example.com")).collect(),
        teams: (0..8).map(|i| format!("Team {i}")).collect(),
        seed: 1,
        spike_days_ago: Some(30),
    };
    let written = focus_gen::write(
        std::io::BufWriter::new(std::fs::File::create(&path).unwrap()),
        &options,
    )
    .unwrap();
    // The import as a user sends it: over HTTP, in the request, as scripts do by default.
    let body = tokio::fs::read(&path).await.unwrap();
    let importer = admin.client.clone();
    let params = CostImportParams {
        client_id: client_id.clone(),
        on_error: OnRowError::Reject,
        file_name: Some("bench.csv".into()),
    };
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = done.clone();
    let started = Instant::now();
    let import = tokio::spawn(async move {
        let result = importer.import_costs(&params, body).await.unwrap();
        flag.store(true, std::sync::atomic::Ordering::SeqCst);
        result
    });
    // Give the upload a moment to reach the server before probing.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (sign_ins, budgets) = probe(app, admin, &client_id, |_| {
        done.load(std::sync::atomic::Ordering::SeqCst)
    })
    .await;
    let (imported, _) = import.await.unwrap();
    println!(
        "import ({backend}): {} of {written} rows in {:.1} s over HTTP",
        imported.rows_imported,
        started.elapsed().as_secs_f64()
    );
    report("sign-in", backend, "during the import", &sign_ins);
    report("budget creation", backend, "during the import", &budgets);
}
