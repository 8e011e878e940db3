//! A build of a service's commit into an image, run by a job.

use sea_orm::entity::prelude::*;

/// A `builds` row. While its job exists, the job's status, steps and times are the build's;
/// the row keeps a copy for when the job is pruned.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "builds")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The service built.
    pub service_id: String,
    /// Its project.
    pub project_id: String,
    /// Its client.
    pub client_id: String,
    /// 1, 2, … per service.
    pub number: i64,
    /// The ref asked for.
    pub git_ref: String,
    /// The commit built, once resolved.
    pub commit_id: Option<String>,
    /// The environment whose branch it builds.
    pub environment: Option<String>,
    /// `manual`, `push` or `creation`.
    pub trigger: String,
    /// Whether cached layers may be reused.
    pub cache: bool,
    /// The job running it.
    pub job_id: String,
    /// `queued`, `running`, `succeeded`, `failed` or `cancelled`: what its job last said,
    /// kept for when the job is pruned.
    pub status: String,
    /// When its latest run began.
    pub started_at: Option<DateTimeUtc>,
    /// When it ended.
    pub finished_at: Option<DateTimeUtc>,
    /// Why it failed.
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<String>,
    /// The image made.
    #[sea_orm(column_type = "Text", nullable)]
    pub image_id: Option<String>,
    /// `["repo:tag", …]` as JSON.
    #[sea_orm(column_type = "Text")]
    pub image_tags: String,
    /// The registry digest of the pushed image.
    #[sea_orm(column_type = "Text", nullable)]
    pub digest: Option<String>,
    /// Who asked for it.
    pub created_by: Option<String>,
    /// When.
    pub created_at: DateTimeUtc,
}

/// No relations are navigated through sea-orm.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
