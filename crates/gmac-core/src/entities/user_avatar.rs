//! A user's avatar image.

use sea_orm::entity::prelude::*;

/// A `user_avatars` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user_avatars")]
pub struct Model {
    /// The user.
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: String,
    /// `image/png`, `image/jpeg` or `image/webp`.
    pub content_type: String,
    /// The image bytes.
    #[sea_orm(column_type = "Blob")]
    pub data: Vec<u8>,
    /// A hash of the bytes, for caching.
    pub etag: String,
    /// When it was uploaded.
    pub updated_at: DateTimeUtc,
}

/// No relations are navigated through sea-orm; services join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
