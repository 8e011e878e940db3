//! Role bindings: who holds which role where. Nobody grants what they do not hold, and only a
//! Super Admin grants or removes the Super Admin role.

use gmac_types::access::{builtin_role, roles};
use gmac_types::{
    ErrorCode, FieldError, NewRoleBinding, Permission, RoleBinding, RoleBindingQuery, Scope,
    Subject, SubjectKind,
};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::access::{Target, Visible};
use crate::audit::AuditEntry;
use crate::entities::{project, role, role_binding, team, user};
use crate::platform::change::Change;
use crate::platform::paging;
use crate::services::{authz, clients};
use crate::{Actor, Core, Error, RequestMeta, Result, db};

/// The access-control target of a wire scope, or `None` when it names nothing that exists.
pub(crate) async fn resolve_scope(
    conn: &impl ConnectionTrait,
    scope: &Scope,
) -> Result<Option<Target>> {
    Ok(match scope {
        Scope::Global => Some(Target::Global),
        Scope::Client { id } => match clients::find(conn, id).await {
            Ok(row) => Some(Target::Client(row.id)),
            Err(Error::NotFound) => None,
            Err(e) => return Err(e),
        },
        Scope::Project { id } => {
            if !crate::ids::is_id(id) {
                return Ok(None);
            }
            project::Entity::find_by_id(id)
                .one(conn)
                .await?
                .map(|p| Target::Project {
                    id: p.id,
                    client_id: p.client_id,
                })
        }
    })
}

/// The stored form of a scope.
pub(crate) fn scope_columns(scope: &Scope) -> (&'static str, Option<String>) {
    match scope {
        Scope::Global => ("global", None),
        Scope::Client { id } => ("client", Some(id.clone())),
        Scope::Project { id } => ("project", Some(id.clone())),
    }
}

/// What `visible` (of `users.manage`) reaches of a table with `scope_type` and `scope_id`
/// columns, as a condition of the query (`None`: everything). A client grant reaches the client
/// and its projects; a project grant its project. Install-wide rows need a global grant.
pub(crate) fn scope_condition<C: ColumnTrait>(
    visible: &Visible,
    scope_type: C,
    scope_id: C,
) -> Option<Condition> {
    let Visible::Some { clients, projects } = visible else {
        return None;
    };
    let projects_of_clients = sea_orm::sea_query::Query::select()
        .column(project::Column::Id)
        .from(project::Entity)
        .and_where(project::Column::ClientId.is_in(clients.iter().cloned()))
        .to_owned();
    Some(
        Condition::any()
            .add(
                Condition::all()
                    .add(scope_type.eq("client"))
                    .add(scope_id.is_in(clients.iter().cloned())),
            )
            .add(
                Condition::all().add(scope_type.eq("project")).add(
                    Condition::any()
                        .add(scope_id.is_in(projects.iter().map(|(id, _)| id.clone())))
                        .add(scope_id.in_subquery(projects_of_clients)),
                ),
            ),
    )
}

fn scope_of(row: &role_binding::Model) -> Result<Scope> {
    crate::access::stored_scope(&row.scope_type, row.scope_id.as_ref())
}

/// The wire form.
pub fn to_dto(row: role_binding::Model) -> Result<RoleBinding> {
    let scope = scope_of(&row)?;
    Ok(RoleBinding {
        id: row.id,
        subject: Subject {
            kind: if row.subject_type == "team" {
                SubjectKind::Team
            } else {
                SubjectKind::User
            },
            id: row.subject_id,
        },
        role: row.role_id,
        scope,
        created_at: row.created_at,
        created_by: row.created_by,
    })
}

