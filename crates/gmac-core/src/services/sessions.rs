//! Sign-in, refresh-token rotation with reuse detection, sign-out, and resolving the actor
//! behind an access token.
//!
//! A session is one family of refresh tokens. Each refresh token is exchanged once for a new
//! one; presenting an already-exchanged token means it was copied, so the whole family (the
//! session) is revoked and every access token of it stops working on its next request.

use chrono::{DateTime, Utc};
use gmac_types::{FieldError, LoginRequest, Me, Permission};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::audit::{AuditActor, AuditEntry};
use crate::auth::actor::Actor;
use crate::auth::cache::{self, CacheKey, LastUse};
use crate::auth::tokens::{generate_token, hash_token};
use crate::entities::{refresh_token, session, user};
use crate::platform::change::Change;
use crate::services::{authz, throttle, users};
use crate::{Core, Error, RequestMeta, Result};

/// Credentials handed to a client after sign-in or refresh.
#[derive(Debug)]
pub struct IssuedSession {
    /// The JWT access token.
    pub access_token: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// The new refresh token, for the HttpOnly cookie only; `None` when the cookie already
    /// holds the current one (a concurrent refresh from another tab).
    pub refresh_token: Option<String>,
    /// When the refresh token expires.
    pub refresh_expires_at: DateTime<Utc>,
    /// The session the tokens belong to.
    pub session_id: String,
    /// A fresh device cookie after a full sign-in (password and any second factor).
    pub device_cookie: Option<String>,
}

const MAX_USER_AGENT: usize = 512;

/// Signs in with email and password. An unknown account, a wrong password and a disabled
/// account all fail the same way, after the same amount of hashing work.
/// `device_cookie` is the browser's device cookie, if it has one: when it names this account,
/// failures count against that device only.
pub async fn login(
    core: &Core,
    meta: &RequestMeta,
    request: LoginRequest,
    device_cookie: Option<&str>,
) -> Result<LoginOutcome> {
    let email = request.email.trim().to_lowercase();
    let mut missing = Vec::new();
    if email.is_empty() {
        missing.push(FieldError::new(
            "email",
            "required",
            "Enter your email address.",
        ));
    }
    if request.password.expose().is_empty() {
        missing.push(FieldError::new(
            "password",
            "required",
            "Enter your password.",
        ));
    }
    if !missing.is_empty() {
        return Err(Error::Validation(missing));
    }

    let found = users::find_by_email(&core.db, &email).await?;
    // A device cookie counts only for the account it names, under its current password.
    let binding = found
        .as_ref()
        .and_then(|u| u.password_hash.as_deref())
        .unwrap_or_default();
    let today = core.now().date_naive();
    let key = match device_cookie.and_then(|c| core.device_keys.verify(c, &email, binding, today)) {
        Some(nonce) => throttle::device_key(&nonce),
        None => throttle::login_key(&email),
    };
    if let Err(locked) = throttle::check(&core.db, &key, core.now()).await {
        let label: String = email.chars().take(254).collect();
        let entry = AuditEntry::failure(AuditActor::Anonymous { label: Some(label) }, "auth.login")
            .details(serde_json::json!({"reason": "locked"}));
        Change::record(core, meta, entry).await?;
        return Err(locked);
    }
    let password_ok = core
        .passwords
        .verify(
            request.password.expose(),
            found.as_ref().and_then(|u| u.password_hash.as_deref()),
        )
        .await?;
    let now = core.now();
    let failure_reason = match &found {
        None => Some("unknown_user"),
        Some(_) if !password_ok => Some("wrong_password"),
        Some(u) if u.status != user::STATUS_ACTIVE => Some("account_disabled"),
        Some(_) => None,
    };
    let (Some(account), None) = (found, failure_reason) else {
        let label: String = email.chars().take(254).collect();
        let entry = AuditEntry::failure(AuditActor::Anonymous { label: Some(label) }, "auth.login")
            .details(serde_json::json!({"reason": failure_reason}));
        let txn = Change::begin(core).await?;
        let lock = throttle::record_failure(&txn, &key, now).await?;
        txn.commit(core, meta, entry).await?;
        if let Some(lock) = lock {
            tracing::warn!(
                lock_seconds = lock.num_seconds(),
                "sign-in locked after repeated failures"
            );
        }
        return Err(Error::InvalidCredentials);
    };

    if authz::mfa_enabled(&core.db, &account.id).await? {
        // The password was right; the session waits for the second factor.
        let entry = AuditEntry::success(
            AuditActor::User {
                id: account.id.clone(),
                label: account.email.clone(),
            },
            "auth.password",
        )
        .details(serde_json::json!({"second_factor": "required"}));
        Change::record(core, meta, entry).await?;
        return Ok(LoginOutcome::MfaRequired {
            mfa_token: core.jwt.issue_mfa(&account.id, now)?,
        });
    }
    let txn = Change::begin(core).await?;
    throttle::record_success(&txn, &key).await?;
    let (issued, entry) = open_session(core, &txn, meta, &account, None, now).await?;
    txn.commit(core, meta, entry).await?;
    Ok(LoginOutcome::Signed(issued))
}

