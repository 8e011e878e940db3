//! An emailed, expiring, single-use invitation to join with a role.

use sea_orm::entity::prelude::*;

/// A `invitations` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invitations")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Who is invited (normalized).
    pub email: String,
    /// The role they will hold.
    pub role_id: String,
    /// `global`, `client` or `project`.
    pub scope_type: String,
    /// The client or project.
    pub scope_id: Option<String>,
    /// SHA-256 of the link's token.
    pub token_hash: String,
    /// The user who invited.
    pub invited_by: String,
    /// When it was sent.
    pub created_at: DateTimeUtc,
    /// When the link stops working.
    pub expires_at: DateTimeUtc,
    /// When it was accepted.
    pub accepted_at: Option<DateTimeUtc>,
    /// When it was withdrawn.
    pub revoked_at: Option<DateTimeUtc>,
    /// The account created on acceptance.
    pub accepted_user_id: Option<String>,
}

/// No relations are navigated through sea-orm; services join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
