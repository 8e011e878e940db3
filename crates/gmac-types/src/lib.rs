//! gmac's wire types, shared by the server, the typed client and the SPA so each is defined once.
//!
//! This crate builds for `wasm32-unknown-unknown`: it depends on serde only, and derives `OpenAPI`
//! schemas behind the `openapi` feature.

pub mod access;
pub mod audit;
pub mod auth;
pub mod builds;
pub mod catalog;
pub mod costs;
pub mod deployments;
pub mod domains;
pub mod events;
pub mod git;
pub mod invitations;
pub mod jobs;
pub mod mfa;
pub mod notices;
pub mod ops;
pub mod org;
pub mod page;
pub mod problem;
pub mod profile;
pub mod query;
pub mod reports;
pub mod runtime;
pub mod secret;
pub mod targets;
pub mod teams;
pub mod templates;
pub mod time;
pub mod tokens;
pub mod users;
pub mod validation;
pub mod variables;
pub mod whole;

pub use access::{
    NewRole, NewRoleBinding, Permission, PermissionInfo, Role, RoleBinding, RoleBindingQuery,
    RolePatch, RolePolicy, Subject, SubjectKind,
};
pub use audit::{AuditEvent, AuditQuery, AuditVerification, BrokenLink};
pub use auth::{
    AuthMethod, LoginRequest, Me, RoleGrant, Scope, SetupRequest, SetupStatus, TokenResponse, User,
};
pub use costs::{
    Allocation, AllocationRule, AllocationRuleChange, AnomalyDimension, AnomalyFeedback,
    AnomalyQuery, AnomalyVerdict, Comparison, CostAnomaly, CostForecast, CostGroup, CostImport,
    CostImportParams, CostMetric, CostPart, CostQuery, CostReport, ForecastQuery,
    NewAllocationRule, NewResourceAssignment, NewSavedView, OnRowError, ReplacedPeriod,
    ResourceAssignment, RootCause, RowError, SavedView, ShareMethod,
};
pub use costs::{
    Budget, BudgetAlert, BudgetPatch, BudgetPeriod, BudgetPeriodResult, BudgetScope, BudgetStatus,
    BudgetThreshold, NewBudget, ThresholdBasis,
};
pub use costs::{
    CloudAccount, CloudAccountPatch, CloudAccountTest, ConnectionTest, CostSync, Invoice,
    InvoiceKind, InvoiceLine, InvoiceQuery, IssueInvoice, NewCloudAccount,
};
pub use costs::{ReleaseCost, ServiceCostDay, ServiceCosts};
pub use events::{Event, EventList, EventQuery, EventScope, EventStreamQuery, SseFrame};
pub use invitations::{
    AcceptInvitation, CreatedInvitation, Invitation, InvitationPreview, InvitationStatus,
    InvitationToken, NewInvitation,
};
pub use jobs::{Job, JobLogLine, JobProgress, JobQuery, JobStatus, JobStep};
pub use mfa::{
    DisableMfa, LoginResponse, MfaChallenge, MfaVerification, RecoveryCodes, TotpCode,
    TotpEnrollment,
};
pub use notices::{
    EnvironmentKind, MAX_NOTICE_RECIPIENTS, MAX_NOTICE_RULES, NoticeRule, ServiceNotice,
};
pub use ops::{Health, Readiness};
pub use profile::{NotificationPrefs, PasswordChange, Profile, ProfilePatch, Theme};

pub use builds::{
    Build, BuildDay, BuildQuery, BuildSettings, BuildSettingsPatch, BuildStats, BuildStatsQuery,
    BuildStatus, BuildStep, BuildTrigger, NewBuild,
};
pub use catalog::{
    CreatedService, NewService, NewServiceRepository, Service, ServiceDeleteQuery,
    ServiceEnvironment, ServicePatch, ServicePush, ServiceQuery, ServiceRepository, ServiceStatus,
};
pub use deployments::{
    Autoscale, DEFAULT_RELEASES_KEPT, DeployStarted, DeploysPaused, Environment, EnvironmentPatch,
    MAX_HEALTH_PATH, MAX_PREVIEW_TTL_HOURS, NewDeploy, NewPreview, NewRollback, PreviewSettings,
    PreviewStarted, Release, ReleaseStatus, ReleaseTrigger, Resources, ScaleRequest,
    health_path_problem,
};
pub use domains::{DnsRecord, Domain, DomainStatus, NewDomain, TlsState, TlsStatus};
pub use git::{GitConnection, GitConnectionTest, GitProvider, NewGitConnection};
pub use org::{Client, ClientPatch, NewClient, NewProject, Project, ProjectPatch};
pub use page::Page;
pub use problem::{ErrorCode, FieldError, PROBLEM_JSON, ProblemDetails};
pub use query::{ListQuery, PageQuery, ProjectListQuery};
pub use reports::{
    CostPeople, CostPerson, DayAmount, MonthlyReport, MonthlyReportQuery, NewReportSchedule,
    ReportCadence, ReportDelivery, ReportFormat, ReportLine, ReportSchedule, ReportSchedulePatch,
    SendReportQuery,
};
pub use secret::SecretText;
pub use targets::{
    EngineSsh, EngineTls, NewTarget, SshAddress, Target, TargetKind, TargetPatch, TargetQuery,
    TargetTest,
};
pub use teams::{
    NewTeam, NewTeamMember, SessionInfo, SessionsEnded, Team, TeamMember, TeamPatch, UserTeam,
};
pub use templates::{
    NewTemplateSource, Template, TemplateCategory, TemplateHealth, TemplateProblem,
    TemplateResources, TemplateSource, TemplateSourceStatus,
};
pub use tokens::{ApiToken, CreatedApiToken, NewApiToken};

pub use users::{NewUser, UserDetail, UserPatch, UserStatus};

/// The path prefix of the versioned REST API.
pub const API_PREFIX: &str = "/api/v1";

/// The name of the refresh-token cookie.
pub const REFRESH_COOKIE: &str = "gmac_refresh";