/// What a correct password leads to.
#[derive(Debug)]
pub enum LoginOutcome {
    /// Signed in.
    Signed(IssuedSession),
    /// The account has MFA: the code must follow with this token.
    MfaRequired {
        /// A five-minute token for `complete_mfa`.
        mfa_token: String,
    },
}

/// Finishes a sign-in with a TOTP code or a recovery code.
pub async fn complete_mfa(
    core: &Core,
    meta: &RequestMeta,
    mfa_token: &str,
    code: Option<&str>,
    recovery_code: Option<&str>,
) -> Result<IssuedSession> {
    let now = core.now();
    let user_id = core
        .jwt
        .verify_mfa(mfa_token, now)
        .ok_or(Error::InvalidToken)?;
    let account = user::Entity::find_by_id(&user_id)
        .one(&core.db)
        .await?
        .filter(|u| u.status == user::STATUS_ACTIVE)
        .ok_or(Error::InvalidToken)?;
    let actor = AuditActor::User {
        id: account.id.clone(),
        label: account.email.clone(),
    };
    let key = throttle::mfa_key(&account.id);
    throttle::check(&core.db, &key, now).await?;
    let txn = Change::begin(core).await?;
    if !crate::services::mfa::verify_second_factor(core, &txn, &account.id, code, recovery_code)
        .await?
    {
        drop(txn);
        let method = if recovery_code.is_some() && code.is_none() {
            "recovery_code"
        } else {
            "totp"
        };
        let entry =
            AuditEntry::failure(actor, "auth.mfa").details(serde_json::json!({"method": method}));
        let txn = Change::begin(core).await?;
        throttle::record_failure(&txn, &key, now).await?;
        txn.commit(core, meta, entry).await?;
        return Err(Error::InvalidMfaCode);
    }
    throttle::record_success(&txn, &key).await?;
    let method = if code.is_some_and(|c| !c.trim().is_empty()) {
        "totp"
    } else {
        "recovery_code"
    };
    let (issued, entry) = open_session(core, &txn, meta, &account, Some(method), now).await?;
    txn.commit(core, meta, entry).await?;
    Ok(issued)
}

