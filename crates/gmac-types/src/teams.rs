//! Teams and their members, and the signed-in user's sessions.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A team: holds roles like a user does; every member holds them too.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Team {
    /// A `UUIDv7`.
    pub id: String,
    /// Unique, case-insensitively.
    pub name: String,
    /// Free text.
    pub description: String,
    /// How many members it has.
    pub member_count: u64,
    /// When it was created.
    #[serde(serialize_with = "crate::time::rfc3339")]
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    #[serde(serialize_with = "crate::time::rfc3339")]
    pub updated_at: DateTime<Utc>,
    /// Bumped on every change; also sent as the `ETag`.
    pub version: i64,
}

/// Creates a team.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewTeam {
    /// 1 to 100 characters, unique.
    #[cfg_attr(feature = "openapi", schema(example = "Platform"))]
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 100,
            pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
        )
    )]
    pub name: String,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
}

/// Changes a team; absent fields stay as they are.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeamPatch {
    /// A new name.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 100,
            pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
        )
    )]
    pub name: Option<String>,
    /// A new description.
    #[serde(default)]
    pub description: Option<String>,
}

/// A team a user belongs to, with the roles the team holds: its members hold them too.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserTeam {
    /// The team's id.
    pub id: String,
    /// The team's name.
    pub name: String,
    /// Whether the user leads the team (manages its members).
    pub leader: bool,
    /// When the user joined.
    #[serde(serialize_with = "crate::time::rfc3339")]
    pub joined_at: DateTime<Utc>,
    /// The team's roles, in the scopes where you manage users (all of them when the user is
    /// you), oldest first.
    pub roles: Vec<crate::RoleBinding>,
}

/// A member of a team.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeamMember {
    /// The user.
    pub user_id: String,
    /// Their email address.
    pub email: String,
    /// Their display name.
    pub display_name: String,
    /// Leaders manage their own team's members.
    pub leader: bool,
    /// When they joined.
    #[serde(serialize_with = "crate::time::rfc3339")]
    pub joined_at: DateTime<Utc>,
}

/// Adds a user to a team.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewTeamMember {
    /// The user to add.
    pub user_id: String,
    /// Make them a leader (only someone who manages users may).
    #[serde(default)]
    pub leader: bool,
}

/// One of the signed-in user's sessions (a signed-in browser or client).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionInfo {
    /// A `UUIDv7`.
    pub id: String,
    /// When it signed in.
    #[serde(serialize_with = "crate::time::rfc3339")]
    pub created_at: DateTime<Utc>,
    /// Its last sign-in or token refresh.
    #[serde(serialize_with = "crate::time::rfc3339")]
    pub last_seen_at: DateTime<Utc>,
    /// When it ends however active it is.
    #[serde(serialize_with = "crate::time::rfc3339")]
    pub expires_at: DateTime<Utc>,
    /// The address it was last seen from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// Its user agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// A short description of the device, e.g. `Firefox on Linux`.
    pub device: String,
    /// Whether it is the session making this request.
    pub current: bool,
}

/// How many sessions an action ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionsEnded {
    /// The number of sessions ended.
    pub ended: u64,
}
