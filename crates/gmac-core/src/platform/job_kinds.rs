//! The kinds of job and who may see or act on each: a table at the bottom of the platform,
//! read by the queue and by the events a job's end writes.

use gmac_types::Permission;

/// A FOCUS file imported in the background (`POST /cost-imports` with `Prefer: respond-async`).
pub const COST_IMPORT: &str = "cost_import";

/// A Cost Explorer sync of one account, started by hand (`POST /cloud-accounts/{id}/syncs`).
pub const CLOUD_ACCOUNT_SYNC: &str = "cloud_account.sync";

/// A client's allocations recomputed after a rule, an assignment or a team changed.
pub const COST_REALLOCATE: &str = "cost_allocation.recompute";

/// A published import deleted with its lines, and the rollups and allocations of its days
/// recomputed (`DELETE /cost-imports/{id}`).
pub const COST_IMPORT_DELETE: &str = "cost_import.delete";

/// An invitation's link emailed to the person invited.
pub const INVITATION_MAIL: &str = "invitation.mail";

/// A report schedule's report built and emailed now (`POST /report-schedules/{id}/send` with
/// `Prefer: respond-async`).
pub const REPORT_SEND: &str = "report_schedule.send";

/// A service's repository, first commit, branches and webhook made (`POST /services`).
pub const SERVICE_CREATE: &str = "service.create";

/// A service's webhook (and repository, when asked) removed, then the service
/// (`DELETE /services/{id}`).
pub const SERVICE_DELETE: &str = "service.delete";

/// A service's commit built into an image (`POST /services/{id}/builds`, a push, a creation).
pub const SERVICE_BUILD: &str = "service.build";

/// A template source's repository read and its templates checked into the catalog
/// (`POST /template-sources`, `POST /template-sources/{id}/sync`).
pub const TEMPLATE_SOURCE_SYNC: &str = "template_source.sync";

/// A release rolled out to its environment's target: the image, a container, its health, the
/// proxy's route, the old release retired (`POST /environments/{id}/deploys|rollback`).
pub const RELEASE_ROLLOUT: &str = "release.rollout";

/// [`RELEASE_ROLLOUT`] to a production environment: cancelled and retried only by those who
/// may deploy to production.
pub const RELEASE_ROLLOUT_PRODUCTION: &str = "release.rollout_production";

/// A succeeded push build deployed to its environment (deploy-on-push), once no other rollout
/// is under way there: makes the release and its [`RELEASE_ROLLOUT`], or says why not.
pub const PUSH_DEPLOY: &str = "release.push_deploy";

/// [`PUSH_DEPLOY`] to a production environment: retried only by those who may deploy to
/// production.
pub const PUSH_DEPLOY_PRODUCTION: &str = "release.push_deploy_production";

/// An environment restarted or scaled (`POST /environments/{id}/restart|scale`): on a cluster
/// its live release applied again and followed; on a container host its container restarted.
pub const ENVIRONMENT_OPERATION: &str = "environment.operation";

/// [`ENVIRONMENT_OPERATION`] on a production environment: cancelled and retried only by those
/// who may deploy to production.
pub const ENVIRONMENT_OPERATION_PRODUCTION: &str = "environment.operation_production";

/// A preview environment deleted (`DELETE /environments/{id}`, its branch deleted, its expiry
/// passed): what it runs torn down, then its row.
pub const ENVIRONMENT_DELETE: &str = "environment.delete";

/// One email telling one person of one event of a service, as the service's rules say (a
/// deploy, a rollback, a failed build, a domain).
pub const NOTICE_MAIL: &str = "service.notice";

/// The kinds done on someone's behalf: `(kind, permission to see, permission to cancel or
/// retry)`, at the job's scope.
pub(crate) const KINDS: &[(&str, Permission, Permission)] = &[
    (COST_IMPORT, Permission::CostsView, Permission::CostsManage),
    (
        CLOUD_ACCOUNT_SYNC,
        Permission::CostsView,
        Permission::CostsManage,
    ),
    (
        COST_REALLOCATE,
        Permission::CostsView,
        Permission::CostsManage,
    ),
    (
        COST_IMPORT_DELETE,
        Permission::CostsView,
        Permission::CostsManage,
    ),
    (
        INVITATION_MAIL,
        Permission::UsersManage,
        Permission::UsersManage,
    ),
    (REPORT_SEND, Permission::CostsView, Permission::CostsManage),
    (
        SERVICE_CREATE,
        Permission::ServicesView,
        Permission::ServicesManage,
    ),
    (
        SERVICE_DELETE,
        Permission::ServicesView,
        Permission::ServicesManage,
    ),
    (
        SERVICE_BUILD,
        Permission::ServicesView,
        Permission::BuildsRun,
    ),
    (
        TEMPLATE_SOURCE_SYNC,
        Permission::ServicesView,
        Permission::ServicesManage,
    ),
    (
        RELEASE_ROLLOUT,
        Permission::ServicesView,
        Permission::DeploysRun,
    ),
    (
        RELEASE_ROLLOUT_PRODUCTION,
        Permission::ServicesView,
        Permission::DeploysProduction,
    ),
    (
        PUSH_DEPLOY,
        Permission::ServicesView,
        Permission::DeploysRun,
    ),
    (
        PUSH_DEPLOY_PRODUCTION,
        Permission::ServicesView,
        Permission::DeploysProduction,
    ),
    (
        ENVIRONMENT_OPERATION,
        Permission::ServicesView,
        Permission::DeploysRun,
    ),
    (
        ENVIRONMENT_OPERATION_PRODUCTION,
        Permission::ServicesView,
        Permission::DeploysProduction,
    ),
    (
        NOTICE_MAIL,
        Permission::ServicesView,
        Permission::ServicesManage,
    ),
    (
        ENVIRONMENT_DELETE,
        Permission::ServicesView,
        Permission::DeploysRun,
    ),
];

/// Any other kind is the installation's own upkeep: seen by the audit log's readers, acted on
/// by user managers.
pub(crate) const UPKEEP: (Permission, Permission) =
    (Permission::AuditView, Permission::UsersManage);

/// The permission to see a job of `kind`, and the one to cancel or retry it, at its scope.
pub fn permissions(kind: &str) -> (Permission, Permission) {
    KINDS
        .iter()
        .find(|(k, _, _)| *k == kind)
        .map_or(UPKEEP, |&(_, view, act)| (view, act))
}
