//! API tokens: `gmac_` followed by 256 random bits, shown once, stored as a SHA-256 hash,
//! limited to a subset of their creator's permissions and optionally to one client or project,
//! always expiring (at most a year), revocable and rotatable.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use gmac_types::{
    ApiToken, CreatedApiToken, FieldError, NewApiToken, Permission, Scope, SecretText,
};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::access::{Target, TokenLimits};
use crate::audit::AuditEntry;
use crate::auth::cache::{self, CacheKey, LastUse};
use crate::auth::tokens::{generate_token, hash_token};
use crate::entities::{api_token, user};
use crate::platform::change::Change;
use crate::services::authz;
use crate::services::bindings::{resolve_scope, scope_columns};
use crate::{Actor, Core, Error, RequestMeta, Result};

/// Every API token starts with this, so secret scanners and people recognise one.
pub const PREFIX: &str = "gmac_";
/// The longest lifetime a token may have.
pub const MAX_DAYS: u32 = 365;
const SHOWN_PREFIX: usize = 12;
/// `last_used_at` is written at most this often per token, to keep reads from writing.
const TOUCH_EVERY: Duration = Duration::seconds(60);

fn scope_of(row: &api_token::Model) -> Result<Scope> {
    crate::access::stored_scope(&row.scope_type, row.scope_id.as_ref())
}

/// The wire form (without the secret).
pub fn to_dto(row: &api_token::Model) -> Result<ApiToken> {
    Ok(ApiToken {
        id: row.id.clone(),
        name: row.name.clone(),
        prefix: row.prefix.clone(),
        scopes: authz::parse_permissions(&row.permissions),
        scope: scope_of(row)?,
        created_at: row.created_at,
        expires_at: row.expires_at,
        last_used_at: row.last_used_at,
        last_used_ip: row.last_used_ip.clone(),
        revoked_at: row.revoked_at,
    })
}

fn summary(row: &api_token::Model) -> serde_json::Value {
    serde_json::json!({
        "name": row.name,
        "prefix": row.prefix,
        "scopes": authz::parse_permissions(&row.permissions),
        "scope_type": row.scope_type,
        "scope_id": row.scope_id,
        "expires_at": row.expires_at,
    })
}

/// Tokens are made from a signed-in session, never from another token.
fn from_session(actor: &Actor) -> Result<()> {
    actor.ensure_enrolled()?;
    actor.require_session()
}

/// Checks a request and resolves its scope.
async fn validate(
    core: &Core,
    actor: &Actor,
    input: &NewApiToken,
) -> Result<(String, BTreeSet<Permission>, Scope, Target)> {
    let mut errors = Vec::new();
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        errors.push(FieldError::new(
            "name",
            "invalid",
            "A token name has 1 to 100 characters.",
        ));
    }
    if input.scopes.is_empty() {
        errors.push(FieldError::new(
            "scopes",
            "required",
            "A token carries at least one permission.",
        ));
    }
    if input.expires_in_days == 0 || input.expires_in_days > MAX_DAYS {
        errors.push(FieldError::new(
            "expires_in_days",
            "out_of_range",
            format!("A token expires after 1 to {MAX_DAYS} days."),
        ));
    }
    let scope = input.scope.clone().unwrap_or(Scope::Global);
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
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    let target = target.unwrap_or(Target::Global);
    let scopes: BTreeSet<Permission> = input.scopes.iter().copied().collect();
    // A token restricted to a scope may carry what its creator holds anywhere inside it;
    // a global token only what the creator holds somewhere.
    let held = |p: &Permission| match &target {
        Target::Global => actor.permissions.can_anywhere(*p),
        t => actor.can(*p, t) || narrower_grant(actor, *p, t),
    };
    if !scopes.iter().all(held) {
        return Err(Error::Forbidden);
    }
    Ok((name.to_owned(), scopes, scope, target))
}

/// Whether the actor holds `p` on something inside `target` (a project of a client).
fn narrower_grant(actor: &Actor, p: Permission, target: &Target) -> bool {
    actor
        .permissions
        .grants
        .iter()
        .any(|g| g.permissions.contains(&p) && crate::access::covers(target, &g.scope))
}

/// What a new token is.
struct Spec<'a> {
    user_id: &'a str,
    name: &'a str,
    scopes: &'a BTreeSet<Permission>,
    scope: &'a Scope,
    expires_at: DateTime<Utc>,
}

