//! Releases (issue 12, points 2 and 3): an image an environment runs, numbered within it.
//!
//! A deploy (a succeeded build's image, or an image by reference) or a rollback (a release run
//! again, without a rebuild) makes a release `deploying` and a `release.rollout` job, in one
//! transaction with its audit row. The job, on the environment's container host: makes sure
//! the image is there (pulling it), starts a container with the `gmac.io/*` labels, waits for
//! its health check, moves the proxy's route to it, then retires the release before it after
//! a drain. Until the route moves the old release keeps serving, so a release that never gets
//! healthy leaves production as it was (its container removed, the release `failed` with the
//! reason and the container's last lines).
//!
//! Deploying to staging needs `deploys.run` on the service's project; to production,
//! `deploys.production`. One rollout runs per environment at a time.

use std::sync::Arc;

use gmac_types::{
    BuildStatus, DeployStarted, ErrorCode, FieldError, NewDeploy, NewRollback, Page, PageQuery,
    Release, ReleaseStatus, ReleaseTrigger,
};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::Deserialize;

use crate::audit::{AuditActor, AuditEntry};
use crate::entities::{build, environment, job, release, service, target};
use crate::platform::change::Change;
use crate::platform::jobs::{self, NewJob};
use crate::platform::paging::{self, Direction, Key};
use crate::platform::worker::{Handler, JobContext, JobFailure, handler};
use crate::ports::{Deployer, ImageBuildError, ProxyRoute, ServiceContainer};
use crate::services::build_run::logged;
use crate::services::release_live::{fail_deploying, go_live};
use crate::services::release_rows::{job_end, rolling_out, short, to_dtos, unfinished};
use crate::services::{catalog, environments, kube_rollout, targets, variables};
use crate::{Actor, Core, Error, RequestMeta, Result};

/// The steps of a rollout, in order.
pub const ROLLOUT_STEPS: [&str; 6] = ["image", "start", "health", "switch", "verify", "retire"];

/// An environment's releases, newest first.
pub async fn list(
    core: &Core,
    actor: &Actor,
    environment_id: &str,
    page: &PageQuery,
) -> Result<Page<Release>> {
    environments::visible(core, actor, environment_id).await?;
    let select = release::Entity::find().filter(release::Column::EnvironmentId.eq(environment_id));
    let (rows, next_cursor, total) = paging::page_by_keys(
        core,
        select,
        [paging::column::<release::Entity>(release::Column::Number)],
        Direction::Desc,
        page,
        |r| [Key::Int(r.number)],
    )
    .await?;
    Ok(Page {
        items: to_dtos(core, rows).await?,
        next_cursor,
        total,
    })
}

/// What a new release runs.
struct Spec {
    image: String,
    /// The exact image a rollback brings back (its tag may have moved since).
    image_id: Option<String>,
    build_id: Option<String>,
    rollback_of: Option<String>,
    /// The number of the release a rollback brings back.
    rollback_number: Option<i64>,
    /// The configuration a rollback brings back; a deploy runs the environment's newest.
    config: Option<gmac_types::variables::ReleaseConfig>,
}

/// Deploys a build of the environment's service, or an image by reference.
pub async fn deploy(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    environment_id: &str,
    input: NewDeploy,
) -> Result<DeployStarted> {
    let (env, owner) = environments::visible(core, actor, environment_id).await?;
    environments::require_deploy(actor, &env, &owner)?;
    let spec = match (&input.build_id, &input.image) {
        (Some(build_id), None) => Spec {
            image: build_image(core, &owner, build_id, on_cluster(core, &env).await?).await?,
            image_id: None,
            build_id: Some(build_id.clone()),
            rollback_of: None,
            rollback_number: None,
            config: None,
        },
        (None, Some(image)) if gmac_types::deployments::image_ok(image) => Spec {
            image: image.clone(),
            image_id: None,
            build_id: None,
            rollback_of: None,
            rollback_number: None,
            config: None,
        },
        (None, Some(_)) => {
            return Err(Error::invalid(FieldError::new(
                "image",
                "invalid",
                "An image reference: lowercase letters and digits joined by one '.', '_', ':', '/', '@' or '-', e.g. 127.0.0.1:5000/acme/web:1.4.",
            )));
        }
        _ => {
            return Err(Error::invalid(FieldError::new(
                "build_id",
                "required",
                "Give a build of the service (build_id) or an image, not both.",
            )));
        }
    };
    Box::pin(person_start(core, actor, meta, &env, &owner, spec)).await
}

