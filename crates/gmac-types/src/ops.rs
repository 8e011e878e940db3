//! Liveness and readiness answers.

use serde::{Deserialize, Serialize};

/// The process is up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    /// Always `ok` when the process answers.
    pub status: String,
    /// The gmac version.
    pub version: String,
}

/// The instance can serve requests: its dependencies answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Readiness {
    /// `ready` when every check passed.
    pub status: String,
    /// `up` when the database answered a ping.
    pub database: String,
}
