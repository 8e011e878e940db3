//! Which events notify whom (issue 12, point 7), on SQLite, or PostgreSQL when
//! `TEST_DATABASE_URL` is set: a service whose rule names a team of `GMAC_BENCH_MEMBERS`
//! (default 20) people who may see it and 5 addresses; `GMAC_BENCH_NOTICES` (default 40)
//! events of it (a domain's certificate nearing its end) committed one after the other. Each
//! becomes one email job per person, sent through a real SMTP server (aiosmtpd). Reports the
//! emails per second from the first commit to the last email received, and the time from an
//! event's commit to its last email received, p50 and p95.

#![expect(
    clippy::unwrap_used,
    clippy::print_stdout,
    clippy::cast_precision_loss,
    reason = "a benchmark report"
)]

use std::collections::HashMap;
use std::time::{Duration, Instant};

use gmac_core::access::Target;
use gmac_core::platform::events::{self, NewEvent};
use gmac_tests::deploy_world::DeployWorld;
use gmac_tests::smtp::SmtpServer;
use gmac_types::{NoticeRule, Scope, ServiceNotice, ServicePatch};
use sea_orm::TransactionTrait;

fn env_number(name: &str, default: usize) -> usize {
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

/// The event a message tells of, from its subject (`… bench-7.example.com …`).
fn event_of(message: &str) -> Option<usize> {
    let subject = message.lines().find(|l| l.starts_with("Subject: "))?;
    let rest = subject.split("bench-").nth(1)?;
    rest.split('.').next()?.parse().ok()
}

#[tokio::main]
async fn main() {
    let backend = if gmac_tests::TestDatabase::on_postgres() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let n = env_number("GMAC_BENCH_NOTICES", 40);
    let members = env_number("GMAC_BENCH_MEMBERS", 20);
    let smtp = SmtpServer::start().await;
    let world = Box::pin(DeployWorld::start_with_mail(&smtp.url())).await;
    let service = world
        .admin
        .client
        .get_service(&world.service)
        .await
        .unwrap();
    let fixture = world.app.fixture(&world.admin);
    let mut ids = Vec::new();
    for i in 0..members {
        let id = fixture.user(&format!("member-{i}@example.com")).await;
        fixture
            .grant(
                &id,
                "viewer",
                Scope::Project {
                    id: service.project_id.clone(),
                },
            )
            .await;
        ids.push(id);
    }
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let team = fixture.team("On call", &refs).await;
    let emails: Vec<String> = (0..5).map(|i| format!("ops-{i}@example.com")).collect();
    world
        .admin
        .client
        .update_service(
            &world.service,
            &ServicePatch {
                notifications: Some(vec![NoticeRule {
                    events: vec![ServiceNotice::DomainExpiring],
                    environments: Vec::new(),
                    team_ids: vec![team],
                    emails: emails.clone(),
                }]),
                ..ServicePatch::default()
            },
            Some(service.version),
        )
        .await
        .unwrap();
    let per_event = members + emails.len();
    let scope = Target::Project {
        id: service.project_id.clone(),
        client_id: service.client_id.clone(),
    };
    let mut committed = HashMap::new();
    let started = Instant::now();
    for i in 0..n {
        let txn = world.app.core.db.begin().await.unwrap();
        events::append(
            &txn,
            world.app.core.now(),
            NewEvent {
                event_type: "domain.tls_expiring".to_owned(),
                target: scope.clone(),
                subject: Some(("domain".to_owned(), world.app.core.new_id())),
                actor_id: None,
                data: serde_json::json!({
                    "name": format!("bench-{i}.example.com"), "service_id": service.id,
                    "environment_id": world.production.id,
                    "expires_at": "2027-01-01T00:00:00Z",
                }),
            },
        )
        .await
        .unwrap();
        txn.commit().await.unwrap();
        committed.insert(i, Instant::now());
    }
    let told = told(&smtp, n, per_event).await;
    assert_eq!(told.len(), n, "every event was told to everyone in time");
    let all = started.elapsed();
    let mut lags: Vec<Duration> = told
        .iter()
        .map(|(i, at)| at.duration_since(committed[i]))
        .collect();
    lags.sort();
    let sent = n * per_event;
    assert_eq!(smtp.messages().len(), sent, "each person once per event");
    println!(
        "notices ({backend}): {n} events x {per_event} people = {sent} emails through the job \
         queue and SMTP in {:.2} s = {:.0} emails/s; from an event's commit to its last email \
         p50 {:.0} ms, p95 {:.0} ms",
        all.as_secs_f64(),
        sent as f64 / all.as_secs_f64(),
        percentile(&lags, 50).as_secs_f64() * 1000.0,
        percentile(&lags, 95).as_secs_f64() * 1000.0,
    );
}

/// Polls the mailbox until each of the `n` events has all its `per_event` emails (or ten
/// minutes pass); answers when each was complete.
async fn told(smtp: &SmtpServer, n: usize, per_event: usize) -> HashMap<usize, Instant> {
    let mut told: HashMap<usize, Instant> = HashMap::new();
    let deadline = Instant::now() + Duration::from_mins(10);
    while told.len() < n && Instant::now() < deadline {
        let mut counts: HashMap<usize, usize> = HashMap::new();
        for m in smtp.messages() {
            if let Some(i) = event_of(&m) {
                *counts.entry(i).or_default() += 1;
            }
        }
        let now = Instant::now();
        for (i, c) in counts {
            if c >= per_event {
                told.entry(i).or_insert(now);
            }
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    told
}
