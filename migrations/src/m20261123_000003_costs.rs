//! Cloud costs: FOCUS-shaped line items, the imports that brought them, and the daily rollups
//! that every dashboard reads.
//!
//! Money columns are 64-bit integers in units of 10⁻¹¹ of the currency (FOCUS exports carry up
//! to 11 decimal places), so sums are exact in SQL on both backends.

use sea_orm_migration::prelude::{
    DbErr, DeriveIden, DeriveMigrationName, ForeignKey, ForeignKeyAction, Index, IntoIden,
    MigrationTrait, SchemaManager, Table, async_trait, sea_orm,
};
use sea_orm_migration::schema::{
    big_integer, big_integer_null, string, string_len, string_null, text, text_null,
    timestamp_with_time_zone,
};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    #[expect(
        clippy::too_many_lines,
        reason = "one migration creates one coherent set of tables"
    )]
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CostImports::Table)
                    .col(string(CostImports::Id).primary_key())
                    .col(string(CostImports::ClientId))
                    .col(string_null(CostImports::FileName))
                    .col(string(CostImports::Sha256))
                    .col(string(CostImports::FocusVersion))
                    .col(big_integer(CostImports::RowsImported))
                    .col(big_integer(CostImports::RowsRejected))
                    .col(text(CostImports::Errors))
                    .col(big_integer(CostImports::BilledCostTotal))
                    .col(big_integer(CostImports::EffectiveCostTotal))
                    .col(string(CostImports::Currency))
                    .col(string_null(CostImports::FirstDay))
                    .col(string_null(CostImports::LastDay))
                    .col(string_null(CostImports::CreatedBy))
                    .col(timestamp_with_time_zone(CostImports::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(CostImports::Table, CostImports::ClientId)
                            .to(Clients::Table, Clients::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CostLineItems::Table)
                    .col(string(CostLineItems::ImportId))
                    .col(big_integer(CostLineItems::LineNo))
                    .col(string(CostLineItems::ClientId))
                    .col(string_len(CostLineItems::Day, 10))
                    .col(timestamp_with_time_zone(CostLineItems::ChargePeriodStart))
                    .col(timestamp_with_time_zone(CostLineItems::ChargePeriodEnd))
                    .col(string_len(CostLineItems::Currency, 3))
                    .col(big_integer(CostLineItems::BilledCost))
                    .col(big_integer(CostLineItems::EffectiveCost))
                    .col(big_integer_null(CostLineItems::ListCost))
                    .col(big_integer_null(CostLineItems::ContractedCost))
                    .col(string(CostLineItems::ProviderName))
                    .col(string(CostLineItems::BillingAccountId))
                    .col(string(CostLineItems::SubAccountId))
                    .col(string(CostLineItems::ServiceName))
                    .col(string(CostLineItems::ServiceCategory))
                    .col(string(CostLineItems::RegionId))
                    .col(string(CostLineItems::ResourceId))
                    .col(string(CostLineItems::ChargeCategory))
                    .col(string_null(CostLineItems::SkuId))
                    .col(text_null(CostLineItems::ChargeDescription))
                    .col(string_null(CostLineItems::ConsumedQuantity))
                    .col(string_null(CostLineItems::ConsumedUnit))
                    .col(text(CostLineItems::Tags))
                    .col(text(CostLineItems::Attributes))
                    .primary_key(
                        Index::create()
                            .col(CostLineItems::ImportId)
                            .col(CostLineItems::LineNo),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(CostLineItems::Table, CostLineItems::ImportId)
                            .to(CostImports::Table, CostImports::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CostDaily::Table)
                    .col(string(CostDaily::ClientId))
                    .col(string_len(CostDaily::Day, 10))
                    .col(string(CostDaily::DimsKey))
                    .col(string_len(CostDaily::Currency, 3))
                    .col(string(CostDaily::ProviderName))
                    .col(string(CostDaily::BillingAccountId))
                    .col(string(CostDaily::SubAccountId))
                    .col(string(CostDaily::ServiceName))
                    .col(string(CostDaily::ServiceCategory))
                    .col(string(CostDaily::RegionId))
                    .col(string(CostDaily::ResourceId))
                    .col(string(CostDaily::ChargeCategory))
                    .col(text(CostDaily::Tags))
                    .col(big_integer(CostDaily::BilledCost))
                    .col(big_integer(CostDaily::EffectiveCost))
                    .col(big_integer(CostDaily::ListCost))
                    .col(big_integer(CostDaily::LineCount))
                    .primary_key(
                        Index::create()
                            .col(CostDaily::ClientId)
                            .col(CostDaily::Day)
                            .col(CostDaily::DimsKey),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, table, columns, unique) in [
            (
                "ux_cost_imports_client_sha256",
                CostImports::Table.into_iden(),
                vec![
                    CostImports::ClientId.into_iden(),
                    CostImports::Sha256.into_iden(),
                ],
                true,
            ),
            (
                "ix_cost_line_items_client_day",
                CostLineItems::Table.into_iden(),
                vec![
                    CostLineItems::ClientId.into_iden(),
                    CostLineItems::Day.into_iden(),
                ],
                false,
            ),
            (
                "ix_cost_daily_day",
                CostDaily::Table.into_iden(),
                vec![CostDaily::Day.into_iden()],
                false,
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(table);
            for column in columns {
                index.col(column);
            }
            if unique {
                index.unique();
            }
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            CostDaily::Table.into_iden(),
            CostLineItems::Table.into_iden(),
            CostImports::Table.into_iden(),
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
enum CostImports {
    Table,
    Id,
    ClientId,
    FileName,
    Sha256,
    FocusVersion,
    RowsImported,
    RowsRejected,
    Errors,
    BilledCostTotal,
    EffectiveCostTotal,
    Currency,
    FirstDay,
    LastDay,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CostLineItems {
    Table,
    ImportId,
    LineNo,
    ClientId,
    Day,
    ChargePeriodStart,
    ChargePeriodEnd,
    Currency,
    BilledCost,
    EffectiveCost,
    ListCost,
    ContractedCost,
    ProviderName,
    BillingAccountId,
    SubAccountId,
    ServiceName,
    ServiceCategory,
    RegionId,
    ResourceId,
    ChargeCategory,
    SkuId,
    ChargeDescription,
    ConsumedQuantity,
    ConsumedUnit,
    Tags,
    Attributes,
}

#[derive(DeriveIden)]
enum CostDaily {
    Table,
    ClientId,
    Day,
    DimsKey,
    Currency,
    ProviderName,
    BillingAccountId,
    SubAccountId,
    ServiceName,
    ServiceCategory,
    RegionId,
    ResourceId,
    ChargeCategory,
    Tags,
    BilledCost,
    EffectiveCost,
    ListCost,
    LineCount,
}
