//! Teams: groups of users that hold roles together. Whoever manages users manages teams;
//! a team's leaders manage their own team's members.

use std::collections::HashMap;

use gmac_types::validation::{FieldErrors, Name, parse_description};
use gmac_types::{
    ErrorCode, ListQuery, NewTeam, NewTeamMember, Page, Permission, SubjectKind, TeamMember,
    TeamPatch,
};

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};

use crate::access::Target;
use crate::audit::AuditEntry;
use crate::entities::{role_binding, team, team_member, user};
use crate::platform::change::Change;
use crate::platform::paging;
use crate::services::scope_cleanup;
use crate::{Actor, Core, Error, RequestMeta, Result, db};

async fn member_counts(
    conn: &impl ConnectionTrait,
    ids: &[String],
) -> Result<HashMap<String, u64>> {
    let mut counts = HashMap::new();
    for member in team_member::Entity::find()
        .filter(team_member::Column::TeamId.is_in(ids.to_vec()))
        .all(conn)
        .await?
    {
        *counts.entry(member.team_id).or_insert(0) += 1;
    }
    Ok(counts)
}

fn to_dto(row: team::Model, member_count: u64) -> gmac_types::Team {
    gmac_types::Team {
        id: row.id,
        name: row.name,
        description: row.description,
        member_count,
        created_at: row.created_at,
        updated_at: row.updated_at,
        version: row.version,
    }
}

async fn find(conn: &impl ConnectionTrait, id: &str) -> Result<team::Model> {
    if !crate::ids::is_id(id) {
        return Err(Error::NotFound);
    }
    team::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(Error::NotFound)
}

async fn membership(
    conn: &impl ConnectionTrait,
    team_id: &str,
    user_id: &str,
) -> Result<Option<team_member::Model>> {
    Ok(
        team_member::Entity::find_by_id((team_id.to_owned(), user_id.to_owned()))
            .one(conn)
            .await?,
    )
}

fn manages_users(actor: &Actor) -> bool {
    actor.can(Permission::UsersManage, &Target::Global)
}

/// Teams: all of them for someone who manages users, otherwise those the actor belongs to.
pub async fn list_teams(
    core: &Core,
    actor: &Actor,
    query: &ListQuery,
) -> Result<Page<gmac_types::Team>> {
    actor.ensure_enrolled()?;
    let mut select = team::Entity::find();
    if !actor.permissions.can_anywhere(Permission::UsersManage) {
        let mine: Vec<String> = team_member::Entity::find()
            .filter(team_member::Column::UserId.eq(&actor.user_id))
            .all(&core.db)
            .await?
            .into_iter()
            .map(|m| m.team_id)
            .collect();
        select = select.filter(team::Column::Id.is_in(mine));
    }
    let (rows, next_cursor, total) = paging::page_by_name(
        core,
        select,
        team::Column::NameKey,
        team::Column::Id,
        query,
        |t| (t.name_key.clone(), t.id.clone()),
    )
    .await?;
    let ids: Vec<String> = rows.iter().map(|t| t.id.clone()).collect();
    let counts = member_counts(&core.db, &ids).await?;
    let items = rows
        .into_iter()
        .map(|t| {
            let n = counts.get(&t.id).copied().unwrap_or(0);
            to_dto(t, n)
        })
        .collect();
    Ok(Page {
        items,
        next_cursor,
        total,
    })
}