/// The permissions a role grants at `target`, or `None` for an unknown role.
pub(crate) async fn role_permissions(
    conn: &impl ConnectionTrait,
    role_id: &str,
    target: &Target,
) -> Result<Option<Vec<Permission>>> {
    let (mut base, project_only) = if let Some(builtin) = builtin_role(role_id) {
        (
            builtin.permissions.to_vec(),
            builtin.project_permissions.to_vec(),
        )
    } else {
        if !crate::ids::is_id(role_id) {
            return Ok(None);
        }
        let Some(custom) = role::Entity::find_by_id(role_id).one(conn).await? else {
            return Ok(None);
        };
        (
            authz::parse_permissions(&custom.permissions),
            authz::parse_permissions(&custom.project_permissions),
        )
    };
    if matches!(target, Target::Project { .. }) {
        base.extend(project_only);
    }
    Ok(Some(base))
}

/// Refuses a grant or removal that would hand out (or take away) more than the actor holds.
fn check_escalation(
    actor: &Actor,
    role_id: &str,
    granted: &[Permission],
    target: &Target,
) -> Result<()> {
    if role_id == roles::SUPER_ADMIN && !actor.is_super_admin() {
        return Err(Error::Forbidden);
    }
    let held = actor.permissions.held_at(target);
    let missing: Vec<&str> = granted
        .iter()
        .filter(|p| !held.contains(p))
        .map(|p| p.id())
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(Error::Forbidden)
    }
}

/// Grants a role. Needs `users.manage` at the scope and every permission the role grants there.
pub async fn create_binding(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    input: NewRoleBinding,
) -> Result<RoleBinding> {
    actor.ensure_enrolled()?;
    // A client or project the actor may not know of is reported exactly like a missing one.
    let Some(target) = resolve_scope(&core.db, &input.scope)
        .await?
        .filter(|t| *t == Target::Global || actor.permissions.knows(t))
    else {
        return Err(Error::invalid(FieldError::new(
            "scope",
            "not_found",
            "No such client or project.",
        )));
    };
    actor.require(Permission::UsersManage, &target)?;
    let subject_exists = match input.subject.kind {
        SubjectKind::User => user::Entity::find_by_id(&input.subject.id)
            .one(&core.db)
            .await?
            .is_some(),
        SubjectKind::Team => team::Entity::find_by_id(&input.subject.id)
            .one(&core.db)
            .await?
            .is_some(),
    };
    if !subject_exists {
        return Err(Error::Validation(vec![FieldError {
            pointer: "/subject/id".to_owned(),
            code: "not_found".to_owned(),
            detail: "No such user or team.".to_owned(),
        }]));
    }
    let Some(granted) = role_permissions(&core.db, &input.role, &target).await? else {
        return Err(Error::invalid(FieldError::new(
            "role",
            "unknown_role",
            "No such role.",
        )));
    };
    check_escalation(actor, &input.role, &granted, &target)?;

    let (scope_type, scope_id) = scope_columns(&input.scope);
    let now = core.now();
    let txn = Change::begin(core).await?;
    let existing = role_binding::Entity::find()
        .filter(role_binding::Column::SubjectType.eq(input.subject.kind.as_str()))
        .filter(role_binding::Column::SubjectId.eq(&input.subject.id))
        .filter(role_binding::Column::RoleId.eq(&input.role))
        .filter(role_binding::Column::ScopeType.eq(scope_type))
        .filter(match &scope_id {
            Some(id) => role_binding::Column::ScopeId.eq(id.clone()),
            None => role_binding::Column::ScopeId.is_null(),
        })
        .count(&txn)
        .await?;
    if existing > 0 {
        return Err(Error::conflict(
            ErrorCode::Conflict,
            "This role is already granted there.",
        ));
    }
    let row = role_binding::Model {
        id: core.new_id(),
        subject_type: input.subject.kind.as_str().to_owned(),
        subject_id: input.subject.id.clone(),
        role_id: input.role.clone(),
        scope_type: scope_type.to_owned(),
        scope_id,
        created_at: now,
        created_by: Some(actor.user_id.clone()),
    };
    role_binding::Entity::insert(role_binding::ActiveModel::from(row.clone()))
        .exec_without_returning(&txn)
        .await?;
    let entry = AuditEntry::success(actor.audit_actor(), "role_binding.create")
        .target(
            if input.subject.kind == SubjectKind::Team {
                "team"
            } else {
                "user"
            },
            input.subject.id.clone(),
        )
        .scope(&target)
        .details(serde_json::json!({"after": {"role": input.role, "binding_id": row.id}}));
    txn.commit(core, meta, entry).await?;
    to_dto(row)
}

