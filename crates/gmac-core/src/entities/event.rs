//! One change, as an event (the transactional outbox).

use sea_orm::entity::prelude::*;

/// An `events` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "events")]
pub struct Model {
    /// In commit order, without gaps.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    /// What happened, e.g. `client.created`.
    pub event_type: String,
    /// `global`, `client` or `project`.
    pub scope_type: String,
    /// The client or project.
    pub scope_id: Option<String>,
    /// The client the scope belongs to (for a project, its client).
    pub client_id: Option<String>,
    /// What it happened to, as `kind/id`.
    pub subject: Option<String>,
    /// The user behind it.
    pub actor_id: Option<String>,
    /// JSON.
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    /// When.
    pub occurred_at: DateTimeUtc,
}

/// No relations are navigated through sea-orm; services join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
