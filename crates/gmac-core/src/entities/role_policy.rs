//! Per-role policy, such as requiring MFA of everyone who holds the role.

use sea_orm::entity::prelude::*;

/// A `role_policies` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "role_policies")]
pub struct Model {
    /// The role (built-in id or custom role id).
    #[sea_orm(primary_key, auto_increment = false)]
    pub role_id: String,
    /// Whether holders must use MFA.
    pub mfa_required: bool,
    /// When it last changed.
    pub updated_at: DateTimeUtc,
}

/// No relations are navigated through sea-orm; services join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
