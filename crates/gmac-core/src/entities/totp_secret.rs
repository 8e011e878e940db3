//! A user's TOTP secret, encrypted at rest.

use sea_orm::entity::prelude::*;

/// A `totp_secrets` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "totp_secrets")]
pub struct Model {
    /// The user.
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: String,
    /// The sealed secret (see `crypto`).
    #[sea_orm(column_type = "Text")]
    pub secret_enc: String,
    /// When enrolment started.
    pub created_at: DateTimeUtc,
    /// When the first code confirmed it; MFA is on from then.
    pub confirmed_at: Option<DateTimeUtc>,
    /// The last time step accepted, so a code cannot be used twice.
    pub last_used_step: Option<i64>,
}

/// No relations are navigated through sea-orm; services join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
