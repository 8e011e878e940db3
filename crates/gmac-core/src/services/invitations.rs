//! Invitations: an emailed link, valid for a week and once, that creates an account holding the
//! invited role. Inviting follows the same rules as granting: you can only invite to what you
//! could grant.

use chrono::Duration;
use gmac_types::access::{builtin_role, roles};
use gmac_types::validation::{DisplayName, EmailAddress, FieldErrors, NewPassword};
use gmac_types::{
    AcceptInvitation, CreatedInvitation, ErrorCode, FieldError, Invitation, InvitationPreview,
    InvitationStatus, NewInvitation, Permission, Scope, SecretText,
};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::access::Target;
use crate::audit::{AuditActor, AuditEntry};
use crate::auth::tokens::{generate_token, hash_token};
use crate::entities::{client, invitation, project, role, role_binding, user};
use crate::platform::change::Change;
use crate::platform::jobs;
use crate::platform::paging;
use crate::platform::worker::{self, JobFailure};
use crate::ports::Mail;
use crate::services::bindings::{resolve_scope, role_permissions, scope_columns, scope_condition};
use crate::services::users::{self, NewUser};
use crate::{Actor, Core, Error, RequestMeta, Result};

/// How long an invitation link works.
pub const VALIDITY: Duration = Duration::days(7);

fn scope_of(row: &invitation::Model) -> Result<Scope> {
    crate::access::stored_scope(&row.scope_type, row.scope_id.as_ref())
}

fn status(row: &invitation::Model, now: chrono::DateTime<chrono::Utc>) -> InvitationStatus {
    if row.accepted_at.is_some() {
        InvitationStatus::Accepted
    } else if row.revoked_at.is_some() {
        InvitationStatus::Revoked
    } else if row.expires_at <= now {
        InvitationStatus::Expired
    } else {
        InvitationStatus::Pending
    }
}

fn to_dto(row: &invitation::Model, now: chrono::DateTime<chrono::Utc>) -> Result<Invitation> {
    Ok(Invitation {
        id: row.id.clone(),
        email: row.email.clone(),
        role: row.role_id.clone(),
        scope: scope_of(row)?,
        invited_by: row.invited_by.clone(),
        created_at: row.created_at,
        expires_at: row.expires_at,
        status: status(row, now),
    })
}

async fn role_name(conn: &impl sea_orm::ConnectionTrait, role_id: &str) -> Result<String> {
    if let Some(builtin) = builtin_role(role_id) {
        return Ok(builtin.name.to_owned());
    }
    Ok(role::Entity::find_by_id(role_id)
        .one(conn)
        .await?
        .map_or_else(|| role_id.to_owned(), |r| r.name))
}

async fn scope_name(conn: &impl sea_orm::ConnectionTrait, scope: &Scope) -> Result<Option<String>> {
    Ok(match scope {
        Scope::Global => None,
        Scope::Client { id } => client::Entity::find_by_id(id)
            .one(conn)
            .await?
            .map(|c| c.name),
        Scope::Project { id } => project::Entity::find_by_id(id)
            .one(conn)
            .await?
            .map(|p| p.name),
    })
}