/// Creates a session and its first refresh token, and audits the sign-in.
async fn open_session(
    core: &Core,
    txn: &Change,
    meta: &RequestMeta,
    account: &user::Model,
    second_factor: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(IssuedSession, AuditEntry)> {
    let session = session::Model {
        id: core.new_id(),
        user_id: account.id.clone(),
        created_at: now,
        last_seen_at: now,
        expires_at: now + core.settings.session_max_age,
        ip: meta.ip.clone(),
        user_agent: meta
            .user_agent
            .as_deref()
            .map(|ua| ua.chars().take(MAX_USER_AGENT).collect()),
        revoked_at: None,
        revoked_reason: None,
        mfa_at: second_factor.map(|_| now),
    };
    session::Entity::insert(session::ActiveModel::from(session.clone()))
        .exec_without_returning(txn)
        .await?;
    user::Entity::update_many()
        .col_expr(user::Column::LastLoginAt, Expr::value(now))
        .filter(user::Column::Id.eq(&account.id))
        .exec(txn)
        .await?;
    let (refresh_token, refresh_expires_at) =
        insert_refresh_token(core, txn, &session, now).await?;
    let actor = AuditActor::User {
        id: account.id.clone(),
        label: account.email.clone(),
    };
    let (action, details) = match second_factor {
        Some(method) => ("auth.mfa", serde_json::json!({"method": method})),
        None => ("auth.login", serde_json::Value::Null),
    };
    let entry = AuditEntry::success(actor, action)
        .target("session", session.id.clone())
        .details(details);
    let mut issued = issue(
        core,
        &account.id,
        &session.id,
        Some(refresh_token),
        refresh_expires_at,
        now,
    )?;
    issued.device_cookie = Some(core.device_keys.issue(
        &account.email.to_lowercase(),
        account.password_hash.as_deref().unwrap_or_default(),
        now.date_naive(),
    ));
    Ok((issued, entry))
}

/// Exchanges a refresh token for a new access token and a new refresh token.
pub async fn refresh(core: &Core, meta: &RequestMeta, presented: &str) -> Result<IssuedSession> {
    let now = core.now();
    let txn = Change::begin(core).await?;
    let token = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(hash_token(presented)))
        .one(&txn)
        .await?;
    let Some(token) = token else {
        drop(txn);
        return Err(Error::InvalidToken);
    };
    let Some(session) = session::Entity::find_by_id(&token.session_id)
        .one(&txn)
        .await?
    else {
        return Err(Error::InvalidToken);
    };
    let account = user::Entity::find_by_id(&session.user_id).one(&txn).await?;
    let Some(account) = account else {
        return Err(Error::InvalidToken);
    };
    let actor = AuditActor::User {
        id: account.id.clone(),
        label: account.email.clone(),
    };

    let refusal = if session.revoked_at.is_some() {
        Some("session_revoked")
    } else if session.expires_at <= now || token.expires_at <= now {
        Some("expired")
    } else if account.status != user::STATUS_ACTIVE {
        Some("account_disabled")
    } else {
        None
    };
    if let Some(used_at) = token.used_at {
        if refusal.is_none()
            && now - used_at <= REUSE_GRACE
            && successor_unused(&txn, &session.id, used_at).await?
        {
            return concurrent_refresh(core, txn, meta, &session, actor, now).await;
        }
        return reuse_detected(core, txn, meta, &session, actor, now).await;
    }
    if let Some(reason) = refusal {
        let entry = AuditEntry::failure(actor, "auth.refresh")
            .target("session", session.id.clone())
            .details(serde_json::json!({"reason": reason}));
        txn.commit(core, meta, entry).await?;
        return Err(Error::InvalidToken);
    }

    // Only one exchange can win, even between replicas on PostgreSQL.
    let claimed = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, Expr::value(now))
        .filter(refresh_token::Column::Id.eq(&token.id))
        .filter(refresh_token::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        // Another request exchanged it a moment ago, between our read and our claim.
        return concurrent_refresh(core, txn, meta, &session, actor, now).await;
    }
    let (new_token, new_expiry) = insert_refresh_token(core, &txn, &session, now).await?;
    session::Entity::update_many()
        .col_expr(session::Column::LastSeenAt, Expr::value(now))
        .col_expr(session::Column::Ip, Expr::value(meta.ip.clone()))
        .col_expr(
            session::Column::UserAgent,
            Expr::value(
                meta.user_agent
                    .as_deref()
                    .map(|ua| ua.chars().take(MAX_USER_AGENT).collect::<String>()),
            ),
        )
        .filter(session::Column::Id.eq(&session.id))
        .exec(&txn)
        .await?;
    let entry = AuditEntry::success(actor, "auth.refresh").target("session", session.id.clone());
    txn.commit(core, meta, entry).await?;

    issue(
        core,
        &account.id,
        &session.id,
        Some(new_token),
        new_expiry,
        now,
    )
}

/// How long after its exchange a refresh token may come back from a concurrent request (two
/// tabs refreshing at once) without counting as stolen.
const REUSE_GRACE: chrono::Duration = chrono::Duration::seconds(10);

