//! Tearing down what gmac runs for a service being deleted (issue 12, point 4): its releases'
//! containers and its environments' proxy routes on container hosts, and its environments'
//! namespaces on clusters.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::Core;
use crate::entities::{environment, release, service, target};
use crate::platform::worker::{JobContext, JobFailure};
use crate::services::release_rows::short;
use crate::services::targets;

/// Waits (the job queued again, without using an attempt) while a rollout, a restart or a
/// scale runs in one of the service's environments (or only in `only`): what it starts would
/// outlive the teardown.
pub(crate) async fn wait_for_work(
    ctx: &JobContext,
    service_id: &str,
    only: Option<&str>,
) -> std::result::Result<(), JobFailure> {
    let mut envs =
        environment::Entity::find().filter(environment::Column::ServiceId.eq(service_id));
    if let Some(environment_id) = only {
        envs = envs.filter(environment::Column::Id.eq(environment_id));
    }
    for env in envs.all(&ctx.core.db).await? {
        // A restart or a scale under way counts as the live release's rollout.
        if let Some(number) = crate::services::release_rows::rolling_out(&ctx.core, &env.id).await?
        {
            return Err(JobFailure::later(
                std::time::Duration::from_secs(3),
                format!(
                    "release #{number} is rolling out to {} (or restarting, or scaling); the teardown waits for it to end",
                    env.name
                ),
            ));
        }
    }
    Ok(())
}

/// Stops what gmac runs for a service being deleted (or only for its environment `only`, a
/// preview being deleted): every release's container on its target,
/// and each environment's route in the proxies of the targets its releases ran on. Each one
/// done is recorded, so a retried job goes on where it stopped; one whose target was removed
/// is said in the log and left.
pub(crate) async fn tear_down(
    ctx: &JobContext,
    service_id: &str,
    only: Option<&str>,
) -> std::result::Result<(), JobFailure> {
    let db = &ctx.core.db;
    let mut rows = release::Entity::find().filter(release::Column::ServiceId.eq(service_id));
    if let Some(environment_id) = only {
        rows = rows.filter(release::Column::EnvironmentId.eq(environment_id));
    }
    let rows = rows.all(db).await?;
    let running: Vec<&release::Model> = rows.iter().filter(|r| r.container_id.is_some()).collect();
    if rows.is_empty() {
        ctx.log("nothing was deployed").await?;
        return Ok(());
    }
    let Some(deployer) = ctx.core.deployer.clone() else {
        return Err(JobFailure::permanent(
            "no container host connector is configured, so the service's containers cannot be stopped",
        ));
    };
    let mut routes: Vec<(String, String)> = Vec::new();
    let mut namespaces: Vec<(String, String)> = Vec::new();
    for row in &rows {
        let target = match &row.target_id {
            Some(id) => target::Entity::find_by_id(id.as_str()).one(db).await?,
            None => None,
        };
        let Some(target) = target else {
            if let Some(container) = &row.container_id {
                ctx.log(format!(
                    "release #{} ran on a target since removed: its container {} is left there",
                    row.number,
                    short(container)
                ))
                .await?;
            }
            continue;
        };
        if crate::services::targets::is_cluster(&target) {
            let pair = (target.id.clone(), row.environment_id.clone());
            if !namespaces.contains(&pair) {
                namespaces.push(pair);
            }
            continue;
        }
        if let Some(admin) = &target.proxy_admin_url {
            let route = (admin.clone(), format!("gmac-env-{}", row.environment_id));
            if !routes.contains(&route) {
                routes.push(route);
            }
        }
        let engine = targets::engine_of(&ctx.core, &target)?;
        stop_containers(ctx, &*deployer, &engine, row).await?;
    }
    for (admin, id) in routes {
        deployer
            .unroute(&admin, &id)
            .await
            .map_err(JobFailure::transient)?;
        ctx.log(format!("route {id} removed from the proxy"))
            .await?;
    }
    for (target_id, environment_id) in namespaces {
        tear_down_namespace(ctx, service_id, &target_id, &environment_id).await?;
    }
    if running.is_empty() {
        ctx.log("no release had a container left").await?;
    }
    Ok(())
}

/// Stops and removes `row`'s containers on `engine`: the one it records (forgotten once
/// removed) and any other labelled as its.
async fn stop_containers(
    ctx: &JobContext,
    deployer: &dyn crate::ports::Deployer,
    engine: &crate::ports::Engine,
    row: &release::Model,
) -> std::result::Result<(), JobFailure> {
    let db = &ctx.core.db;
    // Any other of its containers too (one a restart interrupted or cancelled may have
    // left); a host that cannot list them does not hold up the teardown.
    let others = match deployer.release_containers(engine, &row.id).await {
        Ok(others) => others,
        Err(e) => {
            ctx.log(format!(
                "release #{}'s containers could not be listed: {e}",
                row.number
            ))
            .await?;
            Vec::new()
        }
    };
    for other in others {
        if row.container_id.as_deref() != Some(other.as_str()) {
            deployer.remove(engine, &other).await?;
            ctx.log(format!(
                "release #{}'s other container {} stopped and removed",
                row.number,
                short(&other)
            ))
            .await?;
        }
    }
    if let Some(container) = &row.container_id {
        deployer.remove(engine, container).await?;
        crate::services::release_rows::forget_container(&crate::db::Solo(db), &row.id).await?;
        ctx.log(format!(
            "release #{}'s container {} stopped and removed",
            row.number,
            short(container)
        ))
        .await?;
    }
    Ok(())
}

/// Deletes an environment's namespace on its cluster; said in the log either way.
async fn tear_down_namespace(
    ctx: &JobContext,
    service_id: &str,
    target_id: &str,
    environment_id: &str,
) -> std::result::Result<(), JobFailure> {
    let db = &ctx.core.db;
    let (Some(target), Some(env), Some(owner)) = (
        target::Entity::find_by_id(target_id).one(db).await?,
        environment::Entity::find_by_id(environment_id)
            .one(db)
            .await?,
        service::Entity::find_by_id(service_id).one(db).await?,
    ) else {
        return Ok(());
    };
    let said = tear_down_on_cluster(&ctx.core, &target, &owner.name, &env).await?;
    ctx.log(said).await?;
    Ok(())
}

/// Deletes the environment's namespace on its cluster (teardown of a service), answering what
/// was done for the log; a cluster that cannot be reached is tried again (the job retries).
async fn tear_down_on_cluster(
    core: &Core,
    target: &target::Model,
    service_name: &str,
    env: &environment::Model,
) -> std::result::Result<String, JobFailure> {
    let namespace = targets::namespace_of(service_name, &env.name, &env.id);
    let Some(cluster) = core.cluster.clone() else {
        return Ok(format!(
            "namespace {namespace} left: no Kubernetes connector is configured"
        ));
    };
    let kubeconfig = match targets::kubeconfig_of(core, target) {
        Ok(k) => k,
        Err(e) => return Ok(format!("namespace {namespace} left: the kubeconfig: {e}")),
    };
    match cluster.delete_namespace(&kubeconfig, &namespace).await {
        Ok(()) => Ok(format!(
            "namespace {namespace} deleted, with everything in it"
        )),
        Err(crate::ports::ImageBuildError::Unavailable(why)) => Err(JobFailure::transient(
            format!("namespace {namespace} could not be deleted yet: {why}"),
        )),
        Err(e) => Ok(format!("namespace {namespace} could not be deleted: {e}")),
    }
}
