//! Secrets a project or a service shares (issue 12, point 5's scopes): a service's reach its
//! staging, its production and its previews; a project's reach every environment of each of
//! its services. They are kept as an environment's secrets are: write-only, each write a new
//! version in a row of its own, sealed with a data key of its own under the master key and
//! bound to that row; a deletion is a version without a value; revealing one needs
//! `secrets.reveal` and a fresh second factor, and is audited.
//!
//! An environment runs with its project's variables, then its project's secrets, then its
//! groups' and its service's variables, then its service's secrets, then its own variables and
//! secrets: a narrower scope wins. Within one scope a variable and a secret cannot share a
//! name. A release records the version of each, so a rollback brings them back with its
//! image. Reading the names needs `services.view` on the project or service; changing one
//! needs `deploys.production` there, since it reaches production's next deploy too.

use std::collections::BTreeMap;

use gmac_types::variables::{ReleaseConfig, RevealedSecret, SecretInfo};
use gmac_types::{FieldError, Page, PageQuery, Permission, SecretText};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::access::Target;
use crate::audit::AuditEntry;
use crate::entities::{environment, project_secret, release, service, service_secret};
use crate::platform::change::Change;
use crate::platform::paging;
use crate::services::release_rows::config_of;
use crate::services::shared_variables::{self, Owner};
use crate::services::variable_sets::{check_secret, newest_live};
use crate::services::{catalog, mfa, projects};
use crate::{Actor, Core, Error, RequestMeta, Result};

/// The most secrets a project or a service shares.
const MAX_SECRETS: usize = 100;

/// Whose secrets: a project's or a service's, by id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Holder<'a> {
    /// A project's.
    Project(&'a str),
    /// A service's.
    Service(&'a str),
}

impl<'a> Holder<'a> {
    fn id(self) -> &'a str {
        match self {
            Self::Project(id) | Self::Service(id) => id,
        }
    }

    /// Its shared variables, whose names its secrets cannot take.
    fn variables(self) -> Owner<'a> {
        match self {
            Self::Project(id) => Owner::Project(id),
            Self::Service(id) => Owner::Service(id),
        }
    }

    /// Its word in audit targets and messages.
    const fn noun(self) -> &'static str {
        match self {
            Self::Project(_) => "project",
            Self::Service(_) => "service",
        }
    }

    /// The audit actions on its secrets: set, delete and reveal.
    const fn actions(self) -> [&'static str; 3] {
        match self {
            Self::Project(_) => [
                "project.secret_set",
                "project.secret_delete",
                "project.secret_reveal",
            ],
            Self::Service(_) => [
                "service.secret_set",
                "service.secret_delete",
                "service.secret_reveal",
            ],
        }
    }
}

/// What a project secret's value is sealed for: its row, project, name and version.
pub(crate) fn project_binding(id: &str, project_id: &str, name: &str, version: &str) -> String {
    format!("project_secrets:{id}:{project_id}:{name}:{version}")
}

/// What a service secret's value is sealed for: its row, service, name and version.
pub(crate) fn binding(id: &str, service_id: &str, name: &str, version: &str) -> String {
    format!("service_secrets:{id}:{service_id}:{name}:{version}")
}

/// One version of a shared secret, whoever holds it.
#[derive(Clone, Debug)]
struct Row {
    id: String,
    holder_id: String,
    project: bool,
    name: String,
    version: i64,
    sealed: Option<String>,
    created_by: String,
    created_at: chrono::DateTime<chrono::Utc>,
}

impl Row {
    fn binding(&self) -> String {
        let version = self.version.to_string();
        if self.project {
            project_binding(&self.id, &self.holder_id, &self.name, &version)
        } else {
            binding(&self.id, &self.holder_id, &self.name, &version)
        }
    }
}

