//! Durable jobs: a row per job in `jobs`, leased by a [`crate::platform::worker::Worker`].
//!
//! A job is enqueued in the caller's transaction (so it exists exactly when the change that
//! asked for it does), carries its scope for permissions, and is followed through its
//! progress, steps and log. Who may see a job, cancel or retry it follows the permission of
//! what it does, in its scope ([`permissions`]).

use chrono::{DateTime, Utc};
use gmac_types::{
    ErrorCode, Job, JobLogLine, JobProgress, JobQuery, JobStatus, JobStep, Page, PageQuery,
    Permission,
};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use crate::access::Target;
use crate::audit::AuditEntry;
use crate::entities::{job, job_log};
use crate::platform::change::Change;
use crate::{Actor, Core, Error, RequestMeta, Result};

pub use super::job_kinds::{
    CLOUD_ACCOUNT_SYNC, COST_IMPORT, COST_REALLOCATE, INVITATION_MAIL, REPORT_SEND, permissions,
};
use super::job_kinds::{KINDS, UPKEEP};

/// Where a job works, for permissions.
pub fn target(row: &job::Model) -> Target {
    row.client_id.clone().map_or(Target::Global, Target::Client)
}

/// A job to enqueue.
#[derive(Clone, Debug)]
pub struct NewJob {
    /// Its kind.
    pub kind: String,
    /// Its handler's input.
    pub payload: serde_json::Value,
    /// The client it works on.
    pub client_id: Option<String>,
    /// Runs allowed before a transient failure fails it.
    pub max_attempts: i32,
    /// At most one unfinished job holds a key: enqueueing another answers that one.
    pub dedupe_key: Option<String>,
    /// Not before this time (now when `None`).
    pub run_at: Option<DateTime<Utc>>,
}

impl NewJob {
    /// A job of `kind` with `payload`, three attempts, due now.
    pub fn new(kind: &str, payload: serde_json::Value) -> Self {
        Self {
            kind: kind.to_owned(),
            payload,
            client_id: None,
            max_attempts: 3,
            dedupe_key: None,
            run_at: None,
        }
    }
}

/// Enqueues `new` on `conn` (the caller's transaction), started by `actor`; answers the job and
/// whether it is new. With a dedupe key an unfinished job holding it is answered instead.
pub async fn enqueue(
    conn: &impl ConnectionTrait,
    core: &Core,
    actor: Option<&Actor>,
    new: NewJob,
) -> Result<(job::Model, bool)> {
    if let Some(key) = &new.dedupe_key
        && let Some(existing) = job::Entity::find()
            .filter(job::Column::DedupeKey.eq(key.as_str()))
            .filter(
                job::Column::Status
                    .is_in([JobStatus::Queued.as_str(), JobStatus::Running.as_str()]),
            )
            // A held job may never be released (its request was given up): it is not answered.
            .filter(job::Column::RunAt.ne(held()))
            .one(conn)
            .await?
    {
        return Ok((existing, false));
    }
    let now = core.now();
    let row = job::ActiveModel {
        id: Set(core.new_id()),
        kind: Set(new.kind),
        payload: Set(new.payload.to_string()),
        client_id: Set(new.client_id),
        status: Set(JobStatus::Queued.as_str().to_owned()),
        attempts: Set(0),
        max_attempts: Set(new.max_attempts.max(1)),
        run_at: Set(new.run_at.unwrap_or(now)),
        lease_owner: Set(None),
        lease_until: Set(None),
        cancel_requested: Set(false),
        progress_done: Set(0),
        progress_total: Set(None),
        progress_message: Set(None),
        steps: Set("[]".to_owned()),
        result: Set(None),
        error: Set(None),
        created_by: Set(actor.map(|a| a.user_id.clone())),
        token_id: Set(actor.and_then(|a| a.token_id.clone())),
        dedupe_key: Set(new.dedupe_key),
        created_at: Set(now),
        started_at: Set(None),
        finished_at: Set(None),
    };
    Ok((
        job::Entity::insert(row).exec_with_returning(conn).await?,
        true,
    ))
}

