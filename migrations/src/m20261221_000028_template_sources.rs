//! Templates added from git repositories (issue 11, point 2): a source is a repository, a ref
//! and a folder; each sync keeps the templates it found, checked whole, with their files. A
//! template's id is unique across the sources (the built-in ids are refused when syncing).

use sea_orm_migration::prelude::{
    DbErr, DeriveIden, DeriveMigrationName, ForeignKey, ForeignKeyAction, Index, MigrationTrait,
    SchemaManager, Table, async_trait, sea_orm,
};
use sea_orm_migration::schema::{
    big_integer, integer, string, string_null, text, timestamp_with_time_zone,
    timestamp_with_time_zone_null,
};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TemplateSources::Table)
                    .col(string(TemplateSources::Id).primary_key())
                    .col(text(TemplateSources::Url))
                    .col(string_null(TemplateSources::ConnectionId))
                    .col(string(TemplateSources::GitRef))
                    .col(text(TemplateSources::Path))
                    .col(string_null(TemplateSources::CommitId))
                    .col(text(TemplateSources::Problems).default("[]"))
                    .col(string_null(TemplateSources::JobId))
                    .col(timestamp_with_time_zone_null(TemplateSources::SyncedAt))
                    .col(string(TemplateSources::CreatedBy))
                    .col(timestamp_with_time_zone(TemplateSources::CreatedAt))
                    .col(big_integer(TemplateSources::Version))
                    .foreign_key(
                        ForeignKey::create()
                            .from(TemplateSources::Table, TemplateSources::ConnectionId)
                            .to(GitConnections::Table, GitConnections::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_template_sources_place")
                    .table(TemplateSources::Table)
                    .col(TemplateSources::Url)
                    .col(TemplateSources::GitRef)
                    .col(TemplateSources::Path)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SourceTemplates::Table)
                    .col(string(SourceTemplates::TemplateId).primary_key())
                    .col(string(SourceTemplates::SourceId))
                    .col(text(SourceTemplates::Folder))
                    .col(text(SourceTemplates::Files))
                    .col(integer(SourceTemplates::Bytes))
                    .foreign_key(
                        ForeignKey::create()
                            .from(SourceTemplates::Table, SourceTemplates::SourceId)
                            .to(TemplateSources::Table, TemplateSources::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_source_templates_source")
                    .table(SourceTemplates::Table)
                    .col(SourceTemplates::SourceId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SourceTemplates::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(TemplateSources::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum TemplateSources {
    Table,
    Id,
    Url,
    ConnectionId,
    GitRef,
    Path,
    CommitId,
    Problems,
    JobId,
    SyncedAt,
    CreatedBy,
    CreatedAt,
    Version,
}

#[derive(DeriveIden)]
enum SourceTemplates {
    Table,
    TemplateId,
    SourceId,
    Folder,
    Files,
    Bytes,
}

#[derive(DeriveIden)]
enum GitConnections {
    Table,
    Id,
}