/// Who makes a release.
#[derive(Clone, Copy)]
enum By<'a> {
    /// A person, through the API.
    Person(&'a Actor),
    /// Deploy-on-push, for a succeeded push build.
    Push(&'a build::Model),
}

/// What deploy-on-push did with a build.
#[derive(Debug)]
pub(crate) enum Pushed {
    /// Its release rolls out.
    Started(Box<DeployStarted>),
    /// It is not deployed, for this reason.
    Skipped(String),
    /// Another rollout is under way: tried again once it has ended.
    Wait(String),
}

/// Deploy-on-push: a succeeded push build is deployed to the environment whose branch it
/// built, unless [`push_unwanted`] says why not (checked again in the transaction that makes
/// the release).
pub(crate) async fn deploy_pushed(core: &Core, built: &build::Model) -> Result<Pushed> {
    let Some(name) = built.environment.as_deref() else {
        return Ok(Pushed::Skipped(
            "the build is of no environment's branch".to_owned(),
        ));
    };
    let Some(env) = environment::Entity::find()
        .filter(environment::Column::ServiceId.eq(built.service_id.as_str()))
        .filter(environment::Column::Name.eq(name))
        .one(&core.db)
        .await?
    else {
        return Ok(Pushed::Skipped(format!(
            "the service has no {name} environment"
        )));
    };
    let Some(owner) = service::Entity::find_by_id(built.service_id.as_str())
        .one(&core.db)
        .await?
    else {
        return Ok(Pushed::Skipped("the service was deleted".to_owned()));
    };
    if let Some(why) = push_unwanted(&core.db, &env, &owner, built).await? {
        return Ok(Pushed::Skipped(why));
    }
    if let Some(number) = rolling_out(core, &env.id).await? {
        return Ok(Pushed::Wait(format!(
            "release #{number} is rolling out to {name}; this build follows once it ends"
        )));
    }
    let image = match build_image(core, &owner, &built.id, on_cluster(core, &env).await?).await {
        Ok(image) => image,
        Err(Error::Validation(errors)) => {
            let said: Vec<String> = errors.into_iter().map(|e| e.detail).collect();
            return Ok(Pushed::Skipped(said.join("; ")));
        }
        Err(Error::Conflict { detail, .. }) => return Ok(Pushed::Skipped(detail)),
        Err(e) => return Err(e),
    };
    let spec = Spec {
        image,
        image_id: None,
        build_id: Some(built.id.clone()),
        rollback_of: None,
        rollback_number: None,
        config: None,
    };
    match start(
        core,
        By::Push(built),
        &RequestMeta::default(),
        &env,
        &owner,
        spec,
    )
    .await
    {
        Ok(Some(started)) => Ok(Pushed::Started(Box::new(started))),
        Ok(None) => Ok(Pushed::Skipped(
            "the environment changed meanwhile; see its deploy-on-push".to_owned(),
        )),
        Err(Error::Conflict { detail, .. }) => match rolling_out(core, &env.id).await? {
            Some(_) => Ok(Pushed::Wait(detail)),
            None => Ok(Pushed::Skipped(detail)),
        },
        Err(e) => Err(e),
    }
}

/// Why a succeeded push build is not to be deployed to `env` now, if it is not: deploy-on-push
/// off or paused there (or resumed only after the build ended), no target, a service not
/// active, a build of another branch than the environment's now, a release of it made
/// already (its events come at least once), or a later push build of the same branch.
async fn push_unwanted(
    conn: &impl sea_orm::ConnectionTrait,
    env: &environment::Model,
    owner: &service::Model,
    built: &build::Model,
) -> Result<Option<String>> {
    let name = &env.name;
    if env.delete_job_id.is_some() {
        return Ok(Some(format!("{name} is being deleted")));
    }
    if !env.deploy_on_push {
        return Ok(Some(format!("deploy-on-push is off for {name}")));
    }
    if env.paused_at.is_some() {
        return Ok(Some(format!(
            "deploy-on-push is paused for {name}: {}",
            env.paused_reason.as_deref().unwrap_or("")
        )));
    }
    if env
        .resumed_at
        .is_some_and(|resumed| built.finished_at.is_none_or(|ended| ended <= resumed))
    {
        return Ok(Some(format!(
            "the build ended before deploy-on-push was resumed for {name}"
        )));
    }
    if env.target_id.is_none() {
        return Ok(Some(format!("{name} has no target")));
    }
    if owner.status != gmac_types::ServiceStatus::Active.id() {
        return Ok(Some(format!("the service is {}", owner.status)));
    }
    let branch = environments::branch_of(owner, env);
    if branch != built.git_ref {
        return Ok(Some(format!(
            "the build is of {}, and {name} now builds {branch}",
            built.git_ref
        )));
    }
    if let Some(made) = release::Entity::find()
        .filter(release::Column::EnvironmentId.eq(env.id.as_str()))
        .filter(release::Column::BuildId.eq(built.id.as_str()))
        .one(conn)
        .await?
    {
        return Ok(Some(format!(
            "it was deployed already as release #{}",
            made.number
        )));
    }
    if let Some(later) = build::Entity::find()
        .filter(build::Column::ServiceId.eq(built.service_id.as_str()))
        .filter(build::Column::Environment.eq(name.as_str()))
        .filter(build::Column::Trigger.is_in([
            gmac_types::BuildTrigger::Push.id(),
            gmac_types::BuildTrigger::Preview.id(),
        ]))
        .filter(build::Column::Status.eq(BuildStatus::Succeeded.id()))
        .filter(build::Column::Number.gt(built.number))
        .one(conn)
        .await?
    {
        return Ok(Some(format!(
            "build #{}, of a later push, is the one to deploy",
            later.number
        )));
    }
    Ok(None)
}

/// Whether the environment deploys to a cluster.
async fn on_cluster(core: &Core, env: &environment::Model) -> Result<bool> {
    let Some(id) = &env.target_id else {
        return Ok(false);
    };
    Ok(target::Entity::find_by_id(id.as_str())
        .one(&core.db)
        .await?
        .is_some_and(|t| targets::is_cluster(&t)))
}

/// The image a succeeded build of `owner` made: its first tag, or for a cluster (which pulls
/// it) that tag's repository pinned to the digest the registry gave it.
async fn build_image(
    core: &Core,
    owner: &service::Model,
    build_id: &str,
    pinned: bool,
) -> Result<String> {
    let unknown = || {
        Error::invalid(FieldError::new(
            "build_id",
            "unknown",
            "There is no build of this id for the service.",
        ))
    };
    if !crate::ids::is_id(build_id) {
        return Err(unknown());
    }
    let row = build::Entity::find_by_id(build_id)
        .one(&core.db)
        .await?
        .filter(|b| b.service_id == owner.id)
        .ok_or_else(unknown)?;
    let tags: Vec<String> = serde_json::from_str(&row.image_tags).unwrap_or_default();
    match tags.into_iter().next() {
        Some(tag) if row.status == BuildStatus::Succeeded.id() && pinned => {
            let Some(digest) = &row.digest else {
                return Err(Error::conflict(
                    ErrorCode::Conflict,
                    format!(
                        "Build #{}'s image was not pushed to a registry (this installation has none), so a cluster cannot pull it.",
                        row.number
                    ),
                ));
            };
            Ok(format!("{}@{digest}", repository_of(&tag)))
        }
        Some(tag) if row.status == BuildStatus::Succeeded.id() => Ok(tag),
        _ => Err(Error::invalid(FieldError::new(
            "build_id",
            "not_built",
            format!(
                "Build #{} is {}: only a succeeded build's image is deployed.",
                row.number, row.status
            ),
        ))),
    }
}

/// An image reference without its tag: `host:5000/acme/web:1` is `host:5000/acme/web`.
fn repository_of(reference: &str) -> &str {
    let name_start = reference.rfind('/').map_or(0, |i| i + 1);
    match reference[name_start..].find(':') {
        Some(at) => &reference[..name_start + at],
        None => reference,
    }
}

/// Rolls an environment back to one of its releases: its image runs again, without a
/// rebuild, once the target is seen to still have it.
pub async fn rollback(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    environment_id: &str,
    input: NewRollback,
) -> Result<DeployStarted> {
    let (env, owner) = environments::visible(core, actor, environment_id).await?;
    environments::require_deploy(actor, &env, &owner)?;
    let unknown = || {
        Error::invalid(FieldError::new(
            "release_id",
            "unknown",
            "There is no release of this id in the environment.",
        ))
    };
    if !crate::ids::is_id(&input.release_id) {
        return Err(unknown());
    }
    let old = release::Entity::find_by_id(input.release_id.as_str())
        .one(&core.db)
        .await?
        .filter(|r| r.environment_id == env.id)
        .ok_or_else(unknown)?;
    if env.live_release_id.as_deref() == Some(old.id.as_str()) {
        return Err(Error::conflict(
            ErrorCode::Conflict,
            format!("Release #{} is the one serving already.", old.number),
        ));
    }
    if old.pruned_at.is_some() {
        return Err(Error::conflict(
            ErrorCode::Conflict,
            format!(
                "Release #{} is no longer kept (the environment keeps its newest {}), so its image may be gone from the host: build its commit again and deploy that.",
                old.number, env.releases_kept
            ),
        ));
    }
    let Some(image_id) = old
        .image_id
        .clone()
        .filter(|_| old.status == ReleaseStatus::Retired.id())
    else {
        return Err(Error::conflict(
            ErrorCode::Conflict,
            format!(
                "Release #{} never served, so there is nothing to bring back.",
                old.number
            ),
        ));
    };
    let target_row = target_of(core, &env).await?;
    if !targets::is_cluster(&target_row) {
        on_host(core, &target_row, &old, &image_id).await?;
    }
    let spec = Spec {
        config: Some(crate::services::release_rows::config_of(&old)?),
        image: old.image,
        image_id: Some(image_id),
        build_id: old.build_id,
        rollback_of: Some(old.id),
        rollback_number: Some(old.number),
    };
    Box::pin(person_start(core, actor, meta, &env, &owner, spec)).await
}

/// Refuses a rollback to a container host that no longer has the release's image.
async fn on_host(
    core: &Core,
    target_row: &target::Model,
    old: &release::Model,
    image_id: &str,
) -> Result<()> {
    let deployer = deployer(core)?;
    let asked = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        deployer.image_id(&targets::engine_of(core, target_row)?, image_id),
    )
    .await
    .unwrap_or_else(|_| {
        Err(crate::ports::ImageBuildError::Unavailable(
            "it did not answer within 10 s".to_owned(),
        ))
    });
    let present = asked.map_err(|e| Error::Unavailable {
        retry_after: 5,
        detail: format!("The target could not be asked for the image: {e}"),
    })?;
    if present.is_none() {
        return Err(Error::conflict(
            ErrorCode::Conflict,
            format!(
                "The image of release #{} ({}) is no longer on the target; deploy it again from its build.",
                old.number, old.image
            ),
        ));
    }
    Ok(())
}

