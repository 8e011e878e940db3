//! Budgets with their alerts and period history, and feedback on cost anomalies.

use sea_orm_migration::prelude::{
    DbErr, DeriveIden, DeriveMigrationName, Index, IntoIden, MigrationTrait, SchemaManager, Table,
    async_trait, sea_orm,
};
use sea_orm_migration::schema::{
    big_integer, boolean, string, string_len, string_null, text, timestamp_with_time_zone,
};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Budgets::Table)
                    .col(string(Budgets::Id).primary_key())
                    .col(string(Budgets::Name))
                    .col(string(Budgets::ScopeType))
                    .col(string_null(Budgets::ScopeId))
                    .col(string_null(Budgets::ClientId))
                    .col(string(Budgets::Period))
                    .col(big_integer(Budgets::Amount))
                    .col(string_len(Budgets::Currency, 3))
                    .col(text(Budgets::Thresholds))
                    .col(text(Budgets::Notify))
                    .col(string_null(Budgets::CreatedBy))
                    .col(timestamp_with_time_zone(Budgets::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(BudgetAlerts::Table)
                    .col(string(BudgetAlerts::BudgetId))
                    .col(string_len(BudgetAlerts::PeriodStart, 10))
                    .col(big_integer(BudgetAlerts::Percent))
                    .col(string(BudgetAlerts::Basis))
                    .col(big_integer(BudgetAlerts::Amount))
                    .col(boolean(BudgetAlerts::Emailed))
                    .col(timestamp_with_time_zone(BudgetAlerts::RaisedAt))
                    .primary_key(
                        Index::create()
                            .col(BudgetAlerts::BudgetId)
                            .col(BudgetAlerts::PeriodStart)
                            .col(BudgetAlerts::Percent)
                            .col(BudgetAlerts::Basis),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(BudgetHistory::Table)
                    .col(string(BudgetHistory::BudgetId))
                    .col(string_len(BudgetHistory::PeriodStart, 10))
                    .col(big_integer(BudgetHistory::Limit))
                    .col(big_integer(BudgetHistory::Actual))
                    .col(timestamp_with_time_zone(BudgetHistory::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(BudgetHistory::BudgetId)
                            .col(BudgetHistory::PeriodStart),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AnomalyFeedback::Table)
                    .col(string(AnomalyFeedback::Dimension))
                    .col(string(AnomalyFeedback::Key))
                    .col(string_len(AnomalyFeedback::Day, 10))
                    .col(string(AnomalyFeedback::Verdict))
                    .col(string(AnomalyFeedback::UserId))
                    .col(timestamp_with_time_zone(AnomalyFeedback::At))
                    .primary_key(
                        Index::create()
                            .col(AnomalyFeedback::Dimension)
                            .col(AnomalyFeedback::Key)
                            .col(AnomalyFeedback::Day),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AnomalyFeedback::Table.into_iden(),
            BudgetHistory::Table.into_iden(),
            BudgetAlerts::Table.into_iden(),
            Budgets::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Budgets {
    Table,
    Id,
    Name,
    ScopeType,
    ScopeId,
    ClientId,
    Period,
    Amount,
    Currency,
    Thresholds,
    Notify,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum BudgetAlerts {
    Table,
    BudgetId,
    PeriodStart,
    Percent,
    Basis,
    Amount,
    Emailed,
    RaisedAt,
}

#[derive(DeriveIden)]
enum BudgetHistory {
    Table,
    BudgetId,
    PeriodStart,
    Limit,
    Actual,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AnomalyFeedback {
    Table,
    Dimension,
    Key,
    Day,
    Verdict,
    UserId,
    At,
}
