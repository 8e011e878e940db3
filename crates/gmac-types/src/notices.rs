//! Which of a service's events notify whom (issue 12, point 7): rules of the service that
//! email people when a deploy succeeds or fails, a release is rolled back, a build fails or a
//! domain's certificate nears its end.

use serde::{Deserialize, Serialize};

/// At most this many rules per service.
pub const MAX_NOTICE_RULES: usize = 20;

/// At most this many email addresses, and as many teams, per rule.
pub const MAX_NOTICE_RECIPIENTS: usize = 50;

/// Something that happens to a service that people can be emailed about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ServiceNotice {
    /// A release went live.
    DeploySucceeded,
    /// A release failed: it never served, or it failed once live and was rolled back.
    DeployFailed,
    /// A release was rolled back: by itself after it failed once live, or by someone to an
    /// earlier one.
    RolledBack,
    /// A build of the service failed.
    BuildFailed,
    /// A custom domain's certificate nears its end.
    DomainExpiring,
    /// A custom domain stopped resolving to the service.
    DomainFailed,
}

impl ServiceNotice {
    /// Every notice, in the order forms show them.
    pub const ALL: [Self; 6] = [
        Self::DeploySucceeded,
        Self::DeployFailed,
        Self::RolledBack,
        Self::BuildFailed,
        Self::DomainExpiring,
        Self::DomainFailed,
    ];

    /// The wire id.
    pub const fn id(self) -> &'static str {
        match self {
            Self::DeploySucceeded => "deploy_succeeded",
            Self::DeployFailed => "deploy_failed",
            Self::RolledBack => "rolled_back",
            Self::BuildFailed => "build_failed",
            Self::DomainExpiring => "domain_expiring",
            Self::DomainFailed => "domain_failed",
        }
    }

    /// What people read.
    pub const fn label(self) -> &'static str {
        match self {
            Self::DeploySucceeded => "A deploy succeeded",
            Self::DeployFailed => "A deploy failed",
            Self::RolledBack => "A release was rolled back",
            Self::BuildFailed => "A build failed",
            Self::DomainExpiring => "A domain's certificate nears its end",
            Self::DomainFailed => "A domain stopped resolving",
        }
    }
}

/// Which environments a rule covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EnvironmentKind {
    /// The staging environment.
    Staging,
    /// The production environment.
    Production,
    /// Every preview environment.
    Preview,
}

impl EnvironmentKind {
    /// Every kind, in the order forms show them.
    pub const ALL: [Self; 3] = [Self::Staging, Self::Production, Self::Preview];

    /// The wire id.
    pub const fn id(self) -> &'static str {
        match self {
            Self::Staging => "staging",
            Self::Production => "production",
            Self::Preview => "preview",
        }
    }

    /// The kind of the environment named `name`.
    pub fn of(name: &str) -> Self {
        match name {
            "staging" => Self::Staging,
            "production" => Self::Production,
            _ => Self::Preview,
        }
    }
}

/// One rule of a service: these events, in these environments, email these people.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NoticeRule {
    /// What it tells of (at least one).
    #[cfg_attr(feature = "openapi", schema(min_items = 1))]
    pub events: Vec<ServiceNotice>,
    /// Only what happens in these kinds of environment; empty: in every one. A build is of
    /// no environment and a rule tells of its failure whatever this says.
    #[serde(default)]
    pub environments: Vec<EnvironmentKind>,
    /// The members of these teams who may see the service and have not turned deploy emails
    /// off in their profile.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 50))]
    pub team_ids: Vec<String>,
    /// These addresses, as they are.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 50))]
    pub emails: Vec<String>,
}

impl NoticeRule {
    /// Whether the rule tells of `notice` in an environment of `kind` (`None`: of none).
    pub fn covers(&self, notice: ServiceNotice, kind: Option<EnvironmentKind>) -> bool {
        self.events.contains(&notice)
            && kind.is_none_or(|k| self.environments.is_empty() || self.environments.contains(&k))
    }
}
