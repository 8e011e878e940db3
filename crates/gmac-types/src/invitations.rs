//! Invitations: an emailed, expiring, single-use link to join with a role.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::auth::Scope;
use crate::secret::SecretText;

/// Invites someone by email to hold a role at a scope.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewInvitation {
    /// Whom to invite.
    #[cfg_attr(feature = "openapi", schema(example = "grace@example.com"))]
    #[cfg_attr(feature = "openapi", schema(format = Email, max_length = 254))]
    pub email: String,
    /// The role they will hold.
    #[cfg_attr(feature = "openapi", schema(example = "developer"))]
    #[cfg_attr(feature = "openapi", schema(min_length = 1))]
    pub role: String,
    /// Where (default: global).
    #[serde(default)]
    pub scope: Option<Scope>,
}

/// Where an invitation stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum InvitationStatus {
    /// Sent, waiting.
    Pending,
    /// Accepted: the account exists.
    Accepted,
    /// Withdrawn.
    Revoked,
    /// Not accepted in time.
    Expired,
}

/// An invitation as administrators see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Invitation {
    /// A `UUIDv7`.
    pub id: String,
    /// Who is invited.
    pub email: String,
    /// The role they will hold.
    pub role: String,
    /// Where.
    pub scope: Scope,
    /// Who invited them.
    pub invited_by: String,
    /// When it was sent.
    #[serde(serialize_with = "crate::time::rfc3339")]
    pub created_at: DateTime<Utc>,
    /// When the link stops working.
    #[serde(serialize_with = "crate::time::rfc3339")]
    pub expires_at: DateTime<Utc>,
    /// Where it stands.
    pub status: InvitationStatus,
}

/// A new invitation, and how it was delivered.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedInvitation {
    /// The invitation.
    pub invitation: Invitation,
    /// Whether the link is being emailed: a mail server is configured, and a job sends it
    /// (retrying while the mail server is unreachable).
    pub email_queued: bool,
    /// That job, to follow at `/jobs/{id}`, when you may see it (jobs are seen per client: one
    /// who manages users in a project only is not shown it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_job: Option<crate::Job>,
    /// The link, only when it is not emailed (no mail server is configured), so it can be
    /// passed on by hand. A mailed link is shown to nobody, so that accepting it proves the
    /// address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub link: Option<SecretText>,
}

/// The token from an invitation link.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InvitationToken {
    /// From the link (the part after `#`).
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub token: SecretText,
}

/// What an invitation offers, for the page that accepts it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InvitationPreview {
    /// The invited address (it becomes the login name).
    pub email: String,
    /// The role's display name.
    pub role_name: String,
    /// The client's or project's name, absent for the global scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope_name: Option<String>,
    /// Who invited.
    pub invited_by: String,
    /// When the link stops working.
    #[serde(serialize_with = "crate::time::rfc3339")]
    pub expires_at: DateTime<Utc>,
}

/// Accepts an invitation: creates the account with the invited role.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AcceptInvitation {
    /// From the link.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub token: SecretText,
    /// The name to show.
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
