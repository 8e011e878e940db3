//! Where a consumer of events has got to.

use sea_orm::entity::prelude::*;

/// An `event_consumers` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "event_consumers")]
pub struct Model {
    /// The consumer's name.
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    /// The newest event it has handled.
    pub last_event_id: i64,
    /// The dispatcher holding it.
    pub lease_owner: Option<String>,
    /// Until when.
    pub lease_until: Option<DateTimeUtc>,
    /// When it last moved.
    pub updated_at: DateTimeUtc,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
