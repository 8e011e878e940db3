//! User accounts: creation (setup, command line, demo) and their role grants.

use chrono::{DateTime, Utc};
use gmac_types::validation::{DisplayName, EmailAddress, NewPassword};
use gmac_types::{ErrorCode, FieldError, Permission, access::roles};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, Set,
};

use crate::access::Target;
use crate::audit::{AuditActor, AuditEntry};
use crate::entities::{role_binding, user};
use crate::platform::change::Change;
use crate::platform::paging;
use crate::{Actor, Core, Error, RequestMeta, Result};

/// A validated new account.
#[derive(Debug)]
pub struct NewUser {
    /// The login name.
    pub email: EmailAddress,
    /// The initial password, if the account signs in with one.
    pub password: Option<NewPassword>,
    /// The name shown in the interface.
    pub display_name: DisplayName,
}

/// Inserts a user row; a taken email address is a conflict, not an internal error.
pub(crate) async fn insert_user(
    core: &Core,
    conn: &impl ConnectionTrait,
    new: &NewUser,
    password_hash: Option<String>,
    now: DateTime<Utc>,
) -> Result<user::Model> {
    if find_by_email(conn, new.email.as_str()).await?.is_some() {
        return Err(email_taken());
    }
    let row = user::Model {
        id: core.new_id(),
        email: new.email.as_str().to_owned(),
        display_name: new.display_name.as_str().to_owned(),
        password_changed_at: password_hash.as_ref().map(|_| now),
        password_hash,
        status: user::STATUS_ACTIVE.to_owned(),
        created_at: now,
        updated_at: now,
        last_login_at: None,
        timezone: None,
        default_region: None,
        theme: None,
        notification_prefs: None,
    };
    user::Entity::insert(user::ActiveModel::from(row.clone()))
        .exec_without_returning(conn)
        .await?;
    Ok(row)
}

fn email_taken() -> Error {
    Error::conflict(
        ErrorCode::EmailTaken,
        "Another account already uses this email address.",
    )
}

/// Looks a user up by (normalized) email address.
pub(crate) async fn find_by_email(
    conn: &impl ConnectionTrait,
    email: &str,
) -> Result<Option<user::Model>> {
    Ok(user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(conn)
        .await?)
}

