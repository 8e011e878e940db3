//! Environments (issue 12, point 1): every service has a staging and a production environment,
//! made with it. Its branch lives with the service; its target (where it deploys) and the
//! release serving it live on its row.
//!
//! Choosing the target needs `services.manage` on the service's project (and
//! `deploys.production` for production); the target must serve the service's client, as a
//! whole or for its project. Deploy-on-push (on or off, paused or resumed) and the deploy
//! settings (the health check's path and time, the releases kept, CPU and memory) need the
//! permission that deploys to the environment.

use gmac_types::{
    DEFAULT_RELEASES_KEPT, DeploysPaused, Environment, EnvironmentPatch, FieldError, Page,
    PageQuery, Permission, Resources,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
};

use crate::audit::AuditEntry;
use crate::entities::{environment, release, service, target};
use crate::platform::change::Change;
use crate::platform::paging;
use crate::services::{catalog, release_rows};
use crate::{Actor, Core, Error, RequestMeta, Result};

/// The host name an environment's proxy route answers until it has domains of its own: the
/// service's name, the environment's and the end of its id, under `.localhost`.
pub fn host_of(service_name: &str, row: &environment::Model) -> String {
    let tail: String = row
        .id
        .chars()
        .rev()
        .filter(char::is_ascii_alphanumeric)
        .take(8)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    // One DNS label: a preview's longer name leaves less of the service's.
    let room = 63_usize.saturating_sub(row.name.len() + 10).clamp(1, 40);
    let name: String = service_name.chars().take(room).collect();
    format!(
        "{}-{}-{}.localhost",
        name.trim_end_matches('-'),
        row.name,
        tail.to_ascii_lowercase()
    )
}

pub use crate::services::catalog::deploy_permission;

/// Refuses an actor who may not deploy to `env` (nor change what it deploys with).
pub(crate) fn require_deploy(
    actor: &Actor,
    env: &environment::Model,
    owner: &service::Model,
) -> Result<()> {
    actor.require(deploy_permission(&env.name), &catalog::target_of(owner))
}

/// The branch `row` builds: a preview's own, or the one the service gives staging or
/// production.
pub(crate) fn branch_of(owner: &service::Model, row: &environment::Model) -> String {
    if let Some(branch) = &row.preview_branch {
        return branch.clone();
    }
    catalog::environments(owner)
        .into_iter()
        .find(|e| e.name == row.name)
        .map(|e| e.branch)
        .unwrap_or_default()
}

/// A `409` for an environment being deleted: it deploys nothing and changes no more.
pub(crate) fn refuse_deleting(row: &environment::Model) -> Result<()> {
    if row.delete_job_id.is_some() {
        return Err(Error::conflict(
            gmac_types::ErrorCode::Conflict,
            format!("{} is being deleted.", row.name),
        ));
    }
    Ok(())
}

/// Loads an environment, or 404.
pub(crate) async fn find(conn: &impl ConnectionTrait, id: &str) -> Result<environment::Model> {
    if !crate::ids::is_id(id) {
        return Err(Error::NotFound);
    }
    environment::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(Error::NotFound)
}

/// Holds an environment's row until `txn` commits on PostgreSQL, so two changes cannot both
/// read the same state of it (one rollout at a time, one new version number at a time);
/// SQLite writes one at a time.
pub(crate) async fn lock(txn: &Change, id: &str) -> Result<()> {
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        environment::Entity::find_by_id(id)
            .lock_exclusive()
            .one(txn)
            .await?;
    }
    Ok(())
}

/// An environment and its service, for an actor who may see the service (404 otherwise).
pub(crate) async fn visible(
    core: &Core,
    actor: &Actor,
    id: &str,
) -> Result<(environment::Model, service::Model)> {
    let row = find(&core.db, id).await?;
    let owner = catalog::find(&core.db, &row.service_id).await?;
    actor.require_on(Permission::ServicesView, &catalog::target_of(&owner))?;
    Ok((row, owner))
}

/// How long a new release of `row` has to answer its health check.
pub(crate) fn health_timeout(core: &Core, row: &environment::Model) -> std::time::Duration {
    row.health_timeout_secs
        .and_then(|s| u64::try_from(s).ok())
        .map_or(core.deploys.health_timeout, std::time::Duration::from_secs)
}

/// The path `row`'s health checks ask: its own, or else its service's template's (none: the
/// port accepting a connection).
pub(crate) fn health_path(
    row: &environment::Model,
    template: Option<&crate::templates::Found>,
) -> Option<String> {
    row.health_path
        .clone()
        .or_else(|| template.and_then(|t| t.info().health.path.clone()))
}

