//! Schedules: recurring jobs as rows (cron, UTC). A scheduler on every replica ticks; each
//! due slot is enqueued exactly once (the row is locked with `FOR UPDATE SKIP LOCKED` on
//! PostgreSQL; `SQLite` has one writer), and a schedule that missed slots while gmac was down
//! runs once, not once per missed slot. A slot whose previous job is still queued or running
//! joins it (the schedule's dedupe key), so slow work never piles up.

use std::str::FromStr as _;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, LockBehavior, LockType};
use sea_orm::{ActiveValue::Set, ColumnTrait, DbBackend, EntityTrait, QueryFilter, QuerySelect};

use crate::entities::job_schedule;
use crate::platform::jobs::{self, NewJob};
use crate::{Core, Error, Result, db};

/// Re-checks every budget (imports check them too), so forecast thresholds and new periods
/// alert without waiting for the next import.
pub const BUDGETS_EVALUATE: &str = "budgets.evaluate";
/// Sends the scheduled cost reports that are due.
pub const REPORTS_SEND_DUE: &str = "reports.send_due";
/// Discards imports a killed process left staging.
pub const IMPORTS_DISCARD_ABANDONED: &str = "cost_imports.discard_abandoned";
/// Syncs every connected cloud account from Cost Explorer.
pub const CLOUD_ACCOUNTS_SYNC: &str = "cloud_accounts.sync";

/// Checks every custom domain again: where it points, and its certificate's expiry.
pub const DOMAINS_CHECK: &str = "domains.check";

/// Starts deleting the preview environments whose expiry has passed.
pub const PREVIEWS_EXPIRE: &str = "previews.expire";

/// Removes finished jobs older than the retention, with their logs and stored uploads.
pub const JOBS_PRUNE: &str = "jobs.prune";

/// gmac's own schedules: `(name and job kind, cron)`.
pub const BUILTIN: &[(&str, &str)] = &[
    (JOBS_PRUNE, "17 3 * * *"),
    (BUDGETS_EVALUATE, "*/15 * * * *"),
    (REPORTS_SEND_DUE, "*/15 * * * *"),
    (IMPORTS_DISCARD_ABANDONED, "*/15 * * * *"),
    (CLOUD_ACCOUNTS_SYNC, "0 */6 * * *"),
    (DOMAINS_CHECK, "40 4 * * *"),
    (PREVIEWS_EXPIRE, "*/5 * * * *"),
];

/// The first slot of `cron` strictly after `after`.
pub fn next_slot(cron: &str, after: DateTime<Utc>) -> Result<DateTime<Utc>> {
    let pattern = croner::Cron::from_str(cron)
        .map_err(|e| anyhow::anyhow!("the schedule {cron:?} is not a cron expression: {e}"))?;
    Ok(pattern
        .find_next_occurrence(&after, false)
        .map_err(|e| anyhow::anyhow!("the schedule {cron:?} has no next slot: {e}"))?)
}

/// Adds gmac's own schedules that are missing, and brings the cron of those that changed up
/// to date. A new schedule's first slot is the next one from now.
pub async fn install(core: &Core) -> Result<()> {
    let now = core.now();
    for (name, cron) in BUILTIN {
        let existing = job_schedule::Entity::find_by_id(*name)
            .one(&core.db)
            .await?;
        match existing {
            None => {
                let row = job_schedule::ActiveModel {
                    name: Set((*name).to_owned()),
                    cron: Set((*cron).to_owned()),
                    kind: Set((*name).to_owned()),
                    payload: Set("{}".to_owned()),
                    enabled: Set(true),
                    next_run_at: Set(next_slot(cron, now)?),
                    last_slot_at: Set(None),
                    last_job_id: Set(None),
                };
                // Another replica starting at the same moment may have added it first.
                let _ = job_schedule::Entity::insert(row)
                    .exec_without_returning(&crate::db::Solo(&core.db))
                    .await;
            }
            Some(row) if row.cron != *cron => {
                job_schedule::Entity::update_many()
                    .col_expr(job_schedule::Column::Cron, Expr::value(*cron))
                    .col_expr(
                        job_schedule::Column::NextRunAt,
                        Expr::value(next_slot(cron, now)?),
                    )
                    .filter(job_schedule::Column::Name.eq(*name))
                    .exec(&crate::db::Solo(&core.db))
                    .await?;
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// Enqueues a job for each schedule whose slot has come, and moves the schedule to its next
/// slot after now; answers how many were enqueued.
pub async fn tick(core: &Core) -> Result<usize> {
    let now = core.now();
    let due = || {
        job_schedule::Entity::find()
            .filter(job_schedule::Column::Enabled.eq(true))
            .filter(job_schedule::Column::NextRunAt.lte(now))
    };
    // A read first: most ticks find nothing due, and take no write lock.
    if due().one(&core.db).await?.is_none() {
        return Ok(0);
    }
    let txn = db::begin_write(&core.db).await?;
    let mut select = due();
    if core.db.get_database_backend() == DbBackend::Postgres {
        select = select.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let rows = select.all(&txn).await?;
    let mut enqueued = 0;
    for row in rows {
        let payload: serde_json::Value = serde_json::from_str(&row.payload)
            .map_err(|e| Error::Internal(anyhow::anyhow!("schedule {}: {e}", row.name)))?;
        let (job, _) = jobs::enqueue(
            &txn,
            core,
            None,
            NewJob {
                dedupe_key: Some(format!("schedule:{}", row.name)),
                ..NewJob::new(&row.kind, payload)
            },
        )
        .await?;
        job_schedule::Entity::update_many()
            .col_expr(
                job_schedule::Column::NextRunAt,
                Expr::value(next_slot(&row.cron, now)?),
            )
            .col_expr(
                job_schedule::Column::LastSlotAt,
                Expr::value(row.next_run_at),
            )
            .col_expr(job_schedule::Column::LastJobId, Expr::value(job.id))
            .filter(job_schedule::Column::Name.eq(row.name.as_str()))
            .exec(&txn)
            .await?;
        enqueued += 1;
    }
    txn.commit().await?;
    Ok(enqueued)
}

/// Ticks every `every` until the task is dropped.
pub async fn run(core: Core, every: std::time::Duration) {
    loop {
        if let Err(err) = tick(&core).await {
            tracing::warn!(error = %err, "enqueueing scheduled jobs failed");
        }
        tokio::time::sleep(every).await;
    }
}
