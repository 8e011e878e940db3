//! Which of a service's events notify whom (issue 12, point 7): a service keeps its rules as a
//! JSON list (none: it emails no one). Each email is a job keyed by its event and address, and
//! an index on every job's key (the unique one covers unfinished jobs only) finds those made
//! already when events are handed on again.

use sea_orm_migration::prelude::{
    DbErr, DeriveIden, DeriveMigrationName, Index, MigrationTrait, SchemaManager, Table,
    async_trait, sea_orm,
};
use sea_orm_migration::schema::text_null;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Services::Table)
                    .add_column(text_null(Services::NoticeRules))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_jobs_dedupe_key_any")
                    .table(Jobs::Table)
                    .col(Jobs::DedupeKey)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_jobs_dedupe_key_any")
                    .table(Jobs::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Services::Table)
                    .drop_column(Services::NoticeRules)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Services {
    Table,
    NoticeRules,
}

#[derive(DeriveIden)]
enum Jobs {
    Table,
    DedupeKey,
}
