//! One refresh token of a session. Each is used once; using one again ends the session.

use sea_orm::entity::prelude::*;

/// A `refresh_tokens` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refresh_tokens")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The session (token family) it belongs to.
    pub session_id: String,
    /// SHA-256 of the token, hex. The token itself is never stored.
    #[sea_orm(unique)]
    pub token_hash: String,
    /// When it was issued.
    pub created_at: DateTimeUtc,
    /// When it stops being accepted.
    pub expires_at: DateTimeUtc,
    /// When it was exchanged for its successor.
    pub used_at: Option<DateTimeUtc>,
}

/// No relations are navigated through sea-orm; services join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
