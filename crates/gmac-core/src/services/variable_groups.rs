//! A project's groups of variables (issue 12, point 5's groups, as Render's environment
//! groups): named sets of variables, versioned as every shared set is (see
//! [`crate::services::shared_variables`]), attached to any of the project's services in an
//! order. An environment runs with its project's variables, then its service's groups' in
//! that order, then its service's own, then its own and its secrets.
//!
//! Reading needs `services.view` in the project; creating, deleting and attaching need
//! `deploys.production` there, as the variables reach production deploys.

use std::collections::BTreeMap;

use gmac_types::variables::{
    AttachedGroups, MAX_GROUPS_PER_SERVICE, NewVariableGroup, ServiceVariableGroups, VariableGroup,
    group_name_problem,
};
use gmac_types::{ErrorCode, FieldError, Page, PageQuery, Permission};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::audit::AuditEntry;
use crate::entities::{service_variable_group, shared_variables, variable_group};
use crate::platform::change::Change;
use crate::platform::paging;
use crate::services::shared_variables::{self as shared, Owner, find_group as find};
use crate::services::variable_sets::validate;
use crate::services::{catalog, projects};
use crate::{Actor, Core, Error, RequestMeta, Result};

/// The most groups a project holds.
const MAX_GROUPS_PER_PROJECT: usize = 100;

async fn to_dto(conn: &impl ConnectionTrait, row: variable_group::Model) -> Result<VariableGroup> {
    let newest = shared_variables::Entity::find()
        .filter(shared_variables::Column::GroupId.eq(row.id.as_str()))
        .order_by_desc(shared_variables::Column::Version)
        .one(conn)
        .await?;
    let variables: BTreeMap<String, String> = match &newest {
        Some(v) => serde_json::from_str(&v.variables).map_err(anyhow::Error::from)?,
        None => BTreeMap::new(),
    };
    let service_ids = service_variable_group::Entity::find()
        .filter(service_variable_group::Column::GroupId.eq(row.id.as_str()))
        .order_by_asc(service_variable_group::Column::ServiceId)
        .all(conn)
        .await?
        .into_iter()
        .map(|a| a.service_id)
        .collect();
    Ok(VariableGroup {
        id: row.id,
        project_id: row.project_id,
        name: row.name,
        latest_version: newest.map_or(0, |v| v.version),
        variables,
        service_ids,
        created_by: row.created_by,
        created_at: row.created_at,
    })
}

/// A project's groups, by name.
pub async fn list(
    core: &Core,
    actor: &Actor,
    project_id: &str,
    page: &PageQuery,
) -> Result<Page<VariableGroup>> {
    let project = projects::find(&core.db, project_id).await?;
    actor.require_on(Permission::ServicesView, &projects::target_of(&project))?;
    let rows = variable_group::Entity::find()
        .filter(variable_group::Column::ProjectId.eq(project.id.as_str()))
        .filter(variable_group::Column::DeletedAt.is_null())
        .order_by_asc(variable_group::Column::Name)
        .all(&core.db)
        .await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        items.push(to_dto(&core.db, row).await?);
    }
    paging::page_in_memory(items, page, |g| g.name.clone())
}

/// One group.
pub async fn get(core: &Core, actor: &Actor, id: &str) -> Result<VariableGroup> {
    let group = find(&core.db, id).await?;
    let project = projects::find(&core.db, &group.project_id).await?;
    actor.require_on(Permission::ServicesView, &projects::target_of(&project))?;
    to_dto(&core.db, group).await
}

/// Creates a group in a project, with its first version when it has variables.
pub async fn create(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    project_id: &str,
    new: NewVariableGroup,
) -> Result<VariableGroup> {
    let project = projects::find(&core.db, project_id).await?;
    let target = projects::target_of(&project);
    actor.require_on(Permission::DeploysProduction, &target)?;
    let name = new.name.trim().to_owned();
    if let Some(problem) = group_name_problem(&name) {
        return Err(Error::invalid(FieldError::new(
            "name",
            "invalid",
            format!("{problem}."),
        )));
    }
    validate(&new.variables)?;
    let txn = Change::begin(core).await?;
    shared::lock(&txn, Owner::Project(&project.id)).await?;
    let existing = variable_group::Entity::find()
        .filter(variable_group::Column::ProjectId.eq(project.id.as_str()))
        .filter(variable_group::Column::DeletedAt.is_null())
        .all(&txn)
        .await?;
    if existing.iter().any(|g| g.name.eq_ignore_ascii_case(&name)) {
        return Err(Error::invalid(FieldError::new(
            "name",
            "taken",
            format!("The project has a group named {name} already."),
        )));
    }
    if existing.len() >= MAX_GROUPS_PER_PROJECT {
        return Err(Error::invalid(FieldError::new(
            "name",
            "too_many",
            format!("A project has at most {MAX_GROUPS_PER_PROJECT} groups."),
        )));
    }
    let row = variable_group::Model {
        id: core.new_id(),
        project_id: project.id.clone(),
        name,
        created_by: actor.user_id.clone(),
        created_at: txn.now(),
        deleted_at: None,
    };
    variable_group::Entity::insert(variable_group::ActiveModel::from(row.clone()))
        .exec_without_returning(&txn)
        .await?;
    if !new.variables.is_empty() {
        let first = shared_variables::Model {
            id: core.new_id(),
            project_id: None,
            service_id: None,
            group_id: Some(row.id.clone()),
            version: 1,
            variables: serde_json::to_string(&new.variables).map_err(anyhow::Error::from)?,
            note: Some("set".to_owned()),
            created_by: actor.user_id.clone(),
            created_at: txn.now(),
        };
        shared_variables::Entity::insert(shared_variables::ActiveModel::from(first))
            .exec_without_returning(&txn)
            .await?;
    }
    let names: Vec<&String> = new.variables.keys().collect();
    let entry = AuditEntry::success(actor.audit_actor(), "variable_group.create")
        .target("variable_group", row.id.clone())
        .scope(&target)
        .details(serde_json::json!({"name": row.name, "variables": names}));
    txn.commit(core, meta, entry).await?;
    to_dto(&core.db, row).await
}

