//! Saved views (issue 10, point 4): a person keeps a cost dashboard's choices (its address's
//! query) under a name, to open again. A view is its owner's alone and goes with them.

use sea_orm_migration::prelude::{
    DbErr, DeriveIden, DeriveMigrationName, ForeignKey, ForeignKeyAction, Index, MigrationTrait,
    SchemaManager, Table, async_trait, sea_orm,
};
use sea_orm_migration::schema::{string, text, timestamp_with_time_zone};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SavedViews::Table)
                    .col(string(SavedViews::Id).primary_key())
                    .col(string(SavedViews::UserId))
                    .col(string(SavedViews::Name))
                    .col(string(SavedViews::NameKey))
                    .col(text(SavedViews::Query))
                    .col(timestamp_with_time_zone(SavedViews::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(SavedViews::Table, SavedViews::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("saved_views_user_name")
                    .table(SavedViews::Table)
                    .col(SavedViews::UserId)
                    .col(SavedViews::NameKey)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SavedViews::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum SavedViews {
    Table,
    Id,
    UserId,
    Name,
    NameKey,
    Query,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}