/// A 503 unless the connector that deploys to `target_row` is configured.
fn connector_ready(core: &Core, target_row: &target::Model) -> Result<()> {
    if !targets::is_cluster(target_row) {
        return deployer(core).map(|_| ());
    }
    if core.cluster.is_none() {
        return Err(Error::Unavailable {
            retry_after: 60,
            detail: "This installation has no Kubernetes connector.".to_owned(),
        });
    }
    Ok(())
}

fn deployer(core: &Core) -> Result<Arc<dyn Deployer>> {
    core.deployer.clone().ok_or_else(|| Error::Unavailable {
        retry_after: 60,
        detail: "This installation has no container host connector.".to_owned(),
    })
}

/// The target an environment deploys to; a 409 when it has none.
async fn target_of(core: &Core, env: &environment::Model) -> Result<target::Model> {
    let missing = || {
        Error::conflict(
            ErrorCode::Conflict,
            format!(
                "Choose a target for {} first: it has nowhere to deploy to.",
                env.name
            ),
        )
    };
    let Some(id) = &env.target_id else {
        return Err(missing());
    };
    target::Entity::find_by_id(id.as_str())
        .one(&core.db)
        .await?
        .ok_or_else(missing)
}

/// [`start`] for a person, which nothing skips.
async fn person_start(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    env: &environment::Model,
    owner: &service::Model,
    spec: Spec,
) -> Result<DeployStarted> {
    start(core, By::Person(actor), meta, env, owner, spec)
        .await?
        .ok_or_else(|| anyhow::anyhow!("a person's deploy was skipped").into())
}

/// The kind of job that rolls a release of `env` out (production's has its own queue).
fn rollout_kind(env: &environment::Model) -> &'static str {
    if env.name == "production" {
        crate::platform::job_kinds::RELEASE_ROLLOUT_PRODUCTION
    } else {
        crate::platform::job_kinds::RELEASE_ROLLOUT
    }
}

/// `value` as a JSON text column holds it.
fn json_text(value: &impl serde::Serialize) -> Result<String> {
    Ok(serde_json::to_string(value).map_err(anyhow::Error::from)?)
}

/// Makes the release and its rollout job, in one transaction with its audit row; answers
/// none when a push build is no longer to be deployed (see [`push_unwanted`]).
async fn start(
    core: &Core,
    by: By<'_>,
    meta: &RequestMeta,
    env: &environment::Model,
    owner: &service::Model,
    spec: Spec,
) -> Result<Option<DeployStarted>> {
    connector_ready(core, &target_of(core, env).await?)?;
    if owner.status != gmac_types::ServiceStatus::Active.id() {
        return Err(Error::conflict(
            ErrorCode::Conflict,
            format!(
                "The service is {}: only an active service is deployed.",
                owner.status
            ),
        ));
    }
    let txn = Change::begin(core).await?;
    // One rollout at a time: on PostgreSQL the environment's row is held until the release is
    // made, so two deploys cannot both find none under way (SQLite writes one at a time).
    environments::lock(&txn, &env.id).await?;
    let env = environments::find(&txn, &env.id).await?;
    environments::refuse_deleting(&env)?;
    if let By::Push(built) = by
        && push_unwanted(&txn, &env, &catalog::find(&txn, &owner.id).await?, built)
            .await?
            .is_some()
    {
        return Ok(None);
    }
    let target_row = target_of(core, &env).await?;
    settle_ended(&txn, core, &env.id).await?;
    let number = next_number(&txn, &env.id).await?;
    let config = match spec.config {
        Some(config) => config,
        None => variables::current_config(&txn, &env.id).await?,
    };
    let id = core.new_id();
    let mut new_job = NewJob::new(rollout_kind(&env), serde_json::json!({ "release_id": id }));
    new_job.client_id = Some(env.client_id.clone());
    let actor = match by {
        By::Person(actor) => Some(actor),
        By::Push(_) => None,
    };
    let (job_row, _) = jobs::enqueue(&txn, core, actor, new_job).await?;
    let row = release::Model {
        id: id.clone(),
        environment_id: env.id.clone(),
        service_id: env.service_id.clone(),
        client_id: env.client_id.clone(),
        project_id: env.project_id.clone(),
        number,
        image: spec.image,
        image_id: spec.image_id,
        build_id: spec.build_id,
        rollback_of: spec.rollback_of,
        status: ReleaseStatus::Deploying.id().to_owned(),
        detail: None,
        job_id: job_row.id.clone(),
        target_id: Some(target_row.id.clone()),
        container_id: None,
        upstream: None,
        trigger: match by {
            By::Person(_) => ReleaseTrigger::Manual,
            By::Push(_) => ReleaseTrigger::Push,
        }
        .id()
        .to_owned(),
        created_by: actor.map(|a| a.user_id.clone()),
        created_at: txn.now(),
        finished_at: None,
        variables_version: Some(config.variables_version),
        secret_versions: Some(json_text(&config.secrets)?),
        pruned_at: None,
        project_variables_version: Some(config.project_variables_version),
        service_variables_version: Some(config.service_variables_version),
        group_variables_versions: Some(json_text(&config.groups)?),
        service_secret_versions: Some(json_text(&config.service_secrets)?),
        project_secret_versions: Some(json_text(&config.project_secrets)?),
    };
    release::Entity::insert(release::ActiveModel::from(row.clone()))
        .exec_without_returning(&txn)
        .await?;
    let action = if row.rollback_of.is_some() {
        "release.rollback"
    } else {
        "release.create"
    };
    let audit_actor = paused_by_rollback(&txn, &env, actor, spec.rollback_number).await?;
    let entry = AuditEntry::success(audit_actor, action)
        .target("release", id.clone())
        .scope(&catalog::target_of(owner))
        .details(serde_json::json!({
            "service_id": owner.id, "environment": env.name, "environment_id": env.id,
            "number": number, "image": row.image, "build_id": row.build_id,
            "rollback_of": row.rollback_of, "target_id": target_row.id, "job_id": job_row.id,
            "variables_version": config.variables_version, "secret_versions": config.secrets,
            "service_secret_versions": config.service_secrets, "project_secret_versions": config.project_secrets,
            "shared_variables": {"project": config.project_variables_version,
                "service": config.service_variables_version, "groups": config.groups},
            "pauses_deploy_on_push": spec.rollback_number.is_some() && actor.is_some(),
        }));
    txn.commit(core, meta, entry).await?;
    Ok(Some(DeployStarted {
        release: to_dtos(core, vec![row]).await?.remove(0),
        job: jobs::to_dto(job_row)?,
    }))
}

