//! Projects inside clients.

use gmac_types::validation::{FieldErrors, Name, parse_description};
use gmac_types::{ErrorCode, NewProject, Page, Permission, ProjectListQuery, ProjectPatch};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set,
};

use crate::access::{Target, Visible};
use crate::audit::AuditEntry;
use crate::entities::project;
use crate::platform::change::Change;
use crate::platform::paging;
use crate::services::{clients, scope_cleanup};
use crate::{Actor, Core, Error, RequestMeta, Result, db};

/// The wire form.
pub fn to_dto(row: project::Model) -> gmac_types::Project {
    gmac_types::Project {
        id: row.id,
        client_id: row.client_id,
        name: row.name,
        description: row.description,
        created_at: row.created_at,
        updated_at: row.updated_at,
        version: row.version,
    }
}

/// The access-control target of a project row.
pub fn target_of(row: &project::Model) -> Target {
    Target::Project {
        id: row.id.clone(),
        client_id: row.client_id.clone(),
    }
}

fn summary(row: &project::Model) -> serde_json::Value {
    serde_json::json!({"name": row.name, "description": row.description, "client_id": row.client_id})
}

/// Loads a project, or 404.
pub(crate) async fn find(conn: &impl ConnectionTrait, id: &str) -> Result<project::Model> {
    if !crate::ids::is_id(id) {
        return Err(Error::NotFound);
    }
    project::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(Error::NotFound)
}

/// The projects the actor may know of, optionally of one client, a page at a time.
pub async fn list_projects(
    core: &Core,
    actor: &Actor,
    query: &ProjectListQuery,
) -> Result<Page<gmac_types::Project>> {
    actor.ensure_enrolled()?;
    let mut select = project::Entity::find();
    if let Some(client_id) = &query.client_id {
        select = select.filter(project::Column::ClientId.eq(client_id));
    }
    if let Visible::Some { clients, projects } = actor.permissions.known() {
        let project_ids: Vec<String> = projects.into_iter().map(|(p, _)| p).collect();
        select = select.filter(
            Condition::any()
                .add(project::Column::ClientId.is_in(clients))
                .add(project::Column::Id.is_in(project_ids)),
        );
    }
    let (rows, next_cursor, total) = paging::page_by_name(
        core,
        select,
        project::Column::NameKey,
        project::Column::Id,
        &query.list(),
        |r| (r.name_key.clone(), r.id.clone()),
    )
    .await?;
    Ok(Page {
        items: rows.into_iter().map(to_dto).collect(),
        next_cursor,
        total,
    })
}

/// One project.
pub async fn get_project(core: &Core, actor: &Actor, id: &str) -> Result<gmac_types::Project> {
    let row = find(&core.db, id).await?;
    actor.require_known(&target_of(&row))?;
    Ok(to_dto(row))
}

async fn name_taken(
    conn: &impl ConnectionTrait,
    client_id: &str,
    key: &str,
    except: Option<&str>,
) -> Result<bool> {
    let mut select = project::Entity::find()
        .filter(project::Column::ClientId.eq(client_id))
        .filter(project::Column::NameKey.eq(key));
    if let Some(id) = except {
        select = select.filter(project::Column::Id.ne(id));
    }
    Ok(select.count(conn).await? > 0)
}

fn taken() -> Error {
    Error::conflict(
        ErrorCode::NameTaken,
        "Another project of this client already has this name.",
    )
}

