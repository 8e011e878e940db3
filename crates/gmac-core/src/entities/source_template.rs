//! A template a source's last sync found and checked.

use sea_orm::entity::prelude::*;

/// A `source_templates` row. The id is unique across sources.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "source_templates")]
pub struct Model {
    /// The template's id (a DNS label).
    #[sea_orm(primary_key, auto_increment = false)]
    pub template_id: String,
    /// The source it came from.
    pub source_id: String,
    /// Its folder in the repository.
    #[sea_orm(column_type = "Text")]
    pub folder: String,
    /// JSON `[[path, text]]`: `template.json` and `files/…`, relative to the folder.
    #[sea_orm(column_type = "Text")]
    pub files: String,
    /// The files' total size.
    pub bytes: i32,
}

/// No relations are navigated through sea-orm.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
