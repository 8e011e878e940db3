//! An environment of a service: staging or production.

use sea_orm::entity::prelude::*;

/// An `environments` row. Its branch is in the service's `environments` column.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "environments")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Its service.
    pub service_id: String,
    /// The service's client.
    pub client_id: String,
    /// The service's project.
    pub project_id: String,
    /// `staging` or `production`.
    pub name: String,
    /// The target it deploys to.
    pub target_id: Option<String>,
    /// The release serving it.
    pub live_release_id: Option<String>,
    /// Whether a succeeded push build of its branch is deployed to it.
    pub deploy_on_push: bool,
    /// Since when deploy-on-push is paused (a manual rollback pauses it).
    pub paused_at: Option<DateTimeUtc>,
    /// Who paused it.
    pub paused_by: Option<String>,
    /// Why, for a person.
    #[sea_orm(column_type = "Text", nullable)]
    pub paused_reason: Option<String>,
    /// When deploy-on-push was last resumed or switched on: builds that ended before do not
    /// deploy (the events of their end may be handed over later).
    pub resumed_at: Option<DateTimeUtc>,
    /// Whether a release that fails after it went live brings the one before back.
    pub auto_rollback: bool,
    /// How many replicas its releases run (the fewest, when it autoscales).
    pub replicas: i32,
    /// The fewest replicas its autoscaler keeps, when it autoscales.
    pub autoscale_min: Option<i32>,
    /// The most.
    pub autoscale_max: Option<i32>,
    /// The average CPU use, in percent of the request, its autoscaler keeps to.
    pub autoscale_cpu: Option<i32>,
    /// When it was last restarted (a cluster's pods carry it).
    pub restarted_at: Option<DateTimeUtc>,
    /// The job of a restart or a scale under way.
    pub operation_job_id: Option<String>,
    /// The path its health check asks, overriding the template's.
    pub health_path: Option<String>,
    /// Seconds a new release has to answer its health check (none: the installation's).
    pub health_timeout_secs: Option<i32>,
    /// How many releases it keeps to roll back to, the live one among them.
    pub releases_kept: i32,
    /// CPU its containers ask for, in thousandths of a core (none of the four: none set).
    pub cpu_request_millis: Option<i32>,
    /// CPU its containers may use.
    pub cpu_limit_millis: Option<i32>,
    /// Memory its containers ask for, in MiB.
    pub memory_request_mib: Option<i32>,
    /// Memory its containers may use, in MiB.
    pub memory_limit_mib: Option<i32>,
    /// The branch it previews (a preview environment); none for staging and production.
    #[sea_orm(column_type = "Text", nullable)]
    pub preview_branch: Option<String>,
    /// When it is deleted by itself (a preview environment).
    pub expires_at: Option<DateTimeUtc>,
    /// The job deleting it, once its deletion began: it deploys nothing more.
    pub delete_job_id: Option<String>,
    /// When it was made.
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
