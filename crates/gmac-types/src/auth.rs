//! First-run setup, sign-in and the signed-in user.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::secret::SecretText;

/// Whether gmac still waits for its first administrator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SetupStatus {
    /// `true` until the first Super Admin has been created.
    pub setup_required: bool,
}

/// Creates the first Super Admin with the one-time setup token that `gmac serve` printed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SetupRequest {
    /// The one-time token printed by the server on its first start.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Password))]
    pub setup_token: SecretText,
    /// The administrator's email address; it is the login name.
    #[cfg_attr(feature = "openapi", schema(example = "ada@example.com"))]
    #[cfg_attr(feature = "openapi", schema(format = Email, max_length = 254))]
    pub email: String,
    /// At least 12 characters.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Password, min_length = 12))]
    pub password: SecretText,
    /// The name shown in the interface.
    #[cfg_attr(feature = "openapi", schema(example = "Ada Lovelace"))]
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 100,
            pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
        )
    )]
    pub display_name: String,
}

/// Email and password sign-in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginRequest {
    /// The account's email address (case does not matter).
    #[cfg_attr(feature = "openapi", schema(example = "ada@example.com"))]
    pub email: String,
    /// The account's password.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Password))]
    #[cfg_attr(feature = "openapi", schema(min_length = 1))]
    pub password: SecretText,
}

/// A short-lived access token. The refresh token travels in an `HttpOnly` cookie, never in a body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenResponse {
    /// A JWT to send as `Authorization: Bearer <access_token>`.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub access_token: SecretText,
    /// Always `Bearer`.
    #[cfg_attr(feature = "openapi", schema(example = "Bearer"))]
    pub token_type: String,
    /// Seconds until the access token expires.
    #[cfg_attr(feature = "openapi", schema(example = 900))]
    pub expires_in: u64,
}

/// A user account, as others see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    /// A `UUIDv7`.
    pub id: String,
    /// The login name, lower-cased.
    pub email: String,
    /// The name shown in the interface.
    pub display_name: String,
    /// When the account was created (UTC).
    #[serde(serialize_with = "crate::time::rfc3339")]
    pub created_at: DateTime<Utc>,
}

/// The signed-in user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Me {
    /// A `UUIDv7`.
    pub id: String,
    /// The login name, lower-cased.
    pub email: String,
    /// The name shown in the interface.
    pub display_name: String,
    /// When the account was created (UTC).
    #[serde(serialize_with = "crate::time::rfc3339")]
    pub created_at: DateTime<Utc>,
    /// The roles this user holds, with where they apply.
    pub roles: Vec<RoleGrant>,
    /// How this request was authenticated.
    pub authenticated_via: AuthMethod,
    /// The permissions held somewhere (at some scope), for deciding which pages to offer.
    pub permissions: Vec<crate::access::Permission>,
    /// A role held requires MFA and none is set up: only MFA enrolment is open until it is.
    pub mfa_enrollment_required: bool,
    /// Whether a TOTP authenticator is confirmed.
    pub mfa_enabled: bool,
    /// Whether this gmac sends email (a mail server is configured, `smtp_url`). Without one,
    /// budget alerts and reports show only in gmac, and invitation links are handed to the
    /// inviter to pass on.
    pub sends_email: bool,
}

/// A role held at a scope.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoleGrant {
    /// The role id, e.g. `super_admin`.
    pub role: String,
    /// Where the role applies.
    pub scope: Scope,
    /// The team the role comes through, when it is not bound to the user directly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via_team: Option<String>,
}

/// Where a role binding applies. A grant covers everything inside its scope.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Scope {
    /// The whole installation.
    Global,
    /// One client and everything it owns.
    Client {
        /// The client's id.
        id: String,
    },
    /// One project.
    Project {
        /// The project's id.
        id: String,
    },
}

/// How a request proved who it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    /// A JWT access token from sign-in.
    Session,
    /// A `gmac_` API token.
    ApiToken,
}
