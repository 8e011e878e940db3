//! Builds (issue 11, point 5): a service's commit made into a container image by a job of
//! steps (checkout, pre-build hooks, image, tag, post-build hooks; run by
//! [`crate::services::build_run`]). Started by hand, by a push to a branch an environment
//! builds, or by the service's creation; retried, cancelled, listed and counted per day.
//!
//! A build's status, steps and times are its job's while the job exists; the row keeps a copy
//! (written as the build begins and ends) for when finished jobs are pruned.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use gmac_types::{
    Build, BuildDay, BuildQuery, BuildStats, BuildStatus, BuildStep, BuildTrigger, ErrorCode,
    FieldError, JobStatus, JobStep, NewBuild, Page, PageQuery, Permission, ServiceStatus,
};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::audit::AuditEntry;
use crate::entities::{build, job, service};
use crate::platform::change::Change;
use crate::platform::jobs::{self, NewJob};
use crate::platform::paging::{self, Direction};
use crate::services::{build_settings, catalog};
use crate::{Actor, Core, Error, RequestMeta, Result};

/// The steps of a build, in order (hooks only when the service has some).
pub const STEPS: [&str; 5] = [
    "checkout",
    "pre-build hooks",
    "image",
    "tag",
    "post-build hooks",
];

/// The longest window of analytics, in days.
pub const MAX_STATS_DAYS: u32 = 90;

/// What to build.
#[derive(Clone, Debug)]
pub(crate) struct Spec {
    /// The ref asked for.
    pub git_ref: String,
    /// The commit, when already known (a push).
    pub commit: Option<String>,
    /// The environment whose branch it is.
    pub environment: Option<String>,
    /// What started it.
    pub trigger: BuildTrigger,
    /// Reuse cached layers.
    pub cache: bool,
}

/// The image repository of a service's builds: `[registry/]gmac/<project>/<service>`.
pub fn image_repository(core: &Core, row: &service::Model) -> String {
    let path = format!("gmac/{}/{}", row.project_id, row.name);
    match &core.builds.registry {
        Some(registry) => format!("{registry}/{path}"),
        None => path,
    }
}

/// Enqueues a build of `row` on `txn`, numbered after the service's last; answers its row.
pub(crate) async fn enqueue(
    txn: &impl ConnectionTrait,
    core: &Core,
    actor: Option<&Actor>,
    row: &service::Model,
    spec: Spec,
) -> Result<build::Model> {
    // Numbers are the service's last plus one: on PostgreSQL the service's row is locked so
    // two builds started at once (two pushes) queue one after the other instead of one of
    // them failing on the unique number. SQLite runs one write transaction at a time.
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        service::Entity::find_by_id(row.id.as_str())
            .lock_exclusive()
            .one(txn)
            .await?;
    }
    let last: Option<i64> = build::Entity::find()
        .filter(build::Column::ServiceId.eq(row.id.as_str()))
        .select_only()
        .column_as(build::Column::Number.max(), "max")
        .into_tuple::<Option<i64>>()
        .one(txn)
        .await?
        .flatten();
    let id = core.new_id();
    let mut new_job = NewJob::new(
        crate::platform::job_kinds::SERVICE_BUILD,
        serde_json::json!({ "build_id": id }),
    );
    new_job.client_id = Some(row.client_id.clone());
    let (job_row, _) = jobs::enqueue(txn, core, actor, new_job).await?;
    let model = build::Model {
        id,
        service_id: row.id.clone(),
        project_id: row.project_id.clone(),
        client_id: row.client_id.clone(),
        number: last.unwrap_or(0) + 1,
        git_ref: spec.git_ref,
        commit_id: spec.commit,
        environment: spec.environment,
        trigger: spec.trigger.id().to_owned(),
        cache: spec.cache,
        job_id: job_row.id,
        status: BuildStatus::Queued.id().to_owned(),
        started_at: None,
        finished_at: None,
        error: None,
        image_id: None,
        image_tags: "[]".to_owned(),
        digest: None,
        created_by: actor.map(|a| a.user_id.clone()),
        created_at: core.now(),
    };
    build::Entity::insert(build::ActiveModel::from(model.clone()))
        .exec_without_returning(txn)
        .await?;
    Ok(model)
}

/// The audit row of a build started (`build.start`), retried or cancelled.
fn entry(actor: &Actor, action: &'static str, row: &build::Model) -> AuditEntry {
    AuditEntry::success(actor.audit_actor(), action)
        .target("build", row.id.clone())
        .scope(&target_of(row))
        .details(serde_json::json!({
            "service_id": row.service_id, "number": row.number, "ref": row.git_ref,
            "commit": row.commit_id, "job_id": row.job_id,
        }))
}

