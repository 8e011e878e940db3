//! Git hosts gmac creates repositories on and hears pushes from (issue 11, point 4): Gitea,
//! GitHub or any smart-HTTP remote, installation-wide or a client's own, the token sealed.

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
                    .table(GitConnections::Table)
                    .col(string(GitConnections::Id).primary_key())
                    .col(string_null(GitConnections::ClientId))
                    .col(string(GitConnections::Name))
                    .col(string(GitConnections::Provider))
                    .col(text(GitConnections::BaseUrl))
                    .col(text_null(GitConnections::SealedToken))
                    .col(string_null(GitConnections::TokenHint))
                    .col(string_null(GitConnections::Account))
                    .col(timestamp_with_time_zone_null(GitConnections::LastTestAt))
                    .col(boolean_null(GitConnections::LastTestOk))
                    .col(text_null(GitConnections::LastTestDetail))
                    .col(string(GitConnections::CreatedBy))
                    .col(timestamp_with_time_zone(GitConnections::CreatedAt))
                    .col(big_integer(GitConnections::Version))
                    .foreign_key(
                        ForeignKey::create()
                            .from(GitConnections::Table, GitConnections::ClientId)
                            .to(Clients::Table, Clients::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_git_connections_client")
                    .table(GitConnections::Table)
                    .col(GitConnections::ClientId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(GitConnections::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum GitConnections {
    Table,
    Id,
    ClientId,
    Name,
    Provider,
    BaseUrl,
    SealedToken,
    TokenHint,
    Account,
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
