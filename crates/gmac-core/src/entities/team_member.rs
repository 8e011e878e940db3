//! A user's membership of a team.

use sea_orm::entity::prelude::*;

/// A `team_members` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "team_members")]
pub struct Model {
    /// The team.
    #[sea_orm(primary_key, auto_increment = false)]
    pub team_id: String,
    /// The member.
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: String,
    /// Leaders manage their own team's members.
    pub is_leader: bool,
    /// When they joined.
    pub created_at: DateTimeUtc,
}

/// No relations are navigated through sea-orm; services join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