/// Whether the token issued when another was exchanged at `used_at` is still unused: the
/// exchange was the session's latest, so a request racing it is a sibling tab, not a replay
/// of an old token.
async fn successor_unused(
    conn: &impl ConnectionTrait,
    session_id: &str,
    used_at: DateTime<Utc>,
) -> Result<bool> {
    Ok(refresh_token::Entity::find()
        .filter(refresh_token::Column::SessionId.eq(session_id))
        .filter(refresh_token::Column::CreatedAt.eq(used_at))
        .filter(refresh_token::Column::UsedAt.is_null())
        .one(conn)
        .await?
        .is_some())
}

/// A refresh that lost a race with another tab's: an access token, and no new cookie (the
/// browser already holds the winner's).
async fn concurrent_refresh(
    core: &Core,
    txn: Change,
    meta: &RequestMeta,
    session: &session::Model,
    actor: AuditActor,
    now: DateTime<Utc>,
) -> Result<IssuedSession> {
    let entry = AuditEntry::success(actor, "auth.refresh")
        .target("session", session.id.clone())
        .details(serde_json::json!({"concurrent": true}));
    txn.commit(core, meta, entry).await?;
    issue(
        core,
        &session.user_id,
        &session.id,
        None,
        session.expires_at,
        now,
    )
}

async fn reuse_detected(
    core: &Core,
    txn: Change,
    meta: &RequestMeta,
    session: &session::Model,
    actor: AuditActor,
    now: DateTime<Utc>,
) -> Result<IssuedSession> {
    revoke_session(&txn, &session.id, "refresh_token_reuse", now).await?;
    let entry = AuditEntry::failure(actor, "auth.refresh_token_reuse")
        .target("session", session.id.clone())
        .details(serde_json::json!({"reason": "refresh_token_reused", "session_revoked": true}));
    txn.commit(core, meta, entry).await?;
    tracing::warn!(session_id = %session.id, "refresh token reused; session revoked");
    Err(Error::InvalidToken)
}

/// Ends the session named by the refresh token, or else the actor's own session.
pub async fn logout(
    core: &Core,
    meta: &RequestMeta,
    presented: Option<&str>,
    actor: Option<&Actor>,
) -> Result<()> {
    let now = core.now();
    let txn = Change::begin(core).await?;
    let mut session_id = None;
    if let Some(presented) = presented {
        session_id = refresh_token::Entity::find()
            .filter(refresh_token::Column::TokenHash.eq(hash_token(presented)))
            .one(&txn)
            .await?
            .map(|t| t.session_id);
    }
    if session_id.is_none() {
        session_id = actor.and_then(|a| a.session_id.clone());
    }
    let Some(session_id) = session_id else {
        return Ok(());
    };
    let Some(session) = session::Entity::find_by_id(&session_id).one(&txn).await? else {
        return Ok(());
    };
    if session.revoked_at.is_some() {
        return Ok(());
    }
    let Some(account) = user::Entity::find_by_id(&session.user_id).one(&txn).await? else {
        return Ok(());
    };
    revoke_session(&txn, &session.id, "logout", now).await?;
    let entry = AuditEntry::success(
        AuditActor::User {
            id: account.id.clone(),
            label: account.email.clone(),
        },
        "auth.logout",
    )
    .target("session", session.id.clone());
    txn.commit(core, meta, entry).await?;
    Ok(())
}

/// Resolves the actor behind a bearer credential: a `gmac_` API token or a session's JWT.
pub async fn authenticate_bearer(core: &Core, bearer: &str, meta: &RequestMeta) -> Result<Actor> {
    if bearer.starts_with(crate::services::tokens::PREFIX) {
        crate::services::tokens::authenticate(core, bearer, meta).await
    } else {
        authenticate(core, bearer).await
    }
}