/// The CPU and memory `row`'s containers ask for and may use, when set.
pub(crate) fn resources_of(row: &environment::Model) -> Option<Resources> {
    let whole = |n: Option<i32>| n.and_then(|n| u32::try_from(n).ok());
    Some(Resources {
        cpu_request_millis: whole(row.cpu_request_millis)?,
        cpu_limit_millis: whole(row.cpu_limit_millis)?,
        memory_request_mib: whole(row.memory_request_mib)?,
        memory_limit_mib: whole(row.memory_limit_mib)?,
    })
}

/// The wire forms of a service's environments, each with its live release.
async fn to_dtos(
    core: &Core,
    owner: &service::Model,
    rows: Vec<environment::Model>,
) -> Result<Vec<Environment>> {
    let live_ids: Vec<String> = rows
        .iter()
        .filter_map(|r| r.live_release_id.clone())
        .collect();
    let live = release::Entity::find()
        .filter(release::Column::Id.is_in(live_ids))
        .all(&core.db)
        .await?;
    let live = release_rows::to_dtos(core, live).await?;
    Ok(rows
        .into_iter()
        .map(|row| (health_timeout(core, &row), resources_of(&row), row))
        .map(|(timeout, resources, row)| Environment {
            branch: branch_of(owner, &row),
            preview: row.preview_branch.is_some(),
            expires_at: row.expires_at,
            delete_job_id: row.delete_job_id.clone(),
            production: row.name == "production",
            host: host_of(&owner.name, &row),
            live_release: live
                .iter()
                .find(|r| Some(&r.id) == row.live_release_id.as_ref())
                .cloned(),
            id: row.id,
            service_id: row.service_id,
            name: row.name,
            target_id: row.target_id,
            deploy_on_push: row.deploy_on_push,
            auto_rollback: row.auto_rollback,
            replicas: u32::try_from(row.replicas).unwrap_or(1),
            autoscale: match (row.autoscale_min, row.autoscale_max, row.autoscale_cpu) {
                (Some(min), Some(max), Some(cpu_percent)) => Some(gmac_types::Autoscale {
                    min: u32::try_from(min).unwrap_or(1),
                    max: u32::try_from(max).unwrap_or(1),
                    cpu_percent: u32::try_from(cpu_percent).unwrap_or(70),
                }),
                _ => None,
            },
            restarted_at: row.restarted_at,
            operation_job_id: row.operation_job_id,
            health_timeout_secs: timeout.as_secs().try_into().unwrap_or(u32::MAX),
            releases_kept: u32::try_from(row.releases_kept).unwrap_or(DEFAULT_RELEASES_KEPT),
            resources,
            health_path: row.health_path,
            paused: row.paused_at.map(|since| DeploysPaused {
                since,
                by: row.paused_by,
                reason: row.paused_reason.unwrap_or_default(),
            }),
            updated_at: row.updated_at,
            version: row.version,
        })
        .collect())
}

/// A service's environments, staging first.
pub async fn list(
    core: &Core,
    actor: &Actor,
    service_id: &str,
    page: &PageQuery,
) -> Result<Page<Environment>> {
    let owner = catalog::find(&core.db, service_id).await?;
    actor.require_on(Permission::ServicesView, &catalog::target_of(&owner))?;
    let mut rows = environment::Entity::find()
        .filter(environment::Column::ServiceId.eq(service_id))
        .all(&core.db)
        .await?;
    // Staging, then production: the order a release travels; previews after them.
    rows.sort_by_key(|r| {
        (
            r.preview_branch.is_some(),
            r.name == "production",
            r.name.clone(),
        )
    });
    let items = to_dtos(core, &owner, rows).await?;
    paging::page_in_memory(items, page, |e| (e.preview, e.production, e.name.clone()))
}

/// One environment.
pub async fn get(core: &Core, actor: &Actor, id: &str) -> Result<Environment> {
    let (row, owner) = visible(core, actor, id).await?;
    Ok(to_dtos(core, &owner, vec![row]).await?.remove(0))
}

