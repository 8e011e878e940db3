//! Builds under load (issue 11), on SQLite, or PostgreSQL when `TEST_DATABASE_URL` is set:
//!
//! 1. builds queued per second through `POST /services/{id}/builds` (8 callers at once; no
//!    worker takes them, so this is the API, the numbering and the job's row);
//! 2. a build's log lines per second to 50 followers of `GET /builds/{id}/logs` as server-sent
//!    events, written one insert per line as a build's handler writes them, and the lag from a
//!    line's commit to a follower's receipt (p50, p95, max).
//!
//! `GMAC_BENCH_BUILDS` sets how many builds (default 500), `GMAC_BENCH_LINES` how many lines
//! (default 2000), `GMAC_BENCH_FOLLOWERS` how many followers (default 50).

#![expect(
    clippy::unwrap_used,
    clippy::print_stdout,
    clippy::cast_precision_loss,
    reason = "a benchmark report"
)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gmac_core::entities::{job, job_log, service};
use gmac_tests::{Session, TestApp, spawn_app};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() * p).div_ceil(100)).clamp(1, sorted.len()) - 1]
}

/// An active service (its creation marked done: no git host is involved in queueing).
async fn active_service(app: &TestApp, admin: &Session) -> String {
    let client_id = app.fixture(admin).client("Acme").await;
    let project_id = app.fixture(admin).project(&client_id, "Web").await;
    let connection = admin
        .client
        .create_git_connection(&gmac_types::NewGitConnection {
            provider: gmac_types::GitProvider::Git,
            base_url: "http://127.0.0.1:9/git".into(),
            token: None,
            client_id: None,
            name: None,
        })
        .await
        .unwrap()
        .id;
    let created = admin
        .client
        .create_service(&gmac_types::NewService {
            project_id,
            name: "web".into(),
            template: "static-site".into(),
            parameters: serde_json::json!({"title": "Web"})
                .as_object()
                .unwrap()
                .clone(),
            git: gmac_types::NewServiceRepository {
                connection_id: connection,
                owner: "acme".into(),
                name: "web".into(),
            },
            description: None,
            owner_team_id: None,
        })
        .await
        .unwrap();
    admin.client.cancel_job(&created.job.id).await.unwrap();
    service::Entity::update_many()
        .filter(service::Column::Id.eq(created.service.id.as_str()))
        .col_expr(service::Column::Status, Expr::value("active"))
        .exec(&app.core.db)
        .await
        .unwrap();
    created.service.id
}

#[tokio::main]
async fn main() {
    let backend = if gmac_tests::TestDatabase::on_postgres() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let service = active_service(&app, &admin).await;
    queue_builds(&admin, &service, backend).await;
    follow_a_log(&app, &admin, &service, backend).await;
}

/// 1. Builds queued per second.
async fn queue_builds(admin: &Session, service: &str, backend: &str) {
    let n = env_number("GMAC_BENCH_BUILDS", 500);
    let callers = 8;
    let started = Instant::now();
    let tasks: Vec<_> = (0..callers)
        .map(|c| {
            let client = admin.client.clone();
            let service = service.to_owned();
            tokio::spawn(async move {
                for _ in (c..n).step_by(usize::try_from(callers).unwrap()) {
                    client
                        .start_build(
                            &service,
                            &gmac_types::NewBuild {
                                git_ref: "main".into(),
                                cache: None,
                            },
                        )
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let took = started.elapsed();
    let numbers: Vec<i64> = admin
        .client
        .list_builds(
            service,
            None,
            &gmac_types::PageQuery {
                limit: Some(1),
                cursor: None,
            },
        )
        .await
        .unwrap()
        .items
        .iter()
        .map(|b| b.number)
        .collect();
    assert_eq!(numbers, [i64::try_from(n).unwrap()], "numbered 1..n");
    println!(
        "builds ({backend}): queued {n} through the API in {:.2} s = {:.0} builds/s ({callers} callers)",
        took.as_secs_f64(),
        n as f64 / took.as_secs_f64()
    );
}

/// 2. One build's log to many followers.
async fn follow_a_log(app: &TestApp, admin: &Session, service: &str, backend: &str) {
    let lines = env_number("GMAC_BENCH_LINES", 2000);
    let followers = usize::try_from(env_number("GMAC_BENCH_FOLLOWERS", 50)).unwrap();
    let build = admin
        .client
        .list_builds(service, None, &gmac_types::PageQuery::default())
        .await
        .unwrap()
        .items
        .remove(0);
    job::Entity::update_many()
        .filter(job::Column::Id.eq(build.job_id.as_str()))
        .col_expr(job::Column::Status, Expr::value("running"))
        .exec(&app.core.db)
        .await
        .unwrap();
    let written: Arc<Mutex<HashMap<i64, Instant>>> = Arc::default();
    let lags: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let mut streams = Vec::new();
    for _ in 0..followers {
        streams.push(
            admin
                .client
                .follow_build_log(&build.id, None)
                .await
                .unwrap(),
        );
    }
    let readers: Vec<_> = streams
        .into_iter()
        .map(|mut stream| {
            let (written, lags) = (written.clone(), lags.clone());
            tokio::spawn(async move {
                let mut got = 0_u64;
                while let Some(Ok(event)) = stream.next().await {
                    match event.event.as_str() {
                        "log" => {
                            let now = Instant::now();
                            let seq: i64 = event.id.as_deref().unwrap().parse().unwrap();
                            if let Some(at) = written.lock().unwrap().get(&seq) {
                                lags.lock().unwrap().push(now - *at);
                            }
                            got += 1;
                        }
                        "end" => break,
                        _ => {}
                    }
                }
                got
            })
        })
        .collect();
    let started = Instant::now();
    for seq in 1..=i64::try_from(lines).unwrap() {
        let row = job_log::ActiveModel {
            job_id: Set(build.job_id.clone()),
            seq: Set(seq),
            at: Set(chrono::Utc::now()),
            line: Set(format!("STEP {seq}: RUN make --jobs 2 target-{seq}")),
        };
        job_log::Entity::insert(row)
            .exec_without_returning(&app.core.db)
            .await
            .unwrap();
        written.lock().unwrap().insert(seq, Instant::now());
    }
    job::Entity::update_many()
        .filter(job::Column::Id.eq(build.job_id.as_str()))
        .col_expr(job::Column::Status, Expr::value("succeeded"))
        .col_expr(job::Column::FinishedAt, Expr::value(chrono::Utc::now()))
        .exec(&app.core.db)
        .await
        .unwrap();
    let mut delivered = 0;
    for r in readers {
        let got = r.await.unwrap();
        assert_eq!(got, lines, "every follower got every line");
        delivered += got;
    }
    let took = started.elapsed();
    let mut lags = lags.lock().unwrap().clone();
    lags.sort_unstable();
    println!(
        "builds ({backend}): {lines} log lines written in {:.2} s to {followers} followers: {delivered} delivered = {:.0} lines/s; lag p50 {} ms, p95 {} ms, max {} ms",
        took.as_secs_f64(),
        delivered as f64 / took.as_secs_f64(),
        percentile(&lags, 50).as_millis(),
        percentile(&lags, 95).as_millis(),
        lags.last().copied().unwrap_or_default().as_millis(),
    );
}
