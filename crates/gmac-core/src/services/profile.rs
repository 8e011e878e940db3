//! The signed-in user's own account: profile fields, avatar image, password.

use gmac_types::validation::{DisplayName, NewPassword};
use gmac_types::{FieldError, PasswordChange, Profile, ProfilePatch, Theme};
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use sha2::{Digest, Sha256};

use crate::audit::AuditEntry;
use crate::entities::{user, user_avatar};
use crate::platform::change::Change;
use crate::services::sessions;
use crate::{Actor, Core, Error, RequestMeta, Result};

/// The largest avatar accepted, in bytes.
pub const MAX_AVATAR_BYTES: usize = 512 * 1024;

fn theme_of(raw: Option<&str>) -> Theme {
    match raw {
        Some("light") => Theme::Light,
        Some("dark") => Theme::Dark,
        _ => Theme::System,
    }
}

fn theme_str(theme: Theme) -> &'static str {
    match theme {
        Theme::System => "system",
        Theme::Light => "light",
        Theme::Dark => "dark",
    }
}

async fn load(core: &Core, actor: &Actor) -> Result<(user::Model, Option<user_avatar::Model>)> {
    let account = user::Entity::find_by_id(&actor.user_id)
        .one(&core.db)
        .await?
        .ok_or(Error::NotFound)?;
    let avatar = user_avatar::Entity::find_by_id(&actor.user_id)
        .one(&core.db)
        .await?;
    Ok((account, avatar))
}

fn to_dto(account: user::Model, avatar: Option<&user_avatar::Model>) -> Profile {
    Profile {
        avatar_url: avatar.map(|a| format!("/api/v1/users/{}/avatar?v={}", account.id, a.etag)),
        theme: theme_of(account.theme.as_deref()),
        notifications: account
            .notification_prefs
            .as_deref()
            .and_then(|json| serde_json::from_str(json).ok())
            .unwrap_or_default(),
        id: account.id,
        email: account.email,
        display_name: account.display_name,
        timezone: account.timezone,
        default_region: account.default_region,
    }
}

/// The actor's profile.
pub async fn get_profile(core: &Core, actor: &Actor) -> Result<Profile> {
    let (account, avatar) = load(core, actor).await?;
    Ok(to_dto(account, avatar.as_ref()))
}

/// An IANA zone name (`Europe/Berlin`, `America/Argentina/Buenos_Aires`, `UTC`): checked for
/// shape, since the zone database itself lives in the browser that uses it.
fn valid_timezone(zone: &str) -> bool {
    zone == "UTC"
        || (zone.len() <= 64
            && zone.contains('/')
            && zone.split('/').all(|part| {
                part.chars().next().is_some_and(|c| c.is_ascii_uppercase())
                    && part
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_-+".contains(c))
            }))
}

