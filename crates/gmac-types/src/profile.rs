//! The signed-in user's profile, avatar and password.

use serde::{Deserialize, Serialize};

use crate::secret::SecretText;

/// Light, dark, or whatever the operating system uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Theme {
    /// Follow the operating system.
    #[default]
    System,
    /// Light.
    Light,
    /// Dark.
    Dark,
}

/// Which emails the user wants.
#[expect(
    clippy::struct_excessive_bools,
    reason = "independent on/off preferences, as the wire shows them"
)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NotificationPrefs {
    /// Monitoring alerts.
    pub alerts: bool,
    /// Budget thresholds.
    pub budgets: bool,
    /// Scheduled reports.
    pub reports: bool,
    /// Security events on the account (new sign-in, MFA changes).
    pub security: bool,
    /// What the rules of services tell their teams: deploys, rollbacks, failed builds,
    /// domains (absent in what older clients send: on).
    #[serde(default = "on")]
    pub deploys: bool,
}

/// A preference a client did not send is on.
const fn on() -> bool {
    true
}

impl Default for NotificationPrefs {
    fn default() -> Self {
        Self {
            alerts: true,
            budgets: true,
            reports: true,
            security: true,
            deploys: true,
        }
    }
}

/// The signed-in user's profile.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Profile {
    /// The user's id.
    pub id: String,
    /// The login name (changed by an administrator, not here).
    pub email: String,
    /// The name shown in the interface.
    pub display_name: String,
    /// IANA time zone for times shown to the user, e.g. `Europe/Berlin` (absent: the browser's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// The AWS region preselected in forms, e.g. `eu-central-1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_region: Option<String>,
    /// The interface theme.
    pub theme: Theme,
    /// Which emails the user wants.
    pub notifications: NotificationPrefs,
    /// Where the avatar image is, if one was uploaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar_url: Option<String>,
}

/// Changes the profile; absent fields stay as they are. An empty string clears `timezone` or
/// `default_region`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProfilePatch {
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
    /// An IANA time zone such as `Europe/Berlin`, or `""` to clear it.
    #[serde(default)]
    pub timezone: Option<String>,
    /// An AWS region such as `eu-central-1`, or `""` to clear it.
    #[serde(default)]
    pub default_region: Option<String>,
    /// The interface theme.
    #[serde(default)]
    pub theme: Option<Theme>,
    /// Which emails to send.
    #[serde(default)]
    pub notifications: Option<NotificationPrefs>,
}

/// Changes the password.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasswordChange {
    /// The password now.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Password))]
    pub current_password: SecretText,
    /// At least 12 characters.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Password, min_length = 12))]
    pub new_password: SecretText,
    /// Also sign out every other browser and client.
    #[serde(default)]
    pub end_other_sessions: bool,
}
