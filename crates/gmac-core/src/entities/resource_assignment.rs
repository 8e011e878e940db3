//! A resource whose costs are assigned to a user or team by hand.

use sea_orm::entity::prelude::*;

/// A `resource_assignments` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "resource_assignments")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The client.
    pub client_id: String,
    /// The `ResourceId`.
    pub resource_id: String,
    /// `user` or `team`.
    pub subject_type: String,
    /// The user's or team's id.
    pub subject_id: String,
    /// When it was made.
    pub created_at: DateTimeUtc,
}

/// No relations are navigated through sea-orm; services join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