fn target_of(row: &build::Model) -> crate::access::Target {
    crate::access::Target::Project {
        id: row.project_id.clone(),
        client_id: row.client_id.clone(),
    }
}

/// Starts a build of `input.ref` of service `service_id`. Needs `builds.run` on its project;
/// refused (409) unless the service is active.
pub async fn start(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    service_id: &str,
    input: NewBuild,
) -> Result<Build> {
    let row = catalog::find(&core.db, service_id).await?;
    actor.require_on(Permission::BuildsRun, &catalog::target_of(&row))?;
    let git_ref = input.git_ref.trim().to_owned();
    if !gmac_types::validation::ref_ok(&git_ref) {
        return Err(Error::invalid(FieldError::new(
            "ref",
            "invalid",
            "A branch, a tag or a commit id of the service's repository.",
        )));
    }
    let txn = Change::begin(core).await?;
    let row = catalog::find(&txn, service_id).await?;
    if row.status != ServiceStatus::Active.id() {
        return Err(Error::conflict(
            ErrorCode::Conflict,
            format!(
                "The service is {}: only an active service is built.",
                row.status
            ),
        ));
    }
    let branch = git_ref.strip_prefix("refs/heads/").unwrap_or(&git_ref);
    let environment = catalog::environments(&row)
        .into_iter()
        .find(|e| e.branch == branch)
        .map(|e| e.name);
    let cache = input
        .cache
        .unwrap_or_else(|| build_settings::settings(&row).cache);
    let built = enqueue(
        &txn,
        core,
        Some(actor),
        &row,
        Spec {
            git_ref,
            commit: None,
            environment,
            trigger: BuildTrigger::Manual,
            cache,
        },
    )
    .await?;
    txn.commit(core, meta, entry(actor, "build.start", &built))
        .await?;
    dto_of(core, built).await
}

/// Loads a build, or 404.
pub(crate) async fn find(conn: &impl ConnectionTrait, id: &str) -> Result<build::Model> {
    if !crate::ids::is_id(id) {
        return Err(Error::NotFound);
    }
    build::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(Error::NotFound)
}

/// A build the actor may see with `permission`.
async fn visible(
    core: &Core,
    actor: &Actor,
    id: &str,
    permission: Permission,
) -> Result<build::Model> {
    let row = find(&core.db, id).await?;
    actor.require_on(Permission::ServicesView, &target_of(&row))?;
    actor.require(permission, &target_of(&row))?;
    Ok(row)
}

/// One build.
pub async fn get(core: &Core, actor: &Actor, id: &str) -> Result<Build> {
    let row = visible(core, actor, id, Permission::ServicesView).await?;
    dto_of(core, row).await
}

/// The job that runs a build (its log is the build's), for an actor who may see the build.
pub async fn job(core: &Core, actor: &Actor, id: &str) -> Result<gmac_types::Job> {
    let row = visible(core, actor, id, Permission::ServicesView).await?;
    let job = job::Entity::find_by_id(row.job_id.as_str())
        .one(&core.db)
        .await?
        .ok_or(Error::NotFound)?;
    jobs::to_dto(job)
}

/// A build's log, oldest line first: `after` the line numbered so, at most `limit` lines.
pub async fn log(
    core: &Core,
    actor: &Actor,
    id: &str,
    after: i64,
    limit: u64,
) -> Result<Vec<gmac_types::JobLogLine>> {
    let row = visible(core, actor, id, Permission::ServicesView).await?;
    jobs::log_after(&core.db, &row.job_id, after, limit).await
}

/// A service's builds, newest first, a page at a time. Needs `services.view`.
pub async fn list(
    core: &Core,
    actor: &Actor,
    service_id: &str,
    query: &BuildQuery,
    page: &PageQuery,
) -> Result<Page<Build>> {
    let row = catalog::find(&core.db, service_id).await?;
    actor.require_on(Permission::ServicesView, &catalog::target_of(&row))?;
    let mut select = build::Entity::find().filter(build::Column::ServiceId.eq(service_id));
    if let Some(environment) = &query.environment {
        select = select.filter(build::Column::Environment.eq(environment.as_str()));
    }
    let (rows, next_cursor, total) = paging::page_by_id(
        core,
        select,
        build::Column::Id,
        Direction::Desc,
        page,
        |r| r.id.clone(),
    )
    .await?;
    Ok(Page {
        items: dtos(core, rows).await?,
        next_cursor,
        total,
    })
}

