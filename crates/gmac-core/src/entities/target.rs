//! A place environments deploy to.

use sea_orm::entity::prelude::*;

/// A `targets` row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "targets")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The client it serves.
    pub client_id: String,
    /// The one project it serves, if any.
    pub project_id: Option<String>,
    /// A name, unique within the client.
    pub name: String,
    /// `container_host` or `kubernetes`.
    pub kind: String,
    /// The engine's address.
    #[sea_orm(column_type = "Text")]
    pub address: String,
    /// The reverse proxy's admin API.
    #[sea_orm(column_type = "Text", nullable)]
    pub proxy_admin_url: Option<String>,
    /// The engine as it described itself.
    #[sea_orm(column_type = "Text", nullable)]
    pub engine: Option<String>,
    /// Its credentials (a cluster's kubeconfig), sealed for `targets:<id>:credentials`.
    #[sea_orm(column_type = "Text", nullable)]
    pub credentials: Option<String>,
    /// cert-manager's cluster issuer for its Ingresses.
    #[sea_orm(column_type = "Text", nullable)]
    pub cluster_issuer: Option<String>,
    /// The `IngressClass` its Ingresses name (a cluster's).
    #[sea_orm(column_type = "Text", nullable)]
    pub ingress_class: Option<String>,
    /// Where its traffic comes in, which domains point at.
    #[sea_orm(column_type = "Text", nullable)]
    pub ingress_address: Option<String>,
    /// When it was last tested.
    pub last_test_at: Option<DateTimeUtc>,
    /// Whether that test passed.
    pub last_test_ok: Option<bool>,
    /// What it found.
    #[sea_orm(column_type = "Text", nullable)]
    pub last_test_detail: Option<String>,
    /// Who registered it.
    pub created_by: String,
    /// When.
    pub created_at: DateTimeUtc,
    /// Bumped on every change.
    pub version: i64,
}

/// No relations are navigated through sea-orm.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
