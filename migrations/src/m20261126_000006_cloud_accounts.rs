//! Cloud accounts (AWS Cost Explorer connections, credentials sealed) and their sync runs.

use sea_orm_migration::prelude::{
    DbErr, DeriveIden, DeriveMigrationName, ForeignKey, ForeignKeyAction, Index, IntoIden,
    MigrationTrait, SchemaManager, Table, async_trait, sea_orm,
};
use sea_orm_migration::schema::{
    big_integer, string, string_len, string_null, text, text_null, timestamp_with_time_zone,
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
                    .table(CloudAccounts::Table)
                    .col(string(CloudAccounts::Id).primary_key())
                    .col(string(CloudAccounts::ClientId))
                    .col(string(CloudAccounts::Name))
                    .col(string(CloudAccounts::Provider))
                    .col(string_null(CloudAccounts::AccessKeyHint))
                    .col(text(CloudAccounts::SealedCredentials))
                    .col(string_null(CloudAccounts::RoleArn))
                    .col(string(CloudAccounts::Region))
                    .col(string_null(CloudAccounts::EndpointUrl))
                    .col(string(CloudAccounts::GroupBy))
                    .col(big_integer(CloudAccounts::ResyncDays))
                    .col(timestamp_with_time_zone(CloudAccounts::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(CloudAccounts::Table, CloudAccounts::ClientId)
                            .to(Clients::Table, Clients::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CostSyncs::Table)
                    .col(string(CostSyncs::Id).primary_key())
                    .col(string(CostSyncs::CloudAccountId))
                    .col(string(CostSyncs::Status))
                    .col(big_integer(CostSyncs::Pages))
                    .col(big_integer(CostSyncs::Rows))
                    .col(string_len(CostSyncs::FromDay, 10))
                    .col(string_len(CostSyncs::ToDay, 10))
                    .col(text_null(CostSyncs::Error))
                    .col(timestamp_with_time_zone(CostSyncs::StartedAt))
                    .col(timestamp_with_time_zone_null(CostSyncs::FinishedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(CostSyncs::Table, CostSyncs::CloudAccountId)
                            .to(CloudAccounts::Table, CloudAccounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_cost_syncs_account_started")
                    .table(CostSyncs::Table)
                    .col(CostSyncs::CloudAccountId)
                    .col(CostSyncs::StartedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            CostSyncs::Table.into_iden(),
            CloudAccounts::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Clients {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum CloudAccounts {
    Table,
    Id,
    ClientId,
    Name,
    Provider,
    AccessKeyHint,
    SealedCredentials,
    RoleArn,
    Region,
    EndpointUrl,
    GroupBy,
    ResyncDays,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CostSyncs {
    Table,
    Id,
    CloudAccountId,
    Status,
    Pages,
    Rows,
    FromDay,
    ToDay,
    Error,
    StartedAt,
    FinishedAt,
}