/// Changes an environment: the target it deploys to, whether pushes deploy, and whether
/// deploy-on-push is paused (resuming it after a rollback paused it).
pub async fn update(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    id: &str,
    if_match: Option<i64>,
    patch: EnvironmentPatch,
) -> Result<Environment> {
    let (row, owner) = visible(core, actor, id).await?;
    let scope = catalog::target_of(&owner);
    if patch.target_id.is_some() {
        actor.require(Permission::ServicesManage, &scope)?;
    }
    actor.require(deploy_permission(&row.name), &scope)?;
    if patch == EnvironmentPatch::default() {
        // Nothing asked: nothing changes, and no version is spent.
        Change::expect_version(if_match, row.version)?;
        return Ok(to_dtos(core, &owner, vec![row]).await?.remove(0));
    }
    let txn = Change::begin(core).await?;
    lock(&txn, id).await?;
    let row = find(&txn, id).await?;
    Change::expect_version(if_match, row.version)?;
    refuse_deleting(&row)?;
    if let Some(Some(target_id)) = &patch.target_id {
        let serves = target::Entity::find_by_id(target_id.as_str())
            .one(&txn)
            .await?
            .is_some_and(|t| {
                t.client_id == row.client_id
                    && t.project_id.as_ref().is_none_or(|p| *p == row.project_id)
            });
        if !serves {
            return Err(Error::invalid(FieldError::new(
                "target_id",
                "unknown",
                "There is no target of this id serving the service's client or project.",
            )));
        }
    }
    let mut change = environment::ActiveModel {
        id: Set(row.id.clone()),
        updated_at: Set(txn.now()),
        version: Set(row.version + 1),
        ..Default::default()
    };
    let (mut before, mut after) = (serde_json::Map::new(), serde_json::Map::new());
    if let Some(target_id) = &patch.target_id {
        change.target_id = Set(target_id.clone());
        before.insert("target_id".into(), row.target_id.clone().into());
        after.insert("target_id".into(), target_id.clone().into());
    }
    if let Some(on) = patch.deploy_on_push {
        change.deploy_on_push = Set(on);
        if on && !row.deploy_on_push {
            change.resumed_at = Set(Some(txn.now()));
        }
        before.insert("deploy_on_push".into(), row.deploy_on_push.into());
        after.insert("deploy_on_push".into(), on.into());
    }
    if let Some(on) = patch.auto_rollback {
        change.auto_rollback = Set(on);
        before.insert("auto_rollback".into(), row.auto_rollback.into());
        after.insert("auto_rollback".into(), on.into());
    }
    settings(&row, &patch, &mut change, &mut before, &mut after)?;
    if let Some(expires_at) = patch.expires_at {
        change.expires_at = Set(Some(expiry(&row, expires_at, txn.now())?));
        let json = |at: Option<chrono::DateTime<chrono::Utc>>| {
            serde_json::to_value(at).unwrap_or_default()
        };
        before.insert("expires_at".into(), json(row.expires_at));
        after.insert("expires_at".into(), json(Some(expires_at)));
    }
    match patch.paused {
        Some(true) if row.paused_at.is_none() => {
            change.paused_at = Set(Some(txn.now()));
            change.paused_by = Set(Some(actor.user_id.clone()));
            change.paused_reason = Set(Some(format!("Paused by {}.", actor.display_name)));
        }
        Some(false) if row.paused_at.is_some() => {
            change.resumed_at = Set(Some(txn.now()));
            change.paused_at = Set(None);
            change.paused_by = Set(None);
            change.paused_reason = Set(None);
        }
        _ => {}
    }
    if let Some(paused) = patch.paused {
        before.insert("paused".into(), row.paused_at.is_some().into());
        after.insert("paused".into(), paused.into());
    }
    let saved = environment::Entity::update(change).exec(&txn).await?;
    let entry = AuditEntry::success(actor.audit_actor(), "environment.update")
        .target("environment", row.id.clone())
        .scope(&scope)
        .details(serde_json::json!({
            "service_id": row.service_id, "name": row.name,
            "before": before, "after": after,
        }));
    txn.commit(core, meta, entry).await?;
    Ok(to_dtos(core, &owner, vec![saved]).await?.remove(0))
}