/// The job as the API shows it.
pub fn to_dto(row: job::Model) -> Result<Job> {
    let status = JobStatus::parse(&row.status)
        .ok_or_else(|| anyhow::anyhow!("job {} has the unknown status {:?}", row.id, row.status))?;
    let steps: Vec<JobStep> = serde_json::from_str(&row.steps).map_err(anyhow::Error::from)?;
    let result = row
        .result
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(anyhow::Error::from)?;
    Ok(Job {
        id: row.id,
        kind: row.kind,
        status,
        client_id: row.client_id,
        progress: JobProgress {
            done: row.progress_done,
            total: row.progress_total,
            message: row.progress_message,
        },
        steps,
        attempts: row.attempts,
        max_attempts: row.max_attempts,
        result,
        error: row.error,
        cancel_requested: row.cancel_requested,
        created_by: row.created_by,
        created_at: row.created_at,
        run_at: row.run_at,
        started_at: row.started_at,
        finished_at: row.finished_at,
    })
}

/// Jobs a caller may see with `permission`, as a filter: those of the clients it sees as a
/// whole (and, with a global grant, the installation's own).
fn visible_with(actor: &Actor, permission: Permission) -> Condition {
    match actor.permissions.visible(permission).whole_client_ids() {
        None => Condition::all(),
        Some(ids) => Condition::all().add(job::Column::ClientId.is_in(ids)),
    }
}

/// The jobs the actor may see, newest first, a page at a time.
pub async fn list(
    core: &Core,
    actor: &Actor,
    query: &JobQuery,
    page: &PageQuery,
) -> Result<Page<Job>> {
    actor.ensure_enrolled()?;
    let mut seen = Condition::any();
    for &(kind, view, _) in KINDS {
        seen = seen.add(
            Condition::all()
                .add(job::Column::Kind.eq(kind))
                .add(visible_with(actor, view)),
        );
    }
    seen = seen.add(
        Condition::all()
            .add(job::Column::Kind.is_not_in(KINDS.iter().map(|(kind, _, _)| *kind)))
            .add(visible_with(actor, UPKEEP.0)),
    );
    let mut select = job::Entity::find().filter(seen);
    if let Some(kind) = &query.kind {
        select = select.filter(job::Column::Kind.eq(kind.as_str()));
    }
    if let Some(status) = query.status {
        select = select.filter(job::Column::Status.eq(status.as_str()));
    }
    if let Some(client) = &query.client_id {
        actor.require_known(&Target::Client(client.clone()))?;
        select = select.filter(job::Column::ClientId.eq(client.as_str()));
    }
    let (rows, next_cursor, total) = crate::platform::paging::page_by_id(
        core,
        select,
        job::Column::Id,
        crate::platform::paging::Direction::Desc,
        page,
        |r| r.id.clone(),
    )
    .await?;
    Ok(Page {
        items: rows.into_iter().map(to_dto).collect::<Result<_>>()?,
        next_cursor,
        total,
    })
}

/// Finds a job the actor may see (404 otherwise).
async fn find_visible(conn: &impl ConnectionTrait, actor: &Actor, id: &str) -> Result<job::Model> {
    let row = job::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(Error::NotFound)?;
    let (view, _) = permissions(&row.kind);
    if actor.require_on(view, &target(&row)).is_err() {
        // Seeing the scope is not seeing its jobs: without the view permission, no such job.
        return Err(match actor.require_known(&target(&row)) {
            Err(Error::MfaEnrollmentRequired) => Error::MfaEnrollmentRequired,
            _ => Error::NotFound,
        });
    }
    Ok(row)
}

/// One job.
pub async fn get(core: &Core, actor: &Actor, id: &str) -> Result<Job> {
    to_dto(find_visible(&core.db, actor, id).await?)
}

/// Log lines after `after`, oldest first, at most `limit`.
pub async fn log_after(
    conn: &impl ConnectionTrait,
    job_id: &str,
    after: i64,
    limit: u64,
) -> Result<Vec<JobLogLine>> {
    Ok(job_log::Entity::find()
        .filter(job_log::Column::JobId.eq(job_id))
        .filter(job_log::Column::Seq.gt(after))
        .order_by_asc(job_log::Column::Seq)
        .limit(limit)
        .all(conn)
        .await?
        .into_iter()
        .map(|l| JobLogLine {
            seq: l.seq,
            at: l.at,
            line: l.line,
        })
        .collect())
}

/// A job's log, oldest line first, a page at a time: the cursor is the `seq` of the last line
/// read, so a client following a running job asks again with the `next_cursor` it last got
/// (which is there even on a short page, as more lines may come).
pub async fn log(
    core: &Core,
    actor: &Actor,
    id: &str,
    page: &PageQuery,
) -> Result<Page<JobLogLine>> {
    let limit = crate::platform::paging::page_size(page.limit)?;
    let after = match page.cursor.as_deref().filter(|c| !c.is_empty()) {
        None => 0,
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| {
                Error::BadRequest("The cursor is not one this job's log issued.".to_owned())
            })?,
    };
    let row = find_visible(&core.db, actor, id).await?;
    let items = log_after(&core.db, &row.id, after, limit).await?;
    let total = job_log::Entity::find()
        .filter(job_log::Column::JobId.eq(id))
        .count(&core.db)
        .await?;
    let next_cursor = Some(items.last().map_or(after, |l| l.seq).to_string());
    Ok(Page {
        items,
        next_cursor,
        total,
    })
}

