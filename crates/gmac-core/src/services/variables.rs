//! An environment's variables and secrets (issue 12, point 5).
//!
//! Variables are kept whole per version: each change writes version n+1, any version can be
//! read, two compared, and an old one brought back as a new version. Secrets are write-only:
//! each write is a new version of its own row, sealed with a data key of its own under the
//! master key and bound to that row; a deletion is a version without a value. Revealing one
//! needs `secrets.reveal` and a fresh code of the caller's authenticator, and is audited.
//!
//! Changing either needs the permission that deploys to the environment (`deploys.run`, or
//! `deploys.production` for production). A change applies on the next deploy: a release
//! records the versions it runs with, and a rollback brings them back with its image.

use std::collections::BTreeMap;

use gmac_types::variables::{
    ReleaseConfig, RevealedSecret, SecretInfo, VariableSet, VariablesDiff, VariablesUpdate, diff,
};
use gmac_types::{FieldError, Page, PageQuery, Permission, SecretText};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::audit::AuditEntry;
use crate::entities::{environment, environment_secret, environment_variables, release, service};
use crate::platform::change::Change;
use crate::platform::paging;
use crate::services::release_rows::config_of;
use crate::services::shared_secrets::{self, Holder};
use crate::services::variable_sets::{
    check_secret, compare_versions, newest_live, validate, version_asked,
};
use crate::services::{catalog, environments, mfa, shared_variables};
use crate::{Actor, Core, Error, RequestMeta, Result};

/// What a secret's value is sealed for: its row, environment, name and version, so a value
/// moved to another row, environment, name or version does not open.
fn binding(row: &environment_secret::Model) -> String {
    secret_binding(
        &row.id,
        &row.environment_id,
        &row.name,
        &row.version.to_string(),
    )
}

/// What a secret's value is sealed for: its row, so its version.
pub(crate) fn secret_binding(id: &str, environment_id: &str, name: &str, version: &str) -> String {
    format!("environment_secrets:{id}:{environment_id}:{name}:{version}")
}

/// The most secrets an environment holds.
const MAX_SECRETS: usize = 100;

/// The newest version row of an environment's variables.
async fn latest(
    conn: &impl ConnectionTrait,
    environment_id: &str,
) -> Result<Option<environment_variables::Model>> {
    Ok(environment_variables::Entity::find()
        .filter(environment_variables::Column::EnvironmentId.eq(environment_id))
        .order_by_desc(environment_variables::Column::Version)
        .one(conn)
        .await?)
}

async fn version_row(
    conn: &impl ConnectionTrait,
    environment_id: &str,
    version: i64,
) -> Result<Option<environment_variables::Model>> {
    Ok(environment_variables::Entity::find()
        .filter(environment_variables::Column::EnvironmentId.eq(environment_id))
        .filter(environment_variables::Column::Version.eq(version))
        .one(conn)
        .await?)
}

fn values_of(row: Option<&environment_variables::Model>) -> Result<BTreeMap<String, String>> {
    match row {
        Some(row) => Ok(serde_json::from_str(&row.variables).map_err(anyhow::Error::from)?),
        None => Ok(BTreeMap::new()),
    }
}

/// Each secret's newest version that has a value, by name.
async fn current_secrets(
    conn: &impl ConnectionTrait,
    environment_id: &str,
) -> Result<BTreeMap<String, environment_secret::Model>> {
    let rows = environment_secret::Entity::find()
        .filter(environment_secret::Column::EnvironmentId.eq(environment_id))
        .order_by_asc(environment_secret::Column::Version)
        .all(conn)
        .await?;
    Ok(newest_live(
        rows,
        |r| r.name.as_str(),
        |r| r.sealed.is_some(),
    ))
}

/// The configuration a deploy made now runs with: the newest variables (its project's, its
/// service's and its own) and each secret's newest version (its service's and its own).
pub(crate) async fn current_config(
    conn: &impl ConnectionTrait,
    environment_id: &str,
) -> Result<ReleaseConfig> {
    let env = environments::find(conn, environment_id).await?;
    let owner = catalog::find(conn, &env.service_id).await?;
    let (project_variables_version, groups, service_variables_version) =
        shared_variables::current_versions(conn, &owner).await?;
    Ok(ReleaseConfig {
        variables_version: latest(conn, environment_id)
            .await?
            .map_or(0, |row| row.version),
        project_variables_version,
        service_variables_version,
        groups,
        service_secrets: shared_secrets::current_versions(conn, Holder::Service(&owner.id)).await?,
        project_secrets: shared_secrets::current_versions(conn, Holder::Project(&owner.project_id))
            .await?,
        secrets: current_secrets(conn, environment_id)
            .await?
            .into_iter()
            .map(|(name, row)| (name, row.version))
            .collect(),
    })
}

