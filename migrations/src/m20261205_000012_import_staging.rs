//! Imports are staged: their lines are written in short transactions while the import is
//! `staging` (invisible, with a heartbeat), and published in one short transaction, so a large
//! import never holds SQLite's write lock for its whole length. Existing imports are published.

use sea_orm_migration::prelude::{
    DbErr, DeriveIden, DeriveMigrationName, MigrationTrait, SchemaManager, Table, async_trait,
    sea_orm,
};
use sea_orm_migration::schema::{string_len, timestamp_with_time_zone_null};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(CostImports::Table)
                    .add_column(string_len(CostImports::State, 16).default("published"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(CostImports::Table)
                    .add_column(timestamp_with_time_zone_null(CostImports::HeartbeatAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [CostImports::HeartbeatAt, CostImports::State] {
            manager
                .alter_table(
                    Table::alter()
                        .table(CostImports::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum CostImports {
    Table,
    State,
    HeartbeatAt,
}
