//! Costs per resource and month: what year-long "by resource" views and the top cost drivers
//! read for whole months, instead of every daily row of every resource. Filled from the fine
//! rollup, and refreshed for the months an import or a sync touches.

use sea_orm_migration::prelude::{
    ConnectionTrait, DbErr, DeriveIden, DeriveMigrationName, Index, MigrationTrait, SchemaManager,
    Table, async_trait, sea_orm,
};
use sea_orm_migration::schema::{big_integer, string, string_len};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CostResourceMonths::Table)
                    .col(string(CostResourceMonths::ClientId))
                    .col(string_len(CostResourceMonths::Month, 7))
                    .col(string(CostResourceMonths::ResourceId))
                    .col(string_len(CostResourceMonths::Currency, 3))
                    .col(big_integer(CostResourceMonths::BilledCost))
                    .col(big_integer(CostResourceMonths::EffectiveCost))
                    .col(big_integer(CostResourceMonths::ListCost))
                    .primary_key(
                        Index::create()
                            .col(CostResourceMonths::ClientId)
                            .col(CostResourceMonths::Month)
                            .col(CostResourceMonths::ResourceId)
                            .col(CostResourceMonths::Currency),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "INSERT INTO cost_resource_months (client_id, month, resource_id, currency, \
                 billed_cost, effective_cost, list_cost) \
                 SELECT client_id, substr(day, 1, 7), resource_id, currency, SUM(billed_cost), \
                 SUM(effective_cost), SUM(list_cost) FROM cost_daily \
                 GROUP BY client_id, substr(day, 1, 7), resource_id, currency",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CostResourceMonths::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum CostResourceMonths {
    Table,
    ClientId,
    Month,
    ResourceId,
    Currency,
    BilledCost,
    EffectiveCost,
    ListCost,
}
