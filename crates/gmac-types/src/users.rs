//! User administration and profiles.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::secret::SecretText;

/// A user as administrators see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserDetail {
    /// A `UUIDv7`.
    pub id: String,
    /// The login name.
    pub email: String,
    /// The name shown in the interface.
    pub display_name: String,
    /// `active` or `disabled`.
    pub status: UserStatus,
    /// Whether a TOTP authenticator is confirmed.
    pub mfa_enabled: bool,
    /// When the account was created.
    #[serde(serialize_with = "crate::time::rfc3339")]
    pub created_at: DateTime<Utc>,
    /// The last successful sign-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(serialize_with = "crate::time::rfc3339_opt")]
    pub last_login_at: Option<DateTime<Utc>>,
}

/// Whether an account may sign in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    /// May sign in.
    Active,
    /// May not; every session and token of the account has ended.
    Disabled,
}

/// Creates an account directly (an administrator sets the first password).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewUser {
    /// The login name.
    #[cfg_attr(feature = "openapi", schema(example = "grace@example.com"))]
    #[cfg_attr(feature = "openapi", schema(format = Email, max_length = 254))]
    pub email: String,
    /// The name shown in the interface.
    #[cfg_attr(feature = "openapi", schema(example = "Grace Hopper"))]
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 100,
            pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
        )
    )]
    pub display_name: String,
    /// At least 12 characters.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Password, min_length = 12))]
    pub password: SecretText,
}

/// Changes an account; absent fields stay as they are.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserPatch {
    /// A new display name.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 100,
            pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
        )
    )]
    pub display_name: Option<String>,
    /// `disabled` ends every session and API token of the account at once.
    #[serde(default)]
    pub status: Option<UserStatus>,
}
