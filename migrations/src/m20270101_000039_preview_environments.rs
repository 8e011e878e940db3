//! Preview environments (issue 12, point 4): a service may open one per pushed branch, each
//! deploying that branch until it expires or the branch is deleted. An environment row says
//! the branch it previews, when it expires and the job deleting it; a service says how long its
//! previews live (none: it opens none).

use sea_orm_migration::prelude::{
    DbErr, DeriveIden, DeriveMigrationName, Index, MigrationTrait, SchemaManager, Table,
    async_trait, sea_orm,
};
use sea_orm_migration::schema::{
    integer_null, string_null, text_null, timestamp_with_time_zone_null,
};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            text_null(Environments::PreviewBranch),
            timestamp_with_time_zone_null(Environments::ExpiresAt),
            string_null(Environments::DeleteJobId),
        ] {
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
            .create_index(
                Index::create()
                    .name("ix_environments_expires_at")
                    .table(Environments::Table)
                    .col(Environments::ExpiresAt)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Services::Table)
                    .add_column(integer_null(Services::PreviewTtlHours))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Services::Table)
                    .drop_column(Services::PreviewTtlHours)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ix_environments_expires_at")
                    .table(Environments::Table)
                    .to_owned(),
            )
            .await?;
        for column in [
            Environments::DeleteJobId,
            Environments::ExpiresAt,
            Environments::PreviewBranch,
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
    PreviewBranch,
    ExpiresAt,
    DeleteJobId,
}

#[derive(DeriveIden)]
enum Services {
    Table,
    PreviewTtlHours,
}