/// The `run_at` of a job held back until what it needs is in place (an upload being stored):
/// no worker takes it before [`release`].
pub fn held() -> DateTime<Utc> {
    chrono::NaiveDate::from_ymd_opt(9999, 12, 31)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map_or(DateTime::<Utc>::MAX_UTC, |t| t.and_utc())
}

/// Lets workers take a [held](held) job now; answers it.
pub async fn release(core: &Core, id: &str) -> Result<job::Model> {
    job::Entity::update_many()
        .col_expr(job::Column::RunAt, Expr::value(core.now()))
        .col_expr(job::Column::ProgressDone, Expr::value(0_i64))
        .col_expr(job::Column::ProgressTotal, Expr::value(Option::<i64>::None))
        .col_expr(
            job::Column::ProgressMessage,
            Expr::value(Option::<String>::None),
        )
        .filter(job::Column::Id.eq(id))
        .filter(job::Column::RunAt.eq(held()))
        .exec(&crate::db::Solo(&core.db))
        .await?;
    job::Entity::find_by_id(id)
        .one(&core.db)
        .await?
        .ok_or(Error::NotFound)
}

/// Fails a [held](held), queued job that never ran (on `conn`, the caller's write
/// transaction), with its end event, as a worker would end it; `false` when it was no longer
/// held and queued.
pub async fn fail_unstarted(
    conn: &impl ConnectionTrait,
    core: &Core,
    row: &job::Model,
    error: &str,
) -> Result<bool> {
    let now = core.now();
    let failed = job::Entity::update_many()
        .col_expr(job::Column::Status, Expr::value(JobStatus::Failed.as_str()))
        .col_expr(job::Column::Error, Expr::value(Some(error.to_owned())))
        .col_expr(job::Column::FinishedAt, Expr::value(now))
        .col_expr(job::Column::RunAt, Expr::value(now))
        .filter(job::Column::Id.eq(row.id.as_str()))
        .filter(job::Column::Status.eq(JobStatus::Queued.as_str()))
        .filter(job::Column::RunAt.eq(held()))
        .exec(conn)
        .await?
        .rows_affected;
    if failed > 0 {
        append_end(conn, now, row, JobStatus::Failed, None, Some(error)).await?;
    }
    Ok(failed > 0)
}

/// Writes the event of `row`'s end as `status` (`job.succeeded`, `job.failed`, ...), on the
/// transaction that ends it.
pub(crate) async fn append_end(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    row: &job::Model,
    status: JobStatus,
    result: Option<&serde_json::Value>,
    error: Option<&str>,
) -> Result<()> {
    crate::platform::events::append(
        conn,
        now,
        crate::platform::events::NewEvent {
            event_type: format!("job.{}", status.as_str()),
            target: target(row),
            subject: Some(("job".to_owned(), row.id.clone())),
            actor_id: row.created_by.clone(),
            data: serde_json::json!({
                "kind": row.kind,
                "status": status.as_str(),
                "result": result,
                "error": error,
            }),
        },
    )
    .await?;
    Ok(())
}

/// Asks a job to stop: a queued one is cancelled at once, a running one at its worker's next
/// heartbeat. A finished job answers 409.
pub async fn cancel(core: &Core, actor: &Actor, meta: &RequestMeta, id: &str) -> Result<Job> {
    let txn = Change::begin(core).await?;
    let row = find_to_act_on(&txn, actor, id).await?;
    stop(&txn, core, id).await?;
    acted(core, txn, actor, meta, &row, "job.cancel").await
}

