//! A role held by a user or team at a scope.

use sea_orm::entity::prelude::*;

/// A `role_bindings` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "role_bindings")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// `user` or `team`.
    pub subject_type: String,
    /// The user's or team's id.
    pub subject_id: String,
    /// A built-in role id (`super_admin`, ...) or a custom role's id.
    pub role_id: String,
    /// `global`, `client` or `project`.
    pub scope_type: String,
    /// The client's or project's id; absent for `global`.
    pub scope_id: Option<String>,
    /// When it was granted.
    pub created_at: DateTimeUtc,
    /// Who granted it; absent when granted from the command line or by setup.
    pub created_by: Option<String>,
}

/// No relations are navigated through sea-orm; services join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
