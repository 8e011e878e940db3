//! Secrets a service shares with every environment of it (issue 12, point 5's scopes): its
//! staging, its production and its previews. Versions as an environment's secrets have, one
//! row per version, each value sealed for its row; a deletion is a version without a value.
//! A release records the version of each it runs with.

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
                    .table(ServiceSecrets::Table)
                    .col(string(ServiceSecrets::Id).primary_key())
                    .col(string(ServiceSecrets::ServiceId))
                    .col(string(ServiceSecrets::Name))
                    .col(big_integer(ServiceSecrets::Version))
                    .col(text_null(ServiceSecrets::Sealed))
                    .col(string(ServiceSecrets::CreatedBy))
                    .col(timestamp_with_time_zone(ServiceSecrets::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ServiceSecrets::Table, ServiceSecrets::ServiceId)
                            .to(Services::Table, Services::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_service_secrets_version")
                    .table(ServiceSecrets::Table)
                    .col(ServiceSecrets::ServiceId)
                    .col(ServiceSecrets::Name)
                    .col(ServiceSecrets::Version)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Releases::Table)
                    .add_column(text_null(Releases::ServiceSecretVersions))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Releases::Table)
                    .drop_column(Releases::ServiceSecretVersions)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(ServiceSecrets::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ServiceSecrets {
    Table,
    Id,
    ServiceId,
    Name,
    Version,
    Sealed,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Services {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Releases {
    Table,
    ServiceSecretVersions,
}
