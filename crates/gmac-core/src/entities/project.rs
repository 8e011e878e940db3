//! A project inside a client: the home of services, functions and databases.

use sea_orm::entity::prelude::*;

/// A `projects` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "projects")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The owning client.
    pub client_id: String,
    /// The name shown to people.
    pub name: String,
    /// The name, lower-cased, unique within the client.
    pub name_key: String,
    /// Free text.
    #[sea_orm(column_type = "Text")]
    pub description: String,
    /// When it was created.
    pub created_at: DateTimeUtc,
    /// When it last changed.
    pub updated_at: DateTimeUtc,
    /// Bumped on every change; the `ETag`.
    pub version: i64,
}

/// No relations are navigated through sea-orm; services join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
