//! The role catalogue: the built-in roles and custom ones. Custom-role writes need
//! `roles.manage` and every permission involved, since roles define what a binding grants.

use std::collections::BTreeSet;

use gmac_types::validation::{FieldErrors, Name, parse_description};
use gmac_types::{ErrorCode, NewRole, RolePatch, RolePolicy};
use sea_orm::{ColumnTrait, ConnectionTrait, PaginatorTrait, QueryFilter, Set};

use crate::access::Target;
use crate::audit::AuditEntry;
use crate::entities::{role_binding, role_policy};
use crate::platform::change::Change;
use crate::{Error, RequestMeta, db};
use gmac_types::access::BUILTIN_ROLES;
use gmac_types::{Permission, PermissionInfo, Role};
use sea_orm::{EntityTrait, QueryOrder};

use crate::entities::role;
use crate::services::authz::parse_permissions;
use crate::{Actor, Core, Result};

/// Every permission, with what it allows.
pub fn list_permissions() -> Vec<PermissionInfo> {
    Permission::ALL
        .iter()
        .map(|p| PermissionInfo {
            id: *p,
            description: p.description().to_owned(),
        })
        .collect()
}

/// The built-in roles, then the custom ones by name. Any signed-in user may read the
/// catalogue: it says what roles mean, not who holds them.
pub async fn list_roles(core: &Core, actor: &Actor) -> Result<Vec<Role>> {
    actor.ensure_enrolled()?;
    let mut roles: Vec<Role> = BUILTIN_ROLES.iter().map(Role::from).collect();
    let custom = role::Entity::find()
        .order_by_asc(role::Column::NameKey)
        .all(&core.db)
        .await?;
    roles.extend(custom.into_iter().map(to_dto));
    Ok(roles)
}

/// The wire form of a custom role.
pub fn to_dto(row: role::Model) -> Role {
    Role {
        id: row.id,
        name: row.name,
        description: row.description,
        builtin: false,
        permissions: parse_permissions(&row.permissions),
        project_permissions: parse_permissions(&row.project_permissions),
        mfa_required: false,
        version: row.version,
    }
}

fn require_holds_all(actor: &Actor, permissions: &[Permission]) -> Result<()> {
    actor.require(Permission::RolesManage, &Target::Global)?;
    if permissions.iter().all(|p| actor.can(*p, &Target::Global)) {
        Ok(())
    } else {
        Err(Error::Forbidden)
    }
}

fn ids_json(permissions: &[Permission]) -> Result<String> {
    let set: BTreeSet<&str> = permissions.iter().map(|p| p.id()).collect();
    Ok(serde_json::to_string(&set).map_err(anyhow::Error::from)?)
}

async fn name_taken(conn: &impl ConnectionTrait, key: &str, except: Option<&str>) -> Result<bool> {
    let builtin = BUILTIN_ROLES
        .iter()
        .any(|r| r.name.to_lowercase() == key || r.id == key);
    let mut select = role::Entity::find().filter(role::Column::NameKey.eq(key));
    if let Some(id) = except {
        select = select.filter(role::Column::Id.ne(id));
    }
    Ok(builtin || select.count(conn).await? > 0)
}

async fn policies(conn: &impl ConnectionTrait) -> Result<std::collections::HashMap<String, bool>> {
    Ok(role_policy::Entity::find()
        .all(conn)
        .await?
        .into_iter()
        .map(|p| (p.role_id, p.mfa_required))
        .collect())
}

/// The catalogue with each role's MFA policy applied.
pub async fn list_roles_with_policies(core: &Core, actor: &Actor) -> Result<Vec<Role>> {
    let mut roles = list_roles(core, actor).await?;
    let policies = policies(&core.db).await?;
    for role in &mut roles {
        role.mfa_required = policies.get(&role.id).copied().unwrap_or(false);
    }
    Ok(roles)
}

async fn find_custom(conn: &impl ConnectionTrait, id: &str) -> Result<role::Model> {
    if !crate::ids::is_id(id) {
        return Err(Error::NotFound);
    }
    role::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(Error::NotFound)
}