/// Resolves the actor behind an access token. Every request reads the authorisation epoch, so
/// revoking a session or disabling an account takes effect on the next request; while the
/// epoch stands still the actor built at it is reused (see [`crate::auth::cache`]).
pub async fn authenticate(core: &Core, bearer: &str) -> Result<Actor> {
    let now = core.now();
    let claims = core.jwt.verify(bearer, now).ok_or(Error::InvalidToken)?;
    let epoch = cache::epoch(core).await?;
    let key = CacheKey::Session(claims.sid.clone());
    if let Some(hit) = core.actors.get(&key, epoch, now) {
        return if hit.actor.user_id == claims.sub {
            Ok(hit.actor)
        } else {
            Err(Error::InvalidToken)
        };
    }
    // One round trip for the session and its user.
    let (session, account) = session::Entity::find_by_id(&claims.sid)
        .find_also_related(user::Entity)
        .one(&core.db)
        .await?
        .and_then(|(session, account)| account.map(|a| (session, a)))
        .filter(|(s, u)| {
            s.revoked_at.is_none()
                && s.expires_at > now
                && s.user_id == claims.sub
                && u.status == user::STATUS_ACTIVE
        })
        .ok_or(Error::InvalidToken)?;
    let actor = authz::build_actor(core, account, Some(session.id), None).await?;
    core.actors.put(
        key,
        epoch,
        actor.clone(),
        session.expires_at,
        LastUse::default(),
    );
    Ok(actor)
}

/// The actor of a job: whoever started it, with the permissions they hold now (narrowed to
/// the API token they used), so that a grant revoked since stops the job's work as it would
/// stop them.
pub(crate) async fn job_starter(
    ctx: &crate::platform::worker::JobContext,
) -> std::result::Result<Actor, crate::platform::worker::JobFailure> {
    use crate::platform::worker::JobFailure;
    let Some(user) = &ctx.job.created_by else {
        return Err(JobFailure::permanent("the job names no one who started it"));
    };
    actor_of(&ctx.core, user, ctx.job.token_id.as_deref())
        .await
        .map_err(|err| match err {
            Error::InvalidToken => JobFailure::permanent(
                "whoever started the job can no longer sign in (account disabled, or token revoked or expired)",
            ),
            other => other.into(),
        })
}

/// The actor of work done later on a person's behalf (a job they started): their account as
/// it is now (401 once disabled), the grants they hold now, narrowed to the API token they
/// used while it stays live.
pub async fn actor_of(core: &Core, user_id: &str, token_id: Option<&str>) -> Result<Actor> {
    let account = user::Entity::find_by_id(user_id)
        .one(&core.db)
        .await?
        .filter(|u| u.status == user::STATUS_ACTIVE)
        .ok_or(Error::InvalidToken)?;
    let token = match token_id {
        Some(token) => Some(crate::services::tokens::live_limits(core, &account.id, token).await?),
        None => None,
    };
    authz::build_actor(core, account, None, token).await
}

/// The signed-in user, as `GET /me` shows them: all of it is in the actor.
pub fn me(core: &Core, actor: &Actor) -> Me {
    Me {
        id: actor.user_id.clone(),
        email: actor.email.clone(),
        display_name: actor.display_name.clone(),
        created_at: actor.created_at,
        roles: actor.grants.clone(),
        authenticated_via: actor.method,
        permissions: Permission::ALL
            .iter()
            .copied()
            .filter(|p| !actor.mfa_enrollment_required && actor.permissions.can_anywhere(*p))
            .collect(),
        mfa_enrollment_required: actor.mfa_enrollment_required,
        mfa_enabled: actor.mfa_enabled,
        sends_email: core.mailer.is_some(),
    }
}

async fn insert_refresh_token(
    core: &Core,
    conn: &impl ConnectionTrait,
    session: &session::Model,
    now: DateTime<Utc>,
) -> Result<(String, DateTime<Utc>)> {
    let token = generate_token();
    let expires_at = (now + core.settings.refresh_token_ttl).min(session.expires_at);
    let row = refresh_token::Model {
        id: core.new_id(),
        session_id: session.id.clone(),
        token_hash: hash_token(&token),
        created_at: now,
        expires_at,
        used_at: None,
    };
    refresh_token::Entity::insert(refresh_token::ActiveModel::from(row))
        .exec_without_returning(conn)
        .await?;
    Ok((token, expires_at))
}