/// The number the environment's next release takes.
async fn next_number(txn: &Change, environment_id: &str) -> Result<i64> {
    Ok(release::Entity::find()
        .filter(release::Column::EnvironmentId.eq(environment_id))
        .select_only()
        .column_as(release::Column::Number.max(), "n")
        .into_tuple::<Option<i64>>()
        .one(txn)
        .await?
        .flatten()
        .unwrap_or(0)
        + 1)
}

/// A manual rollback pauses deploy-on-push (the next push would otherwise undo it); answers who
/// the audit row names: the person, or deploy-on-push.
async fn paused_by_rollback(
    txn: &Change,
    env: &environment::Model,
    actor: Option<&Actor>,
    brought_back: Option<i64>,
) -> Result<AuditActor> {
    let Some(actor) = actor else {
        return Ok(AuditActor::System {
            label: "deploy on push".to_owned(),
        });
    };
    if let Some(number) = brought_back {
        environments::pause(
            txn,
            env,
            Some(&actor.user_id),
            format!(
                "Release #{number} was brought back by a rollback: pushes are built but not deployed until someone resumes."
            ),
        )
        .await?;
    }
    Ok(actor.audit_actor())
}

/// Refuses a second rollout while one is under way in the environment (a release deploying,
/// or live while its job still watches or retires); a release whose rollout ended without
/// saying so is marked failed with the job's reason.
async fn settle_ended(txn: &Change, core: &Core, environment_id: &str) -> Result<()> {
    let env = environments::find(txn, environment_id).await?;
    crate::services::release_rows::refuse_while_busy(txn, &env).await?;
    // A live release whose job still runs is being watched (the verify step) or retired.
    let rows = release::Entity::find()
        .filter(release::Column::EnvironmentId.eq(environment_id))
        .filter(
            release::Column::Status
                .is_in([ReleaseStatus::Deploying.id(), ReleaseStatus::Live.id()]),
        )
        .all(txn)
        .await?;
    for row in rows {
        let job_row = job::Entity::find_by_id(row.job_id.as_str())
            .one(txn)
            .await?;
        match job_row {
            Some(j) if unfinished(&j) => {
                return Err(Error::conflict(
                    ErrorCode::Conflict,
                    format!(
                        "Release #{} is rolling out; wait for it to end (or cancel its job).",
                        row.number
                    ),
                ));
            }
            _ if row.status == ReleaseStatus::Live.id() => {}
            ended => {
                let detail = ended
                    .as_ref()
                    .map_or_else(|| "The rollout's job is gone.".to_owned(), job_end);
                release::Entity::update_many()
                    .filter(release::Column::Id.eq(row.id.as_str()))
                    .col_expr(
                        release::Column::Status,
                        Expr::value(ReleaseStatus::Failed.id()),
                    )
                    .col_expr(release::Column::Detail, Expr::value(detail))
                    .col_expr(release::Column::FinishedAt, Expr::value(core.now()))
                    .exec(txn)
                    .await?;
            }
        }
    }
    Ok(())
}

#[derive(Deserialize)]
struct RolloutInput {
    release_id: String,
}

/// The handler of `release.rollout`.
pub fn rollout_handler() -> Handler {
    handler(|ctx| async move {
        let input: RolloutInput = ctx.payload()?;
        let Some(row) = release::Entity::find_by_id(input.release_id.as_str())
            .one(&ctx.core.db)
            .await?
        else {
            return Err(JobFailure::permanent("the release was deleted"));
        };
        let live = row.status == ReleaseStatus::Live.id();
        // A retried rollout skipped the deploy's checks: nothing starts in an environment
        // being deleted (its deletion waits for this job to end, then tears down), nor
        // alongside a restart or a scale.
        if row.status == ReleaseStatus::Deploying.id()
            && let Ok(env) = environments::find(&ctx.core.db, &row.environment_id).await
        {
            if env.delete_job_id.is_some() {
                return Err(JobFailure::permanent(format!(
                    "{} is being deleted: release #{} does not roll out",
                    env.name, row.number
                )));
            }
            if let Err(busy) =
                crate::services::release_rows::refuse_while_busy(&ctx.core.db, &env).await
            {
                return Err(JobFailure::later(
                    std::time::Duration::from_secs(3),
                    busy.to_string(),
                ));
            }
        }
        if row.status != ReleaseStatus::Deploying.id() && !live {
            return Err(JobFailure::permanent(format!(
                "release #{} is {} already",
                row.number, row.status
            )));
        }
        let target = target::Entity::find_by_id(row.target_id.clone().unwrap_or_default())
            .one(&ctx.core.db)
            .await?;
        let outcome = match target {
            // A cluster's release that went live has nothing left to do: the cluster retired
            // the old pods itself.
            Some(target) if targets::is_cluster(&target) && live => {
                Ok(serde_json::json!({"release_id": row.id, "number": row.number}))
            }
            Some(target) if targets::is_cluster(&target) => {
                Box::pin(kube_rollout::run(&ctx, row.clone(), target)).await
            }
            _ => Box::pin(container_outcome(&ctx, &row, live)).await,
        };
        if let Err(f) = &outcome
            && (f.permanent || ctx.job.attempts >= ctx.job.max_attempts)
            && !live
        {
            // Only a release still deploying is undone: one that went live serves (an error
            // after the switch leaves it serving, its retiring to the next rollout), and one
            // the automatic rollback failed was cleaned up by it.
            let now = release::Entity::find_by_id(row.id.as_str())
                .one(&ctx.core.db)
                .await?;
            if now.is_some_and(|r| r.status == ReleaseStatus::Deploying.id()) {
                undo(&ctx, &row).await;
                fail(&ctx, &row, &ctx.masked(&f.message)).await?;
            }
        }
        outcome
    })
}

/// The outcome of a rollout to a container host.
async fn container_outcome(
    ctx: &JobContext,
    row: &release::Model,
    live: bool,
) -> std::result::Result<serde_json::Value, JobFailure> {
    match Rollout::new(ctx, row.clone()).await {
        // A run that ended after the switch (the release serves): only the retiring is
        // left to do.
        Ok(rollout) if live => rollout
            .retire(false)
            .await
            .map(|()| serde_json::json!({"release_id": row.id, "number": row.number})),
        Ok(rollout) => Box::pin(rollout.run()).await,
        Err(f) => Err(f),
    }
}

/// The restart of an environment's live release on a container host, with no failed request:
/// see [`Rollout::renew`].
pub(crate) async fn renew(
    ctx: &JobContext,
    live: release::Model,
) -> std::result::Result<serde_json::Value, JobFailure> {
    Box::pin(Rollout::new(ctx, live).await?.renew()).await
}