/// Invites someone. Needs `users.manage` at the scope and every permission the role grants
/// there; only a Super Admin invites a Super Admin. Sends the link by email when a mail
/// server is configured, and otherwise answers it so it can be passed on by hand.
pub async fn create_invitation(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    input: NewInvitation,
) -> Result<CreatedInvitation> {
    actor.ensure_enrolled()?;
    let scope = input.scope.clone().unwrap_or(Scope::Global);
    let mut errors = FieldErrors::new();
    let email = errors.check(EmailAddress::parse("email", &input.email));
    let target = resolve_scope(&core.db, &scope)
        .await?
        .filter(|t| *t == Target::Global || actor.permissions.knows(t));
    if target.is_none() {
        errors.push(FieldError::new(
            "scope",
            "not_found",
            "No such client or project.",
        ));
    }
    let granted = match &target {
        Some(target) => role_permissions(&core.db, &input.role, target).await?,
        None => None,
    };
    if target.is_some() && granted.is_none() {
        errors.push(FieldError::new("role", "unknown_role", "No such role."));
    }
    errors.finish().map_err(Error::Validation)?;
    let (Some(email), Some(target), Some(granted)) = (email, target, granted) else {
        return Err(anyhow::anyhow!("field errors were collected but not reported").into());
    };
    actor.require(Permission::UsersManage, &target)?;
    if input.role == roles::SUPER_ADMIN && !actor.is_super_admin() {
        return Err(Error::Forbidden);
    }
    let held = actor.permissions.held_at(&target);
    if !granted.iter().all(|p| held.contains(p)) {
        return Err(Error::Forbidden);
    }

    let now = core.now();
    let token = generate_token();
    let txn = Change::begin(core).await?;
    if users::find_by_email(&txn, email.as_str()).await?.is_some() {
        return Err(Error::conflict(
            ErrorCode::EmailTaken,
            "This person already has an account; grant them the role instead.",
        ));
    }
    // A new invitation to the same address replaces the pending ones.
    invitation::Entity::update_many()
        .col_expr(invitation::Column::RevokedAt, Expr::value(now))
        .filter(invitation::Column::Email.eq(email.as_str()))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    let (scope_type, scope_id) = scope_columns(&scope);
    let row = invitation::Model {
        id: core.new_id(),
        email: email.as_str().to_owned(),
        role_id: input.role.clone(),
        scope_type: scope_type.to_owned(),
        scope_id,
        token_hash: hash_token(&token),
        invited_by: actor.user_id.clone(),
        created_at: now,
        expires_at: now + VALIDITY,
        accepted_at: None,
        revoked_at: None,
        accepted_user_id: None,
    };
    invitation::Entity::insert(invitation::ActiveModel::from(row.clone()))
        .exec_without_returning(&txn)
        .await?;
    let link = format!("{}/invite#{token}", core.public_url.trim_end_matches('/'));
    let email_job = enqueue_mail(&txn, core, actor, &row, &target, &link).await?;
    let entry = AuditEntry::success(actor.audit_actor(), "invitation.create")
        .target("invitation", row.id.clone())
        .scope(&target)
        .details(serde_json::json!({
            "after": {"email": row.email, "role": row.role_id},
            "email_job": email_job.as_ref().map(|j| j.id.clone()),
        }));
    txn.commit(core, meta, entry).await?;
    issued(actor, &row, now, email_job, link)
}

/// The answer to an invitation just issued (or renewed): the link itself only when no mail
/// carries it, and the mail's job when the actor may follow it.
fn issued(
    actor: &Actor,
    row: &invitation::Model,
    now: chrono::DateTime<chrono::Utc>,
    email_job: Option<crate::entities::job::Model>,
    link: String,
) -> Result<CreatedInvitation> {
    let email_queued = email_job.is_some();
    let followable = email_job.filter(|job| {
        let (view, _) = jobs::permissions(&job.kind);
        actor.permissions.can(view, &jobs::target(job))
    });
    Ok(CreatedInvitation {
        invitation: to_dto(row, now)?,
        email_queued,
        email_job: followable.map(jobs::to_dto).transpose()?,
        link: (!email_queued).then(|| SecretText::new(link)),
    })
}

/// Enqueues on `txn` the job that emails `link` for `row`, when a mail server is configured:
/// the mail goes out from a job, which retries while the mail server is unreachable. The link
/// travels sealed under the installation's key.
async fn enqueue_mail(
    txn: &impl sea_orm::ConnectionTrait,
    core: &Core,
    actor: &Actor,
    row: &invitation::Model,
    target: &Target,
    link: &str,
) -> Result<Option<crate::entities::job::Model>> {
    if core.mailer.is_none() {
        return Ok(None);
    }
    let payload = MailPayload {
        invitation_id: row.id.clone(),
        link: core.sealer.seal(link.as_bytes(), &mail_binding(&row.id))?,
    };
    let new = jobs::NewJob {
        client_id: target.client_id().map(str::to_owned),
        max_attempts: 5,
        ..jobs::NewJob::new(
            jobs::INVITATION_MAIL,
            serde_json::to_value(&payload).map_err(anyhow::Error::from)?,
        )
    };
    Ok(Some(jobs::enqueue(txn, core, Some(actor), new).await?.0))
}

