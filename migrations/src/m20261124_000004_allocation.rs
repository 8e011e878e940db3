//! Cost allocation: rules in order of precedence, resources assigned by hand, and the daily
//! allocated costs that per-user and per-team views read.

use sea_orm_migration::prelude::{
    DbErr, DeriveIden, DeriveMigrationName, ForeignKey, ForeignKeyAction, Index, IntoIden,
    MigrationTrait, SchemaManager, Table, async_trait, sea_orm,
};
use sea_orm_migration::schema::{
    big_integer, string, string_len, string_null, text, timestamp_with_time_zone,
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
                    .table(AllocationRules::Table)
                    .col(string(AllocationRules::Id).primary_key())
                    .col(string_null(AllocationRules::ClientId))
                    .col(string(AllocationRules::Name))
                    .col(big_integer(AllocationRules::Position))
                    .col(string_null(AllocationRules::TagKey))
                    .col(string_null(AllocationRules::TagValue))
                    .col(string_null(AllocationRules::Account))
                    .col(string_null(AllocationRules::Service))
                    .col(text(AllocationRules::Allocation))
                    .col(timestamp_with_time_zone(AllocationRules::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(AllocationRules::Table, AllocationRules::ClientId)
                            .to(Clients::Table, Clients::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ResourceAssignments::Table)
                    .col(string(ResourceAssignments::Id).primary_key())
                    .col(string(ResourceAssignments::ClientId))
                    .col(string(ResourceAssignments::ResourceId))
                    .col(string(ResourceAssignments::SubjectType))
                    .col(string(ResourceAssignments::SubjectId))
                    .col(timestamp_with_time_zone(ResourceAssignments::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ResourceAssignments::Table, ResourceAssignments::ClientId)
                            .to(Clients::Table, Clients::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CostAllocations::Table)
                    .col(string(CostAllocations::ClientId))
                    .col(string_len(CostAllocations::Day, 10))
                    .col(string(CostAllocations::UserId))
                    .col(string(CostAllocations::TeamId))
                    .col(string(CostAllocations::ServiceName))
                    .col(string_len(CostAllocations::Currency, 3))
                    .col(big_integer(CostAllocations::BilledCost))
                    .col(big_integer(CostAllocations::EffectiveCost))
                    .col(big_integer(CostAllocations::ListCost))
                    .primary_key(
                        Index::create()
                            .col(CostAllocations::ClientId)
                            .col(CostAllocations::Day)
                            .col(CostAllocations::UserId)
                            .col(CostAllocations::TeamId)
                            .col(CostAllocations::ServiceName)
                            .col(CostAllocations::Currency),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, table, columns, unique) in [
            (
                "ux_resource_assignments_client_resource",
                ResourceAssignments::Table.into_iden(),
                vec![
                    ResourceAssignments::ClientId.into_iden(),
                    ResourceAssignments::ResourceId.into_iden(),
                ],
                true,
            ),
            (
                "ix_allocation_rules_client_position",
                AllocationRules::Table.into_iden(),
                vec![
                    AllocationRules::ClientId.into_iden(),
                    AllocationRules::Position.into_iden(),
                ],
                false,
            ),
            (
                "ix_cost_allocations_day",
                CostAllocations::Table.into_iden(),
                vec![CostAllocations::Day.into_iden()],
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
            CostAllocations::Table.into_iden(),
            ResourceAssignments::Table.into_iden(),
            AllocationRules::Table.into_iden(),
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
enum AllocationRules {
    Table,
    Id,
    ClientId,
    Name,
    Position,
    TagKey,
    TagValue,
    Account,
    Service,
    Allocation,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ResourceAssignments {
    Table,
    Id,
    ClientId,
    ResourceId,
    SubjectType,
    SubjectId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CostAllocations {
    Table,
    ClientId,
    Day,
    UserId,
    TeamId,
    ServiceName,
    Currency,
    BilledCost,
    EffectiveCost,
    ListCost,
}
