//! Preview environments (issue 12, point 4), as Vercel and Render make them: a service that
//! opens previews gets one per pushed branch that no environment builds. It deploys where
//! staging does, with staging's deploy settings, and runs with the variables the project, the
//! service's groups and the service share (its own start empty). Every push of its branch is
//! built and deployed to it by deploy-on-push and moves its expiry on. It goes, with everything
//! it runs, when it expires, when its branch is deleted, or when someone deletes it: a job
//! (`environment.delete`) tears down its containers, proxy route or namespace and then its
//! row, with its releases, variables, secrets and domains.
//!
//! Opening one by hand and deleting one need `deploys.run` (Developers deploy to previews);
//! how long a service's previews live is a service setting.

use chrono::{DateTime, Duration, Utc};
use gmac_types::{
    BuildTrigger, ErrorCode, FieldError, Job, NewPreview, Permission, PreviewStarted, ServiceStatus,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect,
};
use serde::Deserialize;

use crate::audit::{AuditActor, AuditEntry};
use crate::entities::{build, environment, job, service};
use crate::platform::change::Change;
use crate::platform::job_kinds::ENVIRONMENT_DELETE;
use crate::platform::jobs::{self, NewJob};
use crate::platform::worker::{Handler, handler};
use crate::services::{build_settings, builds, catalog, environments};
use crate::{Actor, Core, Error, RequestMeta, Result};

/// How long a preview opened by hand lives when its service sets nothing: three days.
pub const DEFAULT_TTL_HOURS: i32 = 72;

/// Where a preview environment's name starts; staging's and production's never do.
pub const PREFIX: &str = "preview-";

/// The most previews a service keeps open at once: a push to yet another branch opens none,
/// and one asked for by hand is refused until one goes.
pub const MAX_OPEN: u64 = 20;

/// The most characters of the branch a preview's name keeps.
const NAME_BRANCH_CHARS: usize = 30;

/// The name of `branch`'s preview: `preview-` and the branch in lower case, each run of other
/// characters than letters and digits one `-`, at most 30 characters of it.
pub fn name_of(branch: &str) -> String {
    let mut slug = String::new();
    for c in branch.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug: String = slug
        .trim_matches('-')
        .chars()
        .take(NAME_BRANCH_CHARS)
        .collect();
    let slug = slug.trim_end_matches('-');
    format!("{PREFIX}{}", if slug.is_empty() { "branch" } else { slug })
}

/// Where an environment's audit rows and events are scoped: its project.
fn scope_of(row: &environment::Model) -> crate::access::Target {
    crate::access::Target::Project {
        id: row.project_id.clone(),
        client_id: row.client_id.clone(),
    }
}

/// Whether `row` is a preview environment.
pub fn is_preview(row: &environment::Model) -> bool {
    row.preview_branch.is_some()
}

/// The open preview of `branch` (not one being deleted), when there is one.
async fn open_preview(
    conn: &impl sea_orm::ConnectionTrait,
    service_id: &str,
    branch: &str,
) -> Result<Option<environment::Model>> {
    Ok(environment::Entity::find()
        .filter(environment::Column::ServiceId.eq(service_id))
        .filter(environment::Column::PreviewBranch.eq(branch))
        .filter(environment::Column::DeleteJobId.is_null())
        .one(conn)
        .await?)
}

/// The open preview of `branch`, held in `txn` until it commits and read again under the hold
/// (a deletion may have begun meanwhile).
async fn locked_preview(
    txn: &Change,
    service_id: &str,
    branch: &str,
) -> Result<Option<environment::Model>> {
    let Some(row) = open_preview(txn, service_id, branch).await? else {
        return Ok(None);
    };
    environments::lock(txn, &row.id).await?;
    Ok(Some(environments::find(txn, &row.id).await?).filter(|r| r.delete_job_id.is_none()))
}

/// The name of `branch`'s new preview that no environment in `siblings` has: two branches may
/// read the same (`feature/a`, `feature-a`), and the later one is numbered.
fn free_name(siblings: &[environment::Model], branch: &str) -> Result<String> {
    let base = name_of(branch);
    (1..=100)
        .map(|n| {
            if n == 1 {
                base.clone()
            } else {
                format!("{base}-{n}")
            }
        })
        .find(|name| siblings.iter().all(|e| e.name != *name))
        .ok_or_else(|| {
            Error::conflict(
                ErrorCode::Conflict,
                format!("The service has 100 previews named {base} already."),
            )
        })
}

