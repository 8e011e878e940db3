//! Builds (issue 11, point 5): a service's commit made into an image by a job, numbered per
//! service, with its status and times kept on it for when the job is pruned; how a service
//! builds (its Dockerfile, arguments, hooks, cache) and its build secrets (sealed, bound to
//! the service); and the build a push started.

use sea_orm_migration::prelude::{
    ColumnDef, DbErr, DeriveIden, DeriveMigrationName, ForeignKey, ForeignKeyAction, Index,
    MigrationTrait, SchemaManager, Table, async_trait, sea_orm,
};
use sea_orm_migration::schema::{
    big_integer, boolean, string, string_null, text, text_null, timestamp_with_time_zone,
    timestamp_with_time_zone_null,
};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Builds::Table)
                    .col(string(Builds::Id).primary_key())
                    .col(string(Builds::ServiceId))
                    .col(string(Builds::ProjectId))
                    .col(string(Builds::ClientId))
                    .col(big_integer(Builds::Number))
                    .col(string(Builds::GitRef))
                    .col(string_null(Builds::CommitId))
                    .col(string_null(Builds::Environment))
                    .col(string(Builds::Trigger))
                    .col(boolean(Builds::Cache))
                    .col(string(Builds::JobId))
                    .col(string(Builds::Status))
                    .col(timestamp_with_time_zone_null(Builds::StartedAt))
                    .col(timestamp_with_time_zone_null(Builds::FinishedAt))
                    .col(text_null(Builds::Error))
                    .col(text_null(Builds::ImageId))
                    .col(text(Builds::ImageTags))
                    .col(text_null(Builds::Digest))
                    .col(string_null(Builds::CreatedBy))
                    .col(timestamp_with_time_zone(Builds::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Builds::Table, Builds::ServiceId)
                            .to(Services::Table, Services::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_builds_service_number")
                    .table(Builds::Table)
                    .col(Builds::ServiceId)
                    .col(Builds::Number)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_builds_project_created")
                    .table(Builds::Table)
                    .col(Builds::ProjectId)
                    .col(Builds::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_builds_job")
                    .table(Builds::Table)
                    .col(Builds::JobId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // SQLite adds one column per statement.
        let service_columns: [ColumnDef; 2] = [
            text(Services::BuildSettings).default("{}").to_owned(),
            text_null(Services::SealedBuildSecrets),
        ];
        for column in service_columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(Services::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(ServicePushes::Table)
                    .add_column(string_null(ServicePushes::BuildId))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Builds::Table).to_owned())
            .await?;
        for column in [Services::BuildSettings, Services::SealedBuildSecrets] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Services::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(ServicePushes::Table)
                    .drop_column(ServicePushes::BuildId)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Builds {
    Table,
    Id,
    ServiceId,
    ProjectId,
    ClientId,
    Number,
    GitRef,
    CommitId,
    Environment,
    Trigger,
    Cache,
    JobId,
    Status,
    StartedAt,
    FinishedAt,
    Error,
    ImageId,
    ImageTags,
    Digest,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Services {
    Table,
    Id,
    BuildSettings,
    SealedBuildSecrets,
}

#[derive(DeriveIden)]
enum ServicePushes {
    Table,
    BuildId,
}
