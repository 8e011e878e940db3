//! Allocation rules, report schedules and cloud accounts can be changed (issue 10, point 3):
//! each carries a version, checked against `If-Match`, so two people editing one do not
//! overwrite each other.

use sea_orm_migration::prelude::{
    Alias, DbErr, DeriveMigrationName, MigrationTrait, SchemaManager, Table, async_trait,
};
use sea_orm_migration::schema::big_integer;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

/// The tables that gain a version.
const TABLES: [&str; 3] = ["allocation_rules", "report_schedules", "cloud_accounts"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new(table))
                        .add_column(big_integer(Alias::new("version")).default(1))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new(table))
                        .drop_column(Alias::new("version"))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
