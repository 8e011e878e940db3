//! Clients: the top-level scopes.

use gmac_types::validation::{FieldErrors, Name, parse_description};
use gmac_types::{ClientPatch, ErrorCode, ListQuery, NewClient, Page, Permission};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};

use crate::access::{Target, Visible};
use crate::audit::AuditEntry;
use crate::entities::{client, project};
use crate::platform::change::Change;
use crate::platform::paging;
use crate::services::scope_cleanup;
use crate::{Actor, Core, Error, RequestMeta, Result, db};

/// The wire form.
pub fn to_dto(row: client::Model) -> gmac_types::Client {
    gmac_types::Client {
        id: row.id,
        name: row.name,
        description: row.description,
        created_at: row.created_at,
        updated_at: row.updated_at,
        version: row.version,
    }
}

fn summary(row: &client::Model) -> serde_json::Value {
    serde_json::json!({"name": row.name, "description": row.description})
}

/// The clients the actor may know of, a page at a time.
pub async fn list_clients(
    core: &Core,
    actor: &Actor,
    query: &ListQuery,
) -> Result<Page<gmac_types::Client>> {
    actor.ensure_enrolled()?;
    let mut select = client::Entity::find();
    if let Some(ids) = actor.permissions.known().client_ids() {
        select = select.filter(client::Column::Id.is_in(ids));
    }
    let (rows, next_cursor, total) = paging::page_by_name(
        core,
        select,
        client::Column::NameKey,
        client::Column::Id,
        query,
        |r| (r.name_key.clone(), r.id.clone()),
    )
    .await?;
    Ok(Page {
        items: rows.into_iter().map(to_dto).collect(),
        next_cursor,
        total,
    })
}

/// Loads a client, or 404.
pub(crate) async fn find(conn: &impl ConnectionTrait, id: &str) -> Result<client::Model> {
    if !crate::ids::is_id(id) {
        return Err(Error::NotFound);
    }
    client::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(Error::NotFound)
}

/// One client.
pub async fn get_client(core: &Core, actor: &Actor, id: &str) -> Result<gmac_types::Client> {
    actor.require_known(&Target::Client(id.to_owned()))?;
    Ok(to_dto(find(&core.db, id).await?))
}

async fn name_taken(conn: &impl ConnectionTrait, key: &str, except: Option<&str>) -> Result<bool> {
    let mut select = client::Entity::find().filter(client::Column::NameKey.eq(key));
    if let Some(id) = except {
        select = select.filter(client::Column::Id.ne(id));
    }
    Ok(select.count(conn).await? > 0)
}

fn taken() -> Error {
    Error::conflict(
        ErrorCode::NameTaken,
        "Another client already has this name.",
    )
}

/// Creates a client. Needs `clients.manage` everywhere (clients are top-level).
pub async fn create_client(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    input: NewClient,
) -> Result<gmac_types::Client> {
    actor.require(Permission::ClientsManage, &Target::Global)?;
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
    if name_taken(&txn, &name.key(), None).await? {
        return Err(taken());
    }
    let row = client::Model {
        id: core.new_id(),
        name: name.as_str().to_owned(),
        name_key: name.key(),
        description,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    client::Entity::insert(client::ActiveModel::from(row.clone()))
        .exec_without_returning(&txn)
        .await?;
    let entry = AuditEntry::success(actor.audit_actor(), "client.create")
        .target("client", row.id.clone())
        .scope(&Target::Client(row.id.clone()))
        .details(serde_json::json!({"after": summary(&row)}));
    txn.commit(core, meta, entry).await?;
    Ok(to_dto(row))
}

/// Renames or re-describes a client. `if_match` is the version the caller last read.
pub async fn update_client(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    id: &str,
    if_match: Option<i64>,
    patch: ClientPatch,
) -> Result<gmac_types::Client> {
    let target = Target::Client(id.to_owned());
    actor.require_on(Permission::ClientsManage, &target)?;
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
        if name_taken(&txn, &name.key(), Some(id)).await? {
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
    let mut active: client::ActiveModel = before.clone().into();
    active.name = Set(after.name.clone());
    active.name_key = Set(after.name_key.clone());
    active.description = Set(after.description.clone());
    active.updated_at = Set(now);
    active.version = Set(after.version);
    client::Entity::update(active).exec(&txn).await?;
    let entry = AuditEntry::success(actor.audit_actor(), "client.update")
        .target("client", id.to_owned())
        .scope(&target)
        .details(serde_json::json!({"before": summary(&before), "after": summary(&after)}));
    txn.commit(core, meta, entry).await?;
    Ok(to_dto(after))
}

/// Deletes an empty client, with the role bindings and invitations that pointed at it.
pub async fn delete_client(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    id: &str,
    if_match: Option<i64>,
) -> Result<()> {
    let target = Target::Client(id.to_owned());
    actor.require_on(Permission::ClientsManage, &target)?;
    let now = core.now();
    let txn = Change::begin(core).await?;
    let before = find(&txn, id).await?;
    Change::expect_version(if_match, before.version)?;
    let projects = project::Entity::find()
        .filter(project::Column::ClientId.eq(id))
        .count(&txn)
        .await?;
    if projects > 0 {
        return Err(Error::conflict(
            ErrorCode::Conflict,
            format!("The client still has {projects} project(s); delete them first."),
        ));
    }
    scope_cleanup::remove_scope(&txn, "client", id, now).await?;
    // Everything the client owns goes with it by foreign key: imports, line items, rules,
    // assignments, the cost rollups, budgets and report schedules.
    db::deleted_one(&client::Entity::delete_by_id(id).exec(&txn).await?)?;
    let entry = AuditEntry::success(actor.audit_actor(), "client.delete")
        .target("client", id.to_owned())
        .scope(&target)
        .details(serde_json::json!({"before": summary(&before)}));
    txn.commit(core, meta, entry).await?;
    Ok(())
}

/// Whether the actor's visibility covers a client id (for filters on other lists).
pub fn visible_client(visible: &Visible, client_id: &str) -> bool {
    match visible {
        Visible::All => true,
        Visible::Some { clients, projects } => {
            clients.contains(client_id) || projects.iter().any(|(_, c)| c == client_id)
        }
    }
}