/// Runs a failed or cancelled build again, from its first step, at the same commit. Needs
/// `builds.run`.
pub async fn retry(core: &Core, actor: &Actor, meta: &RequestMeta, id: &str) -> Result<Build> {
    visible(core, actor, id, Permission::BuildsRun).await?;
    let txn = Change::begin(core).await?;
    let row = find(&txn, id).await?;
    let status = current_status(&txn, &row).await?;
    if !matches!(status, BuildStatus::Failed | BuildStatus::Cancelled) {
        return Err(Error::conflict(
            ErrorCode::Conflict,
            format!(
                "Only a failed or cancelled build can be retried; this one is {}.",
                status.id()
            ),
        ));
    }
    let service = catalog::find(&txn, &row.service_id).await?;
    if service.status != ServiceStatus::Active.id() {
        return Err(Error::conflict(
            ErrorCode::Conflict,
            format!("The service is {}.", service.status),
        ));
    }
    jobs::requeue(&txn, core, &row.job_id).await?;
    // A retried build is the retrier's: deploy-on-push does not deploy it (whoever retries a
    // build need not be allowed to deploy), and analytics count it as started by hand.
    build::Entity::update_many()
        .filter(build::Column::Id.eq(id))
        .col_expr(
            build::Column::Trigger,
            Expr::value(BuildTrigger::Manual.id()),
        )
        .col_expr(build::Column::CreatedBy, Expr::value(actor.user_id.clone()))
        .col_expr(build::Column::Status, Expr::value(BuildStatus::Queued.id()))
        .col_expr(build::Column::Error, Expr::value(Option::<String>::None))
        .col_expr(
            build::Column::FinishedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .exec(&txn)
        .await?;
    txn.commit(core, meta, entry(actor, "build.retry", &row))
        .await?;
    dto_of(core, find(&core.db, id).await?).await
}

/// Stops a build: a queued one at once, a running one at its worker's next heartbeat. Needs
/// `builds.run`; a build that ended answers 409.
pub async fn cancel(core: &Core, actor: &Actor, meta: &RequestMeta, id: &str) -> Result<Build> {
    visible(core, actor, id, Permission::BuildsRun).await?;
    let txn = Change::begin(core).await?;
    let row = find(&txn, id).await?;
    let status = current_status(&txn, &row).await?;
    if status.is_finished() {
        return Err(Error::conflict(
            ErrorCode::Conflict,
            format!(
                "The build has ended ({}): there is nothing to cancel.",
                status.id()
            ),
        ));
    }
    jobs::stop(&txn, core, &row.job_id).await?;
    mark_cancelled(&txn, &row.job_id, core.now()).await?;
    txn.commit(core, meta, entry(actor, "build.cancel", &row))
        .await?;
    dto_of(core, find(&core.db, id).await?).await
}

/// Marks the build run by job `job_id` cancelled at `at`, unless its row says it ended.
pub(crate) async fn mark_cancelled(
    conn: &impl ConnectionTrait,
    job_id: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    let ended = [
        BuildStatus::Succeeded.id(),
        BuildStatus::Failed.id(),
        BuildStatus::Cancelled.id(),
    ];
    build::Entity::update_many()
        .filter(build::Column::JobId.eq(job_id))
        .filter(build::Column::Status.is_not_in(ended))
        .col_expr(
            build::Column::Status,
            Expr::value(BuildStatus::Cancelled.id()),
        )
        .col_expr(build::Column::FinishedAt, Expr::value(at))
        .exec(conn)
        .await?;
    Ok(())
}

/// A build's status now: its job's, or the row's once the job is gone.
async fn current_status(conn: &impl ConnectionTrait, row: &build::Model) -> Result<BuildStatus> {
    let job = job::Entity::find_by_id(row.job_id.as_str())
        .one(conn)
        .await?;
    Ok(status_of(row, job.as_ref()))
}

fn status_of(row: &build::Model, job: Option<&job::Model>) -> BuildStatus {
    let from_job = job
        .and_then(|j| JobStatus::parse(&j.status))
        .map(|s| match s {
            JobStatus::Queued => BuildStatus::Queued,
            JobStatus::Running => BuildStatus::Running,
            JobStatus::Succeeded => BuildStatus::Succeeded,
            JobStatus::Failed => BuildStatus::Failed,
            JobStatus::Cancelled => BuildStatus::Cancelled,
        });
    from_job
        .or_else(|| BuildStatus::from_id(&row.status))
        .unwrap_or(BuildStatus::Failed)
}

/// The wire form of one build.
async fn dto_of(core: &Core, row: build::Model) -> Result<Build> {
    Ok(dtos(core, vec![row]).await?.remove(0))
}

/// The wire forms of `rows`, each with its job's status, steps and times.
async fn dtos(core: &Core, rows: Vec<build::Model>) -> Result<Vec<Build>> {
    let jobs = jobs_of(core, &rows).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let job = jobs.get(&row.job_id);
            to_dto(row, job)
        })
        .collect())
}