/// The environment a container runs with for `config`, and the secret values in it (to mask
/// in logs). The inner error names a secret version that is gone or does not open: the
/// release cannot run as it was made, so its rollout fails for good.
pub(crate) async fn materialize(
    core: &Core,
    environment_id: &str,
    config: &ReleaseConfig,
) -> Result<std::result::Result<(BTreeMap<String, String>, Vec<String>), String>> {
    let row = environments::find(&core.db, environment_id).await?;
    let owner = catalog::find(&core.db, &row.service_id).await?;
    // Widest first: the project's variables and secrets, the groups', the service's
    // variables and secrets, the environment's own variables, then its secrets.
    let project_secrets = match shared_secrets::open(
        core,
        Holder::Project(&owner.project_id),
        &config.project_secrets,
    )
    .await?
    {
        Ok(values) => values,
        Err(gone) => return Ok(Err(gone)),
    };
    let mut secrets: Vec<String> = project_secrets.values().cloned().collect();
    let mut env = match shared_variables::merged(&core.db, &owner, config, project_secrets).await? {
        Ok(values) => values,
        Err(gone) => return Ok(Err(gone)),
    };
    // The service's secrets, over what it shares and under what the environment sets.
    match shared_secrets::open(core, Holder::Service(&owner.id), &config.service_secrets).await? {
        Ok(values) => {
            secrets.extend(values.values().cloned());
            env.extend(values);
        }
        Err(gone) => return Ok(Err(gone)),
    }
    env.extend(values_of(
        version_row(&core.db, environment_id, config.variables_version)
            .await?
            .as_ref(),
    )?);
    for (name, version) in &config.secrets {
        let row = environment_secret::Entity::find()
            .filter(environment_secret::Column::EnvironmentId.eq(environment_id))
            .filter(environment_secret::Column::Name.eq(name.as_str()))
            .filter(environment_secret::Column::Version.eq(*version))
            .one(&core.db)
            .await?;
        let Some((row, sealed)) = row.and_then(|r| r.sealed.clone().map(|s| (r, s))) else {
            return Ok(Err(format!("secret {name} version {version} is gone")));
        };
        let opened = core
            .sealer
            .open(&sealed, &binding(&row))
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok());
        let Some(value) = opened else {
            return Ok(Err(format!(
                "secret {name} version {version} does not open with this master key"
            )));
        };
        secrets.push(value.clone());
        env.insert(name.clone(), value);
    }
    Ok(Ok((env, secrets)))
}

/// The live release's configuration, if it serves.
async fn live_config(core: &Core, env: &environment::Model) -> Result<Option<ReleaseConfig>> {
    let Some(id) = &env.live_release_id else {
        return Ok(None);
    };
    match release::Entity::find_by_id(id.as_str())
        .one(&core.db)
        .await?
    {
        Some(row) => Ok(Some(config_of(&row)?)),
        None => Ok(None),
    }
}

/// An environment's variables, the newest version or `version`.
pub async fn get(
    core: &Core,
    actor: &Actor,
    environment_id: &str,
    version: Option<i64>,
) -> Result<VariableSet> {
    let (env, _) = environments::visible(core, actor, environment_id).await?;
    version_asked(version)?;
    let newest = latest(&core.db, &env.id).await?;
    let latest_version = newest.as_ref().map_or(0, |r| r.version);
    let row = match version {
        None => newest,
        Some(v) if v == latest_version => newest,
        Some(v) => Some(
            version_row(&core.db, &env.id, v)
                .await?
                .ok_or(Error::NotFound)?,
        ),
    };
    answer(core, &env, row.as_ref(), latest_version).await
}

