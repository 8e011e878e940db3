//! One version of a secret a project shares with its services' environments.

use sea_orm::entity::prelude::*;

/// A `project_secrets` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "project_secrets")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Its project.
    pub project_id: String,
    /// Its name.
    pub name: String,
    /// 1, 2, … per name.
    pub version: i64,
    /// The value sealed for `project_secrets:<id>` (its row, so its version); none for a
    /// deletion.
    #[sea_orm(column_type = "Text", nullable)]
    pub sealed: Option<String>,
    /// Who wrote it.
    pub created_by: String,
    /// When.
    pub created_at: DateTimeUtc,
}

/// No relations are navigated through sea-orm.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
