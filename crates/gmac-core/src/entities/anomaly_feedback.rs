//! What people said about a cost anomaly.

use sea_orm::entity::prelude::*;

/// An `anomaly_feedback` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "anomaly_feedback")]
pub struct Model {
    /// `service`, `account`, `user` or `team`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub dimension: String,
    /// The value.
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    /// `YYYY-MM-DD`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub day: String,
    /// `expected` or `not_expected`.
    pub verdict: String,
    /// Who said so.
    pub user_id: String,
    /// When.
    pub at: DateTimeUtc,
}

/// No relations are navigated through sea-orm; services join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
