//! A project's group of variables, shared by the services it is attached to.

use sea_orm::entity::prelude::*;

/// A `variable_groups` row (its variables are `shared_variables` rows with its `group_id`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "variable_groups")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Its project.
    pub project_id: String,
    /// Unique within the project.
    pub name: String,
    /// Who made it.
    pub created_by: String,
    /// When.
    pub created_at: DateTimeUtc,
    /// When it was deleted: gone from the API, its versions kept for the releases that ran
    /// with it.
    pub deleted_at: Option<DateTimeUtc>,
}

/// No relations are navigated through sea-orm.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