async fn insert(
    conn: &impl ConnectionTrait,
    core: &Core,
    spec: Spec<'_>,
    now: DateTime<Utc>,
) -> Result<(api_token::Model, String)> {
    let Spec {
        user_id,
        name,
        scopes,
        scope,
        expires_at,
    } = spec;
    let secret = format!("{PREFIX}{}", generate_token());

    let (scope_type, scope_id) = scope_columns(scope);
    let ids: Vec<&str> = scopes.iter().map(|p| p.id()).collect();
    let row = api_token::Model {
        id: core.new_id(),
        user_id: user_id.to_owned(),
        name: name.to_owned(),
        prefix: secret.chars().take(SHOWN_PREFIX).collect(),
        token_hash: hash_token(&secret),
        permissions: serde_json::to_string(&ids).map_err(anyhow::Error::from)?,
        scope_type: scope_type.to_owned(),
        scope_id,
        created_at: now,
        expires_at,
        last_used_at: None,
        last_used_ip: None,
        revoked_at: None,
        replaced_by: None,
    };
    api_token::Entity::insert(api_token::ActiveModel::from(row.clone()))
        .exec_without_returning(conn)
        .await?;
    Ok((row, secret))
}

/// Creates a token for the signed-in user and returns its secret, once.
pub async fn create_token(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    input: NewApiToken,
) -> Result<CreatedApiToken> {
    from_session(actor)?;
    let (name, scopes, scope, target) = validate(core, actor, &input).await?;
    let now = core.now();
    let txn = Change::begin(core).await?;
    let expires_at = now + Duration::days(i64::from(input.expires_in_days));
    let spec = Spec {
        user_id: &actor.user_id,
        name: &name,
        scopes: &scopes,
        scope: &scope,
        expires_at,
    };
    let (row, secret) = insert(&txn, core, spec, now).await?;
    let entry = AuditEntry::success(actor.audit_actor(), "token.create")
        .target("api_token", row.id.clone())
        .scope(&target)
        .details(serde_json::json!({"after": summary(&row)}));
    txn.commit(core, meta, entry).await?;
    Ok(CreatedApiToken {
        info: to_dto(&row)?,
        token: SecretText::new(secret),
    })
}

/// The signed-in user's tokens, newest first.
pub async fn list_tokens(
    core: &Core,
    actor: &Actor,
    page: &gmac_types::PageQuery,
) -> Result<gmac_types::Page<ApiToken>> {
    from_session(actor)?;
    let (rows, next_cursor, total) = crate::platform::paging::page_by_id(
        core,
        api_token::Entity::find().filter(api_token::Column::UserId.eq(&actor.user_id)),
        api_token::Column::Id,
        crate::platform::paging::Direction::Desc,
        page,
        |r| r.id.clone(),
    )
    .await?;
    Ok(gmac_types::Page {
        items: rows.iter().map(to_dto).collect::<Result<_>>()?,
        next_cursor,
        total,
    })
}

async fn own_token(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    id: &str,
) -> Result<api_token::Model> {
    if !crate::ids::is_id(id) {
        return Err(Error::NotFound);
    }
    api_token::Entity::find_by_id(id)
        .one(conn)
        .await?
        .filter(|t| t.user_id == actor.user_id)
        .ok_or(Error::NotFound)
}

/// Revokes one of the user's tokens. Revoking twice is harmless.
pub async fn revoke_token(core: &Core, actor: &Actor, meta: &RequestMeta, id: &str) -> Result<()> {
    from_session(actor)?;
    let now = core.now();
    let txn = Change::begin(core).await?;
    let row = own_token(&txn, actor, id).await?;
    if row.revoked_at.is_some() {
        return Ok(());
    }
    api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, Expr::value(now))
        .filter(api_token::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    let entry = AuditEntry::success(actor.audit_actor(), "token.revoke")
        .target("api_token", id.to_owned())
        .details(serde_json::json!({"before": summary(&row)}));
    txn.commit(core, meta, entry).await?;
    Ok(())
}

