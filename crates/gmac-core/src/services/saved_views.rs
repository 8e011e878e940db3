//! Saved cost views: a person's dashboard choices kept by name (issue 10, point 4). A view is
//! its owner's alone: nobody else lists, opens or deletes it, and it goes with its owner.

use gmac_types::validation::{FieldErrors, Name};
use gmac_types::{ErrorCode, FieldError, NewSavedView, Page, PageQuery, Permission, SavedView};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::access::Target;
use crate::audit::AuditEntry;
use crate::entities::saved_view;
use crate::platform::change::Change;
use crate::platform::paging;
use crate::{Actor, Core, Error, RequestMeta, Result};

/// How many views one person keeps.
pub const MAX_VIEWS: u64 = 100;

/// The longest query a view keeps.
const MAX_QUERY: usize = 2000;

fn to_dto(row: saved_view::Model) -> SavedView {
    SavedView {
        id: row.id,
        name: row.name,
        query: row.query,
        created_at: row.created_at,
    }
}

/// Who may keep views: whoever sees costs somewhere (a view shows costs).
fn owner(actor: &Actor) -> Result<String> {
    actor.ensure_enrolled()?;
    if !actor.permissions.can_anywhere(Permission::CostsView) {
        return Err(Error::Forbidden);
    }
    Ok(actor.user_id.clone())
}

/// A query as the costs page writes it: `key=value` pairs of unreserved and percent-encoded
/// characters, joined by `&` (a leading `?` is dropped).
fn parse_query(raw: &str) -> std::result::Result<String, FieldError> {
    let query = raw.trim().trim_start_matches('?');
    let allowed = |c: char| c.is_ascii_alphanumeric() || "_.~%=&+:-".contains(c);
    if query.len() > MAX_QUERY || !query.chars().all(allowed) {
        return Err(FieldError::new(
            "query",
            "invalid_query",
            "Give the costs page's query as it appears after `?` in its address \
             (percent-encoded, at most 2,000 characters).",
        ));
    }
    Ok(query.to_owned())
}

/// Your saved views, by name.
pub async fn list_views(core: &Core, actor: &Actor, page: &PageQuery) -> Result<Page<SavedView>> {
    let user_id = owner(actor)?;
    let select = saved_view::Entity::find().filter(saved_view::Column::UserId.eq(user_id));
    let (rows, next_cursor, total) = paging::page_by_text(
        core,
        select,
        (saved_view::Column::NameKey, saved_view::Column::Id),
        page,
        |r| (r.name_key.clone(), r.id.clone()),
    )
    .await?;
    Ok(Page {
        items: rows.into_iter().map(to_dto).collect(),
        next_cursor,
        total,
    })
}

/// Saves a view under a name of your own views' that is not taken (409 when it is).
pub async fn create_view(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    input: NewSavedView,
) -> Result<SavedView> {
    let user_id = owner(actor)?;
    let mut errors = FieldErrors::new();
    let name = errors.check(Name::parse("name", &input.name));
    let query = errors.check(parse_query(&input.query));
    errors.finish().map_err(Error::Validation)?;
    let (Some(name), Some(query)) = (name, query) else {
        return Err(anyhow::anyhow!("field errors were collected but not reported").into());
    };
    let txn = Change::begin(core).await?;
    let mine = saved_view::Entity::find().filter(saved_view::Column::UserId.eq(&user_id));
    if mine
        .clone()
        .filter(saved_view::Column::NameKey.eq(name.key()))
        .count(&txn)
        .await?
        > 0
    {
        return Err(Error::conflict(
            ErrorCode::NameTaken,
            "You already have a view of this name: pick another, or delete that one first.",
        ));
    }
    if mine.count(&txn).await? >= MAX_VIEWS {
        return Err(Error::conflict(
            ErrorCode::Conflict,
            "You keep 100 views at most: delete one first.",
        ));
    }
    let row = saved_view::Model {
        id: core.new_id(),
        user_id,
        name: name.as_str().to_owned(),
        name_key: name.key(),
        query,
        created_at: core.now(),
    };
    saved_view::Entity::insert(saved_view::ActiveModel::from(row.clone()))
        .exec_without_returning(&txn)
        .await?;
    let entry = AuditEntry::success(actor.audit_actor(), "cost_view.create")
        .target("cost_view", row.id.clone())
        .scope(&Target::Global)
        .details(serde_json::json!({"after": {"name": row.name, "query": row.query}}));
    txn.commit(core, meta, entry).await?;
    Ok(to_dto(row))
}

/// Deletes one of your views (someone else's is 404, as if it did not exist).
pub async fn delete_view(core: &Core, actor: &Actor, meta: &RequestMeta, id: &str) -> Result<()> {
    let user_id = owner(actor)?;
    let txn = Change::begin(core).await?;
    let row = saved_view::Entity::find_by_id(id)
        .filter(saved_view::Column::UserId.eq(&user_id))
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    saved_view::Entity::delete_by_id(id).exec(&txn).await?;
    let entry = AuditEntry::success(actor.audit_actor(), "cost_view.delete")
        .target("cost_view", id.to_owned())
        .scope(&Target::Global)
        .details(serde_json::json!({"before": {"name": row.name, "query": row.query}}));
    txn.commit(core, meta, entry).await?;
    Ok(())
}
