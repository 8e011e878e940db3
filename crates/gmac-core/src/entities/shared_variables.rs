//! One version of the variables a project or a service shares with its environments.

use sea_orm::entity::prelude::*;

/// A `shared_variables` row: exactly one of `project_id`, `service_id` and `group_id` is set.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "shared_variables")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The project whose set it is.
    pub project_id: Option<String>,
    /// The service whose set it is.
    pub service_id: Option<String>,
    /// The group whose set it is.
    pub group_id: Option<String>,
    /// 1, 2, … within its owner.
    pub version: i64,
    /// A JSON object of name to value.
    #[sea_orm(column_type = "Text")]
    pub variables: String,
    /// What made it: `set`, `rollback to 3`.
    #[sea_orm(column_type = "Text", nullable)]
    pub note: Option<String>,
    /// Who made it.
    pub created_by: String,
    /// When.
    pub created_at: DateTimeUtc,
}

/// No relations are navigated through sea-orm.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
