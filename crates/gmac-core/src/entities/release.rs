//! A release: an image an environment runs.

use sea_orm::entity::prelude::*;

/// A `releases` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "releases")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Its environment.
    pub environment_id: String,
    /// The environment's service.
    pub service_id: String,
    /// The service's client.
    pub client_id: String,
    /// The service's project.
    pub project_id: String,
    /// 1, 2, … within the environment.
    pub number: i64,
    /// The image reference.
    #[sea_orm(column_type = "Text")]
    pub image: String,
    /// The image's id on the target when its container started.
    #[sea_orm(column_type = "Text", nullable)]
    pub image_id: Option<String>,
    /// The build it came from.
    pub build_id: Option<String>,
    /// The release it brought back.
    pub rollback_of: Option<String>,
    /// What made it: `manual` (a person, `created_by`) or `push` (deploy-on-push, no one).
    pub trigger: String,
    /// `deploying`, `live`, `failed` or `retired`.
    pub status: String,
    /// Why it failed.
    #[sea_orm(column_type = "Text", nullable)]
    pub detail: Option<String>,
    /// Its rollout job.
    pub job_id: String,
    /// The target it ran on.
    pub target_id: Option<String>,
    /// Its container on the target.
    #[sea_orm(column_type = "Text", nullable)]
    pub container_id: Option<String>,
    /// `ip:port` where its container is reached on the engine's network.
    #[sea_orm(column_type = "Text", nullable)]
    pub upstream: Option<String>,
    /// Who asked for it.
    pub created_by: Option<String>,
    /// When.
    pub created_at: DateTimeUtc,
    /// When it went live or failed.
    pub finished_at: Option<DateTimeUtc>,
    /// The version of its environment's variables it runs with (0 or none: none).
    pub variables_version: Option<i64>,
    /// A JSON object of each secret's name to the version it runs with.
    #[sea_orm(column_type = "Text", nullable)]
    pub secret_versions: Option<String>,
    /// When retention let it go: it can no longer be rolled back to.
    pub pruned_at: Option<DateTimeUtc>,
    /// The version of its project's shared variables it runs with (`None`: made before they
    /// existed, the same as 0: none).
    pub project_variables_version: Option<i64>,
    /// The version of its service's shared variables it runs with.
    pub service_variables_version: Option<i64>,
    /// The groups its service had attached and their versions, in order (a JSON array of
    /// `{group_id, version}`).
    #[sea_orm(column_type = "Text", nullable)]
    pub group_variables_versions: Option<String>,
    /// The versions of the secrets its service shares it runs with (a JSON object of name to
    /// version; none: none).
    #[sea_orm(column_type = "Text", nullable)]
    pub service_secret_versions: Option<String>,
    /// The versions of the secrets its project shares it runs with (a JSON object of name to
    /// version; none: none).
    #[sea_orm(column_type = "Text", nullable)]
    pub project_secret_versions: Option<String>,
}

/// No relations are navigated through sea-orm.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