/// An [`jobs::INVITATION_MAIL`] job's input.
#[derive(serde::Serialize, serde::Deserialize)]
struct MailPayload {
    invitation_id: String,
    /// The link, sealed under the installation's key.
    link: String,
}

/// What an invitation's link is sealed for in its mail job.
pub(crate) fn mail_binding(invitation_id: &str) -> String {
    format!("invitation_mail:{invitation_id}")
}

/// The handler of [`jobs::INVITATION_MAIL`] jobs: emails the link while the invitation is
/// still pending (one withdrawn, accepted or expired meanwhile is not mailed). A mail server
/// that does not accept the message is tried again, with backoff, up to the job's attempts.
pub fn mail_handler() -> worker::Handler {
    worker::handler(|ctx| async move {
        let input: MailPayload = ctx.payload()?;
        let link = ctx
            .core
            .sealer
            .open(&input.link, &mail_binding(&input.invitation_id))
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or_else(|| {
                JobFailure::permanent("the link cannot be opened with this installation's key")
            })?;
        ctx.mask(&link);
        let Some(row) = invitation::Entity::find_by_id(&input.invitation_id)
            .one(&ctx.core.db)
            .await?
        else {
            return Ok(
                serde_json::json!({ "invitation_id": input.invitation_id, "emailed": false, "why": "deleted" }),
            );
        };
        let replaced = link
            .rsplit_once('#')
            .is_none_or(|(_, token)| hash_token(token) != row.token_hash);
        if replaced {
            let _ = ctx.log("not emailed: a newer link replaced this one").await;
            return Ok(
                serde_json::json!({ "invitation_id": row.id, "emailed": false, "why": "replaced" }),
            );
        }
        let state = status(&row, ctx.core.now());
        if state != InvitationStatus::Pending {
            let why = serde_json::to_value(state).unwrap_or_default();
            let _ = ctx
                .log(format!(
                    "not emailed: the invitation is {}",
                    why.as_str().unwrap_or("no longer pending")
                ))
                .await;
            return Ok(
                serde_json::json!({ "invitation_id": row.id, "emailed": false, "why": why }),
            );
        }
        let Some(mailer) = &ctx.core.mailer else {
            return Err(JobFailure::permanent(
                "no mail server is configured (GMAC_SMTP_URL)",
            ));
        };
        let mail = invitation_mail(&ctx.core.db, &row, &link).await?;
        let _ = ctx.log(format!("emailing the link to {}", row.email)).await;
        mailer.send(mail).await.map_err(|err| {
            JobFailure::transient(format!("the mail server did not accept it: {err:#}"))
        })?;
        let _ = ctx.log("the mail server accepted it").await;
        Ok(serde_json::json!({ "invitation_id": row.id, "emailed": true, "to": row.email }))
    })
}

/// The invitation email for `row`, from the person who invited.
async fn invitation_mail(
    conn: &impl sea_orm::ConnectionTrait,
    row: &invitation::Model,
    link: &str,
) -> Result<Mail> {
    let (name, email) = user::Entity::find_by_id(&row.invited_by)
        .one(conn)
        .await?
        .map_or_else(
            || ("An administrator".to_owned(), String::new()),
            |u| (u.display_name, format!(" ({})", u.email)),
        );
    let text = format!(
        "Hello,\n\n{name}{email} invites you to gmac as {}{}.\n\nAccept the invitation and choose your password here (the link works once, until {} UTC):\n\n{link}\n\nIf you did not expect this, ignore this email.\n",
        role_name(conn, &row.role_id).await?,
        scope_name(conn, &scope_of(row)?)
            .await?
            .map(|n| format!(" in {n}"))
            .unwrap_or_default(),
        row.expires_at.format("%Y-%m-%d %H:%M"),
    );
    Ok(Mail {
        to: row.email.clone(),
        subject: format!("{name} invites you to gmac"),
        text,
        attachments: Vec::new(),
    })
}

