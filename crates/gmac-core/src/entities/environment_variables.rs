//! One version of an environment's variables.

use sea_orm::entity::prelude::*;

/// An `environment_variables` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "environment_variables")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Its environment.
    pub environment_id: String,
    /// 1, 2, … within the environment.
    pub version: i64,
    /// A JSON object of name to value.
    #[sea_orm(column_type = "Text")]
    pub variables: String,
    /// What made it: `set`, `import`, `rollback to 3`.
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