/// After a rollout failed for good: the live release's route set again (in case this one's
/// switch reached the proxy) and this release's container removed. What cannot be done is
/// logged; the next rollout's retiring removes what is left.
async fn undo(ctx: &JobContext, row: &release::Model) {
    let Some(deployer) = ctx.core.deployer.clone() else {
        return;
    };
    let db = &ctx.core.db;
    let Ok(Some(fresh)) = release::Entity::find_by_id(row.id.as_str()).one(db).await else {
        return;
    };
    // The release serving is never undone.
    if environments::find(db, &fresh.environment_id)
        .await
        .is_ok_and(|env| env.live_release_id.as_deref() == Some(fresh.id.as_str()))
    {
        return;
    }
    let Ok(Some(target)) = target::Entity::find_by_id(fresh.target_id.clone().unwrap_or_default())
        .one(db)
        .await
    else {
        return;
    };
    if let (Some(admin), Ok(env)) = (
        &target.proxy_admin_url,
        environments::find(db, &fresh.environment_id).await,
    ) && let Some(live_id) = &env.live_release_id
        && let Ok(Some(live)) = release::Entity::find_by_id(live_id.as_str()).one(db).await
        && let (Some(upstream), Ok(owner)) = (
            live.upstream.clone(),
            catalog::find(db, &env.service_id).await,
        )
    {
        let hosts = crate::services::domains::hosts_of(db, &owner, &env)
            .await
            .unwrap_or_else(|_| vec![environments::host_of(&owner.name, &env)]);
        let route = ProxyRoute {
            id: format!("gmac-env-{}", env.id),
            hosts,
            upstream,
        };
        if let Err(e) = deployer.route(admin, &route).await {
            let _ = ctx
                .log(format!(
                    "the proxy could not be set back to release #{}: {e}",
                    live.number
                ))
                .await;
        }
    }
    if let Some(container) = &fresh.container_id {
        let removed = match targets::engine_of(&ctx.core, &target) {
            Ok(engine) => deployer.remove(&engine, container).await,
            Err(e) => Err(crate::ports::ImageBuildError::Failed(e.to_string())),
        };
        let said = match removed {
            Ok(()) => format!("the new container {} was removed", short(container)),
            Err(e) => format!(
                "the new container {} could not be removed: {e}",
                short(container)
            ),
        };
        let _ = ctx.log(said).await;
    }
}

/// What the steps of one rollout share.
struct Rollout<'a> {
    ctx: &'a JobContext,
    deployer: Arc<dyn Deployer>,
    release: release::Model,
    env: environment::Model,
    owner: service::Model,
    target: target::Model,
    /// Its engine, as gmac reaches it.
    engine: crate::ports::Engine,
    /// The path of the service's health check (none: the port accepting connections).
    health_path: Option<String>,
}

impl<'a> Rollout<'a> {
    async fn new(
        ctx: &'a JobContext,
        release: release::Model,
    ) -> std::result::Result<Self, JobFailure> {
        let deployer =
            ctx.core.deployer.clone().ok_or_else(|| {
                JobFailure::permanent("no container host connector is configured")
            })?;
        let env = environments::find(&ctx.core.db, &release.environment_id).await?;
        let owner = catalog::find(&ctx.core.db, &release.service_id).await?;
        let target = target::Entity::find_by_id(release.target_id.clone().unwrap_or_default())
            .one(&ctx.core.db)
            .await?
            .ok_or_else(|| JobFailure::permanent("the release's target was removed"))?;
        Ok(Self {
            ctx,
            deployer,
            release,
            env,
            owner,
            engine: targets::engine_of(&ctx.core, &target)?,
            target,
            health_path: None,
        })
    }

    async fn run(mut self) -> std::result::Result<serde_json::Value, JobFailure> {
        let ctx = self.ctx;
        // A newer release made meanwhile (this job retried late) is not rolled out over it.
        let newer = release::Entity::find()
            .filter(release::Column::EnvironmentId.eq(self.env.id.as_str()))
            .filter(release::Column::Number.gt(self.release.number))
            .one(&ctx.core.db)
            .await?;
        if let Some(newer) = newer {
            return Err(JobFailure::permanent(format!(
                "release #{} was made since: this one is not rolled out over it",
                newer.number
            )));
        }
        ctx.step(ROLLOUT_STEPS[0]).await?;
        let image_id = self.image().await?;

        ctx.step(ROLLOUT_STEPS[1]).await?;
        let upstream = self.start(&image_id).await?;

        ctx.step(ROLLOUT_STEPS[2]).await?;
        let id = self.release.container_id.clone().unwrap_or_default();
        if let Err(reason) = self.wait_healthy(&id, &upstream).await {
            return Err(JobFailure::permanent(reason));
        }

        ctx.step(ROLLOUT_STEPS[3]).await?;
        let replaced = self.switch(&upstream).await?;

        ctx.step(ROLLOUT_STEPS[4]).await?;
        let watched = self.verify(&upstream, replaced).await?;

        ctx.step(ROLLOUT_STEPS[5]).await?;
        self.retire(watched).await?;
        crate::services::release_retention::prune(ctx, &self.env.id).await;
        Ok(serde_json::json!({
            "release_id": self.release.id, "number": self.release.number,
            "image_id": image_id, "upstream": upstream,
        }))
    }

    /// The image step: a rollback's exact image must still be on the host; a build's image is
    /// the host's; an image by reference is pulled (a digest only when missing).
    async fn image(&mut self) -> std::result::Result<String, JobFailure> {
        let address = self.engine.clone();
        if let Some(of) = &self.release.rollback_of
            && let Some(old) = release::Entity::find_by_id(of.as_str())
                .one(&self.ctx.core.db)
                .await?
                .filter(|old| old.pruned_at.is_some())
        {
            return Err(JobFailure::permanent(format!(
                "release #{} was let go by retention meanwhile: its image may be gone",
                old.number
            )));
        }
        if self.release.rollback_of.is_some()
            && let Some(id) = self.release.image_id.clone()
        {
            return match self.deployer.image_id(&address, &id).await? {
                Some(_) => {
                    self.ctx
                        .log(format!("{} is on the host as {id}", self.release.image))
                        .await?;
                    Ok(id)
                }
                None => Err(JobFailure::permanent(format!(
                    "the image {id} of {} is no longer on the host",
                    self.release.image
                ))),
            };
        }
        let image = self.release.image.clone();
        let pull = self.release.build_id.is_none() && !image.contains('@');
        let deployer = self.deployer.clone();
        let image_id = logged(self.ctx, |sink| async move {
            deployer.ensure_image(&address, &image, pull, &*sink).await
        })
        .await??;
        let id = image_id.clone();
        self.save(|a| a.image_id = Set(Some(id))).await?;
        Ok(image_id)
    }

    /// Updates the release's row and keeps the change.
    async fn save(
        &mut self,
        change: impl FnOnce(&mut release::ActiveModel),
    ) -> std::result::Result<(), JobFailure> {
        let mut active = release::ActiveModel {
            id: Set(self.release.id.clone()),
            ..Default::default()
        };
        change(&mut active);
        self.release = release::Entity::update(active)
            .exec(&crate::db::Solo(&self.ctx.core.db))
            .await?;
        Ok(())
    }

    /// Starts the release's container (removing one an earlier attempt left); answers the
    /// address it is reached at (`ip:port`).
    async fn start(&mut self, image_id: &str) -> std::result::Result<String, JobFailure> {
        let address = self.engine.clone();
        // The configuration first: its secrets are masked in every line logged from here on,
        // an earlier attempt's container kept or not.
        let container = self.container(image_id, self.container_name()).await?;
        // An earlier attempt's container that runs and answers is kept: the proxy may already
        // send traffic to it (an attempt that ended after the switch).
        if let (Some(old), Some(upstream)) = (
            self.release.container_id.clone(),
            self.release.upstream.clone(),
        ) {
            let running = self
                .deployer
                .state(&address, &old)
                .await
                .is_ok_and(|s| s.running && s.exit_code.is_none());
            if running
                && self
                    .deployer
                    .check_health(&address, &old, &upstream, self.health_path.as_deref())
                    .await
                    .is_ok()
            {
                self.ctx
                    .log(format!(
                        "container {} of an earlier attempt runs and answers: it is kept",
                        short(&old)
                    ))
                    .await?;
                return Ok(upstream);
            }
            self.deployer.remove(&address, &old).await?;
        }
        let started = self.launch(&container).await?;
        let id = started.id.clone();
        self.save(|a| {
            a.container_id = Set(Some(id));
            a.upstream = Set(Some(started.upstream.clone()));
        })
        .await?;
        Ok(started.upstream)
    }