/// The invitations in the scopes where the actor manages users, newest first.
pub async fn list_invitations(
    core: &Core,
    actor: &Actor,
    page: &gmac_types::PageQuery,
) -> Result<gmac_types::Page<Invitation>> {
    actor.ensure_enrolled()?;
    let visible = actor.permissions.visible(Permission::UsersManage);
    if visible.is_nothing() {
        return Err(Error::Forbidden);
    }
    let now = core.now();
    let mut select = invitation::Entity::find();
    if let Some(scoped) = scope_condition(
        &visible,
        invitation::Column::ScopeType,
        invitation::Column::ScopeId,
    ) {
        select = select.filter(scoped);
    }
    let (rows, next_cursor, total) = paging::page_by_id(
        core,
        select,
        invitation::Column::Id,
        paging::Direction::Desc,
        page,
        |r| r.id.clone(),
    )
    .await?;
    Ok(gmac_types::Page {
        items: rows
            .iter()
            .map(|row| to_dto(row, now))
            .collect::<Result<_>>()?,
        next_cursor,
        total,
    })
}

/// Withdraws a pending invitation; its link stops working.
pub async fn revoke_invitation(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    id: &str,
) -> Result<()> {
    if !crate::ids::is_id(id) {
        return Err(Error::NotFound);
    }
    let row = invitation::Entity::find_by_id(id)
        .one(&core.db)
        .await?
        .ok_or(Error::NotFound)?;
    let target = resolve_scope(&core.db, &scope_of(&row)?)
        .await?
        .unwrap_or(Target::Global);
    actor.require_on(Permission::UsersManage, &target)?;
    let now = core.now();
    if status(&row, now) != InvitationStatus::Pending {
        return Ok(());
    }
    let txn = Change::begin(core).await?;
    invitation::Entity::update_many()
        .col_expr(invitation::Column::RevokedAt, Expr::value(now))
        .filter(invitation::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    let entry = AuditEntry::success(actor.audit_actor(), "invitation.revoke")
        .target("invitation", id.to_owned())
        .scope(&target)
        .details(serde_json::json!({"before": {"email": row.email, "role": row.role_id}}));
    txn.commit(core, meta, entry).await?;
    Ok(())
}

/// Issues a new link for a pending or expired invitation: the old link stops working, the new
/// one works for [`VALIDITY`] from now and is mailed when a mail server is configured, and
/// otherwise answered (once) to pass on by hand. Renewing takes the rights that inviting takes,
/// and the one who renews becomes the inviter. An accepted or withdrawn invitation is not
/// renewed (409): invite again.
pub async fn renew_invitation(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    id: &str,
) -> Result<CreatedInvitation> {
    actor.ensure_enrolled()?;
    if !crate::ids::is_id(id) {
        return Err(Error::NotFound);
    }
    let row = invitation::Entity::find_by_id(id)
        .one(&core.db)
        .await?
        .ok_or(Error::NotFound)?;
    let target = resolve_scope(&core.db, &scope_of(&row)?)
        .await?
        .ok_or(Error::NotFound)?;
    actor.require_on(Permission::UsersManage, &target)?;
    if row.role_id == roles::SUPER_ADMIN && !actor.is_super_admin() {
        return Err(Error::Forbidden);
    }
    let granted = role_permissions(&core.db, &row.role_id, &target)
        .await?
        .ok_or_else(|| {
            Error::conflict(
                ErrorCode::Conflict,
                "The invited role no longer exists. Invite again with another role.",
            )
        })?;
    let held = actor.permissions.held_at(&target);
    if !granted.iter().all(|p| held.contains(p)) {
        return Err(Error::Forbidden);
    }
    let now = core.now();
    match status(&row, now) {
        InvitationStatus::Pending | InvitationStatus::Expired => {}
        InvitationStatus::Accepted => {
            return Err(Error::conflict(
                ErrorCode::Conflict,
                "This invitation was accepted; the account exists.",
            ));
        }
        InvitationStatus::Revoked => {
            return Err(Error::conflict(
                ErrorCode::Conflict,
                "This invitation was withdrawn. Invite again.",
            ));
        }
    }
    let token = generate_token();
    let txn = Change::begin(core).await?;
    let renewed = invitation::Model {
        token_hash: hash_token(&token),
        invited_by: actor.user_id.clone(),
        expires_at: now + VALIDITY,
        ..row.clone()
    };
    // Only while it is still as read: a concurrent accept or withdrawal wins.
    let updated = invitation::Entity::update_many()
        .col_expr(
            invitation::Column::TokenHash,
            Expr::value(renewed.token_hash.clone()),
        )
        .col_expr(
            invitation::Column::InvitedBy,
            Expr::value(renewed.invited_by.clone()),
        )
        .col_expr(
            invitation::Column::ExpiresAt,
            Expr::value(renewed.expires_at),
        )
        .filter(invitation::Column::Id.eq(id))
        .filter(invitation::Column::TokenHash.eq(row.token_hash.as_str()))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    if updated.rows_affected == 0 {
        return Err(Error::conflict(
            ErrorCode::Conflict,
            "The invitation changed meanwhile. Reload and try again.",
        ));
    }
    let link = format!("{}/invite#{token}", core.public_url.trim_end_matches('/'));
    let email_job = enqueue_mail(&txn, core, actor, &renewed, &target, &link).await?;
    let entry = AuditEntry::success(actor.audit_actor(), "invitation.renew")
        .target("invitation", id.to_owned())
        .scope(&target)
        .details(serde_json::json!({
            "before": {"expires_at": row.expires_at, "invited_by": row.invited_by},
            "after": {"expires_at": renewed.expires_at, "invited_by": renewed.invited_by},
            "email": row.email,
            "email_job": email_job.as_ref().map(|j| j.id.clone()),
        }));
    txn.commit(core, meta, entry).await?;
    issued(actor, &renewed, now, email_job, link)
}

async fn pending_by_token(
    conn: &impl sea_orm::ConnectionTrait,
    token: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<invitation::Model> {
    invitation::Entity::find()
        .filter(invitation::Column::TokenHash.eq(hash_token(token.trim())))
        .one(conn)
        .await?
        .filter(|row| status(row, now) == InvitationStatus::Pending)
        .ok_or(Error::InvalidToken)
}

/// Whether the inviter could still send this invitation now: their account is active and they
/// still hold `users.manage` and every permission of the role at its scope (and are a Super
/// Admin for a Super Admin invitation). An invitation carries its inviter's rights no further
/// than the inviter still has them.
async fn inviter_may_still_grant(
    conn: &impl sea_orm::ConnectionTrait,
    row: &invitation::Model,
) -> Result<bool> {
    let active = user::Entity::find_by_id(&row.invited_by)
        .one(conn)
        .await?
        .is_some_and(|u| u.status == user::STATUS_ACTIVE);
    if !active {
        return Ok(false);
    }
    let Some(target) = resolve_scope(conn, &scope_of(row)?).await? else {
        return Ok(false);
    };
    let Some(granted) = role_permissions(conn, &row.role_id, &target).await? else {
        return Ok(false);
    };
    let loaded = crate::services::authz::load(conn, &row.invited_by).await?;
    if row.role_id == roles::SUPER_ADMIN
        && !loaded
            .grants
            .iter()
            .any(|g| g.role == roles::SUPER_ADMIN && g.scope == Scope::Global)
    {
        return Ok(false);
    }
    let held = loaded.permissions.held_at(&target);
    Ok(loaded.permissions.can(Permission::UsersManage, &target)
        && granted.iter().all(|p| held.contains(p)))
}

/// What a link offers, for the acceptance page. The token is the credential.
pub async fn preview(core: &Core, token: &str) -> Result<InvitationPreview> {
    let row = pending_by_token(&core.db, token, core.now()).await?;
    if !inviter_may_still_grant(&core.db, &row).await? {
        return Err(Error::conflict(
            ErrorCode::Conflict,
            "The person who invited you can no longer grant this role. Ask for a new invitation.",
        ));
    }
    let inviter = user::Entity::find_by_id(&row.invited_by)
        .one(&core.db)
        .await?;
    Ok(InvitationPreview {
        email: row.email.clone(),
        role_name: role_name(&core.db, &row.role_id).await?,
        scope_name: scope_name(&core.db, &scope_of(&row)?).await?,
        invited_by: inviter.map_or_else(|| "An administrator".to_owned(), |u| u.display_name),
        expires_at: row.expires_at,
    })
}

/// Accepts an invitation: creates the account with the invited address, the chosen name and
/// password, and the invited role. The link then stops working.
pub async fn accept(
    core: &Core,
    meta: &RequestMeta,
    input: AcceptInvitation,
) -> Result<gmac_types::User> {
    let mut errors = FieldErrors::new();
    let display_name = errors.check(DisplayName::parse("display_name", &input.display_name));
    let password = errors.check(NewPassword::parse("password", input.password.expose()));
    // Check the token before the (slow) hashing, so a bad link answers at once.
    let now = core.now();
    pending_by_token(&core.db, input.token.expose(), now).await?;
    errors.finish().map_err(Error::Validation)?;
    let (Some(display_name), Some(password)) = (display_name, password) else {
        return Err(anyhow::anyhow!("field errors were collected but not reported").into());
    };
    let hash = core.passwords.hash(password.expose()).await?;

    let txn = Change::begin(core).await?;
    let row = pending_by_token(&txn, input.token.expose(), now).await?;
    if !inviter_may_still_grant(&txn, &row).await? {
        // The link is dead for good: withdraw it, so it no longer shows as pending.
        invitation::Entity::update_many()
            .col_expr(invitation::Column::RevokedAt, Expr::value(now))
            .filter(invitation::Column::Id.eq(&row.id))
            .exec(&txn)
            .await?;
        let entry = AuditEntry::success(
            AuditActor::System {
                label: "invitations".to_owned(),
            },
            "invitation.revoke",
        )
        .target("invitation", row.id.clone())
        .details(serde_json::json!({"reason": "inviter_lost_rights"}));
        txn.commit(core, meta, entry).await?;
        return Err(Error::conflict(
            ErrorCode::Conflict,
            "The person who invited you can no longer grant this role. Ask for a new invitation.",
        ));
    }
    let email = EmailAddress::parse("email", &row.email).map_err(Error::invalid)?;
    let new = NewUser {
        email,
        password: Some(password),
        display_name,
    };
    let created = users::insert_user(core, &txn, &new, Some(hash), now).await?;
    // Only one acceptance wins, even between replicas.
    let claimed = invitation::Entity::update_many()
        .col_expr(invitation::Column::AcceptedAt, Expr::value(now))
        .col_expr(
            invitation::Column::AcceptedUserId,
            Expr::value(created.id.clone()),
        )
        .filter(invitation::Column::Id.eq(&row.id))
        .filter(invitation::Column::AcceptedAt.is_null())
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(Error::InvalidToken);
    }
    let scope = scope_of(&row)?;
    let (scope_type, scope_id) = scope_columns(&scope);
    let binding = role_binding::Model {
        id: core.new_id(),
        subject_type: "user".to_owned(),
        subject_id: created.id.clone(),
        role_id: row.role_id.clone(),
        scope_type: scope_type.to_owned(),
        scope_id,
        created_at: now,
        created_by: Some(row.invited_by.clone()),
    };
    role_binding::Entity::insert(role_binding::ActiveModel::from(binding))
        .exec_without_returning(&txn)
        .await?;
    let entry = AuditEntry::success(AuditActor::User { id: created.id.clone(), label: created.email.clone() }, "invitation.accept")
        .target("invitation", row.id.clone())
        .details(serde_json::json!({"after": {"user_id": created.id, "role": row.role_id, "scope_type": scope_type}}));
    txn.commit(core, meta, entry).await?;
    Ok(users::to_dto(&created))
}
