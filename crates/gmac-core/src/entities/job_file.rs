//! One part of a file a job reads, kept in the database so any replica's worker can read it.

use sea_orm::entity::prelude::*;

/// A `job_files` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "job_files")]
pub struct Model {
    /// The job.
    #[sea_orm(primary_key, auto_increment = false)]
    pub job_id: String,
    /// The part's place in the file, from 0.
    #[sea_orm(primary_key, auto_increment = false)]
    pub part: i32,
    /// Its bytes.
    #[sea_orm(column_type = "Blob")]
    pub data: Vec<u8>,
}

/// No relations are navigated through sea-orm; services join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