/// An AWS region name such as `eu-central-1` or `us-gov-west-1`.
fn valid_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    (3..=4).contains(&parts.len())
        && parts
            .first()
            .is_some_and(|p| p.len() == 2 && p.chars().all(|c| c.is_ascii_lowercase()))
        && parts
            .last()
            .is_some_and(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        && parts[1..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
}

/// Changes the actor's profile fields.
pub async fn update_profile(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    patch: ProfilePatch,
) -> Result<Profile> {
    actor.require_session()?;
    let mut errors = Vec::new();
    let display_name = match patch
        .display_name
        .as_deref()
        .map(|n| DisplayName::parse("display_name", n))
    {
        Some(Ok(name)) => Some(name),
        Some(Err(error)) => {
            errors.push(error);
            None
        }
        None => None,
    };
    let timezone = patch.timezone.as_deref().map(str::trim);
    if timezone.is_some_and(|z| !z.is_empty() && !valid_timezone(z)) {
        errors.push(FieldError::new(
            "timezone",
            "invalid",
            "Use an IANA time zone such as Europe/Berlin.",
        ));
    }
    let region = patch.default_region.as_deref().map(str::trim);
    if region.is_some_and(|r| !r.is_empty() && !valid_region(r)) {
        errors.push(FieldError::new(
            "default_region",
            "invalid",
            "Use an AWS region such as eu-central-1.",
        ));
    }
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    let now = core.now();
    let txn = Change::begin(core).await?;
    let before = user::Entity::find_by_id(&actor.user_id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    let mut active: user::ActiveModel = before.clone().into();
    if let Some(name) = display_name {
        active.display_name = Set(name.into_inner());
    }
    if let Some(zone) = timezone {
        active.timezone = Set((!zone.is_empty()).then(|| zone.to_owned()));
    }
    if let Some(region) = region {
        active.default_region = Set((!region.is_empty()).then(|| region.to_owned()));
    }
    if let Some(theme) = patch.theme {
        active.theme = Set(Some(theme_str(theme).to_owned()));
    }
    if let Some(notifications) = patch.notifications {
        active.notification_prefs = Set(Some(
            serde_json::to_string(&notifications).map_err(anyhow::Error::from)?,
        ));
    }
    active.updated_at = Set(now);
    let after = active.update(&txn).await?;
    let summary = |u: &user::Model| {
        serde_json::json!({
            "display_name": u.display_name, "timezone": u.timezone, "default_region": u.default_region,
            "theme": u.theme, "notification_prefs": u.notification_prefs,
        })
    };
    let entry = AuditEntry::success(actor.audit_actor(), "profile.update")
        .target("user", actor.user_id.clone())
        .details(serde_json::json!({"before": summary(&before), "after": summary(&after)}));
    let avatar = user_avatar::Entity::find_by_id(&actor.user_id)
        .one(&txn)
        .await?;
    txn.commit(core, meta, entry).await?;
    Ok(to_dto(after, avatar.as_ref()))
}

/// Whether `bytes` really are an image of `media_type` (by its signature, not its label).
fn image_matches(media_type: &str, bytes: &[u8]) -> bool {
    match media_type {
        "image/png" => bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "image/jpeg" => bytes.starts_with(&[0xFF, 0xD8, 0xFF]),
        "image/webp" => bytes.len() > 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP",
        _ => false,
    }
}

/// What can be wrong with an upload.
#[derive(Debug, PartialEq, Eq)]
pub enum AvatarRejection {
    /// Larger than [`MAX_AVATAR_BYTES`].
    TooLarge,
    /// Not PNG, JPEG or WebP.
    UnsupportedType,
}

/// Replaces the actor's avatar with a PNG, JPEG or WebP image of at most 512 KiB.
pub async fn set_avatar(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    media_type: &str,
    bytes: Vec<u8>,
) -> Result<std::result::Result<Profile, AvatarRejection>> {
    actor.require_session()?;
    if bytes.len() > MAX_AVATAR_BYTES {
        return Ok(Err(AvatarRejection::TooLarge));
    }
    let media_type = media_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if !["image/png", "image/jpeg", "image/webp"].contains(&media_type.as_str()) {
        return Ok(Err(AvatarRejection::UnsupportedType));
    }
    if !image_matches(&media_type, &bytes) {
        return Err(Error::invalid(FieldError::new(
            "avatar",
            "not_an_image",
            format!("The file is not a valid {media_type} image."),
        )));
    }
    let now = core.now();
    let etag = hex::encode(&Sha256::digest(&bytes)[..8]);
    let txn = Change::begin(core).await?;
    user_avatar::Entity::delete_by_id(&actor.user_id)
        .exec(&txn)
        .await?;
    let row = user_avatar::Model {
        user_id: actor.user_id.clone(),
        content_type: media_type.clone(),
        data: bytes,
        etag: etag.clone(),
        updated_at: now,
    };
    user_avatar::Entity::insert(user_avatar::ActiveModel::from(row))
        .exec_without_returning(&txn)
        .await?;
    let entry = AuditEntry::success(actor.audit_actor(), "profile.avatar")
        .target("user", actor.user_id.clone())
        .details(serde_json::json!({"after": {"content_type": media_type, "etag": etag}}));
    txn.commit(core, meta, entry).await?;
    get_profile(core, actor).await.map(Ok)
}

/// Removes the actor's avatar.
pub async fn delete_avatar(core: &Core, actor: &Actor, meta: &RequestMeta) -> Result<()> {
    actor.require_session()?;
    let txn = Change::begin(core).await?;
    let removed = user_avatar::Entity::delete_by_id(&actor.user_id)
        .exec(&txn)
        .await?;
    // Audited only when there was an avatar to remove.
    let entry = (removed.rows_affected > 0).then(|| {
        AuditEntry::success(actor.audit_actor(), "profile.avatar_remove")
            .target("user", actor.user_id.clone())
    });
    txn.commit_if(core, meta, entry).await?;
    Ok(())
}

/// Any user's avatar, for any signed-in user (the `Actor` proves one): (media type, bytes,
/// etag).
pub async fn get_avatar(
    core: &Core,
    _actor: &Actor,
    user_id: &str,
) -> Result<(String, Vec<u8>, String)> {
    if !crate::ids::is_id(user_id) {
        return Err(Error::NotFound);
    }
    let row = user_avatar::Entity::find_by_id(user_id)
        .one(&core.db)
        .await?
        .ok_or(Error::NotFound)?;
    Ok((row.content_type, row.data, row.etag))
}

/// Changes the actor's password after checking the current one; optionally signs out every
/// other session. Returns how many sessions ended.
pub async fn change_password(
    core: &Core,
    actor: &Actor,
    meta: &RequestMeta,
    change: PasswordChange,
) -> Result<u64> {
    actor.require_session()?;
    let account = user::Entity::find_by_id(&actor.user_id)
        .one(&core.db)
        .await?
        .ok_or(Error::NotFound)?;
    let new_password =
        NewPassword::parse("new_password", change.new_password.expose()).map_err(Error::invalid)?;
    if !core
        .passwords
        .verify(
            change.current_password.expose(),
            account.password_hash.as_deref(),
        )
        .await?
    {
        return Err(Error::Validation(vec![FieldError::new(
            "current_password",
            "incorrect",
            "The current password is incorrect.",
        )]));
    }
    let hash = core.passwords.hash(new_password.expose()).await?;
    let now = core.now();
    let txn = Change::begin(core).await?;
    let mut active: user::ActiveModel = account.into();
    active.password_hash = Set(Some(hash));
    active.password_changed_at = Set(Some(now));
    active.updated_at = Set(now);
    active.update(&txn).await?;
    let ended = if change.end_other_sessions {
        sessions::end_sessions_except(
            &txn,
            &actor.user_id,
            actor.session_id.as_deref(),
            "password_changed",
            now,
        )
        .await?
    } else {
        0
    };
    let entry = AuditEntry::success(actor.audit_actor(), "user.password_change")
        .target("user", actor.user_id.clone())
        .details(serde_json::json!({"other_sessions_ended": ended}));
    txn.commit(core, meta, entry).await?;
    Ok(ended)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_zones_and_regions_are_checked_for_shape() {
        for zone in [
            "Europe/Berlin",
            "America/Argentina/Buenos_Aires",
            "UTC",
            "Etc/GMT+5",
        ] {
            assert!(valid_timezone(zone), "{zone}");
        }
        for zone in ["berlin", "Europe/", "../etc/passwd", "Europe/Ber lin"] {
            assert!(!valid_timezone(zone), "{zone}");
        }
        for region in [
            "eu-central-1",
            "us-east-1",
            "us-gov-west-1",
            "ap-southeast-2",
        ] {
            assert!(valid_region(region), "{region}");
        }
        for region in ["eu-central", "EU-central-1", "mars-1", "eu--1"] {
            assert!(!valid_region(region), "{region}");
        }
    }

    #[test]
    fn images_are_recognized_by_their_signature() {
        assert!(image_matches("image/png", b"\x89PNG\r\n\x1a\n rest"));
        assert!(image_matches("image/jpeg", &[0xFF, 0xD8, 0xFF, 0xE0]));
        assert!(image_matches("image/webp", b"RIFF\0\0\0\0WEBPVP8 "));
        assert!(!image_matches("image/png", b"<svg onload=alert(1)>"));
        assert!(!image_matches("image/gif", b"GIF89a"));
    }
}