    /// The name of the release's container: service, environment, number and the end of the
    /// release's id.
    fn container_name(&self) -> String {
        format!(
            "gmac-{}-{}-{}-{}",
            self.owner.name,
            self.env.name,
            self.release.number,
            &self.release.id[self.release.id.len().saturating_sub(6)..]
        )
    }

    /// The release's container as it starts, named `name`: its exact image, its configuration
    /// (whose secrets are masked in the job's log from here on), its port, `gmac.io/*` labels
    /// and resources. Sets the health check's path.
    async fn container(
        &mut self,
        image_id: &str,
        name: String,
    ) -> std::result::Result<ServiceContainer, JobFailure> {
        let template =
            crate::services::template_sources::find(&self.ctx.core, &self.owner.template)
                .await
                .ok()
                .flatten();
        self.health_path = environments::health_path(&self.env, template.as_ref());
        let config = crate::services::release_rows::config_of(&self.release)?;
        let (mut env, secrets) = variables::materialize(&self.ctx.core, &self.env.id, &config)
            .await?
            .map_err(JobFailure::permanent)?;
        for secret in &secrets {
            self.ctx.mask(secret);
        }
        let parameters = catalog::parameters(&self.owner);
        let container_port = parameters
            .get("port")
            .and_then(serde_json::Value::as_u64)
            .and_then(|p| u16::try_from(p).ok())
            .or_else(|| template.as_ref().map(|t| t.info().health.port))
            .unwrap_or(8080);
        let mut labels = catalog::labels(&self.owner, Some(&self.env.name));
        labels.insert("gmac.io/release".to_owned(), self.release.id.clone());
        let number = self.release.number.to_string();
        labels.insert("gmac.io/release-number".to_owned(), number);
        catalog::add_project_label(&self.ctx.core.db, &self.release.project_id, &mut labels).await;
        env.insert("PORT".to_owned(), container_port.to_string());
        Ok(ServiceContainer {
            // The exact image the image step found (a tag may move while this runs).
            image: image_id.to_owned(),
            name,
            container_port,
            env,
            labels,
            resources: environments::resources_of(&self.env),
        })
    }

    /// Starts `container` (removing one an interrupted attempt made under the same name).
    async fn launch(
        &self,
        container: &ServiceContainer,
    ) -> std::result::Result<crate::ports::StartedContainer, JobFailure> {
        self.deployer.remove(&self.engine, &container.name).await?;
        let started = match self.deployer.start(&self.engine, container).await {
            Ok(started) => started,
            Err(e) => {
                let reason = e.to_string();
                self.ctx
                    .log(format!("the container did not start: {reason}"))
                    .await?;
                return Err(match e {
                    ImageBuildError::Failed(_) => JobFailure::permanent(reason),
                    ImageBuildError::Unavailable(_) => JobFailure::transient(reason),
                });
            }
        };
        self.ctx
            .log(format!(
                "container {} started from {}: its port {} is reached at {}",
                short(&started.id),
                container.image,
                container.container_port,
                started.upstream
            ))
            .await?;
        Ok(started)
    }

    /// Checks the new container's health until it answers, it stops, or the time is up; the
    /// error says why, with the container's last lines.
    async fn wait_healthy(&self, id: &str, upstream: &str) -> std::result::Result<(), String> {
        let ctx = self.ctx;
        let timeout = environments::health_timeout(&ctx.core, &self.env);
        let path = self.health_path.as_deref();
        let started = std::time::Instant::now();
        let mut last = String::new();
        loop {
            match self
                .deployer
                .check_health(&self.engine, id, upstream, path)
                .await
            {
                Ok(()) => {
                    let _ = ctx
                        .log(format!(
                            "healthy: {} answered after {} ms",
                            path.unwrap_or("the port"),
                            started.elapsed().as_millis()
                        ))
                        .await;
                    return Ok(());
                }
                Err(seen) if seen != last => {
                    let _ = ctx.log(format!("not healthy yet: {seen}")).await;
                    last = seen;
                }
                Err(_) => {}
            }
            let state = self.deployer.state(&self.engine, id).await;
            let lines = state
                .as_ref()
                .map(|s| s.last_lines.join("\n"))
                .unwrap_or_default();
            let tail = if lines.is_empty() {
                String::new()
            } else {
                format!("; the container's last lines:\n{lines}")
            };
            if let Ok(state) = &state
                && let Some(code) = state.exit_code
            {
                let restarts = if state.restarts > 0 {
                    format!(" ({} restart(s))", state.restarts)
                } else {
                    String::new()
                };
                return Err(format!(
                    "the container exited with code {code}{restarts} before it was healthy{tail}"
                ));
            }
            if started.elapsed() >= timeout {
                return Err(format!(
                    "not healthy after {} s: {last}{tail}",
                    timeout.as_secs()
                ));
            }
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        }
    }

    /// Moves the environment's route to the new container and marks the release live (the
    /// one before it retired) with its audit row; answers the release it replaced.
    async fn switch(
        &mut self,
        upstream: &str,
    ) -> std::result::Result<Option<release::Model>, JobFailure> {
        let ctx = self.ctx;
        self.route_to(upstream).await?;
        let previous = go_live(&ctx.core, &self.release, &self.owner).await?;
        ctx.log(format!(
            "release #{} serves {}",
            self.release.number, self.env.name
        ))
        .await?;
        Ok(previous)
    }

    /// A restart of the live release with no failed request: a fresh container of the same
    /// image and configuration starts beside the one serving; once it answers its health
    /// check the proxy moves to it, and after the drain every other container of the release
    /// is removed. One that does not get healthy is removed, and the old one keeps serving.
    /// What an interrupted earlier run left (found by the release's label) is removed first,
    /// the proxy set back to the container the release records.
    async fn renew(mut self) -> std::result::Result<serde_json::Value, JobFailure> {
        let ctx = self.ctx;
        let number = self.release.number;
        let (Some(serving), Some(serving_at), Some(image_id)) = (
            self.release.container_id.clone(),
            self.release.upstream.clone(),
            self.release.image_id.clone(),
        ) else {
            return Err(JobFailure::permanent(format!(
                "nothing runs for release #{number} (its container was removed): deploy it again"
            )));
        };
        ctx.step("start").await?;
        if self
            .deployer
            .image_id(&self.engine, &image_id)
            .await?
            .is_none()
        {
            return Err(JobFailure::permanent(format!(
                "the image {image_id} of release #{number} is no longer on the host"
            )));
        }
        self.sweep(&serving, Some(&serving_at)).await?;
        // A name of this run's own: the container it replaces may be one a restart made.
        let run = ctx.core.new_id();
        let name = format!("{}-{}", self.container_name(), &run[run.len() - 6..]);
        let container = self.container(&image_id, name).await?;
        let started = self.launch(&container).await?;

        ctx.step("health").await?;
        if let Err(reason) = self.wait_healthy(&started.id, &started.upstream).await {
            let _ = self.deployer.remove(&self.engine, &started.id).await;
            return Err(JobFailure::permanent(format!(
                "{reason}\nthe new container was removed: release #{number} keeps serving from the one it had"
            )));
        }

        ctx.step("switch").await?;
        self.route_to(&started.upstream).await?;
        let (id, upstream) = (started.id.clone(), started.upstream.clone());
        self.save(|a| {
            a.container_id = Set(Some(id));
            a.upstream = Set(Some(upstream));
        })
        .await?;

        ctx.step("retire").await?;
        // The old container stays through the drain, watched: should the fresh one fail
        // meanwhile, the proxy goes back to it.
        if let Err(failure) = self.watch(&started.id, &started.upstream).await {
            // The row first: should the proxy call fail, the retry's sweep sets the route back
            // to the container recorded, the old one, and removes the fresh one.
            self.save(|a| {
                a.container_id = Set(Some(serving.clone()));
                a.upstream = Set(Some(serving_at.clone()));
            })
            .await?;
            self.route_to(&serving_at).await?;
            let _ = self.deployer.remove(&self.engine, &started.id).await;
            return Err(JobFailure::permanent(format!(
                "the fresh container {failure}: the proxy went back to the one it had, which keeps serving release #{number}"
            )));
        }
        self.sweep(&started.id, None).await?;
        Ok(serde_json::json!({
            "release_id": self.release.id, "container_id": started.id,
            "upstream": started.upstream,
        }))
    }