impl From<service_secret::Model> for Row {
    fn from(r: service_secret::Model) -> Self {
        Self {
            id: r.id,
            holder_id: r.service_id,
            project: false,
            name: r.name,
            version: r.version,
            sealed: r.sealed,
            created_by: r.created_by,
            created_at: r.created_at,
        }
    }
}

impl From<project_secret::Model> for Row {
    fn from(r: project_secret::Model) -> Self {
        Self {
            id: r.id,
            holder_id: r.project_id,
            project: true,
            name: r.name,
            version: r.version,
            sealed: r.sealed,
            created_by: r.created_by,
            created_at: r.created_at,
        }
    }
}

/// `holder`'s rows (of `name` only, when given), oldest version first.
async fn rows(
    conn: &impl ConnectionTrait,
    holder: Holder<'_>,
    name: Option<&str>,
) -> Result<Vec<Row>> {
    Ok(match holder {
        Holder::Project(id) => {
            let mut select =
                project_secret::Entity::find().filter(project_secret::Column::ProjectId.eq(id));
            if let Some(name) = name {
                select = select.filter(project_secret::Column::Name.eq(name));
            }
            select
                .order_by_asc(project_secret::Column::Version)
                .all(conn)
                .await?
                .into_iter()
                .map(Row::from)
                .collect()
        }
        Holder::Service(id) => {
            let mut select =
                service_secret::Entity::find().filter(service_secret::Column::ServiceId.eq(id));
            if let Some(name) = name {
                select = select.filter(service_secret::Column::Name.eq(name));
            }
            select
                .order_by_asc(service_secret::Column::Version)
                .all(conn)
                .await?
                .into_iter()
                .map(Row::from)
                .collect()
        }
    })
}

async fn insert(conn: &impl ConnectionTrait, row: Row) -> Result<()> {
    if row.project {
        project_secret::Entity::insert(project_secret::ActiveModel::from(project_secret::Model {
            id: row.id,
            project_id: row.holder_id,
            name: row.name,
            version: row.version,
            sealed: row.sealed,
            created_by: row.created_by,
            created_at: row.created_at,
        }))
        .exec_without_returning(conn)
        .await?;
    } else {
        service_secret::Entity::insert(service_secret::ActiveModel::from(service_secret::Model {
            id: row.id,
            service_id: row.holder_id,
            name: row.name,
            version: row.version,
            sealed: row.sealed,
            created_by: row.created_by,
            created_at: row.created_at,
        }))
        .exec_without_returning(conn)
        .await?;
    }
    Ok(())
}

/// Each secret's newest version that has a value, by name.
async fn current(conn: &impl ConnectionTrait, holder: Holder<'_>) -> Result<BTreeMap<String, Row>> {
    Ok(newest_live(
        rows(conn, holder, None).await?,
        |r| r.name.as_str(),
        |r| r.sealed.is_some(),
    ))
}

/// The versions a deploy made now runs with.
pub(crate) async fn current_versions(
    conn: &impl ConnectionTrait,
    holder: Holder<'_>,
) -> Result<BTreeMap<String, i64>> {
    Ok(current(conn, holder)
        .await?
        .into_iter()
        .map(|(name, row)| (name, row.version))
        .collect())
}

/// The values of `versions`, by name. The inner error names a version that is gone or does
/// not open: the release cannot run as it was made.
pub(crate) async fn open(
    core: &Core,
    holder: Holder<'_>,
    versions: &BTreeMap<String, i64>,
) -> Result<std::result::Result<BTreeMap<String, String>, String>> {
    let mut values = BTreeMap::new();
    let noun = holder.noun();
    for (name, version) in versions {
        let row = rows(&core.db, holder, Some(name))
            .await?
            .into_iter()
            .find(|r| r.version == *version);
        let Some((row, sealed)) = row.and_then(|r| r.sealed.clone().map(|s| (r, s))) else {
            return Ok(Err(format!(
                "the {noun}'s secret {name} version {version} is gone"
            )));
        };
        let opened = core
            .sealer
            .open(&sealed, &row.binding())
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok());
        let Some(value) = opened else {
            return Ok(Err(format!(
                "the {noun}'s secret {name} version {version} does not open with this master key"
            )));
        };
        values.insert(name.clone(), value);
    }
    Ok(Ok(values))
}

