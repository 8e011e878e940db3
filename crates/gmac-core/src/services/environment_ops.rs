//! Operations on an environment (issue 12, point 4): a restart and a scale, each a job.
//!
//! On a cluster both apply the live release again: a scale with the new replica count (or
//! autoscaling bounds, a `HorizontalPodAutoscaler`), a restart with the time of the restart in
//! the pod template (so the Deployment replaces its pods one at a time, as `kubectl rollout
//! restart` does), followed until every replica is available. The count and the restart time
//! are the environment's, so every later release runs with them. On a container host a
//! restart starts a fresh container of the live release beside the one serving, moves the
//! proxy to it once healthy and removes the old one after the drain, so that no request fails
//! (as a rollout does); a host runs one container, so it does not scale.
//!
//! Restarting or scaling needs the permission that deploys to the environment; one change runs
//! at a time with rollouts (`409` while either is under way).

use gmac_types::{ErrorCode, FieldError, Job, ScaleRequest};
use sea_orm::{ActiveValue::Set, EntityTrait};
use serde::Deserialize;

use crate::audit::AuditEntry;
use crate::entities::{environment, release, target};
use crate::platform::change::Change;
use crate::platform::jobs::{self, NewJob};
use crate::platform::worker::{Handler, JobContext, JobFailure, handler};
use crate::services::release_rows::refuse_while_busy;
use crate::services::{catalog, environments, kube_rollout, targets};
use crate::{Actor, Core, Error, RequestMeta, Result};

/// What an operation's job does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Operation {
    Restart,
    Scale,
}

#[derive(Deserialize)]
struct OperationInput {
    environment_id: String,
    operation: Operation,
}

/// Checks a scale against the target: a container host runs one container, without bounds.
fn check_scale(input: &ScaleRequest, on_cluster: bool) -> Result<()> {
    if !(1..=50).contains(&input.replicas) {
        return Err(Error::invalid(FieldError::new(
            "replicas",
            "out_of_range",
            "From 1 to 50 replicas.",
        )));
    }
    if let Some(bounds) = &input.autoscale {
        let mut errors = gmac_types::validation::FieldErrors::new();
        if !(1..=50).contains(&bounds.min) || !(bounds.min..=50).contains(&bounds.max) {
            let field = if (1..=50).contains(&bounds.min) {
                "max"
            } else {
                "min"
            };
            errors.push(FieldError::at(
                &["autoscale", field],
                "out_of_range",
                "At least 1 replica and at most 50, the fewest no more than the most.",
            ));
        }
        if !(10..=95).contains(&bounds.cpu_percent) {
            errors.push(FieldError::at(
                &["autoscale", "cpu_percent"],
                "out_of_range",
                "A CPU target from 10 to 95 percent of the request.",
            ));
        }
        if !(bounds.min..=bounds.max).contains(&input.replicas) {
            errors.push(FieldError::new(
                "replicas",
                "out_of_range",
                "Within the autoscaling bounds.",
            ));
        }
        errors.finish().map_err(Error::Validation)?;
    }
    if !on_cluster && (input.replicas != 1 || input.autoscale.is_some()) {
        return Err(Error::conflict(
            ErrorCode::Conflict,
            "A container host runs one container per release: scaling needs a Kubernetes cluster target.",
        ));
    }
    Ok(())
}

/// Restarts the environment's live release: `202` with the job.
pub async fn restart(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    environment_id: &str,
) -> Result<Job> {
    start(core, actor, meta, environment_id, Operation::Restart, None).await
}

/// Scales the environment: `202` with the job.
pub async fn scale(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    environment_id: &str,
    input: ScaleRequest,
) -> Result<Job> {
    start(
        core,
        actor,
        meta,
        environment_id,
        Operation::Scale,
        Some(input),
    )
    .await
}