/// Deletes a group that no service has attached (`409` while one does). Its versions stay, so
/// the releases that ran with it still roll back, restart and scale as they were made.
pub async fn delete(core: &Core, actor: &Actor, meta: &RequestMeta, id: &str) -> Result<()> {
    let group = find(&core.db, id).await?;
    let project = projects::find(&core.db, &group.project_id).await?;
    let target = projects::target_of(&project);
    actor.require_on(Permission::DeploysProduction, &target)?;
    let txn = Change::begin(core).await?;
    shared::lock(&txn, Owner::Group(&group.id)).await?;
    let users = service_variable_group::Entity::find()
        .filter(service_variable_group::Column::GroupId.eq(group.id.as_str()))
        .all(&txn)
        .await?;
    if !users.is_empty() {
        return Err(Error::conflict(
            ErrorCode::Conflict,
            format!(
                "Group {} is attached to {} service(s); detach it from them first.",
                group.name,
                users.len()
            ),
        ));
    }
    // Once: a delete that another one overtook finds nothing left to delete.
    let deleted = variable_group::Entity::update_many()
        .col_expr(
            variable_group::Column::DeletedAt,
            sea_orm::sea_query::Expr::value(txn.now()),
        )
        .filter(variable_group::Column::Id.eq(group.id.as_str()))
        .filter(variable_group::Column::DeletedAt.is_null())
        .exec(&txn)
        .await?;
    if deleted.rows_affected == 0 {
        return Err(Error::NotFound);
    }
    let entry = AuditEntry::success(actor.audit_actor(), "variable_group.delete")
        .target("variable_group", group.id.clone())
        .scope(&target)
        .details(serde_json::json!({"name": group.name}));
    txn.commit(core, meta, entry).await?;
    Ok(())
}

/// The groups attached to a service, in order.
pub async fn attached(core: &Core, actor: &Actor, service_id: &str) -> Result<AttachedGroups> {
    let owner = catalog::find(&core.db, service_id).await?;
    actor.require_on(Permission::ServicesView, &catalog::target_of(&owner))?;
    attached_dto(&core.db, &owner.id).await
}

async fn attached_dto(conn: &impl ConnectionTrait, service_id: &str) -> Result<AttachedGroups> {
    let mut groups = Vec::new();
    for id in shared::attached(conn, service_id).await? {
        groups.push(to_dto(conn, find(conn, &id).await?).await?);
    }
    Ok(AttachedGroups { groups })
}

/// Attaches exactly `wanted`'s groups to a service, in that order. A change applies on each
/// environment's next deploy.
pub async fn attach(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    service_id: &str,
    wanted: ServiceVariableGroups,
) -> Result<AttachedGroups> {
    let owner = catalog::find(&core.db, service_id).await?;
    let target = catalog::target_of(&owner);
    actor.require_on(Permission::DeploysProduction, &target)?;
    if wanted.group_ids.len() > MAX_GROUPS_PER_SERVICE {
        return Err(Error::invalid(FieldError::new(
            "group_ids",
            "too_many",
            format!("A service has at most {MAX_GROUPS_PER_SERVICE} groups."),
        )));
    }
    let mut errors = Vec::new();
    let txn = Change::begin(core).await?;
    shared::lock(&txn, Owner::Service(&owner.id)).await?;
    for (at, id) in wanted.group_ids.iter().enumerate() {
        let at_text = at.to_string();
        if wanted.group_ids[..at].contains(id) {
            errors.push(FieldError::at(
                &["group_ids", &at_text],
                "duplicate",
                "A group is attached once.",
            ));
            continue;
        }
        // Held until the change commits, so the group is not deleted meanwhile.
        let found = if crate::ids::is_id(id) {
            let query = variable_group::Entity::find_by_id(id.as_str())
                .filter(variable_group::Column::DeletedAt.is_null());
            if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
                query.lock_shared().one(&txn).await?
            } else {
                query.one(&txn).await?
            }
        } else {
            None
        };
        if found.is_none_or(|g| g.project_id != owner.project_id) {
            errors.push(FieldError::at(
                &["group_ids", &at_text],
                "unknown",
                "No group of the service's project has this id.",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    let before = shared::attached(&txn, &owner.id).await?;
    if before == wanted.group_ids {
        drop(txn);
        return attached_dto(&core.db, &owner.id).await;
    }
    service_variable_group::Entity::delete_many()
        .filter(service_variable_group::Column::ServiceId.eq(owner.id.as_str()))
        .exec(&txn)
        .await?;
    for (position, group_id) in wanted.group_ids.iter().enumerate() {
        let row = service_variable_group::Model {
            id: core.new_id(),
            service_id: owner.id.clone(),
            group_id: group_id.clone(),
            position: i32::try_from(position).unwrap_or(i32::MAX),
        };
        service_variable_group::Entity::insert(service_variable_group::ActiveModel::from(row))
            .exec_without_returning(&txn)
            .await?;
    }
    let entry = AuditEntry::success(actor.audit_actor(), "service.variable_groups")
        .target("service", owner.id.clone())
        .scope(&target)
        .details(serde_json::json!({"before": before, "after": wanted.group_ids}));
    txn.commit(core, meta, entry).await?;
    attached_dto(&core.db, &owner.id).await
}
