//! Durable jobs: the queue, its workers, and the API that follows them (issue 9).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gmac_core::platform::jobs::{self, NewJob};
use gmac_core::platform::worker::{self, JobFailure, Worker, WorkerOptions};
use gmac_tests::{TestApp, focus, spawn_app};
use gmac_types::{CostImportParams, Job, JobQuery, JobStatus, PageQuery, Scope};
use sea_orm::EntityTrait;
use serde_json::json;

/// Every wait shortened, so that leases run out and retries come within a test.
fn fast() -> WorkerOptions {
    WorkerOptions {
        lease: Duration::from_millis(400),
        heartbeat: Duration::from_millis(50),
        poll: Duration::from_millis(20),
        backoff_base: Duration::from_millis(200),
        backoff_max: Duration::from_secs(2),
    }
}

/// Enqueues a job of a test kind, started by no one.
async fn enqueue(app: &TestApp, kind: &str, payload: serde_json::Value) -> String {
    jobs::enqueue(&app.core.db, &app.core, None, NewJob::new(kind, payload))
        .await
        .unwrap()
        .0
        .id
}

/// Reads the job straight from the core until `done` says it is where the test wants it.
async fn wait_for(app: &TestApp, id: &str, done: impl Fn(&Job) -> bool) -> Job {
    for _ in 0..600 {
        let row = gmac_core::entities::job::Entity::find_by_id(id)
            .one(&app.core.db)
            .await
            .unwrap()
            .unwrap();
        let job = jobs::to_dto(row).unwrap();
        if done(&job) {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("job {id} never got there");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_import_sent_with_respond_async_answers_202_and_its_job_imports_the_file() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let client_id = app.fixture(&admin).client("Acme").await;
    let file = focus::generated_focus();
    let response = app
        .http()
        .post(app.url(&format!("/api/v1/cost-imports?client_id={client_id}")))
        .bearer_auth(&admin.access_token)
        .header("Content-Type", "text/csv")
        .header("Prefer", "respond-async, wait=0")
        .body(file.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    assert_eq!(
        response.headers()["preference-applied"].to_str().unwrap(),
        "respond-async"
    );
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let queued: Job = response.json().await.unwrap();
    assert_eq!(location, format!("/api/v1/jobs/{}", queued.id));
    assert_eq!(queued.status, JobStatus::Queued);
    assert_eq!(queued.kind, "cost_import");
    assert!(
        queued.run_at < jobs::held(),
        "its upload is stored: workers may take it"
    );
    // Nothing is imported until a worker takes the job.
    let imports = admin
        .client
        .list_cost_imports(Some(&client_id), &PageQuery::default())
        .await
        .unwrap();
    assert!(imports.items.is_empty());
    // The same file again while the job waits is that job.
    let again = admin
        .client
        .import_costs_async(
            &CostImportParams {
                client_id: client_id.clone(),
                ..CostImportParams::default()
            },
            file.clone(),
        )
        .await
        .unwrap();
    assert_eq!(again.id, queued.id);

    let worker =
        tokio::spawn(gmac_core::services::background::worker(app.core.clone(), fast()).run());
    let done = wait_for(&app, &queued.id, |j| j.status.is_finished()).await;
    worker.abort();
    assert_eq!(done.status, JobStatus::Succeeded, "{:?}", done.error);
    let result = done.result.clone().unwrap();
    let expected_rows = focus::FocusRows::read(&file).len();
    assert_eq!(result["rows_imported"], json!(expected_rows));
    assert_eq!(result["created"], json!(true));
    assert_eq!(done.progress.done, done.progress.total.unwrap());
    let steps: Vec<(&str, &str)> = done
        .steps
        .iter()
        .map(|s| (s.name.as_str(), s.status.as_str()))
        .collect();
    assert_eq!(
        steps,
        [
            ("read the upload", "succeeded"),
            ("import the lines", "succeeded")
        ]
    );
    // The import the result names is the client's, with every row.
    let imports = admin
        .client
        .list_cost_imports(Some(&client_id), &PageQuery::default())
        .await
        .unwrap();
    assert_eq!(imports.items.len(), 1);
    assert_eq!(json!(imports.items[0].id), result["import_id"]);
    assert_eq!(imports.items[0].rows_imported, expected_rows);
    // Through the API: the job and its log.
    let shown = admin.client.get_job(&queued.id).await.unwrap();
    assert_eq!(shown, done);
    let log = admin.client.job_log(&queued.id, 0).await.unwrap().items;
    assert!(
        log.iter().any(|l| l.line.contains("rows imported")),
        "{log:?}"
    );
    let seqs: Vec<i64> = log.iter().map(|l| l.seq).collect();
    // Paged by the last line's seq: nothing after the end, and a cursor it never issued is 400.
    let page = admin.client.job_log(&queued.id, 0).await.unwrap();
    assert_eq!(page.next_cursor, Some(seqs.last().unwrap().to_string()));
    assert_eq!(page.total, u64::try_from(seqs.len()).unwrap());
    let rest = admin
        .client
        .job_log(&queued.id, *seqs.last().unwrap())
        .await
        .unwrap();
    assert!(rest.items.is_empty());
    let bad = app
        .http()
        .get(app.url(&format!("/api/v1/jobs/{}/log?cursor=abc", queued.id)))
        .bearer_auth(&admin.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    assert_eq!(
        seqs,
        (1..=i64::try_from(log.len()).unwrap()).collect::<Vec<_>>()
    );
    // The finished job's event stream sends every line, the job, and its end; resumed after
    // line 2 it sends the lines after it and no other.
    let stream = |last: Option<i64>| {
        let mut request = app
            .http()
            .get(app.url(&format!("/api/v1/jobs/{}/events", queued.id)))
            .bearer_auth(&admin.access_token);
        if let Some(last) = last {
            request = request.header("Last-Event-ID", last.to_string());
        }
        request
    };
    let full = stream(None).send().await.unwrap();
    assert_eq!(
        full.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let full = full.text().await.unwrap();
    let ids = |text: &str| -> Vec<i64> {
        text.lines()
            .filter_map(|l| l.strip_prefix("id: "))
            .map(|v| v.parse().unwrap())
            .collect()
    };
    assert_eq!(ids(&full), seqs);
    assert!(full.contains("event: end\n"));
    let resumed = stream(Some(2)).send().await.unwrap().text().await.unwrap();
    assert_eq!(ids(&resumed), seqs[2..].to_vec());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_job_runs_once_with_three_workers_on_one_queue() {
    let app = spawn_app().await;
    let runs: Arc<Mutex<HashMap<String, u32>>> = Arc::default();
    let mut ids = Vec::new();
    for i in 0..40 {
        ids.push(enqueue(&app, "test.count", json!({ "n": i })).await);
    }
    let mut workers = Vec::new();
    for _ in 0..3 {
        let runs = runs.clone();
        let w = Worker::empty(app.core.clone(), fast()).handle(
            "test.count",
            worker::handler(move |ctx| {
                let runs = runs.clone();
                async move {
                    *runs.lock().unwrap().entry(ctx.job.id.clone()).or_default() += 1;
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    Ok(json!({"ok": true}))
                }
            }),
        );
        workers.push(tokio::spawn(w.run()));
    }
    for id in &ids {
        let job = wait_for(&app, id, |j| j.status.is_finished()).await;
        assert_eq!(job.status, JobStatus::Succeeded);
        assert_eq!(job.attempts, 1);
    }
    for w in workers {
        w.abort();
    }
    let runs = runs.lock().unwrap();
    assert_eq!(runs.len(), ids.len());
    assert!(runs.values().all(|&n| n == 1), "{runs:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_transient_failure_is_retried_after_a_backoff_and_a_permanent_one_is_not() {
    let app = spawn_app().await;
    let tries = Arc::new(AtomicU32::new(0));
    let flaky = enqueue(&app, "test.flaky", json!({})).await;
    let bad = enqueue(&app, "test.bad", json!({})).await;
    let w = Worker::empty(app.core.clone(), fast())
        .handle(
            "test.flaky",
            worker::handler({
                let tries = tries.clone();
                move |_ctx| {
                    let tries = tries.clone();
                    async move {
                        if tries.fetch_add(1, Ordering::SeqCst) < 2 {
                            Err(JobFailure::transient("the peer is down"))
                        } else {
                            Ok(json!({"made": "it"}))
                        }
                    }
                }
            }),
        )
        .handle(
            "test.bad",
            worker::handler(|_ctx| async { Err(JobFailure::permanent("the input is wrong")) }),
        );
    let started = std::time::Instant::now();
    let worker = tokio::spawn(w.run());
    let done = wait_for(&app, &flaky, |j| j.status.is_finished()).await;
    let waited = started.elapsed();
    let failed = wait_for(&app, &bad, |j| j.status.is_finished()).await;
    worker.abort();
    assert_eq!(done.status, JobStatus::Succeeded);
    assert_eq!(done.attempts, 3);
    assert_eq!(done.result, Some(json!({"made": "it"})));
    // Two backoffs, each at least half of its full wait: 100 ms and 200 ms at the least.
    assert!(waited >= Duration::from_millis(300), "{waited:?}");
    let log = app.core.db.clone();
    let lines = jobs::log_after(&log, &flaky, 0, 100).await.unwrap();
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.line.contains("the peer is down; retrying in"))
            .count(),
        2
    );
    // Each attempt's first line, written with its claim, and its last, written with its end,
    // numbered in order without a gap.
    let shape: Vec<String> = lines
        .iter()
        .map(|l| l.line.split(" on ").next().unwrap_or_default().to_owned())
        .map(|l| l.split("; retrying").next().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        shape,
        [
            "attempt 1 of 3",
            "failed: the peer is down",
            "attempt 2 of 3",
            "failed: the peer is down",
            "attempt 3 of 3",
            "succeeded"
        ]
    );
    let seqs: Vec<i64> = lines.iter().map(|l| l.seq).collect();
    assert_eq!(seqs, (1..=6).collect::<Vec<i64>>());
    assert_eq!(failed.status, JobStatus::Failed);
    assert_eq!(failed.attempts, 1);
    assert_eq!(failed.error.as_deref(), Some("the input is wrong"));
}

/// Sets its flag when dropped (with the handler's future that holds it).
struct Dropped(Arc<AtomicBool>);

impl Drop for Dropped {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cancelling_a_running_job_stops_its_handler_and_a_cancelled_job_can_be_retried() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let stopped = Arc::new(AtomicBool::new(false));
    let id = enqueue(&app, "test.forever", json!({})).await;
    let w = Worker::empty(app.core.clone(), fast()).handle(
        "test.forever",
        worker::handler({
            let stopped = stopped.clone();
            move |ctx| {
                let guard = Dropped(stopped.clone());
                async move {
                    let _guard = guard;
                    ctx.step("wait").await?;
                    loop {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }
            }
        }),
    );
    let worker = tokio::spawn(w.run());
    wait_for(&app, &id, |j| {
        j.status == JobStatus::Running && !j.steps.is_empty()
    })
    .await;
    let asked = admin.client.cancel_job(&id).await.unwrap();
    assert!(asked.cancel_requested);
    let cancelled = wait_for(&app, &id, |j| j.status.is_finished()).await;
    assert_eq!(cancelled.status, JobStatus::Cancelled);
    assert!(stopped.load(Ordering::SeqCst));
    assert_eq!(cancelled.steps[0].status, "cancelled");
    // A finished job cannot be cancelled again; it can be retried, and runs again.
    let err = admin.client.cancel_job(&id).await.unwrap_err();
    assert_eq!(err.status(), Some(409));
    let retried = admin.client.retry_job(&id).await.unwrap();
    assert_eq!(retried.status, JobStatus::Queued);
    assert_eq!(retried.attempts, 0);
    wait_for(&app, &id, |j| j.status == JobStatus::Running).await;
    worker.abort();
    // Each request left its audit row.
    let audit = admin
        .client
        .list_audit_events(&gmac_types::AuditQuery::default())
        .await
        .unwrap();
    let actions: Vec<&str> = audit.items.iter().map(|e| e.action.as_str()).collect();
    assert!(
        actions.contains(&"job.cancel") && actions.contains(&"job.retry"),
        "{actions:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_job_whose_worker_died_is_taken_over_once_its_lease_runs_out() {
    let app = spawn_app().await;
    let id = enqueue(&app, "test.once", json!({})).await;
    let hang = Worker::empty(app.core.clone(), fast()).handle(
        "test.once",
        worker::handler(|_ctx| async {
            std::future::pending::<()>().await;
            Ok(json!(null))
        }),
    );
    let first = hang.id().to_owned();
    let dying = tokio::spawn(hang.run());
    wait_for(&app, &id, |j| j.status == JobStatus::Running).await;
    // The worker dies mid-job: no heartbeat, no clean-up.
    dying.abort();
    let _ = dying.await;
    let row = gmac_core::entities::job::Entity::find_by_id(&id)
        .one(&app.core.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.lease_owner.as_deref(), Some(first.as_str()));
    let w = Worker::empty(app.core.clone(), fast()).handle(
        "test.once",
        worker::handler(|_ctx| async { Ok(json!({"finished": "elsewhere"})) }),
    );
    let second = tokio::spawn(w.run());
    let done = wait_for(&app, &id, |j| j.status.is_finished()).await;
    second.abort();
    assert_eq!(done.status, JobStatus::Succeeded);
    assert_eq!(done.attempts, 2);
    assert_eq!(done.result, Some(json!({"finished": "elsewhere"})));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_viewer_of_one_client_sees_no_job_of_another() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let mine = app.fixture(&admin).client("Mine").await;
    let theirs = app.fixture(&admin).client("Theirs").await;
    let viewer = app
        .fixture(&admin)
        .member(
            "viewer@example.com",
            "viewer",
            Scope::Client { id: mine.clone() },
        )
        .await;
    let file = |service: &str| {
        format!(
            "BilledCost,EffectiveCost,BillingCurrency,ChargePeriodStart,ChargePeriodEnd,ChargeCategory,ServiceName\n\
             1.25,1.00,USD,2024-09-01T00:00:00Z,2024-09-02T00:00:00Z,Usage,{service}\n"
        )
        .into_bytes()
    };
    let params = |client_id: &str| CostImportParams {
        client_id: client_id.to_owned(),
        ..CostImportParams::default()
    };
    let visible = admin
        .client
        .import_costs_async(&params(&mine), file("A"))
        .await
        .unwrap();
    let hidden = admin
        .client
        .import_costs_async(&params(&theirs), file("B"))
        .await
        .unwrap();
    let listed = viewer
        .client
        .list_jobs(&JobQuery::default(), &PageQuery::default())
        .await
        .unwrap();
    let ids: Vec<&str> = listed.items.iter().map(|j| j.id.as_str()).collect();
    assert_eq!(ids, [visible.id.as_str()]);
    assert_eq!(listed.total, 1);
    for path in ["", "/log", "/events"] {
        let answer = app
            .http()
            .get(app.url(&format!("/api/v1/jobs/{}{path}", hidden.id)))
            .bearer_auth(&viewer.access_token)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 404, "{path}");
    }
    // A viewer sees the job of their client but may not cancel it.
    let err = viewer.client.cancel_job(&visible.id).await.unwrap_err();
    assert_eq!(err.status(), Some(403));
    // The admin sees both.
    let all = admin
        .client
        .list_jobs(&JobQuery::default(), &PageQuery::default())
        .await
        .unwrap();
    assert_eq!(all.total, 2);
}

#[tokio::test]
async fn a_job_cannot_be_retried_while_another_does_the_same_work() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let client_id = app.fixture(&admin).client("Acme").await;
    let params = CostImportParams {
        client_id,
        ..CostImportParams::default()
    };
    let file = focus::generated_focus();
    let first = admin
        .client
        .import_costs_async(&params, file.clone())
        .await
        .unwrap();
    let cancelled = admin.client.cancel_job(&first.id).await.unwrap();
    assert_eq!(cancelled.status, JobStatus::Cancelled);
    // The file again: the first job has ended, so this is a new one.
    let second = admin
        .client
        .import_costs_async(&params, file)
        .await
        .unwrap();
    assert_ne!(second.id, first.id);
    let err = admin.client.retry_job(&first.id).await.unwrap_err();
    assert_eq!(err.status(), Some(409));
    // Once the second has ended too, the first may run again.
    admin.client.cancel_job(&second.id).await.unwrap();
    let retried = admin.client.retry_job(&first.id).await.unwrap();
    assert_eq!(retried.status, JobStatus::Queued);
}

/// The jobs of `kind`.
async fn jobs_of(app: &TestApp, kind: &str) -> Vec<gmac_core::entities::job::Model> {
    use sea_orm::{ColumnTrait, QueryFilter};
    gmac_core::entities::job::Entity::find()
        .filter(gmac_core::entities::job::Column::Kind.eq(kind))
        .all(&app.core.db)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_due_schedule_enqueues_its_slot_once_however_many_schedulers_tick() {
    use gmac_core::platform::schedules::{self, BUDGETS_EVALUATE};
    // 10:07 UTC: the daily clean-up (03:17) stays out of the hours this test moves through.
    let app = gmac_tests::spawn_app_with(gmac_tests::Options {
        clock_start: Some(at("2026-12-03T10:07:00Z")),
        ..gmac_tests::Options::default()
    })
    .await;
    let clock = app.clock.clone().unwrap();
    schedules::install(&app.core).await.unwrap();
    // Installing again (a second replica starting) changes nothing.
    schedules::install(&app.core).await.unwrap();
    assert_eq!(
        schedules::tick(&app.core).await.unwrap(),
        0,
        "nothing is due yet"
    );
    clock.advance(chrono::Duration::minutes(16));
    // Two replicas' schedulers tick at once, a few times each.
    let tickers: Vec<_> = (0..2)
        .map(|_| {
            let core = app.core.clone();
            tokio::spawn(async move {
                let mut n = 0;
                for _ in 0..3 {
                    n += schedules::tick(&core).await.unwrap();
                }
                n
            })
        })
        .collect();
    let mut enqueued = 0;
    for t in tickers {
        enqueued += t.await.unwrap();
    }
    // Budgets, reports and abandoned imports are due every 15 minutes, the previews' expiry
    // every 5 (once, however many of its slots went by); the cloud sync is not.
    assert_eq!(enqueued, 4);
    assert_eq!(jobs_of(&app, BUDGETS_EVALUATE).await.len(), 1);
    assert!(
        jobs_of(&app, schedules::CLOUD_ACCOUNTS_SYNC)
            .await
            .is_empty()
    );
    // Ten hours of downtime: each schedule runs once, not once per missed slot; a slot whose
    // job still waits joins it.
    clock.advance(chrono::Duration::hours(10));
    assert_eq!(schedules::tick(&app.core).await.unwrap(), 5);
    assert_eq!(schedules::tick(&app.core).await.unwrap(), 0);
    assert_eq!(jobs_of(&app, BUDGETS_EVALUATE).await.len(), 1);
    assert_eq!(jobs_of(&app, schedules::CLOUD_ACCOUNTS_SYNC).await.len(), 1);
    // A worker runs them; the next slot then enqueues a new job.
    let w = gmac_core::services::background::worker(app.core.clone(), fast());
    while w.run_once().await.unwrap() {}
    for job in jobs_of(&app, BUDGETS_EVALUATE).await {
        assert_eq!(job.status, "succeeded", "{:?}", job.error);
        assert_eq!(job.result.as_deref(), Some(r#"{"alerts_raised":0}"#));
    }
    clock.advance(chrono::Duration::minutes(15));
    assert_eq!(schedules::tick(&app.core).await.unwrap(), 4);
    assert_eq!(jobs_of(&app, BUDGETS_EVALUATE).await.len(), 2);
}

/// A time from RFC 3339 text.
fn at(text: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

#[test]
fn slots_follow_the_cron_expression_in_utc() {
    use gmac_core::platform::schedules::next_slot;
    assert_eq!(
        next_slot("*/15 * * * *", at("2026-12-03T10:07:30Z")).unwrap(),
        at("2026-12-03T10:15:00Z")
    );
    // Strictly after: a slot is never its own successor.
    assert_eq!(
        next_slot("*/15 * * * *", at("2026-12-03T10:15:00Z")).unwrap(),
        at("2026-12-03T10:30:00Z")
    );
    assert_eq!(
        next_slot("0 */6 * * *", at("2026-12-03T23:59:00Z")).unwrap(),
        at("2026-12-04T00:00:00Z")
    );
    assert!(next_slot("every tuesday", at("2026-12-03T10:00:00Z")).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn finished_jobs_are_removed_with_their_logs_once_past_the_retention() {
    use gmac_core::platform::schedules::JOBS_PRUNE;
    use sea_orm::{ColumnTrait, PaginatorTrait, QueryFilter};
    let app = gmac_tests::spawn_app_with(gmac_tests::Options {
        manual_clock: true,
        ..gmac_tests::Options::default()
    })
    .await;
    let clock = app.clock.clone().unwrap();
    let old_done = enqueue(&app, "test.quick", json!({})).await;
    let old_waiting = enqueue(&app, "test.never", json!({})).await;
    let w = Worker::empty(app.core.clone(), fast()).handle(
        "test.quick",
        worker::handler(|ctx| async move {
            ctx.log("did it").await?;
            Ok(json!({}))
        }),
    );
    while w.run_once().await.unwrap() {}
    clock.advance(chrono::Duration::days(31));
    let young_done = enqueue(&app, "test.quick", json!({})).await;
    while w.run_once().await.unwrap() {}
    // The clean-up is a job like any other, run by the standard worker.
    let prune = enqueue(&app, JOBS_PRUNE, json!({})).await;
    let standard = gmac_core::services::background::worker(app.core.clone(), fast());
    while standard.run_once().await.unwrap() {}
    let done = wait_for(&app, &prune, |j| j.status.is_finished()).await;
    // The old job's end was an event as old: it goes too.
    assert_eq!(
        done.result,
        Some(json!({"jobs_removed": 1, "events_removed": 1}))
    );
    let exists = |id: String| {
        let db = app.core.db.clone();
        async move {
            gmac_core::entities::job::Entity::find_by_id(id)
                .one(&db)
                .await
                .unwrap()
                .is_some()
        }
    };
    assert!(
        !exists(old_done.clone()).await,
        "a finished job past the retention goes"
    );
    assert!(
        exists(old_waiting).await,
        "a job that has not run stays, however old"
    );
    assert!(
        exists(young_done).await,
        "a job finished within the retention stays"
    );
    // Its log went with it.
    let lines = gmac_core::entities::job_log::Entity::find()
        .filter(gmac_core::entities::job_log::Column::JobId.eq(old_done))
        .count(&app.core.db)
        .await
        .unwrap();
    assert_eq!(lines, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_job_cancelled_after_its_worker_died_does_not_run_again() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    let id = enqueue(&app, "test.orphan", json!({})).await;
    let hang = Worker::empty(app.core.clone(), fast()).handle(
        "test.orphan",
        worker::handler(|_ctx| async {
            std::future::pending::<()>().await;
            Ok(json!(null))
        }),
    );
    let dying = tokio::spawn(hang.run());
    wait_for(&app, &id, |j| j.status == JobStatus::Running).await;
    dying.abort();
    let _ = dying.await;
    // Asked to stop while no worker holds it any more.
    assert!(admin.client.cancel_job(&id).await.unwrap().cancel_requested);
    let ran = Arc::new(AtomicBool::new(false));
    let w = Worker::empty(app.core.clone(), fast()).handle(
        "test.orphan",
        worker::handler({
            let ran = ran.clone();
            move |_ctx| {
                let ran = ran.clone();
                async move {
                    ran.store(true, Ordering::SeqCst);
                    Ok(json!(null))
                }
            }
        }),
    );
    let second = tokio::spawn(w.run());
    let done = wait_for(&app, &id, |j| j.status.is_finished()).await;
    second.abort();
    assert_eq!(done.status, JobStatus::Cancelled);
    assert!(!ran.load(Ordering::SeqCst), "the cancelled job ran again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failed_job_retried_goes_on_from_the_step_that_failed() {
    let app = spawn_app().await;
    let admin = app.super_admin().await;
    // Three steps; the second fails (for good) the first time only.
    let runs: Arc<Mutex<HashMap<&'static str, u32>>> = Arc::default();
    let failed_once = Arc::new(AtomicBool::new(false));
    let w = Worker::empty(app.core.clone(), fast()).handle(
        "test.steps",
        worker::handler({
            let (runs, failed_once) = (runs.clone(), failed_once.clone());
            move |ctx| {
                let (runs, failed_once) = (runs.clone(), failed_once.clone());
                async move {
                    for step in ["fetch", "build", "publish"] {
                        if !ctx.begin_step(step).await? {
                            continue;
                        }
                        *runs.lock().unwrap().entry(step).or_default() += 1;
                        if step == "build" && !failed_once.swap(true, Ordering::SeqCst) {
                            return Err(JobFailure::permanent("the build broke"));
                        }
                    }
                    Ok(json!({"published": true}))
                }
            }
        }),
    );
    let id = enqueue(&app, "test.steps", json!({})).await;
    assert!(w.run_once().await.unwrap());
    // An hour on, the access token has expired: signed in again.
    let admin = app.sign_in(&admin.email, &admin.password).await;
    let failed = admin.client.get_job(&id).await.unwrap();
    assert_eq!(failed.status, JobStatus::Failed);
    let steps = |job: &Job| {
        job.steps
            .iter()
            .map(|s| (s.name.clone(), s.status.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        steps(&failed),
        [
            ("fetch".to_owned(), "succeeded".to_owned()),
            ("build".to_owned(), "failed".to_owned())
        ]
    );

    admin.client.retry_job(&id).await.unwrap();
    assert!(w.run_once().await.unwrap());
    let done = admin.client.get_job(&id).await.unwrap();
    assert_eq!(done.status, JobStatus::Succeeded, "{:?}", done.error);
    assert_eq!(
        steps(&done),
        [
            ("fetch".to_owned(), "succeeded".to_owned()),
            ("build".to_owned(), "succeeded".to_owned()),
            ("publish".to_owned(), "succeeded".to_owned())
        ]
    );
    // The step that succeeded ran once; the one that failed ran again, and the rest once.
    let runs = runs.lock().unwrap().clone();
    assert_eq!(
        runs,
        HashMap::from([("fetch", 1), ("build", 2), ("publish", 1)])
    );
    let log = admin.client.job_log(&id, 0).await.unwrap();
    assert!(
        log.items
            .iter()
            .any(|l| l.line == "step: fetch (done in an earlier run)"),
        "{:?}",
        log.items
    );
}

#[tokio::test]
async fn an_upload_never_wholly_stored_holds_its_job_until_it_is_failed_an_hour_later() {
    let app = gmac_tests::spawn_app_with(gmac_tests::Options {
        manual_clock: true,
        ..gmac_tests::Options::default()
    })
    .await;
    let admin = app.super_admin().await;
    let client_id = app.fixture(&admin).client("Acme").await;
    // The process storing an upload died after its first part: the job is still held.
    let id = jobs::enqueue(
        &app.core.db,
        &app.core,
        None,
        NewJob {
            client_id: Some(client_id),
            run_at: Some(jobs::held()),
            ..NewJob::new("cost_import", json!({"parts": 2}))
        },
    )
    .await
    .unwrap()
    .0
    .id;
    gmac_core::entities::job_file::Entity::insert(gmac_core::entities::job_file::ActiveModel {
        job_id: sea_orm::Set(id.clone()),
        part: sea_orm::Set(0),
        data: sea_orm::Set(b"BilledCost".to_vec()),
    })
    .exec_without_returning(&app.core.db)
    .await
    .unwrap();
    let parts = || async {
        gmac_core::entities::job_file::Entity::find()
            .all(&app.core.db)
            .await
            .unwrap()
            .len()
    };

    app.run_jobs().await;
    let held = admin.client.get_job(&id).await.unwrap();
    assert_eq!(
        (held.status, held.attempts),
        (JobStatus::Queued, 0),
        "no worker takes a job whose upload is not all there"
    );
    app.advance(chrono::Duration::minutes(59));
    assert_eq!(
        gmac_core::services::import_jobs::discard_unstored(&app.core)
            .await
            .unwrap(),
        0
    );
    app.advance(chrono::Duration::minutes(2));
    assert_eq!(
        gmac_core::services::import_jobs::discard_unstored(&app.core)
            .await
            .unwrap(),
        1
    );
    // An hour on, the access token has expired: signed in again.
    let admin = app.sign_in(&admin.email, &admin.password).await;
    let failed = admin.client.get_job(&id).await.unwrap();
    assert_eq!(failed.status, JobStatus::Failed);
    assert!(failed.error.unwrap().contains("not wholly stored"));
    assert_eq!(parts().await, 0, "what it stored is gone");
}
