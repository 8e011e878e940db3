//! A person's named cost view.

use sea_orm::entity::prelude::*;

/// A `saved_views` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "saved_views")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Whose view it is.
    pub user_id: String,
    /// As written.
    pub name: String,
    /// The name folded for uniqueness per person.
    pub name_key: String,
    /// The dashboard address's query, without `?`.
    pub query: String,
    pub created_at: DateTimeUtc,
}

/// No relations are navigated through sea-orm; services join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
