//! A service: what a project runs, made from a template.

use sea_orm::entity::prelude::*;

/// A `services` row. The webhook secret is sealed (AES-256-GCM under the master key), bound to
/// the row's id.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "services")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Its project's client.
    pub client_id: String,
    /// Its project.
    pub project_id: String,
    /// A DNS label, unique in the project.
    pub name: String,
    /// What it is for.
    #[sea_orm(column_type = "Text")]
    pub description: String,
    /// The template's id.
    pub template: String,
    /// The template's parameters (a JSON object, defaults filled in).
    #[sea_orm(column_type = "Text")]
    pub parameters: String,
    /// The owning team.
    pub owner_team_id: Option<String>,
    /// `creating`, `failed`, `active` or `deleting`.
    pub status: String,
    /// Why its creation failed.
    #[sea_orm(column_type = "Text", nullable)]
    pub status_detail: Option<String>,
    /// The git connection its repository lives on.
    pub git_connection_id: String,
    /// The repository's owner on the host.
    pub repo_owner: String,
    /// The repository's name on the host.
    pub repo_name: String,
    /// Whether gmac created the repository.
    pub repo_created: bool,
    /// Where to clone it from.
    #[sea_orm(column_type = "Text", nullable)]
    pub clone_url: Option<String>,
    /// Its page on the host.
    #[sea_orm(column_type = "Text", nullable)]
    pub html_url: Option<String>,
    /// The first commit gmac pushed.
    pub first_commit: Option<String>,
    /// The host's id of the push webhook.
    pub webhook_id: Option<String>,
    /// The sealed secret that signs the webhook's deliveries.
    #[sea_orm(column_type = "Text")]
    pub sealed_webhook_secret: String,
    /// `[{"name", "branch"}]`.
    #[sea_orm(column_type = "Text")]
    pub environments: String,
    /// The job that creates it.
    pub creation_job_id: Option<String>,
    /// How it builds: `gmac_types::BuildSettings` as JSON, without the secrets' names.
    #[sea_orm(column_type = "Text")]
    pub build_settings: String,
    /// Its build secrets, `{name: value}` as JSON, sealed and bound to the row's id.
    #[sea_orm(column_type = "Text", nullable)]
    pub sealed_build_secrets: Option<String>,
    /// How many hours its preview environments live after their branch's last push; none: a
    /// push to a branch of no environment opens no preview.
    pub preview_ttl_hours: Option<i32>,
    /// Which of its events email whom: a JSON list of rules (none: it emails no one).
    #[sea_orm(column_type = "Text", nullable)]
    pub notice_rules: Option<String>,
    /// Who created it.
    pub created_by: String,
    /// When.
    pub created_at: DateTimeUtc,
    /// When it last changed.
    pub updated_at: DateTimeUtc,
    /// Bumped on every change.
    pub version: i64,
}

/// No relations are navigated through sea-orm.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