async fn revoke_session(
    conn: &impl ConnectionTrait,
    session_id: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now))
        .col_expr(session::Column::RevokedReason, Expr::value(reason))
        .filter(session::Column::Id.eq(session_id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

fn issue(
    core: &Core,
    user_id: &str,
    session_id: &str,
    refresh_token: Option<String>,
    refresh_expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<IssuedSession> {
    let ttl = core.settings.access_token_ttl;
    let access_token = core.jwt.issue(user_id, session_id, now, ttl)?;
    Ok(IssuedSession {
        access_token,
        expires_in: u64::try_from(ttl.num_seconds()).unwrap_or(0),
        refresh_token,
        refresh_expires_at,
        session_id: session_id.to_owned(),
        device_cookie: None,
    })
}

/// A short description of a device from its user agent, e.g. `Firefox on Linux`.
pub fn describe_device(user_agent: Option<&str>) -> String {
    let Some(ua) = user_agent.filter(|ua| !ua.is_empty()) else {
        return "Unknown device".to_owned();
    };
    let program = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chromium/", "Chromium"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
        ("gmac-client/", "gmac CLI"),
    ]
    .iter()
    .find(|(needle, _)| ua.contains(needle))
    .map_or("Unknown client", |(_, name)| *name);
    let system = [
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(needle, _)| ua.contains(needle))
    .map(|(_, name)| *name);
    match system {
        Some(system) => format!("{program} on {system}"),
        None => program.to_owned(),
    }
}

/// The actor's open sessions, most recently seen first.
pub async fn list_sessions(
    core: &Core,
    actor: &Actor,
    page: &gmac_types::PageQuery,
) -> Result<gmac_types::Page<gmac_types::SessionInfo>> {
    actor.require_session()?;
    let now = core.now();
    // Newest sign-in first: ids run in order of creation (last use changes under a reader).
    let (rows, next_cursor, total) = crate::platform::paging::page_by_id(
        core,
        session::Entity::find()
            .filter(session::Column::UserId.eq(&actor.user_id))
            .filter(session::Column::RevokedAt.is_null())
            .filter(session::Column::ExpiresAt.gt(now)),
        session::Column::Id,
        crate::platform::paging::Direction::Desc,
        page,
        |s| s.id.clone(),
    )
    .await?;
    let items = rows
        .into_iter()
        .map(|s| gmac_types::SessionInfo {
            current: actor.session_id.as_deref() == Some(s.id.as_str()),
            device: describe_device(s.user_agent.as_deref()),
            id: s.id,
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
            expires_at: s.expires_at,
            ip: s.ip,
            user_agent: s.user_agent,
        })
        .collect();
    Ok(gmac_types::Page {
        items,
        next_cursor,
        total,
    })
}

/// Ends one of the actor's sessions.
pub async fn end_session(core: &Core, actor: &Actor, meta: &RequestMeta, id: &str) -> Result<()> {
    actor.require_session()?;
    let now = core.now();
    let txn = Change::begin(core).await?;
    let row = session::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .filter(|s| s.user_id == actor.user_id && s.revoked_at.is_none())
        .ok_or(Error::NotFound)?;
    revoke_session(&txn, &row.id, "ended_by_user", now).await?;
    let entry = AuditEntry::success(actor.audit_actor(), "session.end").target("session", row.id);
    txn.commit(core, meta, entry).await?;
    Ok(())
}

/// Ends every session of the actor but the one making the request.
pub async fn end_other_sessions(core: &Core, actor: &Actor, meta: &RequestMeta) -> Result<u64> {
    actor.require_session()?;
    let now = core.now();
    let txn = Change::begin(core).await?;
    let ended = end_sessions_except(
        &txn,
        &actor.user_id,
        actor.session_id.as_deref(),
        "ended_by_user",
        now,
    )
    .await?;
    let entry = AuditEntry::success(actor.audit_actor(), "session.end_others")
        .target("user", actor.user_id.clone())
        .details(serde_json::json!({"ended": ended}));
    txn.commit(core, meta, entry).await?;
    Ok(ended)
}

/// Revokes every open session of `user_id` except `keep`, returning how many ended.
pub(crate) async fn end_sessions_except(
    conn: &impl ConnectionTrait,
    user_id: &str,
    keep: Option<&str>,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<u64> {
    let mut update = session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now))
        .col_expr(session::Column::RevokedReason, Expr::value(reason))
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::RevokedAt.is_null());
    if let Some(keep) = keep {
        update = update.filter(session::Column::Id.ne(keep));
    }
    Ok(update.exec(conn).await?.rows_affected)
}
