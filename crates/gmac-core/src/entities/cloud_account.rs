//! A cloud account whose costs gmac syncs.

use sea_orm::entity::prelude::*;

/// A `cloud_accounts` row. The credentials are sealed (AES-256-GCM under the master key),
/// bound to the row's id.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cloud_accounts")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The client.
    pub client_id: String,
    /// A label.
    pub name: String,
    /// `aws`.
    pub provider: String,
    /// The access key id's last four characters.
    pub access_key_hint: Option<String>,
    /// The sealed JSON of the access key, secret and external id.
    #[sea_orm(column_type = "Text")]
    pub sealed_credentials: String,
    /// A role to assume.
    pub role_arn: Option<String>,
    /// The region.
    pub region: String,
    /// Another endpoint.
    pub endpoint_url: Option<String>,
    /// The second grouping.
    pub group_by: String,
    /// Days re-read by each sync.
    pub resync_days: i64,
    /// When it was connected.
    pub created_at: DateTimeUtc,
    /// When its connection was last tested.
    pub last_test_at: Option<DateTimeUtc>,
    /// Whether Cost Explorer answered that test.
    pub last_test_ok: Option<bool>,
    /// What the test found, for a person.
    #[sea_orm(column_type = "Text", nullable)]
    pub last_test_detail: Option<String>,
    /// Bumped on every change.
    pub version: i64,
}

/// No relations are navigated through sea-orm; services join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
