//! Secrets a project shares with every environment of its services (issue 12, point 5's
//! project scope), kept as a service's are: one row per version, each value sealed for its
//! row; a deletion is a version without a value. A release records the version of each it
//! runs with.

use sea_orm_migration::prelude::{
    DbErr, DeriveIden, DeriveMigrationName, ForeignKey, ForeignKeyAction, Index, MigrationTrait,
    SchemaManager, Table, async_trait, sea_orm,
};
use sea_orm_migration::schema::{big_integer, string, text_null, timestamp_with_time_zone};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ProjectSecrets::Table)
                    .col(string(ProjectSecrets::Id).primary_key())
                    .col(string(ProjectSecrets::ProjectId))
                    .col(string(ProjectSecrets::Name))
                    .col(big_integer(ProjectSecrets::Version))
                    .col(text_null(ProjectSecrets::Sealed))
                    .col(string(ProjectSecrets::CreatedBy))
                    .col(timestamp_with_time_zone(ProjectSecrets::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ProjectSecrets::Table, ProjectSecrets::ProjectId)
                            .to(Projects::Table, Projects::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_project_secrets_version")
                    .table(ProjectSecrets::Table)
                    .col(ProjectSecrets::ProjectId)
                    .col(ProjectSecrets::Name)
                    .col(ProjectSecrets::Version)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Releases::Table)
                    .add_column(text_null(Releases::ProjectSecretVersions))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Releases::Table)
                    .drop_column(Releases::ProjectSecretVersions)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(ProjectSecrets::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ProjectSecrets {
    Table,
    Id,
    ProjectId,
    Name,
    Version,
    Sealed,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Projects {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Releases {
    Table,
    ProjectSecretVersions,
}