/// Asks job `id` to stop, on `txn` (the caller checked who may): a queued job is cancelled at
/// once, a running one at its worker's next heartbeat; a finished one answers 409.
pub(crate) async fn stop(txn: &impl ConnectionTrait, core: &Core, id: &str) -> Result<()> {
    let row = job::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or(Error::NotFound)?;
    let status = JobStatus::parse(&row.status).unwrap_or(JobStatus::Failed);
    let now = core.now();
    let update = job::Entity::update_many().filter(job::Column::Id.eq(id));
    let update = match status {
        JobStatus::Queued => update
            .col_expr(
                job::Column::Status,
                Expr::value(JobStatus::Cancelled.as_str()),
            )
            .col_expr(job::Column::FinishedAt, Expr::value(now))
            .col_expr(job::Column::CancelRequested, Expr::value(true)),
        JobStatus::Running => update.col_expr(job::Column::CancelRequested, Expr::value(true)),
        _ => {
            return Err(Error::conflict(
                ErrorCode::Conflict,
                format!(
                    "The job has ended ({}): there is nothing to cancel.",
                    row.status
                ),
            ));
        }
    };
    update.exec(txn).await?;
    Ok(())
}

/// Finds a job the actor may see, in the write transaction, and checks that they may act on
/// it (403 otherwise).
async fn find_to_act_on(txn: &Change, actor: &Actor, id: &str) -> Result<job::Model> {
    let row = find_visible(txn, actor, id).await?;
    let (_, act) = permissions(&row.kind);
    actor.require(act, &target(&row))?;
    Ok(row)
}

/// Audits `action` on the job as it was (`before`), commits, and answers the job as it is.
async fn acted(
    core: &Core,
    txn: Change,
    actor: &Actor,
    meta: &RequestMeta,
    before: &job::Model,
    action: &'static str,
) -> Result<Job> {
    let entry = AuditEntry::success(actor.audit_actor(), action)
        .target("job", before.id.clone())
        .scope(&target(before))
        .details(serde_json::json!({"kind": before.kind, "status": before.status}));
    let row = job::Entity::find_by_id(&before.id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    txn.commit(core, meta, entry).await?;
    to_dto(row)
}

/// Queues a failed or cancelled job again, with fresh attempts; its steps that succeeded are
/// kept, so a handler can go on from the step that failed. A job still queued or running,
/// or one that succeeded, answers 409.
pub async fn retry(core: &Core, actor: &Actor, meta: &RequestMeta, id: &str) -> Result<Job> {
    let txn = Change::begin(core).await?;
    let row = find_to_act_on(&txn, actor, id).await?;
    let status = JobStatus::parse(&row.status).unwrap_or(JobStatus::Failed);
    if !matches!(status, JobStatus::Failed | JobStatus::Cancelled) {
        return Err(Error::conflict(
            ErrorCode::Conflict,
            format!(
                "Only a failed or cancelled job can be retried; this one is {}.",
                row.status
            ),
        ));
    }
    if let Some(key) = &row.dedupe_key
        && job::Entity::find()
            .filter(job::Column::DedupeKey.eq(key.as_str()))
            .filter(job::Column::Id.ne(id))
            .filter(
                job::Column::Status
                    .is_in([JobStatus::Queued.as_str(), JobStatus::Running.as_str()]),
            )
            .one(&txn)
            .await?
            .is_some()
    {
        return Err(Error::conflict(
            ErrorCode::Conflict,
            "Another job doing the same work is queued or running; follow that one.",
        ));
    }
    requeue(&txn, core, id).await?;
    acted(core, txn, actor, meta, &row, "job.retry").await
}

/// Queues job `id` again with fresh attempts, on `txn` (the caller checked who may and that
/// it had failed or was cancelled).
pub(crate) async fn requeue(txn: &impl ConnectionTrait, core: &Core, id: &str) -> Result<()> {
    let now = core.now();
    job::Entity::update_many()
        .filter(job::Column::Id.eq(id))
        .col_expr(job::Column::Status, Expr::value(JobStatus::Queued.as_str()))
        .col_expr(job::Column::Attempts, Expr::value(0))
        .col_expr(job::Column::RunAt, Expr::value(now))
        .col_expr(job::Column::CancelRequested, Expr::value(false))
        .col_expr(
            job::Column::FinishedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(job::Column::Error, Expr::value(Option::<String>::None))
        .exec(txn)
        .await?;
    Ok(())
}

/// Removes the jobs that finished before `core.job_retention` ago, with their logs and stored
/// uploads (their rows go with the job); answers how many. Queued and running jobs stay,
/// however old.
pub async fn prune(core: &Core) -> Result<u64> {
    let before = core.now() - core.job_retention;
    let deleted = job::Entity::delete_many()
        .filter(job::Column::Status.is_in([
            JobStatus::Succeeded.as_str(),
            JobStatus::Failed.as_str(),
            JobStatus::Cancelled.as_str(),
        ]))
        .filter(job::Column::FinishedAt.lt(before))
        .exec(&crate::db::Solo(&core.db))
        .await?;
    Ok(deleted.rows_affected)
}
