//! gmac's background work, wired onto the platform from above: the job kinds a worker of
//! gmac runs and their handlers, and the consumers of events. The platform (jobs, worker,
//! events) knows none of the areas; the areas know the platform.

use crate::Core;
use crate::entities::event;
use crate::platform::events::{self, Consumer, Dispatcher, Handled};
use crate::platform::jobs;
use crate::platform::schedules::{
    BUDGETS_EVALUATE, CLOUD_ACCOUNTS_SYNC, DOMAINS_CHECK, IMPORTS_DISCARD_ABANDONED, JOBS_PRUNE,
    PREVIEWS_EXPIRE, REPORTS_SEND_DUE,
};
use crate::platform::worker::{Worker, WorkerOptions, handler};
use crate::services::{
    allocation, budgets, cloud_accounts, costs, import_jobs, invitations, reports, service_setup,
};

/// A worker for gmac's own job kinds.
pub fn worker(core: Core, options: WorkerOptions) -> Worker {
    deploying(Worker::empty(core, options))
        .handle(jobs::COST_IMPORT, import_jobs::handler())
        .handle(jobs::CLOUD_ACCOUNT_SYNC, cloud_accounts::sync_handler())
        .handle(jobs::COST_REALLOCATE, allocation::reallocation_handler())
        .handle(
            crate::platform::job_kinds::COST_IMPORT_DELETE,
            costs::delete_import_handler(),
        )
        .handle(jobs::INVITATION_MAIL, invitations::mail_handler())
        .handle(
            crate::platform::job_kinds::NOTICE_MAIL,
            crate::services::notices::mail_handler(),
        )
        .handle(jobs::REPORT_SEND, reports::send_handler())
        .handle(
            crate::platform::job_kinds::SERVICE_CREATE,
            service_setup::creation_handler(),
        )
        .handle(
            crate::platform::job_kinds::SERVICE_DELETE,
            service_setup::deletion_handler(),
        )
        .handle(
            crate::platform::job_kinds::TEMPLATE_SOURCE_SYNC,
            crate::services::template_sources::sync_handler(),
        )
        .handle(
            BUDGETS_EVALUATE,
            handler(|ctx| async move {
                let raised = budgets::evaluate_budgets(&ctx.core).await?;
                Ok(serde_json::json!({ "alerts_raised": raised }))
            }),
        )
        .handle(
            REPORTS_SEND_DUE,
            handler(|ctx| async move {
                let sent = reports::run_due(&ctx.core).await?;
                Ok(serde_json::json!({ "reports_sent": sent }))
            }),
        )
        .handle(
            IMPORTS_DISCARD_ABANDONED,
            handler(|ctx| async move {
                let discarded = costs::discard_abandoned(&ctx.core).await?;
                let uploads = import_jobs::discard_unstored(&ctx.core).await?;
                Ok(serde_json::json!({ "imports_discarded": discarded, "uploads_discarded": uploads }))
            }),
        )
        .handle(
            JOBS_PRUNE,
            handler(|ctx| async move {
                let removed = jobs::prune(&ctx.core).await?;
                let events = events::prune(&ctx.core).await?;
                Ok(serde_json::json!({ "jobs_removed": removed, "events_removed": events }))
            }),
        )
        .handle(
            DOMAINS_CHECK,
            handler(|ctx| async move {
                let checked = crate::services::domains::check_all(&ctx.core).await?;
                Ok(serde_json::json!({ "domains_checked": checked }))
            }),
        )
        .handle(
            PREVIEWS_EXPIRE,
            handler(|ctx| async move {
                let now = ctx.core.now();
                let closed = crate::services::previews::expire_due(&ctx.core, now).await?;
                Ok(serde_json::json!({ "previews_expired": closed }))
            }),
        )
        .handle(
            CLOUD_ACCOUNTS_SYNC,
            handler(|ctx| async move {
                let synced = cloud_accounts::sync_all(&ctx.core).await?;
                Ok(serde_json::json!({ "accounts_synced": synced }))
            }),
        )
}