/// Creates a project in a client. Needs `projects.manage` on the client.
pub async fn create_project(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    input: NewProject,
) -> Result<gmac_types::Project> {
    let client_target = Target::Client(input.client_id.clone());
    actor.require_on(Permission::ProjectsManage, &client_target)?;
    let mut errors = FieldErrors::new();
    let name = errors.check(Name::parse("name", &input.name));
    let description = errors.check(parse_description(
        "description",
        input.description.as_deref(),
    ));
    errors.finish().map_err(Error::Validation)?;
    let (Some(name), Some(description)) = (name, description) else {
        return Err(anyhow::anyhow!("field errors were collected but not reported").into());
    };
    let now = core.now();
    let txn = Change::begin(core).await?;
    let owner = clients::find(&txn, &input.client_id).await?;
    if name_taken(&txn, &owner.id, &name.key(), None).await? {
        return Err(taken());
    }
    let row = project::Model {
        id: core.new_id(),
        client_id: owner.id,
        name: name.as_str().to_owned(),
        name_key: name.key(),
        description,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    project::Entity::insert(project::ActiveModel::from(row.clone()))
        .exec_without_returning(&txn)
        .await?;
    let entry = AuditEntry::success(actor.audit_actor(), "project.create")
        .target("project", row.id.clone())
        .scope(&target_of(&row))
        .details(serde_json::json!({"after": summary(&row)}));
    txn.commit(core, meta, entry).await?;
    Ok(to_dto(row))
}

/// Renames or re-describes a project.
pub async fn update_project(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    id: &str,
    if_match: Option<i64>,
    patch: ProjectPatch,
) -> Result<gmac_types::Project> {
    let current = find(&core.db, id).await?;
    let target = target_of(&current);
    actor.require_on(Permission::ProjectsManage, &target)?;
    let mut errors = FieldErrors::new();
    let name = patch
        .name
        .as_deref()
        .and_then(|n| errors.check(Name::parse("name", n)));
    let description = patch
        .description
        .as_deref()
        .and_then(|d| errors.check(parse_description("description", Some(d))));
    errors.finish().map_err(Error::Validation)?;
    let now = core.now();
    let txn = Change::begin(core).await?;
    let before = find(&txn, id).await?;
    Change::expect_version(if_match, before.version)?;
    let mut after = before.clone();
    if let Some(name) = &name {
        if name_taken(&txn, &before.client_id, &name.key(), Some(id)).await? {
            return Err(taken());
        }
        after.name = name.as_str().to_owned();
        after.name_key = name.key();
    }
    if let Some(description) = description {
        after.description = description;
    }
    if after == before {
        return Ok(to_dto(before));
    }
    after.updated_at = now;
    after.version = before.version + 1;
    let mut active: project::ActiveModel = before.clone().into();
    active.name = Set(after.name.clone());
    active.name_key = Set(after.name_key.clone());
    active.description = Set(after.description.clone());
    active.updated_at = Set(now);
    active.version = Set(after.version);
    project::Entity::update(active).exec(&txn).await?;
    let entry = AuditEntry::success(actor.audit_actor(), "project.update")
        .target("project", id.to_owned())
        .scope(&target)
        .details(serde_json::json!({"before": summary(&before), "after": summary(&after)}));
    txn.commit(core, meta, entry).await?;
    Ok(to_dto(after))
}

/// Deletes a project with the grants, invitations and tokens scoped to it.
pub async fn delete_project(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    id: &str,
    if_match: Option<i64>,
) -> Result<()> {
    let current = find(&core.db, id).await?;
    let target = target_of(&current);
    actor.require_on(Permission::ProjectsManage, &target)?;
    let now = core.now();
    let txn = Change::begin(core).await?;
    let before = find(&txn, id).await?;
    Change::expect_version(if_match, before.version)?;
    let services = crate::entities::service::Entity::find()
        .filter(crate::entities::service::Column::ProjectId.eq(id))
        .count(&txn)
        .await?;
    if services > 0 {
        return Err(Error::conflict(
            ErrorCode::Conflict,
            format!("The project still has {services} service(s); delete them first."),
        ));
    }
    scope_cleanup::remove_scope(&txn, "project", id, now).await?;
    // A project's budgets cover nothing once it is gone.
    crate::services::budgets::delete_where(&txn, budget_scope("project", id)).await?;
    db::deleted_one(&project::Entity::delete_by_id(id).exec(&txn).await?)?;
    let entry = AuditEntry::success(actor.audit_actor(), "project.delete")
        .target("project", id.to_owned())
        .scope(&target)
        .details(serde_json::json!({"before": summary(&before)}));
    txn.commit(core, meta, entry).await?;
    Ok(())
}

/// Budgets whose scope is this project, team or user.
pub(crate) fn budget_scope(kind: &str, id: &str) -> sea_orm::Condition {
    use crate::entities::budget::Column;
    sea_orm::Condition::all()
        .add(Column::ScopeType.eq(kind))
        .add(Column::ScopeId.eq(id))
}
