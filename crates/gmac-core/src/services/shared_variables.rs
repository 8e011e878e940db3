//! Variables a project, a group or a service shares with its environments (issue 12, point
//! 5's scopes and groups).
//!
//! Each set is kept whole per version, as an environment's own variables are: each change
//! writes version n+1, any version can be read, two compared, and an old one brought back as
//! a new version. An environment runs with its project's set, then its service's groups' in
//! their order, then its service's, then its own variables, then its secrets, a narrower scope
//! overriding a wider one of the same name; a release records the version of each, so a
//! rollback brings them all back with its image.
//!
//! Reading needs `services.view` where the project or service is. Changing any needs
//! `deploys.production` there: a shared variable reaches the production environment's next
//! deploy too.

use std::collections::BTreeMap;

use gmac_types::variables::{
    GroupVersion, InheritedVariable, ReleaseConfig, SharedVariableSet, VariableScope,
    VariablesDiff, VariablesUpdate, diff,
};
use gmac_types::{FieldError, Permission};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::access::Target;
use crate::audit::AuditEntry;
use crate::entities::{
    project, project_secret, service, service_secret, service_variable_group, shared_variables,
    variable_group,
};
use crate::platform::change::Change;
use crate::services::{catalog, projects, variable_sets};
use crate::{Actor, Core, Error, RequestMeta, Result};

