//! TOTP enrolment, confirmation, verification with a replay guard, recovery codes, and
//! turning MFA off. Secrets are sealed at rest and bound to their user's row.

use gmac_types::{DisableMfa, ErrorCode, RecoveryCodes, SecretText, TotpEnrollment};
use rand::RngExt;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter};

use crate::audit::AuditEntry;
use crate::auth::tokens::hash_token;
use crate::auth::totp;
use crate::entities::{recovery_code, totp_secret, user};
use crate::platform::change::Change;
use crate::services::throttle;
use crate::{Actor, Core, Error, RequestMeta, Result};

/// How many recovery codes a user gets.
pub const RECOVERY_CODES: usize = 10;

/// What a user's TOTP secret is sealed for.
pub(crate) fn binding(user_id: &str) -> String {
    format!("totp_secrets:{user_id}")
}

fn unix(core: &Core) -> u64 {
    u64::try_from(core.now().timestamp()).unwrap_or(0)
}

/// Enrolment and recovery codes belong to a person at a keyboard, not to an API token.
fn from_session(actor: &Actor) -> Result<()> {
    actor.require_session()
}

/// Starts (or restarts) enrolment: a new secret, not yet in force.
pub async fn start_enrollment(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
) -> Result<TotpEnrollment> {
    from_session(actor)?;
    let now = core.now();
    let txn = Change::begin(core).await?;
    if let Some(existing) = totp_secret::Entity::find_by_id(&actor.user_id)
        .one(&txn)
        .await?
        && existing.confirmed_at.is_some()
    {
        return Err(Error::conflict(
            ErrorCode::Conflict,
            "MFA is already on. Turn it off first to enrol a new authenticator.",
        ));
    }
    let secret = totp::new_secret();
    let sealed = core.sealer.seal(&secret, &binding(&actor.user_id))?;
    totp_secret::Entity::delete_by_id(&actor.user_id)
        .exec(&txn)
        .await?;
    let row = totp_secret::Model {
        user_id: actor.user_id.clone(),
        secret_enc: sealed,
        created_at: now,
        confirmed_at: None,
        last_used_step: None,
    };
    totp_secret::Entity::insert(totp_secret::ActiveModel::from(row))
        .exec_without_returning(&txn)
        .await?;
    txn.commit(
        core,
        meta,
        AuditEntry::success(actor.audit_actor(), "mfa.enroll_start")
            .target("user", actor.user_id.clone()),
    )
    .await?;
    let url = totp::otpauth_url(&secret, &actor.email)?;
    Ok(TotpEnrollment {
        secret: SecretText::new(totp::secret_base32(&secret)),
        qr_svg: totp::qr_svg(&url)?,
        otpauth_url: SecretText::new(url),
    })
}

/// Checks a code against the user's secret and consumes its time step, so the same code (or
/// an earlier one) is never accepted twice. `confirmed` selects the enrolled or pending secret.
async fn consume_code(
    core: &Core,
    conn: &impl ConnectionTrait,
    user_id: &str,
    code: &str,
    confirmed: bool,
) -> Result<bool> {
    let Some(row) = totp_secret::Entity::find_by_id(user_id).one(conn).await? else {
        return Ok(false);
    };
    if row.confirmed_at.is_some() != confirmed {
        return Ok(false);
    }
    let secret = core.sealer.open(&row.secret_enc, &binding(user_id))?;
    let Some(step) = totp::matching_step(&secret, code, unix(core))? else {
        return Ok(false);
    };
    let step = i64::try_from(step).map_err(anyhow::Error::from)?;
    let claimed = totp_secret::Entity::update_many()
        .col_expr(totp_secret::Column::LastUsedStep, Expr::value(step))
        .filter(totp_secret::Column::UserId.eq(user_id))
        .filter(
            Condition::any()
                .add(totp_secret::Column::LastUsedStep.is_null())
                .add(totp_secret::Column::LastUsedStep.lt(step)),
        )
        .exec(conn)
        .await?;
    Ok(claimed.rows_affected == 1)
}

fn new_recovery_code() -> String {
    // Crockford's base32 without the look-alikes I, L, O, U: 50 bits per code.
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut rng = rand::rng();
    let chars: String = (0..10)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect();
    format!("{}-{}", &chars[..5], &chars[5..])
}

