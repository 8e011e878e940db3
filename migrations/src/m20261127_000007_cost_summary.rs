//! A coarser daily rollup (no resource, no tags) for the reports most dashboards show: by day,
//! month, service, account, region, provider, charge category or client. It holds a fraction
//! of the fine rollup's rows, so year-long views stay fast; it is filled from the fine rollup.

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
                    .table(CostSummary::Table)
                    .col(string(CostSummary::ClientId))
                    .col(string_len(CostSummary::Day, 10))
                    .col(string_len(CostSummary::Currency, 3))
                    .col(string(CostSummary::ProviderName))
                    .col(string(CostSummary::SubAccountId))
                    .col(string(CostSummary::ServiceName))
                    .col(string(CostSummary::ChargeCategory))
                    .col(string(CostSummary::RegionId))
                    .col(big_integer(CostSummary::BilledCost))
                    .col(big_integer(CostSummary::EffectiveCost))
                    .col(big_integer(CostSummary::ListCost))
                    .col(big_integer(CostSummary::LineCount))
                    .primary_key(
                        Index::create()
                            .col(CostSummary::ClientId)
                            .col(CostSummary::Day)
                            .col(CostSummary::Currency)
                            .col(CostSummary::ProviderName)
                            .col(CostSummary::SubAccountId)
                            .col(CostSummary::ServiceName)
                            .col(CostSummary::ChargeCategory)
                            .col(CostSummary::RegionId),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_cost_summary_day")
                    .table(CostSummary::Table)
                    .col(CostSummary::Day)
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "INSERT INTO cost_summary (client_id, day, currency, provider_name, \
                 sub_account_id, service_name, charge_category, region_id, billed_cost, \
                 effective_cost, list_cost, line_count) \
                 SELECT client_id, day, currency, provider_name, sub_account_id, service_name, \
                 charge_category, region_id, SUM(billed_cost), SUM(effective_cost), \
                 SUM(list_cost), SUM(line_count) FROM cost_daily \
                 GROUP BY client_id, day, currency, provider_name, sub_account_id, \
                 service_name, charge_category, region_id",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CostSummary::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum CostSummary {
    Table,
    ClientId,
    Day,
    Currency,
    ProviderName,
    SubAccountId,
    ServiceName,
    ChargeCategory,
    RegionId,
    BilledCost,
    EffectiveCost,
    ListCost,
    LineCount,
}