/// The teams `user_id` belongs to, by name, each with the roles it holds in the scopes where
/// the actor manages users: the teams within the actor's reach, or all of them for the user
/// themself. Reachable by whoever may see the user.
pub async fn user_teams(
    core: &Core,
    actor: &Actor,
    user_id: &str,
    query: &ListQuery,
) -> Result<Page<gmac_types::UserTeam>> {
    crate::services::users::get_user(core, actor, user_id).await?;
    let memberships: HashMap<String, team_member::Model> = team_member::Entity::find()
        .filter(team_member::Column::UserId.eq(user_id))
        .all(&core.db)
        .await?
        .into_iter()
        .map(|m| (m.team_id.clone(), m))
        .collect();
    let mut select =
        team::Entity::find().filter(team::Column::Id.is_in(memberships.keys().cloned()));
    let visible = actor.permissions.visible(Permission::UsersManage);
    let own = user_id == actor.user_id;
    if !own && let Some(reach) = crate::services::reach::teams(&visible, &actor.user_id) {
        select = select.filter(reach);
    }
    let (rows, next_cursor, total) = paging::page_by_name(
        core,
        select,
        team::Column::NameKey,
        team::Column::Id,
        query,
        |t| (t.name_key.clone(), t.id.clone()),
    )
    .await?;
    let ids: Vec<String> = rows.iter().map(|t| t.id.clone()).collect();
    let mut bindings = role_binding::Entity::find()
        .filter(role_binding::Column::SubjectType.eq(SubjectKind::Team.as_str()))
        .filter(role_binding::Column::SubjectId.is_in(ids))
        .order_by_asc(role_binding::Column::Id);
    if !own
        && let Some(scoped) = crate::services::bindings::scope_condition(
            &visible,
            role_binding::Column::ScopeType,
            role_binding::Column::ScopeId,
        )
    {
        bindings = bindings.filter(scoped);
    }
    let mut roles: HashMap<String, Vec<gmac_types::RoleBinding>> = HashMap::new();
    for row in bindings.all(&core.db).await? {
        roles
            .entry(row.subject_id.clone())
            .or_default()
            .push(crate::services::bindings::to_dto(row)?);
    }
    let items = rows
        .into_iter()
        .filter_map(|t| {
            let member = memberships.get(&t.id)?;
            Some(gmac_types::UserTeam {
                roles: roles.remove(&t.id).unwrap_or_default(),
                leader: member.is_leader,
                joined_at: member.created_at,
                id: t.id,
                name: t.name,
            })
        })
        .collect();
    Ok(Page {
        items,
        next_cursor,
        total,
    })
}

/// One team, for someone who manages users or a member.
pub async fn get_team(core: &Core, actor: &Actor, id: &str) -> Result<gmac_types::Team> {
    actor.ensure_enrolled()?;
    let row = find(&core.db, id).await?;
    if !actor.permissions.can_anywhere(Permission::UsersManage)
        && membership(&core.db, id, &actor.user_id).await?.is_none()
    {
        return Err(Error::NotFound);
    }
    let count = member_counts(&core.db, std::slice::from_ref(&row.id))
        .await?
        .get(&row.id)
        .copied()
        .unwrap_or(0);
    Ok(to_dto(row, count))
}

async fn name_taken(conn: &impl ConnectionTrait, key: &str, except: Option<&str>) -> Result<bool> {
    let mut select = team::Entity::find().filter(team::Column::NameKey.eq(key));
    if let Some(id) = except {
        select = select.filter(team::Column::Id.ne(id));
    }
    Ok(select.count(conn).await? > 0)
}

/// Creates a team.
pub async fn create_team(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    input: NewTeam,
) -> Result<gmac_types::Team> {
    actor.require(Permission::UsersManage, &Target::Global)?;
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
        return Err(Error::conflict(
            ErrorCode::NameTaken,
            "Another team already has this name.",
        ));
    }
    let row = team::Model {
        id: core.new_id(),
        name: name.as_str().to_owned(),
        name_key: name.key(),
        description,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    team::Entity::insert(team::ActiveModel::from(row.clone()))
        .exec_without_returning(&txn)
        .await?;
    let entry = AuditEntry::success(actor.audit_actor(), "team.create")
        .target("team", row.id.clone())
        .details(serde_json::json!({"after": {"name": row.name, "description": row.description}}));
    txn.commit(core, meta, entry).await?;
    Ok(to_dto(row, 0))
}

