//! Budgets can be changed (issue 10, point 3): each carries a version, sent as its `ETag` and
//! checked against `If-Match`, so two people editing one budget do not overwrite each other.

use sea_orm_migration::prelude::{
    Alias, DbErr, DeriveMigrationName, MigrationTrait, SchemaManager, Table, async_trait,
};
use sea_orm_migration::schema::big_integer;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("budgets"))
                    .add_column(big_integer(Alias::new("version")).default(1))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("budgets"))
                    .drop_column(Alias::new("version"))
                    .to_owned(),
            )
            .await
    }
}
