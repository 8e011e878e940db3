//! The head of the audit chain: a single row that writers lock to append in order.

use sea_orm::entity::prelude::*;

/// The `audit_chain` row (always `id = 1`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_chain")]
pub struct Model {
    /// Always 1.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i32,
    /// The `seq` of the newest entry (0 when empty).
    pub last_seq: i64,
    /// The `hash` of the newest entry (the genesis hash when empty).
    pub last_hash: String,
    /// The id of the newest event (0 when none): events are numbered under this row's lock, so
    /// ids are in commit order.
    pub last_event_id: i64,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