/// Renames or re-describes a team.
pub async fn update_team(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    id: &str,
    if_match: Option<i64>,
    patch: TeamPatch,
) -> Result<gmac_types::Team> {
    actor.require(Permission::UsersManage, &Target::Global)?;
    let now = core.now();
    let txn = Change::begin(core).await?;
    let before = find(&txn, id).await?;
    Change::expect_version(if_match, before.version)?;
    let mut active: team::ActiveModel = before.clone().into();
    if let Some(name) = &patch.name {
        let name = Name::parse("name", name).map_err(Error::invalid)?;
        if name_taken(&txn, &name.key(), Some(id)).await? {
            return Err(Error::conflict(
                ErrorCode::NameTaken,
                "Another team already has this name.",
            ));
        }
        active.name = Set(name.as_str().to_owned());
        active.name_key = Set(name.key());
    }
    if let Some(description) = &patch.description {
        active.description =
            Set(parse_description("description", Some(description)).map_err(Error::invalid)?);
    }
    active.updated_at = Set(now);
    active.version = Set(before.version + 1);
    let after = sea_orm::ActiveModelTrait::update(active, &txn).await?;
    let entry = AuditEntry::success(actor.audit_actor(), "team.update")
        .target("team", id.to_owned())
        .details(serde_json::json!({
            "before": {"name": before.name, "description": before.description},
            "after": {"name": after.name, "description": after.description},
        }));
    let count = member_counts(&txn, std::slice::from_ref(&after.id))
        .await?
        .get(&after.id)
        .copied()
        .unwrap_or(0);
    txn.commit(core, meta, entry).await?;
    Ok(to_dto(after, count))
}

/// Deletes a team: its members lose the roles they held through it at once.
pub async fn delete_team(core: &Core, actor: &Actor, meta: &RequestMeta, id: &str) -> Result<()> {
    actor.require(Permission::UsersManage, &Target::Global)?;
    let txn = Change::begin(core).await?;
    let before = find(&txn, id).await?;
    scope_cleanup::remove_subject(&txn, "team", id).await?;
    team_member::Entity::delete_many()
        .filter(team_member::Column::TeamId.eq(id))
        .exec(&txn)
        .await?;
    db::deleted_one(&team::Entity::delete_by_id(id).exec(&txn).await?)?;
    crate::services::allocation::queue_for_subject(&txn, core, actor, (SubjectKind::Team, id))
        .await?;
    // Its budgets and report schedules cover nothing any more.
    crate::services::budgets::delete_where(
        &txn,
        crate::services::projects::budget_scope("team", id),
    )
    .await?;
    crate::services::reports::delete_schedules_where(
        &txn,
        sea_orm::Condition::all()
            .add(crate::entities::report_schedule::Column::SubjectType.eq("team"))
            .add(crate::entities::report_schedule::Column::SubjectId.eq(id)),
    )
    .await?;
    let entry = AuditEntry::success(actor.audit_actor(), "team.delete")
        .target("team", id.to_owned())
        .details(serde_json::json!({"before": {"name": before.name}}));
    txn.commit(core, meta, entry).await?;
    Ok(())
}

/// The members of a team, by email.
pub async fn list_members(
    core: &Core,
    actor: &Actor,
    team_id: &str,
    page: &gmac_types::PageQuery,
) -> Result<gmac_types::Page<TeamMember>> {
    get_team(core, actor, team_id).await?;
    // The members' accounts by email, a page at a time, then their memberships.
    let in_team = sea_orm::sea_query::Query::select()
        .column(team_member::Column::UserId)
        .from(team_member::Entity)
        .and_where(team_member::Column::TeamId.eq(team_id))
        .to_owned();
    let col = paging::column::<user::Entity>;
    let (users, next_cursor, total) = paging::page_by_keys(
        core,
        user::Entity::find().filter(user::Column::Id.in_subquery(in_team)),
        [col(user::Column::Email), col(user::Column::Id)],
        paging::Direction::Asc,
        page,
        |u| {
            [
                paging::Key::Text(u.email.clone()),
                paging::Key::Text(u.id.clone()),
            ]
        },
    )
    .await?;
    let ids: Vec<String> = users.iter().map(|u| u.id.clone()).collect();
    let members: HashMap<String, team_member::Model> = team_member::Entity::find()
        .filter(team_member::Column::TeamId.eq(team_id))
        .filter(team_member::Column::UserId.is_in(ids))
        .all(&core.db)
        .await?
        .into_iter()
        .map(|m| (m.user_id.clone(), m))
        .collect();
    let items = users
        .into_iter()
        .filter_map(|u| {
            members.get(&u.id).map(|m| TeamMember {
                user_id: u.id.clone(),
                email: u.email.clone(),
                display_name: u.display_name.clone(),
                leader: m.is_leader,
                joined_at: m.created_at,
            })
        })
        .collect();
    Ok(gmac_types::Page {
        items,
        next_cursor,
        total,
    })
}

