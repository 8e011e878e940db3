//! A push a service's webhook delivered, kept once per (ref, commit).

use sea_orm::entity::prelude::*;

/// A `service_pushes` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "service_pushes")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The service pushed to.
    pub service_id: String,
    /// The ref pushed, `refs/heads/<branch>`.
    pub git_ref: String,
    /// The commit it points at now.
    pub commit_id: String,
    /// The environment its branch feeds, if any.
    pub environment: Option<String>,
    /// `gitea`, `github` or `git` (a post-receive hook).
    pub source: String,
    /// When it arrived.
    pub received_at: DateTimeUtc,
    /// The build it started, if any.
    pub build_id: Option<String>,
}

/// No relations are navigated through sea-orm.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