/// Defines a custom role.
pub async fn create_role(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    input: NewRole,
) -> Result<Role> {
    let all: Vec<Permission> = input
        .permissions
        .iter()
        .chain(&input.project_permissions)
        .copied()
        .collect();
    require_holds_all(actor, &all)?;
    let mut errors = FieldErrors::new();
    let name = errors.check(Name::parse("name", &input.name));
    let description = errors.check(parse_description(
        "description",
        input.description.as_deref(),
    ));
    if input.permissions.is_empty() && input.project_permissions.is_empty() {
        errors.push(gmac_types::FieldError::new(
            "permissions",
            "required",
            "A role grants at least one permission.",
        ));
    }
    errors.finish().map_err(Error::Validation)?;
    let (Some(name), Some(description)) = (name, description) else {
        return Err(anyhow::anyhow!("field errors were collected but not reported").into());
    };
    let now = core.now();
    let txn = Change::begin(core).await?;
    if name_taken(&txn, &name.key(), None).await? {
        return Err(Error::conflict(
            ErrorCode::NameTaken,
            "Another role already has this name.",
        ));
    }
    let row = role::Model {
        id: core.new_id(),
        name: name.as_str().to_owned(),
        name_key: name.key(),
        description,
        permissions: ids_json(&input.permissions)?,
        project_permissions: ids_json(&input.project_permissions)?,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    role::Entity::insert(role::ActiveModel::from(row.clone()))
        .exec_without_returning(&txn)
        .await?;
    let dto = to_dto(row);
    let entry = AuditEntry::success(actor.audit_actor(), "role.create")
        .target("role", dto.id.clone())
        .details(serde_json::json!({"after": dto}));
    txn.commit(core, meta, entry).await?;
    Ok(dto)
}

/// Changes a custom role; its holders see the change on their next request.
pub async fn update_role(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    id: &str,
    if_match: Option<i64>,
    patch: RolePatch,
) -> Result<Role> {
    let txn = Change::begin(core).await?;
    let before = find_custom(&txn, id).await?;
    let before_dto = to_dto(before.clone());
    let permissions = patch
        .permissions
        .clone()
        .unwrap_or_else(|| before_dto.permissions.clone());
    let project_permissions = patch
        .project_permissions
        .clone()
        .unwrap_or_else(|| before_dto.project_permissions.clone());
    let all: Vec<Permission> = permissions
        .iter()
        .chain(&project_permissions)
        .chain(&before_dto.permissions)
        .chain(&before_dto.project_permissions)
        .copied()
        .collect();
    require_holds_all(actor, &all)?;
    Change::expect_version(if_match, before.version)?;
    let mut active: role::ActiveModel = before.clone().into();
    if let Some(name) = &patch.name {
        let name = Name::parse("name", name).map_err(Error::invalid)?;
        if name_taken(&txn, &name.key(), Some(id)).await? {
            return Err(Error::conflict(
                ErrorCode::NameTaken,
                "Another role already has this name.",
            ));
        }
        active.name = Set(name.as_str().to_owned());
        active.name_key = Set(name.key());
    }
    if let Some(description) = &patch.description {
        active.description =
            Set(parse_description("description", Some(description)).map_err(Error::invalid)?);
    }
    if permissions.is_empty() && project_permissions.is_empty() {
        return Err(Error::invalid(gmac_types::FieldError::new(
            "permissions",
            "required",
            "A role grants at least one permission.",
        )));
    }
    let now = core.now();
    active.permissions = Set(ids_json(&permissions)?);
    active.project_permissions = Set(ids_json(&project_permissions)?);
    active.updated_at = Set(now);
    active.version = Set(before.version + 1);
    let after = sea_orm::ActiveModelTrait::update(active, &txn).await?;
    let dto = to_dto(after);
    let entry = AuditEntry::success(actor.audit_actor(), "role.update")
        .target("role", id.to_owned())
        .details(serde_json::json!({"before": before_dto, "after": dto}));
    txn.commit(core, meta, entry).await?;
    Ok(dto)
}

/// Deletes a custom role nobody holds.
pub async fn delete_role(core: &Core, actor: &Actor, meta: &RequestMeta, id: &str) -> Result<()> {
    let txn = Change::begin(core).await?;
    let before = find_custom(&txn, id).await?;
    let dto = to_dto(before);
    let all: Vec<Permission> = dto
        .permissions
        .iter()
        .chain(&dto.project_permissions)
        .copied()
        .collect();
    require_holds_all(actor, &all)?;
    let holders = role_binding::Entity::find()
        .filter(role_binding::Column::RoleId.eq(id))
        .count(&txn)
        .await?;
    if holders > 0 {
        return Err(Error::conflict(
            ErrorCode::Conflict,
            format!("{holders} binding(s) still grant this role; remove them first."),
        ));
    }
    db::deleted_one(&role::Entity::delete_by_id(id).exec(&txn).await?)?;
    role_policy::Entity::delete_by_id(id).exec(&txn).await?;
    let entry = AuditEntry::success(actor.audit_actor(), "role.delete")
        .target("role", id.to_owned())
        .details(serde_json::json!({"before": dto}));
    txn.commit(core, meta, entry).await?;
    Ok(())
}

/// Sets a role's policy (built-in or custom): e.g. require MFA of everyone who holds it.
pub async fn set_role_policy(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    id: &str,
    policy: RolePolicy,
) -> Result<RolePolicy> {
    actor.require(Permission::UsersManage, &Target::Global)?;
    actor.require(Permission::RolesManage, &Target::Global)?;
    let now = core.now();
    let txn = Change::begin(core).await?;
    if gmac_types::access::builtin_role(id).is_none() {
        find_custom(&txn, id).await?;
    }
    let before = role_policy::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .is_some_and(|p| p.mfa_required);
    role_policy::Entity::delete_by_id(id).exec(&txn).await?;
    let row = role_policy::Model {
        role_id: id.to_owned(),
        mfa_required: policy.mfa_required,
        updated_at: now,
    };
    role_policy::Entity::insert(role_policy::ActiveModel::from(row))
        .exec_without_returning(&txn)
        .await?;
    let entry = AuditEntry::success(actor.audit_actor(), "role.policy")
        .target("role", id.to_owned())
        .details(serde_json::json!({"before": {"mfa_required": before}, "after": {"mfa_required": policy.mfa_required}}));
    txn.commit(core, meta, entry).await?;
    Ok(policy)
}