/// Opens the preview of `branch` in `txn`, or moves the expiry of the one open on to `ttl_hours`
/// from now (never earlier than it was); answers it. A new one deploys where staging does (a
/// 409 while staging has no target, or once [`MAX_OPEN`] are open),
/// with staging's deploy settings, and takes a name no other environment of the service has.
pub(crate) async fn open(
    txn: &Change,
    core: &Core,
    owner: &service::Model,
    branch: &str,
    ttl_hours: i32,
) -> Result<environment::Model> {
    let expires_at = txn.now() + Duration::hours(i64::from(ttl_hours));
    // Two pushes of a new branch at once open one preview: on PostgreSQL the service's row is
    // held until the first one's is made (SQLite writes one at a time).
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        service::Entity::find_by_id(owner.id.as_str())
            .lock_exclusive()
            .one(txn)
            .await?;
    }
    if let Some(row) = locked_preview(txn, &owner.id, branch).await? {
        let later = row.expires_at.map_or(expires_at, |e| e.max(expires_at));
        return Ok(environment::Entity::update(environment::ActiveModel {
            id: Set(row.id.clone()),
            expires_at: Set(Some(later)),
            updated_at: Set(txn.now()),
            version: Set(row.version + 1),
            ..Default::default()
        })
        .exec(txn)
        .await?);
    }
    let open_now = environment::Entity::find()
        .filter(environment::Column::ServiceId.eq(owner.id.as_str()))
        .filter(environment::Column::PreviewBranch.is_not_null())
        .filter(environment::Column::DeleteJobId.is_null())
        .count(txn)
        .await?;
    if open_now >= MAX_OPEN {
        return Err(Error::conflict(
            ErrorCode::Conflict,
            format!(
                "The service has {MAX_OPEN} previews open, the most it keeps: delete one first."
            ),
        ));
    }
    let siblings = environment::Entity::find()
        .filter(environment::Column::ServiceId.eq(owner.id.as_str()))
        .all(txn)
        .await?;
    let staging = siblings
        .iter()
        .find(|e| e.name == "staging")
        .filter(|e| e.target_id.is_some())
        .ok_or_else(|| {
            Error::conflict(
                ErrorCode::Conflict,
                "Choose a target for staging first: a preview deploys where staging does.",
            )
        })?;
    let name = free_name(&siblings, branch)?;
    let row = environment::Model {
        id: core.new_id(),
        service_id: owner.id.clone(),
        client_id: owner.client_id.clone(),
        project_id: owner.project_id.clone(),
        name,
        target_id: staging.target_id.clone(),
        live_release_id: None,
        deploy_on_push: true,
        paused_at: None,
        paused_by: None,
        paused_reason: None,
        resumed_at: None,
        // A preview that fails has nobody's traffic to protect: it says so and stays failed.
        auto_rollback: false,
        replicas: 1,
        autoscale_min: None,
        autoscale_max: None,
        autoscale_cpu: None,
        restarted_at: None,
        operation_job_id: None,
        health_path: staging.health_path.clone(),
        health_timeout_secs: staging.health_timeout_secs,
        releases_kept: 2,
        cpu_request_millis: staging.cpu_request_millis,
        cpu_limit_millis: staging.cpu_limit_millis,
        memory_request_mib: staging.memory_request_mib,
        memory_limit_mib: staging.memory_limit_mib,
        preview_branch: Some(branch.to_owned()),
        expires_at: Some(expires_at),
        delete_job_id: None,
        created_at: txn.now(),
        updated_at: txn.now(),
        version: 1,
    };
    environment::Entity::insert(environment::ActiveModel::from(row.clone()))
        .exec_without_returning(txn)
        .await?;
    Ok(row)
}