/// Removes a grant. Symmetric to granting; the last global Super Admin cannot be removed.
pub async fn delete_binding(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    id: &str,
) -> Result<()> {
    actor.ensure_enrolled()?;
    if !crate::ids::is_id(id) {
        return Err(Error::NotFound);
    }
    let row = role_binding::Entity::find_by_id(id)
        .one(&core.db)
        .await?
        .ok_or(Error::NotFound)?;
    let scope = scope_of(&row)?;
    let target = resolve_scope(&core.db, &scope)
        .await?
        .unwrap_or(Target::Global);
    actor.require_on(Permission::UsersManage, &target)?;
    let granted = role_permissions(&core.db, &row.role_id, &target)
        .await?
        .unwrap_or_default();
    check_escalation(actor, &row.role_id, &granted, &target)?;

    let txn = Change::begin(core).await?;
    if row.role_id == roles::SUPER_ADMIN && row.scope_type == "global" {
        let remaining = role_binding::Entity::find()
            .filter(role_binding::Column::RoleId.eq(roles::SUPER_ADMIN))
            .filter(role_binding::Column::ScopeType.eq("global"))
            .filter(role_binding::Column::SubjectType.eq("user"))
            .filter(role_binding::Column::Id.ne(id))
            .count(&txn)
            .await?;
        if remaining == 0 {
            return Err(Error::conflict(
                ErrorCode::Conflict,
                "This is the last Super Admin; grant the role to someone else first.",
            ));
        }
    }
    db::deleted_one(&role_binding::Entity::delete_by_id(id).exec(&txn).await?)?;
    let entry = AuditEntry::success(actor.audit_actor(), "role_binding.delete")
        .target(
            if row.subject_type == "team" {
                "team"
            } else {
                "user"
            },
            row.subject_id.clone(),
        )
        .scope(&target)
        .details(serde_json::json!({"before": {"role": row.role_id, "binding_id": row.id}}));
    txn.commit(core, meta, entry).await?;
    Ok(())
}

/// The bindings in scopes where the actor manages users.
pub async fn list_bindings(
    core: &Core,
    actor: &Actor,
    query: &RoleBindingQuery,
    page: &gmac_types::PageQuery,
) -> Result<gmac_types::Page<RoleBinding>> {
    actor.ensure_enrolled()?;
    let visible = actor.permissions.visible(Permission::UsersManage);
    if visible.is_nothing() {
        return Err(Error::Forbidden);
    }
    let mut select = role_binding::Entity::find();
    if let Some(scoped) = scope_condition(
        &visible,
        role_binding::Column::ScopeType,
        role_binding::Column::ScopeId,
    ) {
        select = select.filter(scoped);
    }
    if let Some(kind) = query.subject_type {
        select = select.filter(role_binding::Column::SubjectType.eq(kind.as_str()));
    }
    if let Some(id) = &query.subject_id {
        select = select.filter(role_binding::Column::SubjectId.eq(id));
    }
    if let Some(role) = &query.role {
        select = select.filter(role_binding::Column::RoleId.eq(role));
    }
    // Oldest first: ids run in order of creation.
    let (rows, next_cursor, total) = paging::page_by_id(
        core,
        select,
        role_binding::Column::Id,
        paging::Direction::Asc,
        page,
        |r| r.id.clone(),
    )
    .await?;
    Ok(gmac_types::Page {
        items: rows.into_iter().map(to_dto).collect::<Result<_>>()?,
        next_cursor,
        total,
    })
}