/// Binds `role` to the user at the global scope.
pub(crate) async fn grant_global_role(
    core: &Core,
    conn: &impl ConnectionTrait,
    user_id: &str,
    role: &str,
    granted_by: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    let row = role_binding::Model {
        id: core.new_id(),
        subject_type: "user".to_owned(),
        subject_id: user_id.to_owned(),
        role_id: role.to_owned(),
        scope_type: "global".to_owned(),
        scope_id: None,
        created_at: now,
        created_by: granted_by.map(str::to_owned),
    };
    role_binding::Entity::insert(role_binding::ActiveModel::from(row))
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// Creates an account with a global built-in role from the command line
/// (`gmac admin create-user`). The shell user is trusted: they hold the database.
pub async fn create_user_from_cli(
    core: &Core,
    email: &str,
    display_name: Option<&str>,
    role: &str,
    password: &str,
) -> Result<user::Model> {
    if gmac_types::access::builtin_role(role).is_none() {
        let known: Vec<&str> = gmac_types::access::BUILTIN_ROLES
            .iter()
            .map(|r| r.id)
            .collect();
        return Err(Error::invalid(FieldError::new(
            "role",
            "unknown_role",
            format!("Unknown role; use one of {}.", known.join(", ")),
        )));
    }
    let mut errors = gmac_types::validation::FieldErrors::new();
    let email = errors.check(EmailAddress::parse("email", email));
    let password = errors.check(NewPassword::parse("password", password));
    let name = display_name.map_or_else(
        || {
            email
                .as_ref()
                .map_or("", |e| e.as_str().split('@').next().unwrap_or(""))
                .to_owned()
        },
        str::to_owned,
    );
    let display_name = errors.check(DisplayName::parse("display_name", &name));
    errors.finish().map_err(Error::Validation)?;
    let (Some(email), Some(password), Some(display_name)) = (email, password, display_name) else {
        return Err(anyhow::anyhow!("field errors were collected but not reported").into());
    };
    let hash = core.passwords.hash(password.expose()).await?;
    let new = NewUser {
        email,
        password: Some(password),
        display_name,
    };
    let now = core.now();
    let txn = Change::begin(core).await?;
    let created = insert_user(core, &txn, &new, Some(hash), now).await?;
    grant_global_role(core, &txn, &created.id, role, None, now).await?;
    let entry = AuditEntry::success(
        AuditActor::System {
            label: "cli".into(),
        },
        "user.create",
    )
    .target("user", created.id.clone())
    .details(serde_json::json!({"email": created.email, "role": role}));
    txn.commit(core, &RequestMeta::default(), entry).await?;
    Ok(created)
}

/// The demo Super Admin's login name.
pub const DEMO_EMAIL: &str = "demo@gmac.local";

/// Makes sure the demo Super Admin exists and has `password`, so the password printed at each
/// demo start is the one that works.
pub async fn ensure_demo_admin(core: &Core, password: &str) -> Result<user::Model> {
    let password = NewPassword::parse("password", password).map_err(Error::invalid)?;
    let hash = core.passwords.hash(password.expose()).await?;
    let now = core.now();
    let txn = Change::begin(core).await?;
    let actor = AuditActor::System {
        label: "demo".into(),
    };
    let (model, entry) = if let Some(existing) = find_by_email(&txn, DEMO_EMAIL).await? {
        let mut active: user::ActiveModel = existing.into();
        active.password_hash = Set(Some(hash));
        active.status = Set(user::STATUS_ACTIVE.to_owned());
        active.updated_at = Set(now);
        let updated = active.update(&txn).await?;
        let entry =
            AuditEntry::success(actor, "user.password_reset").target("user", updated.id.clone());
        (updated, entry)
    } else {
        let new = NewUser {
            email: EmailAddress::parse("email", DEMO_EMAIL).map_err(Error::invalid)?,
            password: Some(password),
            display_name: DisplayName::parse("display_name", "Demo Admin")
                .map_err(Error::invalid)?,
        };
        let created = insert_user(core, &txn, &new, Some(hash), now).await?;
        grant_global_role(core, &txn, &created.id, roles::SUPER_ADMIN, None, now).await?;
        let entry = AuditEntry::success(actor, "user.create")
            .target("user", created.id.clone())
            .details(serde_json::json!({"email": created.email, "role": roles::SUPER_ADMIN}));
        (created, entry)
    };
    txn.commit(core, &RequestMeta::default(), entry).await?;
    Ok(model)
}

/// The wire form of a user.
pub fn to_dto(model: &user::Model) -> gmac_types::User {
    gmac_types::User {
        id: model.id.clone(),
        email: model.email.clone(),
        display_name: model.display_name.clone(),
        created_at: model.created_at,
    }
}

/// The administrator's view of a user.
fn detail(model: user::Model, mfa_enabled: bool) -> gmac_types::UserDetail {
    gmac_types::UserDetail {
        id: model.id,
        email: model.email,
        display_name: model.display_name,
        status: if model.status == user::STATUS_ACTIVE {
            gmac_types::UserStatus::Active
        } else {
            gmac_types::UserStatus::Disabled
        },
        mfa_enabled,
        created_at: model.created_at,
        last_login_at: model.last_login_at,
    }
}

async fn find_user(conn: &impl ConnectionTrait, id: &str) -> Result<user::Model> {
    if !crate::ids::is_id(id) {
        return Err(Error::NotFound);
    }
    user::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(Error::NotFound)
}

/// Users, by email, for anyone who manages users somewhere (they need to find whom to grant).
pub async fn list_users(
    core: &Core,
    actor: &Actor,
    query: &gmac_types::ListQuery,
) -> Result<gmac_types::Page<gmac_types::UserDetail>> {
    actor.ensure_enrolled()?;
    if !actor.permissions.can_anywhere(Permission::UsersManage) {
        return Err(Error::Forbidden);
    }
    // `name` filters on the email address or the display name.
    let mut select = user::Entity::find();
    // A client's admin lists the people of that client, not every tenant's.
    let visible = actor.permissions.visible(Permission::UsersManage);
    if let Some(condition) = crate::services::reach::users(&visible, &actor.user_id) {
        select = select.filter(condition);
    }
    let mut by_email = query.clone();
    if let Some(text) = query
        .name
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let pattern = paging::contains_pattern(text);
        select = select.filter(
            sea_orm::Condition::any()
                .add(
                    sea_orm::sea_query::Expr::col((user::Entity, user::Column::Email))
                        .like(pattern.clone()),
                )
                .add(
                    sea_orm::sea_query::Expr::expr(sea_orm::sea_query::Func::lower(
                        sea_orm::sea_query::Expr::col((user::Entity, user::Column::DisplayName)),
                    ))
                    .like(pattern),
                ),
        );
        by_email.name = None;
    }
    let (rows, next_cursor, total) = paging::page_by_name(
        core,
        select,
        user::Column::Email,
        user::Column::Id,
        &by_email,
        |u| (u.email.clone(), u.id.clone()),
    )
    .await?;
    let ids: Vec<String> = rows.iter().map(|u| u.id.clone()).collect();
    let with_mfa: std::collections::HashSet<String> = crate::entities::totp_secret::Entity::find()
        .filter(crate::entities::totp_secret::Column::UserId.is_in(ids))
        .filter(crate::entities::totp_secret::Column::ConfirmedAt.is_not_null())
        .all(&core.db)
        .await?
        .into_iter()
        .map(|t| t.user_id)
        .collect();
    let items = rows
        .into_iter()
        .map(|u| {
            let mfa = with_mfa.contains(&u.id);
            detail(u, mfa)
        })
        .collect();
    Ok(gmac_types::Page {
        items,
        next_cursor,
        total,
    })
}