    /// Watches the container `id` at `upstream` for the drain: an error says how it failed
    /// (it exited, or its health check failed three times in a row).
    async fn watch(&self, id: &str, upstream: &str) -> std::result::Result<(), String> {
        let started = std::time::Instant::now();
        let mut unhealthy = 0;
        while started.elapsed() < self.ctx.core.deploys.drain {
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            if let Ok(state) = self.deployer.state(&self.engine, id).await
                && let Some(code) = state.exit_code
            {
                return Err(format!(
                    "exited with code {code} once it served; its last lines:\n{}",
                    state.last_lines.join("\n")
                ));
            }
            match self
                .deployer
                .check_health(&self.engine, id, upstream, self.health_path.as_deref())
                .await
            {
                Ok(()) => unhealthy = 0,
                Err(seen) if unhealthy >= 2 => {
                    return Err(format!(
                        "failed its health check 3 times in a row once it served: {seen}"
                    ));
                }
                Err(_) => unhealthy += 1,
            }
        }
        Ok(())
    }

    /// Removes every container of the release but `keep`, each said in the log; with
    /// `route_back`, when there are any, the proxy is set to it first.
    async fn sweep(
        &self,
        keep: &str,
        route_back: Option<&str>,
    ) -> std::result::Result<(), JobFailure> {
        let listed = match self
            .deployer
            .release_containers(&self.engine, &self.release.id)
            .await
        {
            Ok(listed) => listed,
            // After the switch, the work is done: what is left goes with the next sweep.
            Err(e) if route_back.is_none() => {
                self.ctx
                    .log(format!(
                        "the release's other containers could not be listed: {e}"
                    ))
                    .await?;
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        };
        let others: Vec<String> = listed.into_iter().filter(|id| id != keep).collect();
        if others.is_empty() {
            return Ok(());
        }
        if let Some(upstream) = route_back {
            self.route_to(upstream).await?;
        }
        for id in others {
            let said = match self.deployer.remove(&self.engine, &id).await {
                Ok(()) => format!(
                    "release #{}'s other container {} was stopped and removed",
                    self.release.number,
                    short(&id)
                ),
                Err(e) => format!(
                    "release #{}'s other container {} could not be removed: {e}",
                    self.release.number,
                    short(&id)
                ),
            };
            self.ctx.log(said).await?;
        }
        Ok(())
    }

    /// Moves the environment's route (all its hosts) to `upstream`, on the proxy beside the
    /// target; says so in the job's log.
    async fn route_to(&self, upstream: &str) -> std::result::Result<(), JobFailure> {
        let ctx = self.ctx;
        let host = environments::host_of(&self.owner.name, &self.env);
        if let Some(admin) = &self.target.proxy_admin_url {
            let route = ProxyRoute {
                id: format!("gmac-env-{}", self.env.id),
                hosts: crate::services::domains::hosts_of(&ctx.core.db, &self.owner, &self.env)
                    .await?,
                upstream: upstream.to_owned(),
            };
            self.deployer
                .route(admin, &route)
                .await
                .map_err(JobFailure::transient)?;
            ctx.log(format!("the proxy sends {host} to {upstream}"))
                .await?;
        } else {
            ctx.log(format!(
                "the target has no proxy: the release answers at {upstream}"
            ))
            .await?;
        }
        Ok(())
    }

    /// Watches the new release once it serves, for as long as the release it replaced keeps
    /// running (the drain, or the verify window when longer): it must keep running and keep
    /// answering its health check. When it does not, and the environment rolls back by itself
    /// (its `auto_rollback`, on by default), the proxy goes back to the replaced release, which
    /// serves again, and this release fails saying why. Answers whether it watched (the
    /// replaced release's drain is then over).
    async fn verify(
        &self,
        upstream: &str,
        replaced: Option<release::Model>,
    ) -> std::result::Result<bool, JobFailure> {
        let ctx = self.ctx;
        let Some(replaced) = replaced.filter(|r| {
            r.container_id.is_some()
                && r.upstream.is_some()
                && r.target_id == self.release.target_id
        }) else {
            ctx.log("no release before it still runs: nothing to fall back to, nothing watched")
                .await?;
            return Ok(false);
        };
        let window = ctx.core.deploys.verify.max(ctx.core.deploys.drain);
        let id = self.release.container_id.clone().unwrap_or_default();
        let path = self.health_path.as_deref();
        let started = std::time::Instant::now();
        let mut unhealthy = 0;
        let failure = loop {
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            if let Ok(state) = self.deployer.state(&self.engine, &id).await
                && let Some(code) = state.exit_code
            {
                let lines = state.last_lines.join("\n");
                break format!(
                    "its container exited with code {code} ({} restart(s)) after it went live; its last lines:\n{lines}",
                    state.restarts
                );
            }
            // Three failed checks in a row, not one slow answer.
            match self
                .deployer
                .check_health(&self.engine, &id, upstream, path)
                .await
            {
                Ok(()) => unhealthy = 0,
                Err(seen) => {
                    unhealthy += 1;
                    if unhealthy >= 3 {
                        break format!(
                            "its health check failed {unhealthy} times in a row after it went live: {seen}"
                        );
                    }
                }
            }
            if started.elapsed() >= window {
                ctx.log(format!(
                    "still healthy {} s after it went live",
                    window.as_secs()
                ))
                .await?;
                return Ok(true);
            }
        };
        ctx.log(format!("release #{} {failure}", self.release.number))
            .await?;
        let env = environments::find(&ctx.core.db, &self.env.id).await?;
        if !env.auto_rollback {
            ctx.log(format!(
                "automatic rollback is off for {}: release #{} keeps serving",
                env.name, self.release.number
            ))
            .await?;
            return Ok(started.elapsed() >= ctx.core.deploys.drain);
        }
        // Only to a release that still answers.
        if let Some(before) = &replaced.upstream
            && let Err(seen) = self
                .deployer
                .check_health(
                    &self.engine,
                    replaced.container_id.as_deref().unwrap_or_default(),
                    before,
                    path,
                )
                .await
        {
            ctx.log(format!(
                "release #{} does not answer either ({seen}): release #{} keeps serving",
                replaced.number, self.release.number
            ))
            .await?;
            return Ok(started.elapsed() >= ctx.core.deploys.drain);
        }
        Err(self.bring_back(&replaced, &failure).await?)
    }

    /// The automatic rollback: the proxy goes back to `replaced` (still running), which is
    /// live again, and this release fails with `failure`; answers the job's failure.
    async fn bring_back(
        &self,
        replaced: &release::Model,
        failure: &str,
    ) -> std::result::Result<JobFailure, JobFailure> {
        let ctx = self.ctx;
        let core = &ctx.core;
        if let (Some(admin), Some(upstream)) = (&self.target.proxy_admin_url, &replaced.upstream) {
            let route = ProxyRoute {
                id: format!("gmac-env-{}", self.env.id),
                hosts: crate::services::domains::hosts_of(&core.db, &self.owner, &self.env).await?,
                upstream: upstream.clone(),
            };
            self.deployer
                .route(admin, &route)
                .await
                .map_err(JobFailure::transient)?;
        }
        let detail = format!(
            "It failed after it went live, so release #{} serves again (automatic rollback): {failure}",
            replaced.number
        );
        let txn = Change::begin(core).await?;
        environments::lock(&txn, &self.env.id).await?;
        let env = environments::find(&txn, &self.env.id).await?;
        if env.live_release_id.as_deref() != Some(self.release.id.as_str()) {
            // Another release took over meanwhile: it stays.
            txn.commit_unaudited().await?;
            return Ok(JobFailure::permanent(format!(
                "{failure}; another release serves {} now",
                env.name
            )));
        }
        release::Entity::update_many()
            .filter(release::Column::Id.eq(replaced.id.as_str()))
            .col_expr(
                release::Column::Status,
                Expr::value(ReleaseStatus::Live.id()),
            )
            .exec(&txn)
            .await?;
        release::Entity::update_many()
            .filter(release::Column::Id.eq(self.release.id.as_str()))
            .col_expr(
                release::Column::Status,
                Expr::value(ReleaseStatus::Failed.id()),
            )
            .col_expr(release::Column::Detail, Expr::value(ctx.masked(&detail)))
            .col_expr(release::Column::FinishedAt, Expr::value(txn.now()))
            .exec(&txn)
            .await?;
        environment::Entity::update(environment::ActiveModel {
            id: Set(env.id.clone()),
            live_release_id: Set(Some(replaced.id.clone())),
            updated_at: Set(txn.now()),
            version: Set(env.version + 1),
            ..Default::default()
        })
        .exec(&txn)
        .await?;
        let entry = AuditEntry::success(
            AuditActor::System {
                label: "release rollout".to_owned(),
            },
            "release.auto_rollback",
        )
        .target("release", self.release.id.clone())
        .scope(&catalog::target_of(&self.owner))
        .details(serde_json::json!({
            "environment_id": env.id, "environment": env.name,
            "number": self.release.number, "job_id": self.release.job_id,
            "before": {"status": "live", "live_release_id": env.live_release_id},
            "after": {"status": "failed", "live_release_id": replaced.id},
            "reason": ctx.masked(failure),
        }));
        txn.commit(core, &RequestMeta::default(), entry).await?;
        // What follows the commit is best effort: the rollback is done.
        let _ = ctx
            .log(format!(
                "the proxy sends {} back to release #{}, which serves again",
                env.name, replaced.number
            ))
            .await;
        if let Some(container) = &self.release.container_id {
            let said = match self.deployer.remove(&self.engine, container).await {
                Ok(()) => format!("the failed container {} was removed", short(container)),
                Err(e) => format!(
                    "the failed container {} could not be removed: {e}",
                    short(container)
                ),
            };
            let _ = ctx.log(said).await;
        }
        Ok(JobFailure::permanent(detail))
    }

    /// Stops the containers of the environment's other releases (the one just replaced, and
    /// any an interrupted rollout left) once the requests they hold have had time to end, and
    /// forgets them. Their images stay on the target, for a rollback.
    async fn retire(&self, drained: bool) -> std::result::Result<(), JobFailure> {
        let ctx = self.ctx;
        let db = &ctx.core.db;
        let env = environments::find(db, &self.env.id).await?;
        if env.live_release_id.as_deref() != Some(self.release.id.as_str()) {
            ctx.log("another release serves now: this rollout retires nothing")
                .await?;
            return Ok(());
        }
        let left: Vec<release::Model> = release::Entity::find()
            .filter(release::Column::EnvironmentId.eq(self.env.id.as_str()))
            .filter(release::Column::Id.ne(self.release.id.as_str()))
            .filter(
                sea_orm::Condition::any()
                    .add(release::Column::Number.lt(self.release.number))
                    .add(release::Column::Status.eq(ReleaseStatus::Failed.id())),
            )
            .filter(release::Column::ContainerId.is_not_null())
            .filter(release::Column::Status.ne(ReleaseStatus::Deploying.id()))
            .all(db)
            .await?;
        if left.is_empty() {
            ctx.log("no other release of this environment runs: nothing to retire")
                .await?;
            return Ok(());
        }
        if !drained {
            tokio::time::sleep(ctx.core.deploys.drain).await;
        }
        for old in left {
            let Some(container) = &old.container_id else {
                continue;
            };
            let engine = match target::Entity::find_by_id(old.target_id.clone().unwrap_or_default())
                .one(db)
                .await?
            {
                Some(t) => targets::engine_of(&ctx.core, &t)?,
                None => self.engine.clone(),
            };
            match self.deployer.remove(&engine, container).await {
                Ok(()) => {
                    crate::services::release_rows::forget_container(&crate::db::Solo(db), &old.id)
                        .await?;
                    ctx.log(format!(
                        "release #{}'s container {} was stopped and removed; its image stays",
                        old.number,
                        short(container)
                    ))
                    .await?;
                }
                // The new release serves: a container left behind is reported, and tried
                // again by the next rollout.
                Err(e) => {
                    ctx.log(format!(
                        "release #{}'s container {} could not be removed: {e}",
                        old.number,
                        short(container)
                    ))
                    .await?;
                }
            }
        }
        Ok(())
    }
}

/// Marks a release failed with `reason`, unless it already ended.
async fn fail(
    ctx: &JobContext,
    row: &release::Model,
    reason: &str,
) -> std::result::Result<(), JobFailure> {
    let entry = AuditEntry::success(
        AuditActor::System {
            label: "release rollout".to_owned(),
        },
        "release.update",
    )
    .target("release", row.id.clone())
    .scope(&crate::access::Target::Project {
        id: row.project_id.clone(),
        client_id: row.client_id.clone(),
    })
    .details(serde_json::json!({
        "environment_id": row.environment_id, "number": row.number, "job_id": row.job_id,
        "before": {"status": "deploying"}, "after": {"status": "failed", "detail": reason},
    }));
    fail_deploying(&ctx.core, row, reason, entry).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::repository_of;

    #[test]
    fn a_references_repository_is_it_without_its_tag() {
        assert_eq!(
            repository_of("127.0.0.1:5000/acme/web:1.4"),
            "127.0.0.1:5000/acme/web"
        );
        assert_eq!(
            repository_of("127.0.0.1:5000/acme/web"),
            "127.0.0.1:5000/acme/web"
        );
        assert_eq!(
            repository_of("localhost/gmac/docs:build-3"),
            "localhost/gmac/docs"
        );
        assert_eq!(repository_of("web"), "web");
    }
}