/// Whose set: a project's or a service's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner<'a> {
    /// A project's, by id.
    Project(&'a str),
    /// A service's, by id.
    Service(&'a str),
    /// A group's, by id.
    Group(&'a str),
}

impl Owner<'_> {
    fn scope(self) -> VariableScope {
        match self {
            Self::Project(_) => VariableScope::Project,
            Self::Service(_) => VariableScope::Service,
            Self::Group(_) => VariableScope::Group,
        }
    }

    fn id(self) -> String {
        match self {
            Self::Project(id) | Self::Service(id) | Self::Group(id) => id.to_owned(),
        }
    }

    fn column(self) -> shared_variables::Column {
        match self {
            Self::Project(_) => shared_variables::Column::ProjectId,
            Self::Service(_) => shared_variables::Column::ServiceId,
            Self::Group(_) => shared_variables::Column::GroupId,
        }
    }
}

/// The newest version row of `owner`'s set.
async fn latest(
    conn: &impl ConnectionTrait,
    owner: Owner<'_>,
) -> Result<Option<shared_variables::Model>> {
    Ok(shared_variables::Entity::find()
        .filter(owner.column().eq(owner.id()))
        .order_by_desc(shared_variables::Column::Version)
        .one(conn)
        .await?)
}

async fn version_row(
    conn: &impl ConnectionTrait,
    owner: Owner<'_>,
    version: i64,
) -> Result<Option<shared_variables::Model>> {
    Ok(shared_variables::Entity::find()
        .filter(owner.column().eq(owner.id()))
        .filter(shared_variables::Column::Version.eq(version))
        .one(conn)
        .await?)
}

fn values_of(row: Option<&shared_variables::Model>) -> Result<BTreeMap<String, String>> {
    match row {
        Some(row) => Ok(serde_json::from_str(&row.variables).map_err(anyhow::Error::from)?),
        None => Ok(BTreeMap::new()),
    }
}

/// `owner`'s newest variables.
pub(crate) async fn newest_values(
    conn: &impl ConnectionTrait,
    owner: Owner<'_>,
) -> Result<BTreeMap<String, String>> {
    values_of(latest(conn, owner).await?.as_ref())
}

/// `owner`'s variables at `version` (0: none).
async fn values_at(
    conn: &impl ConnectionTrait,
    owner: Owner<'_>,
    version: i64,
) -> Result<BTreeMap<String, String>> {
    if version == 0 {
        return Ok(BTreeMap::new());
    }
    values_of(version_row(conn, owner, version).await?.as_ref())
}

/// The newest versions of the sets `service`'s environments run with: its project's, its
/// groups' in order, and its own.
pub(crate) async fn current_versions(
    conn: &impl ConnectionTrait,
    service: &service::Model,
) -> Result<(i64, Vec<GroupVersion>, i64)> {
    let project = latest(conn, Owner::Project(&service.project_id))
        .await?
        .map_or(0, |r| r.version);
    let mut groups = Vec::new();
    for group_id in attached(conn, &service.id).await? {
        // A group with no variables yet changes nothing a release runs with.
        if let Some(row) = latest(conn, Owner::Group(&group_id)).await? {
            groups.push(GroupVersion {
                group_id,
                version: row.version,
            });
        }
    }
    let own = latest(conn, Owner::Service(&service.id))
        .await?
        .map_or(0, |r| r.version);
    Ok((project, groups, own))
}

/// The ids of the groups attached to `service_id`, in order.
pub(crate) async fn attached(conn: &impl ConnectionTrait, service_id: &str) -> Result<Vec<String>> {
    Ok(service_variable_group::Entity::find()
        .filter(service_variable_group::Column::ServiceId.eq(service_id))
        .order_by_asc(service_variable_group::Column::Position)
        .all(conn)
        .await?
        .into_iter()
        .map(|row| row.group_id)
        .collect())
}

/// The variables `service`'s environments get from the shared versions `config` names, widest
/// first; the inner error names a version that is gone (its group was deleted): the release
/// cannot run as it was made.
pub(crate) async fn merged(
    conn: &impl ConnectionTrait,
    service: &service::Model,
    config: &ReleaseConfig,
    project_secrets: BTreeMap<String, String>,
) -> Result<std::result::Result<BTreeMap<String, String>, String>> {
    let mut values = values_at(
        conn,
        Owner::Project(&service.project_id),
        config.project_variables_version,
    )
    .await?;
    // The project's secrets, over its variables and under every narrower scope.
    values.extend(project_secrets);
    for group in &config.groups {
        if group.version == 0 {
            continue;
        }
        let Some(row) = version_row(conn, Owner::Group(&group.group_id), group.version).await?
        else {
            return Ok(Err(format!(
                "variable group {} version {} is gone",
                group.group_id, group.version
            )));
        };
        values.extend(values_of(Some(&row))?);
    }
    values.extend(
        values_at(
            conn,
            Owner::Service(&service.id),
            config.service_variables_version,
        )
        .await?,
    );
    Ok(Ok(values))
}

/// One shared layer an environment gets: its scope, group, version and values; a layer of
/// secrets has each one's version, and no value is shown.
struct Layer {
    scope: VariableScope,
    group: Option<variable_group::Model>,
    version: i64,
    values: BTreeMap<String, String>,
    secrets: Option<BTreeMap<String, i64>>,
}

/// The secrets a project and a service share, by name and version, for [`inherited`].
pub(crate) struct SharedSecretNames {
    /// The project's.
    pub project: BTreeMap<String, i64>,
    /// The service's.
    pub service: BTreeMap<String, i64>,
}

/// What an environment of `service` gets from the newest versions of its project's, its
/// groups' and its own sets and the secrets its project and service share (names only),
/// widest first, each saying which scope wins over it; `own` and `secrets` are the
/// environment's own names.
pub(crate) async fn inherited(
    conn: &impl ConnectionTrait,
    service: &service::Model,
    own: &BTreeMap<String, String>,
    secrets: &[String],
    shared: SharedSecretNames,
) -> Result<Vec<InheritedVariable>> {
    let mut owners: Vec<(Owner<'_>, Option<variable_group::Model>)> =
        vec![(Owner::Project(&service.project_id), None)];
    let group_ids = attached(conn, &service.id).await?;
    for id in &group_ids {
        let group = variable_group::Entity::find_by_id(id.as_str())
            .one(conn)
            .await?;
        owners.push((Owner::Group(id), group));
    }
    owners.push((Owner::Service(&service.id), None));
    let mut layers = Vec::new();
    let secret_layer = |scope, names: BTreeMap<String, i64>| Layer {
        scope,
        group: None,
        version: 0,
        values: names.keys().map(|n| (n.clone(), String::new())).collect(),
        secrets: Some(names),
    };
    for (owner, group) in owners {
        let row = latest(conn, owner).await?;
        let scope = owner.scope();
        layers.push(Layer {
            scope,
            group,
            version: row.as_ref().map_or(0, |r| r.version),
            values: values_of(row.as_ref())?,
            secrets: None,
        });
        // Each scope's secrets right over its variables.
        if scope == VariableScope::Project {
            layers.push(secret_layer(VariableScope::Project, shared.project.clone()));
        }
    }
    layers.push(secret_layer(VariableScope::Service, shared.service));
    let winner = |name: &str, after: usize| {
        if secrets.iter().any(|s| s == name) {
            Some(VariableScope::Secret)
        } else if own.contains_key(name) {
            Some(VariableScope::Environment)
        } else {
            layers[after + 1..]
                .iter()
                .rev()
                .find(|l| l.values.contains_key(name))
                .map(|l| l.scope)
        }
    };
    let mut out = Vec::new();
    for (at, layer) in layers.iter().enumerate() {
        for (name, value) in &layer.values {
            let secret_version = layer.secrets.as_ref().and_then(|v| v.get(name));
            out.push(InheritedVariable {
                name: name.clone(),
                value: value.clone(),
                scope: layer.scope,
                group_id: layer.group.as_ref().map(|g| g.id.clone()),
                group_name: layer.group.as_ref().map(|g| g.name.clone()),
                version: secret_version.copied().unwrap_or(layer.version),
                overridden_by: winner(name, at),
                secret: secret_version.is_some(),
            });
        }
    }
    Ok(out)
}

/// Loads a group that is not deleted, or 404.
pub(crate) async fn find_group(
    conn: &impl ConnectionTrait,
    id: &str,
) -> Result<variable_group::Model> {
    if !crate::ids::is_id(id) {
        return Err(Error::NotFound);
    }
    variable_group::Entity::find_by_id(id)
        .filter(variable_group::Column::DeletedAt.is_null())
        .one(conn)
        .await?
        .ok_or(Error::NotFound)
}

/// Loads `owner` and checks the actor may see it: the permission target it lives at.
async fn visible(core: &Core, actor: &Actor, owner: Owner<'_>) -> Result<Target> {
    let target = match owner {
        Owner::Project(id) => projects::target_of(&projects::find(&core.db, id).await?),
        Owner::Service(id) => catalog::target_of(&catalog::find(&core.db, id).await?),
        Owner::Group(id) => {
            let group = find_group(&core.db, id).await?;
            projects::target_of(&projects::find(&core.db, &group.project_id).await?)
        }
    };
    actor.require_on(Permission::ServicesView, &target)?;
    Ok(target)
}

fn to_dto(
    owner: Owner<'_>,
    row: Option<&shared_variables::Model>,
    latest_version: i64,
) -> Result<SharedVariableSet> {
    Ok(SharedVariableSet {
        scope: owner.scope(),
        owner_id: owner.id(),
        version: row.map_or(0, |r| r.version),
        latest_version,
        variables: values_of(row)?,
        created_by: row.map(|r| r.created_by.clone()),
        created_at: row.map(|r| r.created_at),
        note: row.and_then(|r| r.note.clone()),
    })
}

/// `owner`'s shared variables, the newest version or `version`.
pub async fn get(
    core: &Core,
    actor: &Actor,
    owner: Owner<'_>,
    version: Option<i64>,
) -> Result<SharedVariableSet> {
    visible(core, actor, owner).await?;
    variable_sets::version_asked(version)?;
    let newest = latest(&core.db, owner).await?;
    let latest_version = newest.as_ref().map_or(0, |r| r.version);
    let row = match version {
        None => newest,
        Some(v) if v == latest_version => newest,
        Some(v) => Some(
            version_row(&core.db, owner, v)
                .await?
                .ok_or(Error::NotFound)?,
        ),
    };
    to_dto(owner, row.as_ref(), latest_version)
}

/// Writes a new version of `owner`'s shared variables (`If-Match`: the newest version read).
pub async fn put(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    owner: Owner<'_>,
    if_match: Option<i64>,
    update: VariablesUpdate,
) -> Result<SharedVariableSet> {
    let target = visible(core, actor, owner).await?;
    actor.require(Permission::DeploysProduction, &target)?;
    variable_sets::validate(&update.variables)?;
    write_version(
        core,
        actor,
        meta,
        (owner, &target),
        if_match,
        update.variables,
        "set",
    )
    .await
}

/// Holds the owner's row until `txn` commits on PostgreSQL, so two changes cannot take the
/// same version number; SQLite writes one at a time.
pub(crate) async fn lock(txn: &Change, owner: Owner<'_>) -> Result<()> {
    if txn.get_database_backend() != sea_orm::DbBackend::Postgres {
        return Ok(());
    }
    let found = match owner {
        Owner::Project(id) => project::Entity::find_by_id(id)
            .lock_exclusive()
            .one(txn)
            .await?
            .is_some(),
        Owner::Service(id) => service::Entity::find_by_id(id)
            .lock_exclusive()
            .one(txn)
            .await?
            .is_some(),
        Owner::Group(id) => variable_group::Entity::find_by_id(id)
            .filter(variable_group::Column::DeletedAt.is_null())
            .lock_exclusive()
            .one(txn)
            .await?
            .is_some(),
    };
    if found { Ok(()) } else { Err(Error::NotFound) }
}

async fn write_version(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    (owner, target): (Owner<'_>, &Target),
    if_match: Option<i64>,
    variables: BTreeMap<String, String>,
    note: &str,
) -> Result<SharedVariableSet> {
    let txn = Change::begin(core).await?;
    lock(&txn, owner).await?;
    let newest = latest(&txn, owner).await?;
    let current = newest.as_ref().map_or(0, |r| r.version);
    Change::expect_version(if_match, current)?;
    // A secret the project or service shares has the name already: the two would not be
    // told apart.
    let secrets: Vec<String> = match owner {
        Owner::Service(id) => crate::services::variable_sets::newest_live(
            service_secret::Entity::find()
                .filter(service_secret::Column::ServiceId.eq(id))
                .order_by_asc(service_secret::Column::Version)
                .all(&txn)
                .await?,
            |r| r.name.as_str(),
            |r| r.sealed.is_some(),
        )
        .into_keys()
        .collect(),
        Owner::Project(id) => crate::services::variable_sets::newest_live(
            project_secret::Entity::find()
                .filter(project_secret::Column::ProjectId.eq(id))
                .order_by_asc(project_secret::Column::Version)
                .all(&txn)
                .await?,
            |r| r.name.as_str(),
            |r| r.sealed.is_some(),
        )
        .into_keys()
        .collect(),
        Owner::Group(_) => Vec::new(),
    };
    if let Some(name) = variables.keys().find(|n| secrets.contains(*n)) {
        let noun = if matches!(owner, Owner::Project(_)) {
            "project"
        } else {
            "service"
        };
        return Err(Error::invalid(FieldError::at(
            &["variables", name],
            "taken",
            format!("{name} is a secret this {noun} shares; delete the secret first."),
        )));
    }
    let before = values_of(newest.as_ref())?;
    let changes = diff(&before, &variables);
    if changes.is_empty() && newest.is_some() {
        // Nothing changes: no new version.
        drop(txn);
        return to_dto(owner, newest.as_ref(), current);
    }
    let mut row = shared_variables::Model {
        id: core.new_id(),
        project_id: None,
        service_id: None,
        group_id: None,
        version: current + 1,
        variables: serde_json::to_string(&variables).map_err(anyhow::Error::from)?,
        note: Some(note.to_owned()),
        created_by: actor.user_id.clone(),
        created_at: txn.now(),
    };
    match owner {
        Owner::Project(id) => row.project_id = Some(id.to_owned()),
        Owner::Service(id) => row.service_id = Some(id.to_owned()),
        Owner::Group(id) => row.group_id = Some(id.to_owned()),
    }
    shared_variables::Entity::insert(shared_variables::ActiveModel::from(row.clone()))
        .exec_without_returning(&txn)
        .await?;
    // The audit row names what changed, never the values.
    let names: Vec<serde_json::Value> = changes
        .iter()
        .map(|c| serde_json::json!({"name": c.name, "change": c.change}))
        .collect();
    let (kind, action) = match owner {
        Owner::Project(_) => ("project", "project.variables"),
        Owner::Service(_) => ("service", "service.variables"),
        Owner::Group(_) => ("variable_group", "variable_group.variables"),
    };
    let entry = AuditEntry::success(actor.audit_actor(), action)
        .target(kind, owner.id())
        .scope(target)
        .details(serde_json::json!({
            "version": row.version, "note": note, "changes": names,
        }));
    txn.commit(core, meta, entry).await?;
    to_dto(owner, Some(&row), row.version)
}

/// What changed in `owner`'s set between two versions (0 is the empty start).
pub async fn compare(
    core: &Core,
    actor: &Actor,
    owner: Owner<'_>,
    from: i64,
    to: i64,
) -> Result<VariablesDiff> {
    visible(core, actor, owner).await?;
    variable_sets::compare_versions(from, to, |version| async move {
        version_row(&core.db, owner, version)
            .await?
            .map(|row| values_of(Some(&row)))
            .transpose()
    })
    .await
}

/// Brings `owner`'s version `version` back as a new version.
pub async fn rollback(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    owner: Owner<'_>,
    version: i64,
) -> Result<SharedVariableSet> {
    let target = visible(core, actor, owner).await?;
    actor.require(Permission::DeploysProduction, &target)?;
    let Some(row) = version_row(&core.db, owner, version).await? else {
        return Err(Error::invalid(FieldError::new(
            "version",
            "unknown",
            "There is no such version of these variables.",
        )));
    };
    let values = values_of(Some(&row))?;
    write_version(
        core,
        actor,
        meta,
        (owner, &target),
        None,
        values,
        &format!("rollback to {version}"),
    )
    .await
}