/// The expiry asked for `row` at `now`, when it may have it: only a preview expires, later than
/// now and at most 30 days on.
fn expiry(
    row: &environment::Model,
    expires_at: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<chrono::DateTime<chrono::Utc>> {
    if row.preview_branch.is_none() {
        return Err(Error::invalid(FieldError::new(
            "expires_at",
            "not_preview",
            "Only a preview expires; staging and production stay.",
        )));
    }
    let latest = now + chrono::Duration::hours(gmac_types::MAX_PREVIEW_TTL_HOURS.into());
    if expires_at <= now || expires_at > latest {
        return Err(Error::invalid(FieldError::new(
            "expires_at",
            "outside_window",
            "A preview expires later than now and at most 30 days on.",
        )));
    }
    Ok(expires_at)
}

/// Puts the deploy settings `patch` changes into `change`, each with its value before and
/// after for the audit row.
fn settings(
    row: &environment::Model,
    patch: &EnvironmentPatch,
    change: &mut environment::ActiveModel,
    before: &mut serde_json::Map<String, serde_json::Value>,
    after: &mut serde_json::Map<String, serde_json::Value>,
) -> Result<()> {
    if let Some(path) = &patch.health_path {
        if let Some(why) = path.as_deref().and_then(gmac_types::health_path_problem) {
            return Err(Error::invalid(FieldError::new(
                "health_path",
                "invalid",
                why,
            )));
        }
        change.health_path = Set(path.clone());
        before.insert("health_path".into(), row.health_path.clone().into());
        after.insert("health_path".into(), path.clone().into());
    }
    if let Some(secs) = patch.health_timeout_secs {
        if secs.is_some_and(|secs| !(5..=1800).contains(&secs)) {
            return Err(Error::invalid(FieldError::new(
                "health_timeout_secs",
                "out_of_range",
                "A health check's time is 5 to 1800 seconds.",
            )));
        }
        change.health_timeout_secs = Set(secs.map(u32::cast_signed));
        before.insert("health_timeout_secs".into(), row.health_timeout_secs.into());
        after.insert("health_timeout_secs".into(), secs.into());
    }
    if let Some(kept) = patch.releases_kept {
        if !(2..=100).contains(&kept) {
            return Err(Error::invalid(FieldError::new(
                "releases_kept",
                "out_of_range",
                "An environment keeps 2 to 100 releases (the live one and one to roll back to, at least).",
            )));
        }
        change.releases_kept = Set(kept.cast_signed());
        before.insert("releases_kept".into(), row.releases_kept.into());
        after.insert("releases_kept".into(), kept.into());
    }
    if let Some(resources) = patch.resources {
        if let Some((field, why)) = resources.as_ref().and_then(Resources::problem) {
            return Err(Error::invalid(FieldError::at(
                &["resources", field],
                "out_of_range",
                why,
            )));
        }
        let part = |f: fn(&Resources) -> u32| resources.as_ref().map(|r| f(r).cast_signed());
        change.cpu_request_millis = Set(part(|r| r.cpu_request_millis));
        change.cpu_limit_millis = Set(part(|r| r.cpu_limit_millis));
        change.memory_request_mib = Set(part(|r| r.memory_request_mib));
        change.memory_limit_mib = Set(part(|r| r.memory_limit_mib));
        let json = |r: Option<Resources>| serde_json::to_value(r).unwrap_or_default();
        before.insert("resources".into(), json(resources_of(row)));
        after.insert("resources".into(), json(resources));
    }
    Ok(())
}

/// Pauses deploy-on-push in `txn` (a manual rollback does, so that the next push does not
/// undo it), saying why; an environment paused already keeps its start and takes the newest
/// reason.
pub(crate) async fn pause(
    txn: &Change,
    env: &environment::Model,
    by: Option<&str>,
    reason: String,
) -> Result<()> {
    environment::Entity::update(environment::ActiveModel {
        id: Set(env.id.clone()),
        paused_at: Set(Some(env.paused_at.unwrap_or_else(|| txn.now()))),
        paused_by: Set(by.map(str::to_owned)),
        paused_reason: Set(Some(reason)),
        updated_at: Set(txn.now()),
        version: Set(env.version + 1),
        ..Default::default()
    })
    .exec(txn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_environments_host_is_one_dns_label_under_localhost() {
        let row = environment::Model {
            id: "01938a6e-7c1d-7000-8000-3f9a2c1d5e6f".to_owned(),
            service_id: String::new(),
            client_id: String::new(),
            project_id: String::new(),
            name: "production".to_owned(),
            target_id: None,
            live_release_id: None,
            deploy_on_push: true,
            paused_at: None,
            paused_by: None,
            paused_reason: None,
            resumed_at: None,
            auto_rollback: true,
            replicas: 1,
            autoscale_min: None,
            autoscale_max: None,
            autoscale_cpu: None,
            restarted_at: None,
            operation_job_id: None,
            health_path: None,
            health_timeout_secs: None,
            releases_kept: 10,
            cpu_request_millis: None,
            cpu_limit_millis: None,
            memory_request_mib: None,
            memory_limit_mib: None,
            preview_branch: None,
            expires_at: None,
            delete_job_id: None,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
            version: 1,
        };
        assert_eq!(host_of("web", &row), "web-production-2c1d5e6f.localhost");
        let long = host_of(&"a".repeat(63), &row);
        let label = long.trim_end_matches(".localhost");
        assert!(label.len() <= 63, "{long}");
    }
}