fn normalize_recovery_code(code: &str) -> String {
    code.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

async fn replace_recovery_codes(
    core: &Core,
    conn: &impl ConnectionTrait,
    user_id: &str,
) -> Result<Vec<SecretText>> {
    recovery_code::Entity::delete_many()
        .filter(recovery_code::Column::UserId.eq(user_id))
        .exec(conn)
        .await?;
    let now = core.now();
    let mut codes = Vec::with_capacity(RECOVERY_CODES);
    for _ in 0..RECOVERY_CODES {
        let code = new_recovery_code();
        let row = recovery_code::Model {
            id: core.new_id(),
            user_id: user_id.to_owned(),
            code_hash: hash_token(&normalize_recovery_code(&code)),
            created_at: now,
            used_at: None,
        };
        recovery_code::Entity::insert(recovery_code::ActiveModel::from(row))
            .exec_without_returning(conn)
            .await?;
        codes.push(SecretText::new(code));
    }
    Ok(codes)
}

/// Confirms enrolment with the app's first code; MFA is on from now, and the user gets ten
/// recovery codes, shown this once.
pub async fn confirm_enrollment(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    code: &str,
) -> Result<RecoveryCodes> {
    from_session(actor)?;
    check_lock(core, &actor.user_id).await?;
    let now = core.now();
    let txn = Change::begin(core).await?;
    if !consume_code(core, &txn, &actor.user_id, code, false).await? {
        drop(txn);
        record_failure(core, meta, &actor.user_id, &actor.email, "mfa.enable").await?;
        return Err(Error::InvalidMfaCode);
    }
    totp_secret::Entity::update_many()
        .col_expr(totp_secret::Column::ConfirmedAt, Expr::value(now))
        .filter(totp_secret::Column::UserId.eq(&actor.user_id))
        .exec(&txn)
        .await?;
    let codes = replace_recovery_codes(core, &txn, &actor.user_id).await?;
    if let Some(session) = &actor.session_id {
        mark_session_verified(&txn, session, now).await?;
    }
    txn.commit(
        core,
        meta,
        AuditEntry::success(actor.audit_actor(), "mfa.enable")
            .target("user", actor.user_id.clone()),
    )
    .await?;
    Ok(RecoveryCodes {
        recovery_codes: codes,
    })
}

/// Issues a fresh set of recovery codes (the old ones stop working); needs a current code.
pub async fn regenerate_recovery_codes(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    code: &str,
) -> Result<RecoveryCodes> {
    from_session(actor)?;
    check_lock(core, &actor.user_id).await?;
    let txn = Change::begin(core).await?;
    if !consume_code(core, &txn, &actor.user_id, code, true).await? {
        drop(txn);
        record_failure(
            core,
            meta,
            &actor.user_id,
            &actor.email,
            "mfa.recovery_codes",
        )
        .await?;
        return Err(Error::InvalidMfaCode);
    }
    let codes = replace_recovery_codes(core, &txn, &actor.user_id).await?;
    txn.commit(
        core,
        meta,
        AuditEntry::success(actor.audit_actor(), "mfa.recovery_codes")
            .target("user", actor.user_id.clone()),
    )
    .await?;
    Ok(RecoveryCodes {
        recovery_codes: codes,
    })
}

/// A fresh second factor for a sensitive action: a current code of the caller's
/// authenticator, spent by this. Only a signed-in person with MFA enrolled can give one (an
/// API token cannot). The answer is the open transaction the action writes its own change and
/// audit row in; a wrong code is audited on its own (as `failure` says, with the action's
/// target) and counts toward the lock of the second factor.
pub(crate) async fn step_up(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    code: &str,
    failure: AuditEntry,
) -> Result<Change> {
    from_session(actor)?;
    let enrolled = totp_secret::Entity::find_by_id(&actor.user_id)
        .one(&core.db)
        .await?
        .is_some_and(|row| row.confirmed_at.is_some());
    if !enrolled {
        return Err(Error::SecondFactorRequired);
    }
    check_lock(core, &actor.user_id).await?;
    let txn = Change::begin(core).await?;
    if !consume_code(core, &txn, &actor.user_id, code, true).await? {
        drop(txn);
        record_failure_entry(core, meta, &actor.user_id, failure).await?;
        return Err(Error::InvalidMfaCode);
    }
    Ok(txn)
}

/// Turns MFA off; needs the password and a current code.
pub async fn disable(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    input: DisableMfa,
) -> Result<()> {
    from_session(actor)?;
    check_lock(core, &actor.user_id).await?;
    let account = user::Entity::find_by_id(&actor.user_id)
        .one(&core.db)
        .await?
        .ok_or(Error::NotFound)?;
    let password_ok = core
        .passwords
        .verify(input.password.expose(), account.password_hash.as_deref())
        .await?;
    let txn = Change::begin(core).await?;
    let code_ok =
        password_ok && consume_code(core, &txn, &actor.user_id, input.code.expose(), true).await?;
    if !code_ok {
        drop(txn);
        record_failure(core, meta, &actor.user_id, &actor.email, "mfa.disable").await?;
        return Err(if password_ok {
            Error::InvalidMfaCode
        } else {
            Error::InvalidCredentials
        });
    }
    totp_secret::Entity::delete_by_id(&actor.user_id)
        .exec(&txn)
        .await?;
    recovery_code::Entity::delete_many()
        .filter(recovery_code::Column::UserId.eq(&actor.user_id))
        .exec(&txn)
        .await?;
    txn.commit(
        core,
        meta,
        AuditEntry::success(actor.audit_actor(), "mfa.disable")
            .target("user", actor.user_id.clone()),
    )
    .await?;
    Ok(())
}

/// Verifies a second factor at sign-in inside `conn`: a current code, or an unused recovery
/// code (which is then spent).
pub(crate) async fn verify_second_factor(
    core: &Core,
    conn: &impl ConnectionTrait,
    user_id: &str,
    code: Option<&str>,
    recovery_code: Option<&str>,
) -> Result<bool> {
    if let Some(code) = code.filter(|c| !c.trim().is_empty()) {
        return consume_code(core, conn, user_id, code, true).await;
    }
    if let Some(recovery) = recovery_code.filter(|c| !c.trim().is_empty()) {
        let spent = recovery_code::Entity::update_many()
            .col_expr(recovery_code::Column::UsedAt, Expr::value(core.now()))
            .filter(recovery_code::Column::UserId.eq(user_id))
            .filter(
                recovery_code::Column::CodeHash.eq(hash_token(&normalize_recovery_code(recovery))),
            )
            .filter(recovery_code::Column::UsedAt.is_null())
            .exec(conn)
            .await?;
        return Ok(spent.rows_affected == 1);
    }
    Ok(false)
}

/// Records that a session has passed a second factor.
pub(crate) async fn mark_session_verified(
    conn: &impl ConnectionTrait,
    session_id: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    use crate::entities::session;
    session::Entity::update_many()
        .col_expr(session::Column::MfaAt, Expr::value(now))
        .filter(session::Column::Id.eq(session_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Audits a failed second factor in its own transaction (the attempt itself changes nothing).
async fn record_failure(
    core: &Core,
    meta: &RequestMeta,
    user_id: &str,
    email: &str,
    action: &'static str,
) -> Result<()> {
    let actor = crate::audit::AuditActor::User {
        id: user_id.to_owned(),
        label: email.to_owned(),
    };
    let entry =
        AuditEntry::failure(actor, action).details(serde_json::json!({"reason": "invalid_code"}));
    record_failure_entry(core, meta, user_id, entry).await
}

/// Audits a failed second factor as `entry` says, and counts it toward the user's lock.
async fn record_failure_entry(
    core: &Core,
    meta: &RequestMeta,
    user_id: &str,
    entry: AuditEntry,
) -> Result<()> {
    let txn = Change::begin(core).await?;
    throttle::record_failure(&txn, &throttle::mfa_key(user_id), core.now()).await?;
    txn.commit(core, meta, entry).await?;
    Ok(())
}

/// Refuses code attempts while the user's second factor is locked.
async fn check_lock(core: &Core, user_id: &str) -> Result<()> {
    throttle::check(&core.db, &throttle::mfa_key(user_id), core.now()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_are_readable_and_normalize() {
        let code = new_recovery_code();
        assert_eq!(code.len(), 11);
        assert_eq!(&code[5..6], "-");
        assert!(!code.contains(['I', 'L', 'O', 'U']));
        assert_eq!(
            normalize_recovery_code(&code.to_lowercase()),
            normalize_recovery_code(&code)
        );
        assert_eq!(normalize_recovery_code(" ab12c-de34f "), "AB12CDE34F");
    }
}