/// Where `holder` is, for permissions, once the actor may see it.
async fn visible(core: &Core, actor: &Actor, holder: Holder<'_>) -> Result<Target> {
    let target = match holder {
        Holder::Project(id) => projects::target_of(&projects::find(&core.db, id).await?),
        Holder::Service(id) => catalog::target_of(&catalog::find(&core.db, id).await?),
    };
    actor.require_on(Permission::ServicesView, &target)?;
    Ok(target)
}

/// The configurations the live releases of `holder`'s environments run with.
async fn live_configs(core: &Core, holder: Holder<'_>) -> Result<Vec<ReleaseConfig>> {
    let services: Vec<String> = match holder {
        Holder::Service(id) => vec![id.to_owned()],
        Holder::Project(id) => service::Entity::find()
            .filter(service::Column::ProjectId.eq(id))
            .all(&core.db)
            .await?
            .into_iter()
            .map(|s| s.id)
            .collect(),
    };
    let live: Vec<String> = environment::Entity::find()
        .filter(environment::Column::ServiceId.is_in(services))
        .all(&core.db)
        .await?
        .into_iter()
        .filter_map(|env| env.live_release_id)
        .collect();
    let rows = release::Entity::find()
        .filter(release::Column::Id.is_in(live))
        .all(&core.db)
        .await?;
    rows.iter().map(config_of).collect()
}

fn info(row: &Row, live: &[ReleaseConfig]) -> SecretInfo {
    SecretInfo {
        name: row.name.clone(),
        version: row.version,
        updated_by: row.created_by.clone(),
        updated_at: row.created_at,
        pending: live.iter().any(|c| {
            let runs = if row.project {
                &c.project_secrets
            } else {
                &c.service_secrets
            };
            runs.get(&row.name) != Some(&row.version)
        }),
    }
}

/// The secrets `holder` shares: names and versions, never values. `pending` when one of its
/// environments' live releases runs another version (or none).
pub async fn list(
    core: &Core,
    actor: &Actor,
    holder: Holder<'_>,
    page: &PageQuery,
) -> Result<Page<SecretInfo>> {
    visible(core, actor, holder).await?;
    let live = live_configs(core, holder).await?;
    let items: Vec<SecretInfo> = current(&core.db, holder)
        .await?
        .into_values()
        .map(|row| info(&row, &live))
        .collect();
    paging::page_in_memory(items, page, |s| s.name.clone())
}

async fn next_version(txn: &Change, holder: Holder<'_>, name: &str) -> Result<i64> {
    Ok(rows(txn, holder, Some(name))
        .await?
        .last()
        .map_or(1, |row| row.version + 1))
}

/// A new version row of `holder`'s secret `name`, sealed when it has a value.
fn new_row(
    core: &Core,
    actor: &Actor,
    txn: &Change,
    holder: Holder<'_>,
    name: &str,
    version: i64,
    value: Option<&str>,
) -> Result<Row> {
    let mut row = Row {
        id: core.new_id(),
        holder_id: holder.id().to_owned(),
        project: matches!(holder, Holder::Project(_)),
        name: name.to_owned(),
        version,
        sealed: None,
        created_by: actor.user_id.clone(),
        created_at: txn.now(),
    };
    if let Some(value) = value {
        row.sealed = Some(core.sealer.seal(value.as_bytes(), &row.binding())?);
    }
    Ok(row)
}