/// `row` as the API answers it: whether a redeploy is pending, and what is inherited.
async fn answer(
    core: &Core,
    env: &environment::Model,
    row: Option<&environment_variables::Model>,
    latest_version: i64,
) -> Result<VariableSet> {
    let pending = pending(core, env).await?;
    let mut set = to_dto(env, row, latest_version, pending)?;
    set.inherited = inherited(core, env).await?;
    Ok(set)
}

/// What `env` gets from its project and service now, each saying what overrides it.
async fn inherited(
    core: &Core,
    env: &environment::Model,
) -> Result<Vec<gmac_types::variables::InheritedVariable>> {
    let owner = catalog::find(&core.db, &env.service_id).await?;
    let own = values_of(latest(&core.db, &env.id).await?.as_ref())?;
    let secrets: Vec<String> = current_secrets(&core.db, &env.id)
        .await?
        .into_keys()
        .collect();
    let shared = shared_variables::SharedSecretNames {
        project: shared_secrets::current_versions(&core.db, Holder::Project(&owner.project_id))
            .await?,
        service: shared_secrets::current_versions(&core.db, Holder::Service(&owner.id)).await?,
    };
    shared_variables::inherited(&core.db, &owner, &own, &secrets, shared).await
}

/// Whether the live release runs another configuration than a deploy made now would.
async fn pending(core: &Core, env: &environment::Model) -> Result<bool> {
    let Some(live) = live_config(core, env).await? else {
        return Ok(false);
    };
    Ok(live != current_config(&core.db, &env.id).await?)
}

fn to_dto(
    env: &environment::Model,
    row: Option<&environment_variables::Model>,
    latest_version: i64,
    pending: bool,
) -> Result<VariableSet> {
    Ok(VariableSet {
        environment_id: env.id.clone(),
        version: row.map_or(0, |r| r.version),
        latest_version,
        variables: values_of(row)?,
        created_by: row.map(|r| r.created_by.clone()),
        created_at: row.map(|r| r.created_at),
        note: row.and_then(|r| r.note.clone()),
        pending,
        inherited: Vec::new(),
    })
}

/// Writes a new version of the variables (`If-Match`: the newest version read, so a change
/// made meanwhile is not overwritten).
pub async fn put(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    environment_id: &str,
    if_match: Option<i64>,
    update: VariablesUpdate,
) -> Result<VariableSet> {
    let (env, owner) = environments::visible(core, actor, environment_id).await?;
    environments::require_deploy(actor, &env, &owner)?;
    validate(&update.variables)?;
    write_version(
        core,
        actor,
        meta,
        &env,
        &owner,
        if_match,
        update.variables,
        "set",
    )
    .await
}

#[expect(clippy::too_many_arguments, reason = "one write, named by its parts")]
async fn write_version(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    env: &environment::Model,
    owner: &service::Model,
    if_match: Option<i64>,
    variables: BTreeMap<String, String>,
    note: &str,
) -> Result<VariableSet> {
    let txn = Change::begin(core).await?;
    environments::lock(&txn, &env.id).await?;
    let env = environments::find(&txn, &env.id).await?;
    let newest = latest(&txn, &env.id).await?;
    let current = newest.as_ref().map_or(0, |r| r.version);
    Change::expect_version(if_match, current)?;
    let secrets = current_secrets(&txn, &env.id).await?;
    if let Some(name) = variables.keys().find(|n| secrets.contains_key(*n)) {
        return Err(Error::invalid(FieldError::at(
            &["variables", name],
            "taken",
            format!("{name} is a secret of this environment; delete the secret first."),
        )));
    }
    let before = values_of(newest.as_ref())?;
    let changes = diff(&before, &variables);
    if changes.is_empty() && newest.is_some() {
        // Nothing changes: no new version (a redeploy would apply nothing new).
        drop(txn);
        return answer(core, &env, newest.as_ref(), current).await;
    }
    let row = environment_variables::Model {
        id: core.new_id(),
        environment_id: env.id.clone(),
        version: current + 1,
        variables: serde_json::to_string(&variables).map_err(anyhow::Error::from)?,
        note: Some(note.to_owned()),
        created_by: actor.user_id.clone(),
        created_at: txn.now(),
    };
    environment_variables::Entity::insert(environment_variables::ActiveModel::from(row.clone()))
        .exec_without_returning(&txn)
        .await?;
    // The audit row names what changed, never the values (a variable may still be sensitive).
    let names: Vec<serde_json::Value> = changes
        .iter()
        .map(|c| serde_json::json!({"name": c.name, "change": c.change}))
        .collect();
    let entry = AuditEntry::success(actor.audit_actor(), "environment.variables")
        .target("environment", env.id.clone())
        .scope(&catalog::target_of(owner))
        .details(serde_json::json!({
            "service_id": owner.id, "environment": env.name, "version": row.version,
            "note": note, "changes": names,
        }));
    txn.commit(core, meta, entry).await?;
    answer(core, &env, Some(&row), row.version).await
}

