//! Soft locks for sign-in and second-factor attempts, per account.
//!
//! After [`MAX_FAILURES`] failures within [`WINDOW`], further attempts are refused (429 with
//! `Retry-After`) for a lock that starts at [`FIRST_LOCK`] and doubles with each lockout, up to
//! [`MAX_LOCK`]: enough to make guessing hopeless, never long enough for an attacker to keep a
//! real user out for more than minutes. A success clears the count. Keys are the normalized
//! email (so unknown accounts are treated exactly like known ones) or the user id. A browser
//! with a device cookie for the account is throttled on its own key instead (see
//! [`crate::auth::device`]), so the lock an attacker causes never reaches the owner's browser.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, EntityTrait, Set};

use crate::entities::auth_throttle;
use crate::{Error, Result};

/// Failures allowed within the window before a lock.
pub const MAX_FAILURES: i32 = 5;
/// How long failures are remembered.
pub const WINDOW: Duration = Duration::minutes(15);
/// The first lock.
pub const FIRST_LOCK: Duration = Duration::seconds(30);
/// The longest lock, however many lockouts.
pub const MAX_LOCK: Duration = Duration::minutes(15);
/// Past lockouts are forgotten after this long without a failure, so the backoff restarts
/// from [`FIRST_LOCK`] only for someone who stopped trying.
pub const MEMORY: Duration = Duration::hours(24);

/// The key for password attempts on an email address.
pub fn login_key(email: &str) -> String {
    format!("login:{}", email.trim().to_lowercase())
}

/// The key for password attempts from one known device (its device cookie's nonce): its
/// failures lock that device alone.
pub fn device_key(nonce: &str) -> String {
    format!("device:{nonce}")
}

/// The key for second-factor attempts of a user.
pub fn mfa_key(user_id: &str) -> String {
    format!("mfa:{user_id}")
}

fn seconds_until(until: DateTime<Utc>, now: DateTime<Utc>) -> u64 {
    u64::try_from((until - now).num_seconds().max(1)).unwrap_or(1)
}

/// Refuses the attempt while `key` is locked.
pub async fn check(conn: &impl ConnectionTrait, key: &str, now: DateTime<Utc>) -> Result<()> {
    let row = auth_throttle::Entity::find_by_id(key).one(conn).await?;
    match row
        .and_then(|r| r.locked_until)
        .filter(|until| *until > now)
    {
        Some(until) => Err(Error::RateLimited {
            retry_after: seconds_until(until, now),
        }),
        None => Ok(()),
    }
}

/// Counts a failure; returns the lock it caused, if any. Call inside the transaction that
/// audits the failure (the audit chain's lock orders concurrent writers).
pub async fn record_failure(
    conn: &impl ConnectionTrait,
    key: &str,
    now: DateTime<Utc>,
) -> Result<Option<Duration>> {
    let existing = auth_throttle::Entity::find_by_id(key).one(conn).await?;
    let (mut failures, mut window_started_at, mut lockouts) = match &existing {
        Some(row) if now - row.window_started_at <= WINDOW => {
            (row.failures, row.window_started_at, row.lockouts)
        }
        // The window passed: count failures afresh, but remember recent lockouts.
        Some(row) if now - row.updated_at <= MEMORY => (0, now, row.lockouts),
        Some(_) | None => (0, now, 0),
    };
    failures += 1;
    let mut locked_until = existing
        .as_ref()
        .and_then(|r| r.locked_until)
        .filter(|u| *u > now);
    let mut lock = None;
    if failures >= MAX_FAILURES {
        let factor = 1_i32
            .checked_shl(u32::try_from(lockouts).unwrap_or(0))
            .unwrap_or(i32::MAX);
        let length = (FIRST_LOCK * factor).min(MAX_LOCK);
        locked_until = Some(now + length);
        lock = Some(length);
        lockouts = lockouts.saturating_add(1);
        failures = 0;
        window_started_at = now;
    }
    let row = auth_throttle::ActiveModel {
        key: Set(key.to_owned()),
        failures: Set(failures),
        window_started_at: Set(window_started_at),
        lockouts: Set(lockouts),
        locked_until: Set(locked_until),
        updated_at: Set(now),
    };
    if existing.is_some() {
        auth_throttle::Entity::update(row).exec(conn).await?;
    } else {
        auth_throttle::Entity::insert(row)
            .exec_without_returning(conn)
            .await?;
    }
    Ok(lock)
}

/// Clears the count after a success.
pub async fn record_success(conn: &impl ConnectionTrait, key: &str) -> Result<()> {
    auth_throttle::Entity::delete_by_id(key).exec(conn).await?;
    Ok(())
}
