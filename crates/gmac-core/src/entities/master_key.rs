//! A master key version the database has been sealed under.

use sea_orm::entity::prelude::*;

/// A `master_keys` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "master_keys")]
pub struct Model {
    /// The version (the newest row seals and signs).
    #[sea_orm(primary_key, auto_increment = false)]
    pub version: i32,
    /// What tells its key apart without revealing it (`MasterKey::fingerprint`).
    pub fingerprint: String,
    /// Its audit chain key, sealed under a newer version by the rotation that replaced it.
    #[sea_orm(column_type = "Text", nullable)]
    pub audit_key: Option<String>,
    /// When it was first used.
    pub created_at: DateTimeUtc,
}

/// No relations are navigated through sea-orm.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
