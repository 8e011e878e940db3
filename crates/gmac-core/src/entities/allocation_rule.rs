//! A rule that allocates matching costs to users or teams.

use sea_orm::entity::prelude::*;

/// An `allocation_rules` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "allocation_rules")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The client it applies to; `None`: every client.
    pub client_id: Option<String>,
    /// A label.
    pub name: String,
    /// Precedence, 1 first.
    pub position: i64,
    /// Tag key matched.
    pub tag_key: Option<String>,
    /// Tag value matched.
    pub tag_value: Option<String>,
    /// `SubAccountId` matched.
    pub account: Option<String>,
    /// `ServiceName` matched.
    pub service: Option<String>,
    /// The [`gmac_types::Allocation`], as JSON.
    #[sea_orm(column_type = "Text")]
    pub allocation: String,
    /// When it was created.
    pub created_at: DateTimeUtc,
    /// Bumped on every change.
    pub version: i64,
}

/// No relations are navigated through sea-orm; services join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