/// Whether the actor may change the members of a team (as a user manager or its leader).
async fn may_manage_members(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    team_id: &str,
) -> Result<bool> {
    if manages_users(actor) {
        return Ok(true);
    }
    Ok(!actor.mfa_enrollment_required
        && actor.token_id.is_none()
        && membership(conn, team_id, &actor.user_id)
            .await?
            .is_some_and(|m| m.is_leader))
}

/// Adds a member. Leaders may add members; only a user manager may make someone a leader.
pub async fn add_member(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    team_id: &str,
    input: NewTeamMember,
) -> Result<TeamMember> {
    actor.ensure_enrolled()?;
    let now = core.now();
    let txn = Change::begin(core).await?;
    let team = find(&txn, team_id).await?;
    if !may_manage_members(&txn, actor, team_id).await? {
        return Err(
            if membership(&txn, team_id, &actor.user_id).await?.is_some()
                || actor.permissions.can_anywhere(Permission::UsersManage)
            {
                Error::Forbidden
            } else {
                Error::NotFound
            },
        );
    }
    if input.leader && !manages_users(actor) {
        return Err(Error::Forbidden);
    }
    let Some(member) = user::Entity::find_by_id(&input.user_id).one(&txn).await? else {
        return Err(Error::invalid(gmac_types::FieldError::new(
            "user_id",
            "not_found",
            "No such user.",
        )));
    };
    if membership(&txn, team_id, &member.id).await?.is_some() {
        return Err(Error::conflict(
            ErrorCode::Conflict,
            "This user is already a member.",
        ));
    }
    let row = team_member::Model {
        team_id: team_id.to_owned(),
        user_id: member.id.clone(),
        is_leader: input.leader,
        created_at: now,
    };
    team_member::Entity::insert(team_member::ActiveModel::from(row))
        .exec_without_returning(&txn)
        .await?;
    crate::services::allocation::queue_for_subject(
        &txn,
        core,
        actor,
        (SubjectKind::User, &member.id),
    )
    .await?;
    let entry = AuditEntry::success(actor.audit_actor(), "team.member_add")
        .target("team", team.id.clone())
        .details(serde_json::json!({"after": {"user_id": member.id, "email": member.email, "leader": input.leader}}));
    txn.commit(core, meta, entry).await?;
    Ok(TeamMember {
        user_id: member.id,
        email: member.email,
        display_name: member.display_name,
        leader: input.leader,
        joined_at: now,
    })
}

/// Removes a member. Leaders may remove members but not other leaders.
pub async fn remove_member(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    team_id: &str,
    user_id: &str,
) -> Result<()> {
    actor.ensure_enrolled()?;
    let txn = Change::begin(core).await?;
    find(&txn, team_id).await?;
    if !may_manage_members(&txn, actor, team_id).await? {
        return Err(Error::NotFound);
    }
    let existing = membership(&txn, team_id, user_id)
        .await?
        .ok_or(Error::NotFound)?;
    if existing.is_leader && !manages_users(actor) {
        return Err(Error::Forbidden);
    }
    team_member::Entity::delete_many()
        .filter(team_member::Column::TeamId.eq(team_id))
        .filter(team_member::Column::UserId.eq(user_id))
        .exec(&txn)
        .await?;
    crate::services::allocation::queue_for_subject(&txn, core, actor, (SubjectKind::User, user_id))
        .await?;
    let entry = AuditEntry::success(actor.audit_actor(), "team.member_remove")
        .target("team", team_id.to_owned())
        .details(serde_json::json!({"before": {"user_id": user_id, "leader": existing.is_leader}}));
    txn.commit(core, meta, entry).await?;
    Ok(())
}