/// Writes a new version of a shared secret.
pub async fn put(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    holder: Holder<'_>,
    name: &str,
    value: &SecretText,
) -> Result<SecretInfo> {
    let target = visible(core, actor, holder).await?;
    actor.require(Permission::DeploysProduction, &target)?;
    let value = value.expose();
    check_secret(name, value)?;
    let noun = holder.noun();
    let txn = Change::begin(core).await?;
    shared_variables::lock(&txn, holder.variables()).await?;
    if shared_variables::newest_values(&txn, holder.variables())
        .await?
        .contains_key(name)
    {
        return Err(Error::invalid(FieldError::new(
            "name",
            "taken",
            format!("{name} is a variable this {noun} shares; remove the variable first."),
        )));
    }
    let existing = current(&txn, holder).await?;
    if !existing.contains_key(name) && existing.len() >= MAX_SECRETS {
        return Err(Error::invalid(FieldError::new(
            "name",
            "too_many",
            format!("A {noun} shares at most {MAX_SECRETS} secrets."),
        )));
    }
    let version = next_version(&txn, holder, name).await?;
    let row = new_row(core, actor, &txn, holder, name, version, Some(value))?;
    insert(&txn, row.clone()).await?;
    let entry = AuditEntry::success(actor.audit_actor(), holder.actions()[0])
        .target(noun, holder.id().to_owned())
        .scope(&target)
        .details(serde_json::json!({"name": name, "version": version}));
    txn.commit(core, meta, entry).await?;
    let live = live_configs(core, holder).await?;
    Ok(info(&row, &live))
}

/// Deletes a shared secret: a version without a value (releases that ran an earlier version
/// keep it, so a rollback to them brings it back).
pub async fn delete(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    holder: Holder<'_>,
    name: &str,
) -> Result<()> {
    let target = visible(core, actor, holder).await?;
    actor.require(Permission::DeploysProduction, &target)?;
    let noun = holder.noun();
    let txn = Change::begin(core).await?;
    shared_variables::lock(&txn, holder.variables()).await?;
    if !current(&txn, holder).await?.contains_key(name) {
        return Err(Error::NotFound);
    }
    let version = next_version(&txn, holder, name).await?;
    insert(
        &txn,
        new_row(core, actor, &txn, holder, name, version, None)?,
    )
    .await?;
    let entry = AuditEntry::success(actor.audit_actor(), holder.actions()[1])
        .target(noun, holder.id().to_owned())
        .scope(&target)
        .details(serde_json::json!({"name": name, "version": version}));
    txn.commit(core, meta, entry).await?;
    Ok(())
}

/// Reveals a shared secret's newest value: needs `secrets.reveal` and a fresh second factor
/// (a code of the caller's authenticator, spent by this), and leaves an audit row.
pub async fn reveal(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    holder: Holder<'_>,
    name: &str,
    code: &SecretText,
) -> Result<RevealedSecret> {
    let target = visible(core, actor, holder).await?;
    actor.require(Permission::SecretsReveal, &target)?;
    if !current(&core.db, holder).await?.contains_key(name) {
        return Err(Error::NotFound);
    }
    let noun = holder.noun();
    let failure = AuditEntry::failure(actor.audit_actor(), holder.actions()[2])
        .target(noun, holder.id().to_owned())
        .scope(&target)
        .details(serde_json::json!({"reason": "invalid_code", "name": name}));
    let txn = mfa::step_up(core, actor, meta, code.expose(), failure).await?;
    // Read again in the transaction: a secret deleted meanwhile is not revealed.
    let Some(row) = current(&txn, holder).await?.remove(name) else {
        return Err(Error::NotFound);
    };
    let sealed = row.sealed.clone().unwrap_or_default();
    let value = String::from_utf8(core.sealer.open(&sealed, &row.binding())?)
        .map_err(anyhow::Error::from)?;
    let entry = AuditEntry::success(actor.audit_actor(), holder.actions()[2])
        .target(noun, holder.id().to_owned())
        .scope(&target)
        .details(serde_json::json!({"name": name, "version": row.version}));
    txn.commit(core, meta, entry).await?;
    Ok(RevealedSecret {
        name: row.name,
        version: row.version,
        value: SecretText::new(value),
    })
}
