//! A git repository templates are added from.

use sea_orm::entity::prelude::*;

/// A `template_sources` row: where its templates come from and what the last sync found.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "template_sources")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The repository's clone URL (http or https).
    #[sea_orm(column_type = "Text")]
    pub url: String,
    /// The installation's git connection whose token fetches it, if it needs one.
    pub connection_id: Option<String>,
    /// The branch, tag or commit synced.
    pub git_ref: String,
    /// The folder holding the templates ("" for the repository's root).
    #[sea_orm(column_type = "Text")]
    pub path: String,
    /// The commit the last successful sync read.
    pub commit_id: Option<String>,
    /// JSON `[{folder, detail}]`: the folders the last sync refused, and why.
    #[sea_orm(column_type = "Text")]
    pub problems: String,
    /// The last sync's job.
    pub job_id: Option<String>,
    /// When a sync last succeeded.
    pub synced_at: Option<DateTimeUtc>,
    /// Who added it.
    pub created_by: String,
    /// When.
    pub created_at: DateTimeUtc,
    /// Bumped on every change.
    pub version: i64,
}

/// No relations are navigated through sea-orm.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