/// The preview a push to `branch` (which no environment builds) is built for, in `txn`: the
/// open one, its expiry moved on while the service opens previews (one opened before they were
/// switched off keeps its expiry); else a new one, when the service opens previews, staging has
/// a target and fewer than [`MAX_OPEN`] are open.
pub(crate) async fn pushed(
    txn: &Change,
    core: &Core,
    owner: &service::Model,
    branch: &str,
) -> Result<Option<String>> {
    let Some(ttl) = owner.preview_ttl_hours else {
        return Ok(locked_preview(txn, &owner.id, branch)
            .await?
            .map(|row| row.name));
    };
    match open(txn, core, owner, branch, ttl).await {
        Ok(row) => Ok(Some(row.name)),
        // No staging target, or as many open as a service keeps: the push is kept, and
        // builds nothing.
        Err(Error::Conflict { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// A preview opened (or pushed again) by hand: the branch's head is built, and deploy-on-push
/// deploys the build to the preview once it succeeds. Needs `deploys.run` and `builds.run`; the
/// branch is not one staging or production builds, and staging has a target (a preview
/// deploys where staging does).
pub async fn start(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    service_id: &str,
    input: NewPreview,
) -> Result<PreviewStarted> {
    let owner = catalog::find(&core.db, service_id).await?;
    let scope = catalog::target_of(&owner);
    actor.require_on(Permission::ServicesView, &scope)?;
    actor.require(Permission::DeploysRun, &scope)?;
    actor.require(Permission::BuildsRun, &scope)?;
    let branch = input.branch.trim();
    if !gmac_types::validation::branch_ok(branch) {
        return Err(Error::invalid(FieldError::new(
            "branch",
            "invalid",
            "A branch is 1 to 100 letters, digits, '.', '_', '-' or '/', as git allows.",
        )));
    }
    if let Some(env) = catalog::environments(&owner)
        .into_iter()
        .find(|e| e.branch == branch)
    {
        return Err(Error::invalid(FieldError::new(
            "branch",
            "taken",
            format!(
                "{} builds {branch}: a preview is of another branch.",
                env.name
            ),
        )));
    }
    if owner.status != ServiceStatus::Active.id() {
        return Err(Error::conflict(
            ErrorCode::Conflict,
            format!(
                "The service is {}: only an active service opens previews.",
                owner.status
            ),
        ));
    }
    let txn = Change::begin(core).await?;
    let ttl = owner.preview_ttl_hours.unwrap_or(DEFAULT_TTL_HOURS);
    let env = open(&txn, core, &owner, branch, ttl).await?;
    let build = builds::enqueue(
        &txn,
        core,
        Some(actor),
        &owner,
        builds::Spec {
            git_ref: branch.to_owned(),
            commit: None,
            environment: Some(env.name.clone()),
            trigger: BuildTrigger::Preview,
            cache: build_settings::settings(&owner).cache,
        },
    )
    .await?;
    let entry = AuditEntry::success(actor.audit_actor(), "environment.preview")
        .target("environment", env.id.clone())
        .scope(&scope)
        .details(serde_json::json!({
            "service_id": owner.id, "name": env.name, "branch": branch,
            "expires_at": env.expires_at, "build_id": build.id,
        }));
    txn.commit(core, meta, entry).await?;
    let environment = environments::get(core, actor, &env.id).await?;
    let build = builds::get(core, actor, &build.id).await?;
    Ok(PreviewStarted { environment, build })
}

/// Starts deleting preview `row` in `txn`: from now on it deploys nothing, its builds that
/// have not ended are cancelled, and a job tears down what it runs and then removes it.
/// Answers the job and the audit row to commit with.
pub(crate) async fn close(
    txn: &Change,
    core: &Core,
    actor: Option<&Actor>,
    row: &environment::Model,
    why: &str,
) -> Result<(job::Model, AuditEntry)> {
    let mut new_job = NewJob::new(
        ENVIRONMENT_DELETE,
        serde_json::json!({ "environment_id": row.id }),
    );
    new_job.client_id = Some(row.client_id.clone());
    new_job.dedupe_key = Some(format!("environment-delete:{}", row.id));
    let (job_row, _) = jobs::enqueue(txn, core, actor, new_job).await?;
    let cancelled_builds = cancel_builds(txn, core, row).await?;
    environment::Entity::update(environment::ActiveModel {
        id: Set(row.id.clone()),
        delete_job_id: Set(Some(job_row.id.clone())),
        updated_at: Set(txn.now()),
        version: Set(row.version + 1),
        ..Default::default()
    })
    .exec(txn)
    .await?;
    let by = actor.map_or_else(
        || AuditActor::System {
            label: "preview environments".to_owned(),
        },
        Actor::audit_actor,
    );
    let entry = AuditEntry::success(by, "environment.delete")
        .target("environment", row.id.clone())
        .scope(&scope_of(row))
        .details(serde_json::json!({
            "service_id": row.service_id, "name": row.name,
            "branch": row.preview_branch, "why": why, "job_id": job_row.id,
            "cancelled_builds": cancelled_builds,
        }));
    Ok((job_row, entry))
}

/// Deletes a preview environment (`DELETE /environments/{id}`): `202` with the job tearing it
/// down. Staging and production go with their service only. Needs `deploys.run`.
pub async fn delete(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    id: &str,
    if_match: Option<i64>,
) -> Result<Job> {
    let (row, owner) = environments::visible(core, actor, id).await?;
    environments::require_deploy(actor, &row, &owner)?;
    if !is_preview(&row) {
        return Err(Error::conflict(
            ErrorCode::Conflict,
            format!(
                "{} goes with its service: delete the service to remove it. Only a preview is deleted on its own.",
                row.name
            ),
        ));
    }
    let txn = Change::begin(core).await?;
    environments::lock(&txn, id).await?;
    let row = environments::find(&txn, id).await?;
    Change::expect_version(if_match, row.version)?;
    if deletion_under_way(&txn, &row).await? {
        return Err(Error::conflict(
            ErrorCode::Conflict,
            format!("{} is being deleted already.", row.name),
        ));
    }
    let (job_row, entry) = close(&txn, core, Some(actor), &row, "deleted by hand").await?;
    txn.commit(core, meta, entry).await?;
    jobs::to_dto(job_row)
}

/// Whether `row`'s deletion is under way or done: its job is queued, running or succeeded. A
/// deletion cancelled or failed (or whose job was pruned) may be started again.
async fn deletion_under_way(
    conn: &impl sea_orm::ConnectionTrait,
    row: &environment::Model,
) -> Result<bool> {
    Ok(deletion_ended_at(conn, row).await?.is_none())
}

/// When `row`'s deletion ended without succeeding: `Some(None)` when it was never started or
/// its job is gone, `Some(Some(t))` when it was cancelled or failed at `t`; `None` while it is
/// under way (or done).
async fn deletion_ended_at(
    conn: &impl sea_orm::ConnectionTrait,
    row: &environment::Model,
) -> Result<Option<Option<DateTime<Utc>>>> {
    let Some(id) = &row.delete_job_id else {
        return Ok(Some(None));
    };
    let Some(job_row) = job::Entity::find_by_id(id.as_str()).one(conn).await? else {
        return Ok(Some(None));
    };
    let going = crate::services::release_rows::unfinished(&job_row)
        || job_row.status == gmac_types::JobStatus::Succeeded.as_str();
    Ok((!going).then_some(job_row.finished_at))
}

/// Starts deleting the open preview of `branch` of service `owner` in `txn` (its branch was
/// deleted); answers the audit row to commit with, when there was one.
pub(crate) async fn close_branch(
    txn: &Change,
    core: &Core,
    owner: &service::Model,
    branch: &str,
) -> Result<Option<AuditEntry>> {
    let Some(row) = locked_preview(txn, &owner.id, branch).await? else {
        return Ok(None);
    };
    let (_, entry) = close(txn, core, None, &row, "its branch was deleted").await?;
    Ok(Some(entry))
}

/// Starts deleting every preview whose expiry is at or before `now`; answers how many. Run by
/// the `previews.expire` schedule.
pub async fn expire_due(core: &Core, now: DateTime<Utc>) -> Result<u64> {
    // A preview whose deletion was cancelled or failed is tried again.
    let due = environment::Entity::find()
        .filter(environment::Column::ExpiresAt.lte(now))
        .all(&core.db)
        .await?;
    let mut closed = 0;
    for row in due {
        let txn = Change::begin(core).await?;
        environments::lock(&txn, &row.id).await?;
        // Looked at again under the lock: a push may have moved it on, a person deleted it.
        let row = environments::find(&txn, &row.id).await?;
        // A deletion that was cancelled or failed is tried again an hour after it ended.
        let retry = match deletion_ended_at(&txn, &row).await? {
            None => false,
            Some(None) => true,
            Some(Some(ended)) => ended + Duration::hours(1) <= now,
        };
        if !retry || row.expires_at.is_none_or(|e| e > now) {
            txn.commit_unaudited().await?;
            continue;
        }
        let (_, entry) = close(&txn, core, None, &row, "it expired").await?;
        txn.commit(core, &RequestMeta::default(), entry).await?;
        closed += 1;
    }
    Ok(closed)
}

#[derive(Deserialize)]
struct DeleteInput {
    environment_id: String,
}

/// The handler of `environment.delete`: waits for a rollout under way there to end, tears
/// down what the environment runs, then removes its row (its releases, variables, secrets and
/// domains go with it).
pub fn deletion_handler() -> Handler {
    handler(|ctx| async move {
        let input: DeleteInput = ctx.payload()?;
        let Some(row) = environment::Entity::find_by_id(input.environment_id.as_str())
            .one(&ctx.core.db)
            .await?
        else {
            return Ok(serde_json::json!({
                "environment_id": input.environment_id, "deleted": true,
            }));
        };
        crate::services::release_teardown::wait_for_work(&ctx, &row.service_id, Some(&row.id))
            .await?;
        crate::services::release_teardown::tear_down(&ctx, &row.service_id, Some(&row.id)).await?;
        // Its row goes with its releases, variables, secrets and domains; the audit row (and
        // its event) tells the boards showing it.
        let txn = Change::begin(&ctx.core).await?;
        environment::Entity::delete_by_id(row.id.as_str())
            .exec(&txn)
            .await?;
        let entry = AuditEntry::success(
            AuditActor::System {
                label: "preview environments".to_owned(),
            },
            "environment.removed",
        )
        .target("environment", row.id.clone())
        .scope(&scope_of(&row))
        .details(serde_json::json!({
            "service_id": row.service_id, "name": row.name, "branch": row.preview_branch,
        }));
        txn.commit(&ctx.core, &RequestMeta::default(), entry)
            .await?;
        ctx.log(format!(
            "{} removed, with its releases and variables",
            row.name
        ))
        .await?;
        Ok(serde_json::json!({
            "environment_id": row.id, "name": row.name, "deleted": true,
        }))
    })
}

/// Cancels, on `txn`, the builds of the preview `row` that have not ended (a queued one at
/// once, a running one at its worker's next heartbeat): what they would deploy has nowhere
/// to go. Answers their ids, for the deletion's audit row.
async fn cancel_builds(txn: &Change, core: &Core, row: &environment::Model) -> Result<Vec<String>> {
    let ended = [
        gmac_types::BuildStatus::Succeeded.id(),
        gmac_types::BuildStatus::Failed.id(),
        gmac_types::BuildStatus::Cancelled.id(),
    ];
    let unfinished = build::Entity::find()
        .filter(build::Column::ServiceId.eq(row.service_id.as_str()))
        .filter(build::Column::Environment.eq(row.name.as_str()))
        .filter(build::Column::Status.is_not_in(ended))
        .all(txn)
        .await?;
    let mut cancelled = Vec::new();
    for built in unfinished {
        match jobs::stop(txn, core, &built.job_id).await {
            Ok(()) => {}
            // It ended meanwhile (or its job was pruned): nothing to cancel.
            Err(Error::Conflict { .. } | Error::NotFound) => continue,
            Err(e) => return Err(e),
        }
        builds::mark_cancelled(txn, &built.job_id, txn.now()).await?;
        cancelled.push(built.id);
    }
    Ok(cancelled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_previews_name_is_its_branch_as_one_lowercase_dns_label() {
        assert_eq!(name_of("feature/Login"), "preview-feature-login");
        assert_eq!(name_of("fix--a__b"), "preview-fix-a-b");
        assert_eq!(name_of("/-/"), "preview-branch");
        let long = name_of(&"ab/".repeat(40));
        assert!(long.len() <= PREFIX.len() + 30, "{long}");
        assert!(!long.ends_with('-'), "{long}");
        assert!(
            long.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        );
    }
}
