//! A `gmac_` API token: hashed, scoped, expiring.

use sea_orm::entity::prelude::*;

/// A `api_tokens` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_tokens")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The owner; the token never exceeds the owner's grants.
    pub user_id: String,
    /// A label.
    pub name: String,
    /// The first characters, shown to tell tokens apart.
    pub prefix: String,
    /// SHA-256 of the token.
    pub token_hash: String,
    /// JSON list of permission ids.
    #[sea_orm(column_type = "Text")]
    pub permissions: String,
    /// `global`, `client` or `project`.
    pub scope_type: String,
    /// The client or project.
    pub scope_id: Option<String>,
    /// When it was created.
    pub created_at: DateTimeUtc,
    /// When it stops working.
    pub expires_at: DateTimeUtc,
    /// When it was last used.
    pub last_used_at: Option<DateTimeUtc>,
    /// From where it was last used.
    pub last_used_ip: Option<String>,
    /// When it was revoked.
    pub revoked_at: Option<DateTimeUtc>,
    /// The token that replaced it on rotation.
    pub replaced_by: Option<String>,
}

/// No relations are navigated through sea-orm; services join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
