//! A group of variables attached to a service, at its place in the order of override.

use sea_orm::entity::prelude::*;

/// A `service_variable_groups` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "service_variable_groups")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The service.
    pub service_id: String,
    /// The group.
    pub group_id: String,
    /// 0, 1, …: a later group overrides an earlier one.
    pub position: i32,
}

/// No relations are navigated through sea-orm.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