/// What changed between two versions (0 is the empty start).
pub async fn compare(
    core: &Core,
    actor: &Actor,
    environment_id: &str,
    from: i64,
    to: i64,
) -> Result<VariablesDiff> {
    let (env, _) = environments::visible(core, actor, environment_id).await?;
    compare_versions(from, to, |version| {
        let env_id = env.id.clone();
        async move {
            version_row(&core.db, &env_id, version)
                .await?
                .map(|row| values_of(Some(&row)))
                .transpose()
        }
    })
    .await
}

/// Brings version `version` back as a new version.
pub async fn rollback(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    environment_id: &str,
    version: i64,
) -> Result<VariableSet> {
    let (env, owner) = environments::visible(core, actor, environment_id).await?;
    environments::require_deploy(actor, &env, &owner)?;
    let Some(row) = version_row(&core.db, &env.id, version).await? else {
        return Err(Error::invalid(FieldError::new(
            "version",
            "unknown",
            "The environment has no such version of its variables.",
        )));
    };
    let values = values_of(Some(&row))?;
    write_version(
        core,
        actor,
        meta,
        &env,
        &owner,
        None,
        values,
        &format!("rollback to {version}"),
    )
    .await
}

/// An environment's secrets: names and versions, never values.
pub async fn list_secrets(
    core: &Core,
    actor: &Actor,
    environment_id: &str,
    page: &PageQuery,
) -> Result<Page<SecretInfo>> {
    let (env, _) = environments::visible(core, actor, environment_id).await?;
    let live = live_config(core, &env).await?;
    let items: Vec<SecretInfo> = current_secrets(&core.db, &env.id)
        .await?
        .into_values()
        .map(|row| secret_info(&row, live.as_ref()))
        .collect();
    paging::page_in_memory(items, page, |s| s.name.clone())
}

fn secret_info(row: &environment_secret::Model, live: Option<&ReleaseConfig>) -> SecretInfo {
    SecretInfo {
        name: row.name.clone(),
        version: row.version,
        updated_by: row.created_by.clone(),
        updated_at: row.created_at,
        pending: live.is_some_and(|c| c.secrets.get(&row.name) != Some(&row.version)),
    }
}

async fn next_secret_version(txn: &Change, environment_id: &str, name: &str) -> Result<i64> {
    Ok(environment_secret::Entity::find()
        .filter(environment_secret::Column::EnvironmentId.eq(environment_id))
        .filter(environment_secret::Column::Name.eq(name))
        .order_by_desc(environment_secret::Column::Version)
        .one(txn)
        .await?
        .map_or(1, |row| row.version + 1))
}

/// Writes a new version of a secret.
pub async fn put_secret(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    environment_id: &str,
    name: &str,
    value: &SecretText,
) -> Result<SecretInfo> {
    let (env, owner) = environments::visible(core, actor, environment_id).await?;
    environments::require_deploy(actor, &env, &owner)?;
    let value = value.expose();
    check_secret(name, value)?;
    let txn = Change::begin(core).await?;
    environments::lock(&txn, &env.id).await?;
    let env = environments::find(&txn, &env.id).await?;
    if values_of(latest(&txn, &env.id).await?.as_ref())?.contains_key(name) {
        return Err(Error::invalid(FieldError::new(
            "name",
            "taken",
            format!("{name} is a variable of this environment; remove the variable first."),
        )));
    }
    let existing = current_secrets(&txn, &env.id).await?;
    if !existing.contains_key(name) && existing.len() >= MAX_SECRETS {
        return Err(Error::invalid(FieldError::new(
            "name",
            "too_many",
            format!("An environment has at most {MAX_SECRETS} secrets."),
        )));
    }
    let version = next_secret_version(&txn, &env.id, name).await?;
    let mut row = environment_secret::Model {
        sealed: None,
        id: core.new_id(),
        environment_id: env.id.clone(),
        name: name.to_owned(),
        version,
        created_by: actor.user_id.clone(),
        created_at: txn.now(),
    };
    row.sealed = Some(core.sealer.seal(value.as_bytes(), &binding(&row))?);
    environment_secret::Entity::insert(environment_secret::ActiveModel::from(row.clone()))
        .exec_without_returning(&txn)
        .await?;
    let entry = AuditEntry::success(actor.audit_actor(), "environment.secret_set")
        .target("environment", env.id.clone())
        .scope(&catalog::target_of(&owner))
        .details(serde_json::json!({
            "service_id": owner.id, "environment": env.name, "name": name, "version": version,
        }));
    txn.commit(core, meta, entry).await?;
    let live = live_config(core, &env).await?;
    Ok(secret_info(&row, live.as_ref()))
}