/// The jobs of `rows` that still exist, by id.
async fn jobs_of(core: &Core, rows: &[build::Model]) -> Result<BTreeMap<String, job::Model>> {
    let ids: Vec<String> = rows.iter().map(|r| r.job_id.clone()).collect();
    Ok(job::Entity::find()
        .filter(job::Column::Id.is_in(ids))
        .all(&core.db)
        .await?
        .into_iter()
        .map(|j| (j.id.clone(), j))
        .collect())
}

/// How long an ended build took, in milliseconds.
fn duration_ms(row: &build::Model, job: Option<&job::Model>) -> Option<i64> {
    match times(row, job) {
        (Some(start), Some(end)) if status_of(row, job).is_finished() => {
            Some((end - start).num_milliseconds().max(0))
        }
        _ => None,
    }
}

/// A build's times: (started, finished), the job's when it exists.
fn times(
    row: &build::Model,
    job: Option<&job::Model>,
) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    match job {
        Some(job) => (job.started_at, job.finished_at),
        None => (row.started_at, row.finished_at),
    }
}

fn to_dto(row: build::Model, job: Option<&job::Model>) -> Build {
    let status = status_of(&row, job);
    let (started_at, finished_at) = times(&row, job);
    let steps: Vec<JobStep> = job
        .and_then(|j| serde_json::from_str(&j.steps).ok())
        .unwrap_or_default();
    let duration_ms = duration_ms(&row, job);
    let error = job.and_then(|j| j.error.clone()).or(row.error.clone());
    Build {
        status,
        steps: steps.into_iter().map(BuildStep::from).collect(),
        image_tags: serde_json::from_str(&row.image_tags).unwrap_or_default(),
        trigger: BuildTrigger::from_id(&row.trigger).unwrap_or(BuildTrigger::Manual),
        error: if status == BuildStatus::Failed {
            error
        } else {
            None
        },
        started_at,
        finished_at,
        duration_ms,
        id: row.id,
        service_id: row.service_id,
        project_id: row.project_id,
        client_id: row.client_id,
        number: row.number,
        git_ref: row.git_ref,
        commit: row.commit_id,
        environment: row.environment,
        cache: row.cache,
        job_id: row.job_id,
        image_id: row.image_id,
        digest: row.digest,
        created_by: row.created_by,
        created_at: row.created_at,
    }
}

/// A service's builds over the last `days` days (today included, UTC): how many per day, how
/// many succeeded, the success rate and the mean and 95th percentile of their durations.
/// Needs `services.view`.
pub async fn stats(
    core: &Core,
    actor: &Actor,
    service_id: &str,
    days: Option<u32>,
) -> Result<BuildStats> {
    let days = days.unwrap_or(7);
    if !(1..=MAX_STATS_DAYS).contains(&days) {
        return Err(Error::invalid(FieldError::new(
            "days",
            "out_of_range",
            format!("days is 1 to {MAX_STATS_DAYS} (7 and 30 are the usual windows)."),
        )));
    }
    let row = catalog::find(&core.db, service_id).await?;
    actor.require_on(Permission::ServicesView, &catalog::target_of(&row))?;
    let today = core.now().date_naive();
    let first = today - Duration::days(i64::from(days) - 1);
    let since = first
        .and_hms_opt(0, 0, 0)
        .map_or_else(Utc::now, |t| t.and_utc());
    let rows = build::Entity::find()
        .filter(build::Column::ServiceId.eq(service_id))
        .filter(build::Column::CreatedAt.gte(since))
        .order_by_asc(build::Column::CreatedAt)
        .all(&core.db)
        .await?;
    let jobs = jobs_of(core, &rows).await?;
    let ended: Vec<(NaiveDate, BuildStatus, Option<i64>)> = rows
        .iter()
        .map(|row| {
            let job = jobs.get(&row.job_id);
            (
                row.created_at.date_naive(),
                status_of(row, job),
                duration_ms(row, job),
            )
        })
        .collect();
    Ok(summarize(days, first, &ended))
}

