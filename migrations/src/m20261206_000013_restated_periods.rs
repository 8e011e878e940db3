//! Restated exports: each line keeps the billing period its file declared, so a later export
//! of the same billing account and period replaces the earlier lines; each import records
//! what it replaced.

use sea_orm_migration::prelude::{
    DbErr, DeriveIden, DeriveMigrationName, Index, MigrationTrait, SchemaManager, Table,
    async_trait, sea_orm,
};
use sea_orm_migration::schema::{string_len_null, text};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(CostLineItems::Table)
                    .add_column(string_len_null(CostLineItems::BillingPeriodStart, 10))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_cost_line_items_period")
                    .table(CostLineItems::Table)
                    .col(CostLineItems::ClientId)
                    .col(CostLineItems::BillingAccountId)
                    .col(CostLineItems::BillingPeriodStart)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(CostImports::Table)
                    .add_column(text(CostImports::Replaced).default("[]"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(CostImports::Table)
                    .drop_column(CostImports::Replaced)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ix_cost_line_items_period")
                    .table(CostLineItems::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(CostLineItems::Table)
                    .drop_column(CostLineItems::BillingPeriodStart)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum CostLineItems {
    Table,
    ClientId,
    BillingAccountId,
    BillingPeriodStart,
}

#[derive(DeriveIden)]
enum CostImports {
    Table,
    Replaced,
}