/// Deletes a secret: a version without a value (releases that ran an earlier version keep it,
/// so a rollback to them brings it back).
pub async fn delete_secret(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    environment_id: &str,
    name: &str,
) -> Result<()> {
    let (env, owner) = environments::visible(core, actor, environment_id).await?;
    environments::require_deploy(actor, &env, &owner)?;
    let txn = Change::begin(core).await?;
    environments::lock(&txn, &env.id).await?;
    if !current_secrets(&txn, &env.id).await?.contains_key(name) {
        return Err(Error::NotFound);
    }
    let version = next_secret_version(&txn, &env.id, name).await?;
    let row = environment_secret::Model {
        id: core.new_id(),
        environment_id: env.id.clone(),
        name: name.to_owned(),
        version,
        sealed: None,
        created_by: actor.user_id.clone(),
        created_at: txn.now(),
    };
    environment_secret::Entity::insert(environment_secret::ActiveModel::from(row))
        .exec_without_returning(&txn)
        .await?;
    let entry = AuditEntry::success(actor.audit_actor(), "environment.secret_delete")
        .target("environment", env.id.clone())
        .scope(&catalog::target_of(&owner))
        .details(serde_json::json!({
            "service_id": owner.id, "environment": env.name, "name": name, "version": version,
        }));
    txn.commit(core, meta, entry).await?;
    Ok(())
}

/// Reveals a secret's newest value: needs `secrets.reveal` and a fresh second factor (a code
/// of the caller's authenticator, spent by this), and leaves an audit row.
pub async fn reveal_secret(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    environment_id: &str,
    name: &str,
    code: &SecretText,
) -> Result<RevealedSecret> {
    let (env, owner) = environments::visible(core, actor, environment_id).await?;
    let scope = catalog::target_of(&owner);
    actor.require(Permission::SecretsReveal, &scope)?;
    if !current_secrets(&core.db, &env.id).await?.contains_key(name) {
        return Err(Error::NotFound);
    }
    let about = serde_json::json!({
        "service_id": owner.id, "environment": env.name, "name": name,
    });
    let failure = AuditEntry::failure(actor.audit_actor(), "environment.secret_reveal")
        .target("environment", env.id.clone())
        .scope(&scope)
        .details(serde_json::json!({"reason": "invalid_code", "secret": about}));
    let txn = mfa::step_up(core, actor, meta, code.expose(), failure).await?;
    // Read again in the transaction: a secret deleted meanwhile is not revealed.
    let Some(row) = current_secrets(&txn, &env.id).await?.remove(name) else {
        return Err(Error::NotFound);
    };
    let sealed = row.sealed.clone().unwrap_or_default();
    let value = String::from_utf8(core.sealer.open(&sealed, &binding(&row))?)
        .map_err(anyhow::Error::from)?;
    let entry = AuditEntry::success(actor.audit_actor(), "environment.secret_reveal")
        .target("environment", env.id.clone())
        .scope(&scope)
        .details(serde_json::json!({
            "service_id": owner.id, "environment": env.name, "name": name,
            "version": row.version,
        }));
    txn.commit(core, meta, entry).await?;
    Ok(RevealedSecret {
        name: row.name,
        version: row.version,
        value: SecretText::new(value),
    })
}
