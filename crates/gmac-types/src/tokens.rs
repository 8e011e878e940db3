//! API tokens for scripts and third-party systems.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::access::Permission;
use crate::auth::Scope;
use crate::secret::SecretText;

/// Creates an API token. It can never do more than its creator may.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewApiToken {
    /// A label, e.g. `ci-deploy`.
    #[cfg_attr(feature = "openapi", schema(example = "ci-deploy"))]
    pub name: String,
    /// The permissions the token carries; each must be one its creator holds at `scope`.
    pub scopes: Vec<Permission>,
    /// 1 to 365.
    #[cfg_attr(feature = "openapi", schema(example = 90, minimum = 1, maximum = 365))]
    #[serde(deserialize_with = "crate::whole::u32")]
    pub expires_in_days: u32,
    /// Limit the token to one client or project (default: wherever its creator's roles reach).
    #[serde(default)]
    pub scope: Option<Scope>,
}

/// An API token as listed (never with its secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiToken {
    /// A `UUIDv7`.
    pub id: String,
    /// The label.
    pub name: String,
    /// The first characters of the token, to tell tokens apart.
    pub prefix: String,
    /// The permissions it carries.
    pub scopes: Vec<Permission>,
    /// Where it works.
    pub scope: Scope,
    /// When it was created.
    #[serde(serialize_with = "crate::time::rfc3339")]
    pub created_at: DateTime<Utc>,
    /// When it stops working.
    #[serde(serialize_with = "crate::time::rfc3339")]
    pub expires_at: DateTime<Utc>,
    /// When it was last used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(serialize_with = "crate::time::rfc3339_opt")]
    pub last_used_at: Option<DateTime<Utc>>,
    /// From which address it was last used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_ip: Option<String>,
    /// When it was revoked (or replaced by rotation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(serialize_with = "crate::time::rfc3339_opt")]
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A token just created or rotated: the only time its secret is shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedApiToken {
    /// The token's record.
    #[serde(flatten)]
    pub info: ApiToken,
    /// `gmac_…`: send as `Authorization: Bearer <token>`. Shown once; store it now.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "gmac_3q2+7w…"))]
    pub token: SecretText,
}
