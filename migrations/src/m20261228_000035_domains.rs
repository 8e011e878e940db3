//! Custom domains (issue 12, point 6): an environment's names besides its own host, with the
//! last check of where each points and of the certificate it answers with; and the address a
//! target takes its traffic at, which those names point to.

use sea_orm_migration::prelude::{
    DbErr, DeriveIden, DeriveMigrationName, ForeignKey, ForeignKeyAction, Index, MigrationTrait,
    SchemaManager, Table, async_trait, sea_orm,
};
use sea_orm_migration::schema::{
    big_integer, string, string_null, text, text_null, timestamp_with_time_zone,
    timestamp_with_time_zone_null,
};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Targets::Table)
                    .add_column(text_null(Targets::IngressAddress))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Domains::Table)
                    .col(string(Domains::Id).primary_key())
                    .col(string(Domains::EnvironmentId))
                    .col(string(Domains::Name))
                    .col(string(Domains::Token))
                    .col(string(Domains::Status))
                    .col(timestamp_with_time_zone_null(Domains::VerifiedAt))
                    .col(timestamp_with_time_zone_null(Domains::CheckedAt))
                    .col(text(Domains::Addresses))
                    .col(text_null(Domains::Error))
                    .col(string_null(Domains::TlsStatus))
                    .col(timestamp_with_time_zone_null(Domains::TlsExpiresAt))
                    .col(text_null(Domains::TlsIssuer))
                    .col(text_null(Domains::TlsDetail))
                    .col(timestamp_with_time_zone_null(Domains::ExpiryWarnedFor))
                    .col(string(Domains::CreatedBy))
                    .col(timestamp_with_time_zone(Domains::CreatedAt))
                    .col(big_integer(Domains::Version))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Domains::Table, Domains::EnvironmentId)
                            .to(Environments::Table, Environments::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // A name is added once per environment; it serves the one environment that proved it
        // first (checked by gmac: names waiting for their proof may be added elsewhere too).
        manager
            .create_index(
                Index::create()
                    .name("ux_domains_environment_name")
                    .table(Domains::Table)
                    .col(Domains::EnvironmentId)
                    .col(Domains::Name)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_domains_name")
                    .table(Domains::Table)
                    .col(Domains::Name)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Domains::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Targets::Table)
                    .drop_column(Targets::IngressAddress)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Targets {
    Table,
    IngressAddress,
}

#[derive(DeriveIden)]
enum Environments {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Domains {
    Table,
    Id,
    EnvironmentId,
    Name,
    Token,
    Status,
    VerifiedAt,
    CheckedAt,
    Addresses,
    Error,
    TlsStatus,
    TlsExpiresAt,
    TlsIssuer,
    TlsDetail,
    ExpiryWarnedFor,
    CreatedBy,
    CreatedAt,
    Version,
}
