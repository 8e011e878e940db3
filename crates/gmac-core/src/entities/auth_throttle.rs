//! Failure counting and soft locks for sign-in and MFA.

use sea_orm::entity::prelude::*;

/// A `auth_throttle` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "auth_throttle")]
pub struct Model {
    /// What is counted, e.g. `login:ada@example.com`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    /// Failures in the current window.
    pub failures: i32,
    /// When the window began.
    pub window_started_at: DateTimeUtc,
    /// Consecutive lockouts, for the backoff.
    pub lockouts: i32,
    /// Refuse attempts until then.
    pub locked_until: Option<DateTimeUtc>,
    /// When it last changed.
    pub updated_at: DateTimeUtc,
}

/// No relations are navigated through sea-orm; services join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