async fn start(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    environment_id: &str,
    operation: Operation,
    scale: Option<ScaleRequest>,
) -> Result<Job> {
    let (env, owner) = environments::visible(core, actor, environment_id).await?;
    environments::require_deploy(actor, &env, &owner)?;
    refuse_inactive(&owner).map_err(|why| Error::conflict(ErrorCode::Conflict, why))?;
    // What runs is the live release, on the target it was rolled out to.
    let live_target = match &env.live_release_id {
        Some(id) => release::Entity::find_by_id(id.as_str())
            .one(&core.db)
            .await?
            .and_then(|r| r.target_id),
        None => None,
    };
    let on_cluster = match live_target {
        Some(id) => target::Entity::find_by_id(id.as_str())
            .one(&core.db)
            .await?
            .is_some_and(|t| targets::is_cluster(&t)),
        None => false,
    };
    if let Some(input) = &scale {
        check_scale(input, on_cluster)?;
    }
    let txn = Change::begin(core).await?;
    environments::lock(&txn, &env.id).await?;
    let env = environments::find(&txn, &env.id).await?;
    if env.live_release_id.is_none() {
        return Err(Error::conflict(
            ErrorCode::Conflict,
            format!("Nothing serves {} yet: deploy a release first.", env.name),
        ));
    }
    crate::services::environments::refuse_deleting(&env)?;
    refuse_while_busy(&txn, &env).await?;
    crate::services::release_rows::refuse_while_rolling_out(&txn, &env.id).await?;
    let kind = if env.name == "production" {
        crate::platform::job_kinds::ENVIRONMENT_OPERATION_PRODUCTION
    } else {
        crate::platform::job_kinds::ENVIRONMENT_OPERATION
    };
    let mut new_job = NewJob::new(
        kind,
        serde_json::json!({"environment_id": env.id, "operation": operation}),
    );
    new_job.client_id = Some(env.client_id.clone());
    let (job_row, _) = jobs::enqueue(&txn, core, Some(actor), new_job).await?;
    let mut change = environment::ActiveModel {
        id: Set(env.id.clone()),
        operation_job_id: Set(Some(job_row.id.clone())),
        updated_at: Set(txn.now()),
        version: Set(env.version + 1),
        ..Default::default()
    };
    let details = if let Some(input) = &scale {
        // Checked above: each within 1 to 95.
        let small = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
        change.replicas = Set(small(input.replicas));
        change.autoscale_min = Set(input.autoscale.map(|a| small(a.min)));
        change.autoscale_max = Set(input.autoscale.map(|a| small(a.max)));
        change.autoscale_cpu = Set(input.autoscale.map(|a| small(a.cpu_percent)));
        serde_json::json!({
            "environment": env.name, "job_id": job_row.id,
            "before": {"replicas": env.replicas, "autoscale": [env.autoscale_min, env.autoscale_max, env.autoscale_cpu]},
            "after": {"replicas": input.replicas, "autoscale": input.autoscale},
        })
    } else {
        change.restarted_at = Set(Some(txn.now()));
        serde_json::json!({"environment": env.name, "job_id": job_row.id})
    };
    environment::Entity::update(change).exec(&txn).await?;
    let action = match operation {
        Operation::Restart => "environment.restart",
        Operation::Scale => "environment.scale",
    };
    let entry = AuditEntry::success(actor.audit_actor(), action)
        .target("environment", env.id.clone())
        .scope(&catalog::target_of(&owner))
        .details(details);
    txn.commit(core, meta, entry).await?;
    jobs::to_dto(job_row)
}

/// The handler of [`crate::platform::job_kinds::ENVIRONMENT_OPERATION`].
pub fn operation_handler() -> Handler {
    handler(|ctx| async move {
        let input: OperationInput = ctx.payload()?;
        let env = environments::find(&ctx.core.db, &input.environment_id).await?;
        // Only the environment's newest operation runs (a retried older one does not), and
        // never over a rollout: what is live is what it applies.
        if env.operation_job_id.as_deref() != Some(ctx.job.id.as_str()) {
            return Err(JobFailure::permanent(
                "another restart or scale of the environment was asked for since",
            ));
        }
        if let Err(busy) =
            crate::services::release_rows::refuse_while_rolling_out(&ctx.core.db, &env.id).await
        {
            return Err(JobFailure::later(
                std::time::Duration::from_secs(3),
                busy.to_string(),
            ));
        }
        let owner = catalog::find(&ctx.core.db, &env.service_id).await?;
        refuse_inactive(&owner).map_err(JobFailure::permanent)?;
        let Some(live_id) = env.live_release_id.clone() else {
            return Err(JobFailure::permanent(format!(
                "nothing serves {} any more",
                env.name
            )));
        };
        let live = release::Entity::find_by_id(live_id.as_str())
            .one(&ctx.core.db)
            .await?
            .ok_or_else(|| JobFailure::permanent("the live release was deleted"))?;
        let target = target::Entity::find_by_id(live.target_id.clone().unwrap_or_default())
            .one(&ctx.core.db)
            .await?
            .ok_or_else(|| JobFailure::permanent("the live release's target was removed"))?;
        if targets::is_cluster(&target) {
            return Box::pin(kube_rollout::reapply(&ctx, live, target)).await;
        }
        restart_container(&ctx, &live, input.operation).await
    })
}

/// Only an active service's environments are restarted or scaled: one being deleted is torn
/// down meanwhile.
fn refuse_inactive(owner: &crate::entities::service::Model) -> std::result::Result<(), String> {
    if owner.status == gmac_types::ServiceStatus::Active.id() {
        Ok(())
    } else {
        Err(format!(
            "The service is {}: only an active service's environments are restarted or scaled.",
            owner.status
        ))
    }
}

/// A container host's operation: a restart replaces the live release's container with a
/// fresh one, with no failed request ([`crate::services::releases::renew`]); a host runs one
/// container, so a scale has nothing to do.
async fn restart_container(
    ctx: &JobContext,
    live: &release::Model,
    operation: Operation,
) -> std::result::Result<serde_json::Value, JobFailure> {
    if operation == Operation::Scale {
        ctx.log("a container host runs one container: nothing to scale")
            .await?;
        return Ok(serde_json::json!({"release_id": live.id, "replicas": 1}));
    }
    crate::services::releases::renew(ctx, live.clone()).await
}