/// One user, for someone who manages users, or the user themself.
pub async fn get_user(core: &Core, actor: &Actor, id: &str) -> Result<gmac_types::UserDetail> {
    actor.ensure_enrolled()?;
    if id != actor.user_id && !actor.permissions.can_anywhere(Permission::UsersManage) {
        return Err(Error::NotFound);
    }
    if id != actor.user_id {
        let visible = actor.permissions.visible(Permission::UsersManage);
        if let Some(condition) = crate::services::reach::users(&visible, &actor.user_id) {
            user::Entity::find_by_id(id)
                .filter(condition)
                .one(&core.db)
                .await?
                .ok_or(Error::NotFound)?;
        }
    }
    let model = find_user(&core.db, id).await?;
    let mfa = crate::services::authz::mfa_enabled(&core.db, id).await?;
    Ok(detail(model, mfa))
}

/// Creates an account with a password chosen by an administrator. It holds no role until
/// one is granted.
pub async fn create_user(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    input: gmac_types::NewUser,
) -> Result<gmac_types::UserDetail> {
    actor.require(Permission::UsersManage, &Target::Global)?;
    let mut errors = gmac_types::validation::FieldErrors::new();
    let email = errors.check(EmailAddress::parse("email", &input.email));
    let display_name = errors.check(DisplayName::parse("display_name", &input.display_name));
    let password = errors.check(NewPassword::parse("password", input.password.expose()));
    errors.finish().map_err(Error::Validation)?;
    let (Some(email), Some(display_name), Some(password)) = (email, display_name, password) else {
        return Err(anyhow::anyhow!("field errors were collected but not reported").into());
    };
    let hash = core.passwords.hash(password.expose()).await?;
    let new = NewUser {
        email,
        password: Some(password),
        display_name,
    };
    let now = core.now();
    let txn = Change::begin(core).await?;
    let created = insert_user(core, &txn, &new, Some(hash), now).await?;
    let entry = AuditEntry::success(actor.audit_actor(), "user.create")
        .target("user", created.id.clone())
        .details(serde_json::json!({"after": {"email": created.email, "display_name": created.display_name}}));
    txn.commit(core, meta, entry).await?;
    Ok(detail(created, false))
}

