//! A person who can sign in.

use sea_orm::entity::prelude::*;

/// A `users` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Lower-cased, unique.
    #[sea_orm(unique)]
    pub email: String,
    /// Shown in the interface.
    pub display_name: String,
    /// Argon2id PHC string; absent for an account that cannot sign in with a password.
    pub password_hash: Option<String>,
    /// `active` or `disabled`.
    pub status: String,
    /// When the row was created.
    pub created_at: DateTimeUtc,
    /// When the row last changed.
    pub updated_at: DateTimeUtc,
    /// The last successful sign-in.
    pub last_login_at: Option<DateTimeUtc>,
    /// IANA time zone for displaying times, e.g. `Europe/Berlin`.
    pub timezone: Option<String>,
    /// The AWS region preselected in forms.
    pub default_region: Option<String>,
    /// `system`, `light` or `dark`.
    pub theme: Option<String>,
    /// JSON notification preferences.
    #[sea_orm(column_type = "Text", nullable)]
    pub notification_prefs: Option<String>,
    /// When the password was last set.
    pub password_changed_at: Option<DateTimeUtc>,
}

/// No relations are navigated through sea-orm; services join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// The `status` of an account that may sign in.
pub const STATUS_ACTIVE: &str = "active";
/// The `status` of an account that may not sign in.
pub const STATUS_DISABLED: &str = "disabled";
