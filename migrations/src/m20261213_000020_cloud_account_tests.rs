//! A cloud account remembers its last connection test (issue 10, point 9): when, whether Cost
//! Explorer answered, and what it said, so the list shows it instead of "Never synced".

use sea_orm_migration::prelude::{
    Alias, DbErr, DeriveMigrationName, MigrationTrait, SchemaManager, Table, async_trait,
};
use sea_orm_migration::schema::{boolean_null, text_null, timestamp_with_time_zone_null};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

const TABLE: &str = "cloud_accounts";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column a statement: SQLite adds one at a time.
        for column in [
            timestamp_with_time_zone_null(Alias::new("last_test_at")),
            boolean_null(Alias::new("last_test_ok")),
            text_null(Alias::new("last_test_detail")),
        ] {
            let mut column = column;
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new(TABLE))
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["last_test_detail", "last_test_ok", "last_test_at"] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new(TABLE))
                        .drop_column(Alias::new(column))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