/// The kinds that build and deploy services: builds, rollouts, restarts and scales,
/// deploy-on-push and preview deletions.
fn deploying(worker: Worker) -> Worker {
    worker
        .handle(
            crate::platform::job_kinds::SERVICE_BUILD,
            crate::services::build_run::handler_of_builds(),
        )
        .handle(
            crate::platform::job_kinds::RELEASE_ROLLOUT,
            crate::services::releases::rollout_handler(),
        )
        .handle(
            crate::platform::job_kinds::RELEASE_ROLLOUT_PRODUCTION,
            crate::services::releases::rollout_handler(),
        )
        .handle(
            crate::platform::job_kinds::ENVIRONMENT_OPERATION,
            crate::services::environment_ops::operation_handler(),
        )
        .handle(
            crate::platform::job_kinds::ENVIRONMENT_OPERATION_PRODUCTION,
            crate::services::environment_ops::operation_handler(),
        )
        .handle(
            crate::platform::job_kinds::ENVIRONMENT_DELETE,
            crate::services::previews::deletion_handler(),
        )
        .handle(
            crate::platform::job_kinds::PUSH_DEPLOY,
            crate::services::push_deploys::handler_of_push_deploys(),
        )
        .handle(
            crate::platform::job_kinds::PUSH_DEPLOY_PRODUCTION,
            crate::services::push_deploys::handler_of_push_deploys(),
        )
}

/// Costs changed: budgets are checked again.
fn costs_changed(event_type: &str) -> bool {
    // Rules, assignments and team changes move costs between people and teams once their
    // re-allocation has run: `cost_allocation.recomputed`.
    matches!(
        event_type,
        "cost_import.created" | "cost_sync.succeeded" | "cost_allocation.recomputed"
    )
}

fn check_budgets<'a>(core: &'a Core, _events: &'a [event::Model]) -> Handled<'a> {
    Box::pin(async move {
        let raised = budgets::evaluate_budgets(core).await?;
        tracing::debug!(raised, "budgets checked after costs changed");
        Ok(())
    })
}

/// A job was cancelled (at once while queued, or by its worker while it ran).
fn job_cancelled(event_type: &str) -> bool {
    event_type == "job.cancelled"
}

/// What a cancelled job leaves is settled: a service whose creation was cancelled can be
/// retried or abandoned, a cancelled build's row says so.
fn settle_cancelled<'a>(core: &'a Core, events: &'a [event::Model]) -> Handled<'a> {
    Box::pin(async move {
        for e in events {
            if let Some(id) = e.subject.as_deref().and_then(|s| s.strip_prefix("job/")) {
                service_setup::settle_cancelled(core, id).await?;
            }
        }
        Ok(())
    })
}

/// A job succeeded: a push build may be deployed.
fn job_succeeded(event_type: &str) -> bool {
    event_type == "job.succeeded"
}

/// Deploy-on-push: each push build that succeeded gets a job that deploys it (or says why
/// not).
fn deploy_pushed<'a>(core: &'a Core, events: &'a [event::Model]) -> Handled<'a> {
    Box::pin(async move {
        for e in events {
            if let Some(id) = e.subject.as_deref().and_then(|s| s.strip_prefix("job/")) {
                crate::services::push_deploys::enqueue_for(core, id).await?;
            }
        }
        Ok(())
    })
}

/// gmac's consumers of events.
pub const CONSUMERS: &[Consumer] = &[
    Consumer {
        name: "budgets",
        wants: costs_changed,
        handle: check_budgets,
    },
    Consumer {
        name: "cancelled_work",
        wants: job_cancelled,
        handle: settle_cancelled,
    },
    Consumer {
        name: "deploy_on_push",
        wants: job_succeeded,
        handle: deploy_pushed,
    },
    Consumer {
        name: "service_notices",
        wants: crate::services::notices::wanted,
        handle: crate::services::notices::tell,
    },
];

/// A dispatcher of gmac's consumers.
pub fn dispatcher(core: Core) -> Dispatcher {
    Dispatcher::with(core, CONSUMERS.to_vec())
}
