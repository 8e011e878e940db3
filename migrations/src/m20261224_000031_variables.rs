//! An environment's variables and secrets (issue 12, point 5). Variables are kept as whole
//! numbered versions (a JSON object per version); each secret's versions are rows of their
//! own, sealed under the master key and bound to their row and version; a deleted secret is a
//! version without a value. A release records the versions it runs with.

use sea_orm_migration::prelude::{
    DbErr, DeriveIden, DeriveMigrationName, ForeignKey, ForeignKeyAction, Index, MigrationTrait,
    SchemaManager, Table, async_trait, sea_orm,
};
use sea_orm_migration::schema::{
    big_integer, big_integer_null, string, text, text_null, timestamp_with_time_zone,
};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(EnvironmentVariables::Table)
                    .col(string(EnvironmentVariables::Id).primary_key())
                    .col(string(EnvironmentVariables::EnvironmentId))
                    .col(big_integer(EnvironmentVariables::Version))
                    .col(text(EnvironmentVariables::Variables))
                    .col(text_null(EnvironmentVariables::Note))
                    .col(string(EnvironmentVariables::CreatedBy))
                    .col(timestamp_with_time_zone(EnvironmentVariables::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                EnvironmentVariables::Table,
                                EnvironmentVariables::EnvironmentId,
                            )
                            .to(Environments::Table, Environments::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_environment_variables_version")
                    .table(EnvironmentVariables::Table)
                    .col(EnvironmentVariables::EnvironmentId)
                    .col(EnvironmentVariables::Version)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EnvironmentSecrets::Table)
                    .col(string(EnvironmentSecrets::Id).primary_key())
                    .col(string(EnvironmentSecrets::EnvironmentId))
                    .col(string(EnvironmentSecrets::Name))
                    .col(big_integer(EnvironmentSecrets::Version))
                    .col(text_null(EnvironmentSecrets::Sealed))
                    .col(string(EnvironmentSecrets::CreatedBy))
                    .col(timestamp_with_time_zone(EnvironmentSecrets::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(EnvironmentSecrets::Table, EnvironmentSecrets::EnvironmentId)
                            .to(Environments::Table, Environments::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_environment_secrets_version")
                    .table(EnvironmentSecrets::Table)
                    .col(EnvironmentSecrets::EnvironmentId)
                    .col(EnvironmentSecrets::Name)
                    .col(EnvironmentSecrets::Version)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Releases::Table)
                    .add_column(big_integer_null(Releases::VariablesVersion))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Releases::Table)
                    .add_column(text_null(Releases::SecretVersions))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Releases::SecretVersions, Releases::VariablesVersion] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Releases::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table(EnvironmentSecrets::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(EnvironmentVariables::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum EnvironmentVariables {
    Table,
    Id,
    EnvironmentId,
    Version,
    Variables,
    Note,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum EnvironmentSecrets {
    Table,
    Id,
    EnvironmentId,
    Name,
    Version,
    Sealed,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Releases {
    Table,
    VariablesVersion,
    SecretVersions,
}

#[derive(DeriveIden)]
enum Environments {
    Table,
    Id,
}