/// Renames, disables or re-enables an account. Disabling ends every session and API token of
/// the account at once; only a Super Admin may disable a Super Admin; nobody disables themself.
pub async fn update_user(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    id: &str,
    patch: gmac_types::UserPatch,
) -> Result<gmac_types::UserDetail> {
    actor.require(Permission::UsersManage, &Target::Global)?;
    let display_name = patch
        .display_name
        .as_deref()
        .map(|n| DisplayName::parse("display_name", n))
        .transpose()
        .map_err(Error::invalid)?;
    let now = core.now();
    let txn = Change::begin(core).await?;
    let before = find_user(&txn, id).await?;
    let disabling = patch.status == Some(gmac_types::UserStatus::Disabled)
        && before.status == user::STATUS_ACTIVE;
    if disabling {
        if id == actor.user_id {
            return Err(Error::conflict(
                ErrorCode::Conflict,
                "You cannot disable your own account.",
            ));
        }
        let target_loaded = crate::services::authz::load(&txn, id).await?;
        let target_is_super_admin = target_loaded
            .grants
            .iter()
            .any(|g| g.role == roles::SUPER_ADMIN && g.scope == gmac_types::Scope::Global);
        if target_is_super_admin && !actor.is_super_admin() {
            return Err(Error::Forbidden);
        }
    }
    let mut after = before.clone();
    if let Some(name) = display_name {
        after.display_name = name.into_inner();
    }
    if let Some(status) = patch.status {
        match status {
            gmac_types::UserStatus::Active => user::STATUS_ACTIVE,
            gmac_types::UserStatus::Disabled => user::STATUS_DISABLED,
        }
        .clone_into(&mut after.status);
    }
    if after == before {
        let mfa = crate::services::authz::mfa_enabled(&txn, id).await?;
        return Ok(detail(before, mfa));
    }
    after.updated_at = now;
    let mut active: user::ActiveModel = before.clone().into();
    active.display_name = Set(after.display_name.clone());
    active.status = Set(after.status.clone());
    active.updated_at = Set(now);
    active.update(&txn).await?;
    if disabling {
        end_everything(&txn, id, "user_disabled", now).await?;
    }
    let entry = AuditEntry::success(
        actor.audit_actor(),
        if disabling {
            "user.disable"
        } else {
            "user.update"
        },
    )
    .target("user", id.to_owned())
    .details(serde_json::json!({
        "before": {"display_name": before.display_name, "status": before.status},
        "after": {"display_name": after.display_name, "status": after.status},
    }));
    let mfa = crate::services::authz::mfa_enabled(&txn, id).await?;
    txn.commit(core, meta, entry).await?;
    Ok(detail(after, mfa))
}

/// Ends every session, revokes every API token and withdraws every pending invitation of a
/// user.
pub(crate) async fn end_everything(
    conn: &impl ConnectionTrait,
    user_id: &str,
    reason: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    use crate::entities::{api_token, invitation, session};
    use sea_orm::sea_query::Expr;
    session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now))
        .col_expr(session::Column::RevokedReason, Expr::value(reason))
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, Expr::value(now))
        .filter(api_token::Column::UserId.eq(user_id))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    invitation::Entity::update_many()
        .col_expr(invitation::Column::RevokedAt, Expr::value(now))
        .filter(invitation::Column::InvitedBy.eq(user_id))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}
