//! Deploy targets (issue 12, point 1): where a client's (or one project's) environments deploy.
//! A container host's engine address and its reverse proxy's admin API, with what the last
//! connection test found.

use sea_orm_migration::prelude::{
    DbErr, DeriveIden, DeriveMigrationName, ForeignKey, ForeignKeyAction, Index, MigrationTrait,
    SchemaManager, Table, async_trait, sea_orm,
};
use sea_orm_migration::schema::{
    big_integer, boolean_null, string, string_null, text, text_null, timestamp_with_time_zone,
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
                    .table(Targets::Table)
                    .col(string(Targets::Id).primary_key())
                    .col(string(Targets::ClientId))
                    .col(string_null(Targets::ProjectId))
                    .col(string(Targets::Name))
                    .col(string(Targets::Kind))
                    .col(text(Targets::Address))
                    .col(text_null(Targets::ProxyAdminUrl))
                    .col(text_null(Targets::Engine))
                    .col(timestamp_with_time_zone_null(Targets::LastTestAt))
                    .col(boolean_null(Targets::LastTestOk))
                    .col(text_null(Targets::LastTestDetail))
                    .col(string(Targets::CreatedBy))
                    .col(timestamp_with_time_zone(Targets::CreatedAt))
                    .col(big_integer(Targets::Version))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Targets::Table, Targets::ClientId)
                            .to(Clients::Table, Clients::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Targets::Table, Targets::ProjectId)
                            .to(Projects::Table, Projects::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_targets_client_name")
                    .table(Targets::Table)
                    .col(Targets::ClientId)
                    .col(Targets::Name)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Targets::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Targets {
    Table,
    Id,
    ClientId,
    ProjectId,
    Name,
    Kind,
    Address,
    ProxyAdminUrl,
    Engine,
    LastTestAt,
    LastTestOk,
    LastTestDetail,
    CreatedBy,
    CreatedAt,
    Version,
}

#[derive(DeriveIden)]
enum Clients {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Projects {
    Table,
    Id,
}
