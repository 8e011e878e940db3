//! Deploy-on-push and automatic rollback (issue 12, points 2 and 3): an environment deploys each push build of its branch
//! unless that is switched off or paused; a manual rollback pauses it until someone resumes.
//! Only builds that end after it was last resumed (or switched on) deploy. A release that fails
//! after it went live brings the one before back, unless `auto_rollback` is switched off. A release says what
//! made it: a person, or a push.

use sea_orm_migration::prelude::{
    DbErr, DeriveIden, DeriveMigrationName, MigrationTrait, SchemaManager, Table, async_trait,
    sea_orm,
};
use sea_orm_migration::schema::{
    boolean, string, string_null, text_null, timestamp_with_time_zone_null,
};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let environment_columns = [
            boolean(Environments::DeployOnPush).default(true).to_owned(),
            timestamp_with_time_zone_null(Environments::PausedAt),
            string_null(Environments::PausedBy),
            text_null(Environments::PausedReason),
            timestamp_with_time_zone_null(Environments::ResumedAt),
            boolean(Environments::AutoRollback).default(true).to_owned(),
        ];
        for column in environment_columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(Environments::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Releases::Table)
                    .add_column(string(Releases::Trigger).default("manual"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Releases::Table)
                    .drop_column(Releases::Trigger)
                    .to_owned(),
            )
            .await?;
        for column in [
            Environments::AutoRollback,
            Environments::ResumedAt,
            Environments::PausedReason,
            Environments::PausedBy,
            Environments::PausedAt,
            Environments::DeployOnPush,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Environments::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Environments {
    Table,
    DeployOnPush,
    PausedAt,
    PausedBy,
    PausedReason,
    ResumedAt,
    AutoRollback,
}

#[derive(DeriveIden)]
enum Releases {
    Table,
    Trigger,
}