/// Replaces a token with a new secret of the same name, permissions, scope and lifetime; the
/// old one stops working at once.
pub async fn rotate_token(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    id: &str,
) -> Result<CreatedApiToken> {
    from_session(actor)?;
    let now = core.now();
    let txn = Change::begin(core).await?;
    let old = own_token(&txn, actor, id).await?;
    if old.revoked_at.is_some() || old.expires_at <= now {
        return Err(Error::conflict(
            gmac_types::ErrorCode::Conflict,
            "A revoked or expired token cannot be rotated; create a new one.",
        ));
    }
    let lifetime = (old.expires_at - old.created_at).min(Duration::days(i64::from(MAX_DAYS)));
    let scopes: BTreeSet<Permission> = authz::parse_permissions(&old.permissions)
        .into_iter()
        .collect();
    let scope = scope_of(&old)?;
    // The creator may have lost permissions since: the new token carries only what they hold.
    let target = resolve_scope(&txn, &scope).await?.ok_or(Error::NotFound)?;
    let scopes: BTreeSet<Permission> = scopes
        .into_iter()
        .filter(|p| match &target {
            Target::Global => actor.permissions.can_anywhere(*p),
            t => actor.can(*p, t) || narrower_grant(actor, *p, t),
        })
        .collect();
    if scopes.is_empty() {
        return Err(Error::Forbidden);
    }
    let spec = Spec {
        user_id: &actor.user_id,
        name: &old.name,
        scopes: &scopes,
        scope: &scope,
        expires_at: now + lifetime,
    };
    let (new, secret) = insert(&txn, core, spec, now).await?;

    api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, Expr::value(now))
        .col_expr(api_token::Column::ReplacedBy, Expr::value(new.id.clone()))
        .filter(api_token::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    let entry = AuditEntry::success(actor.audit_actor(), "token.rotate")
        .target("api_token", id.to_owned())
        .scope(&target)
        .details(serde_json::json!({"before": summary(&old), "after": summary(&new), "replaced_by": new.id}));
    txn.commit(core, meta, entry).await?;
    Ok(CreatedApiToken {
        info: to_dto(&new)?,
        token: SecretText::new(secret),
    })
}

/// Resolves the actor behind a `gmac_` token, narrowing its user's grants to the token. Like a
/// session's, the actor is reused while the authorisation epoch stands still.
pub async fn authenticate(core: &Core, presented: &str, meta: &RequestMeta) -> Result<Actor> {
    let now = core.now();
    let hash = hash_token(presented);
    let epoch = cache::epoch(core).await?;
    let key = CacheKey::Token(hash.clone());
    if let Some(hit) = core.actors.get(&key, epoch, now) {
        if let Some(token_id) = &hit.actor.token_id {
            touch(core, &key, token_id, &hit.last_use, meta).await?;
        }
        return Ok(hit.actor);
    }
    let row = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(hash))
        .one(&core.db)
        .await?
        .filter(|t| t.revoked_at.is_none() && t.expires_at > now)
        .ok_or(Error::InvalidToken)?;
    let account = user::Entity::find_by_id(&row.user_id)
        .one(&core.db)
        .await?
        .filter(|u| u.status == user::STATUS_ACTIVE)
        .ok_or(Error::InvalidToken)?;
    let limits = limits(core, &row).await?;
    let actor = crate::services::authz::build_actor(core, account, None, Some(limits)).await?;
    let last_use = LastUse {
        at: row.last_used_at,
        ip: row.last_used_ip,
    };
    core.actors.put(
        key.clone(),
        epoch,
        actor.clone(),
        row.expires_at,
        last_use.clone(),
    );
    touch(core, &key, &row.id, &last_use, meta).await?;
    Ok(actor)
}

/// What a token narrows its user's grants to.
async fn limits(core: &Core, row: &api_token::Model) -> Result<TokenLimits> {
    let stored = scope_of(row).map_err(|err| {
        tracing::warn!(error = %err, token = %row.id, "refusing a token whose scope is unknown");
        Error::InvalidToken
    })?;
    let scope = resolve_scope(&core.db, &stored)
        .await?
        .ok_or(Error::InvalidToken)?;
    Ok(TokenLimits {
        token_id: row.id.clone(),
        permissions: authz::parse_permissions(&row.permissions)
            .into_iter()
            .collect(),
        scope,
    })
}

/// The limits of the live token `token_id` of `user_id`, for work done on its behalf after
/// the request (a job): 401 once the token is revoked or expired.
pub(crate) async fn live_limits(core: &Core, user_id: &str, token_id: &str) -> Result<TokenLimits> {
    let now = core.now();
    let row = api_token::Entity::find_by_id(token_id)
        .one(&core.db)
        .await?
        .filter(|t| t.user_id == user_id && t.revoked_at.is_none() && t.expires_at > now)
        .ok_or(Error::InvalidToken)?;
    limits(core, &row).await
}

/// Records the token's use: at most once a minute, or at once from a new address.
async fn touch(
    core: &Core,
    key: &CacheKey,
    token_id: &str,
    last_use: &LastUse,
    meta: &RequestMeta,
) -> Result<()> {
    let now = core.now();
    if last_use.at.is_some_and(|at| now - at < TOUCH_EVERY) && last_use.ip == meta.ip {
        return Ok(());
    }
    api_token::Entity::update_many()
        .col_expr(api_token::Column::LastUsedAt, Expr::value(now))
        .col_expr(api_token::Column::LastUsedIp, Expr::value(meta.ip.clone()))
        .filter(api_token::Column::Id.eq(token_id))
        .exec(&crate::db::Solo(&core.db))
        .await?;
    core.actors.used(
        key,
        LastUse {
            at: Some(now),
            ip: meta.ip.clone(),
        },
    );
    Ok(())
}
