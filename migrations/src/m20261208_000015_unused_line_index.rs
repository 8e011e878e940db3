//! Drops `ix_cost_line_items_client_day`: no query reads line items by client and day (cost
//! queries read the rollups; restatements use `ix_cost_line_items_period`, syncs and discards
//! the primary key), yet every imported line paid for it, a fourth of the B-tree work of a
//! SQLite import (issue 8, point 20).

use sea_orm_migration::prelude::{
    DbErr, DeriveIden, DeriveMigrationName, Index, MigrationTrait, SchemaManager, async_trait,
    sea_orm,
};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

const INDEX: &str = "ix_cost_line_items_client_day";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(INDEX)
                    .table(CostLineItems::Table)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(CostLineItems::Table)
                    .col(CostLineItems::ClientId)
                    .col(CostLineItems::Day)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum CostLineItems {
    Table,
    ClientId,
    Day,
}