/// The analytics of builds given as (day asked for, status, duration when ended).
pub fn summarize(
    days: u32,
    first: NaiveDate,
    builds: &[(NaiveDate, BuildStatus, Option<i64>)],
) -> BuildStats {
    let count =
        |s: BuildStatus, of: &mut dyn Iterator<Item = &(NaiveDate, BuildStatus, Option<i64>)>| {
            i64::try_from(of.filter(|b| b.1 == s).count()).unwrap_or(i64::MAX)
        };
    let mean = |durations: &[i64]| {
        (!durations.is_empty())
            .then(|| durations.iter().sum::<i64>() / i64::try_from(durations.len()).unwrap_or(1))
    };
    let per_day = (0..days)
        .map(|i| {
            let date = first + Duration::days(i64::from(i));
            let that_day: Vec<_> = builds.iter().filter(|b| b.0 == date).collect();
            let durations: Vec<i64> = that_day.iter().filter_map(|b| b.2).collect();
            BuildDay {
                date,
                total: i64::try_from(that_day.len()).unwrap_or(i64::MAX),
                succeeded: count(BuildStatus::Succeeded, &mut that_day.iter().copied()),
                failed: count(BuildStatus::Failed, &mut that_day.iter().copied()),
                cancelled: count(BuildStatus::Cancelled, &mut that_day.iter().copied()),
                mean_duration_ms: mean(&durations),
            }
        })
        .collect();
    let succeeded = count(BuildStatus::Succeeded, &mut builds.iter());
    let failed = count(BuildStatus::Failed, &mut builds.iter());
    let cancelled = count(BuildStatus::Cancelled, &mut builds.iter());
    let ended = succeeded + failed + cancelled;
    let mut durations: Vec<i64> = builds.iter().filter_map(|b| b.2).collect();
    durations.sort_unstable();
    // Nearest rank: the smallest duration at least 95 % of the builds took no longer than.
    let p95 = (!durations.is_empty()).then(|| {
        let rank = (durations.len() * 95).div_ceil(100).max(1);
        durations[rank - 1]
    });
    #[expect(
        clippy::cast_precision_loss,
        reason = "build counts are far below 2^52"
    )]
    let success_rate =
        (ended > 0).then(|| (succeeded as f64 * 1000.0 / ended as f64).round() / 10.0);
    BuildStats {
        days,
        total: i64::try_from(builds.len()).unwrap_or(i64::MAX),
        succeeded,
        failed,
        cancelled,
        success_rate,
        mean_duration_ms: mean(&durations),
        p95_duration_ms: p95,
        per_day,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn analytics_count_each_day_and_take_the_nearest_rank_for_p95() {
        let d = |day: u32| NaiveDate::from_ymd_opt(2026, 12, day).expect("a date");
        let mut builds = vec![
            (d(1), BuildStatus::Succeeded, Some(1_000)),
            (d(1), BuildStatus::Failed, Some(3_000)),
            (d(3), BuildStatus::Cancelled, Some(500)),
            (d(3), BuildStatus::Running, None),
        ];
        for i in 0..16 {
            builds.push((d(2), BuildStatus::Succeeded, Some(2_000 + i)));
        }
        let stats = summarize(3, d(1), &builds);
        assert_eq!(stats.total, 20);
        assert_eq!((stats.succeeded, stats.failed, stats.cancelled), (17, 1, 1));
        // 17 of the 19 that ended.
        assert_eq!(stats.success_rate, Some(89.5));
        assert_eq!(stats.per_day.len(), 3);
        assert_eq!(stats.per_day[0].total, 2);
        assert_eq!(stats.per_day[0].mean_duration_ms, Some(2_000));
        assert_eq!(stats.per_day[1].succeeded, 16);
        assert_eq!(stats.per_day[2].total, 2);
        // 19 durations sorted: 500, 1000, 2000..2015, 3000; rank ceil(19 * 0.95) = 19.
        assert_eq!(stats.p95_duration_ms, Some(3_000));
        let empty = summarize(7, d(1), &[]);
        assert_eq!((empty.success_rate, empty.p95_duration_ms), (None, None));
        assert_eq!(empty.per_day.len(), 7);
    }

    #[test]
    fn a_build_names_a_branch_a_tag_or_a_commit() {
        for ok in [
            "main",
            "refs/heads/staging",
            "v1.2.0",
            "refs/tags/v1",
            "0123abcd",
        ] {
            assert!(gmac_types::validation::ref_ok(ok), "{ok}");
        }
        for bad in ["", "-x", "a..b", "--upload-pack=x", "a b"] {
            assert!(!gmac_types::validation::ref_ok(bad), "{bad}");
        }
    }
}
