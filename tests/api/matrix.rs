//! The access matrix, proven against the API itself: every operation of
//! `openapi/openapi.json` is called as an anonymous caller, as each built-in role (bound
//! globally), and as the admin of another client, and every answer is checked against what
//! that caller may do. An operation without an expectation here fails the test, so a new
//! endpoint cannot ship unexamined.

use gmac_types::PageQuery;
use std::collections::HashMap;
use std::sync::Mutex;

use gmac_tests::{Options, Session, TestApp, spawn_app_with};
use gmac_types::{
    NewClient, NewInvitation, NewProject, NewRole, NewRoleBinding, NewTeam, NewTeamMember,
    Permission, Scope, Subject, SubjectKind,
};
use serde_json::{Value, json};

/// Who calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Who {
    Anonymous,
    Role(&'static str),
    /// An admin bound to another client only.
    OtherClientAdmin,
}

const SA: &str = "super_admin";
const ADMIN: &str = "admin";
const DEV: &str = "developer";
const VIEWER: &str = "viewer";
const BILLING: &str = "billing_manager";

const CALLERS: [Who; 7] = [
    Who::Anonymous,
    Who::Role(SA),
    Who::Role(ADMIN),
    Who::Role(DEV),
    Who::Role(VIEWER),
    Who::Role(BILLING),
    Who::OtherClientAdmin,
];

/// What a caller should get.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    /// Any 2xx.
    Ok,
    /// Exactly this status.
    Status(u16),
}

/// Who may call an operation.
#[derive(Clone, Copy, Debug)]
enum Allow {
    /// No sign-in: credentials are in the request itself. Anonymous callers get `status`.
    Public(Outcome),
    /// Any signed-in user, on their own account.
    AnyUser,
    /// These built-in roles; the others get `denied`; the other client's admin gets `other`.
    Roles {
        roles: &'static [&'static str],
        denied: u16,
        other: Outcome,
    },
}

const ADMINS: &[&str] = &[SA, ADMIN];
const EVERYONE: &[&str] = &[SA, ADMIN, DEV, VIEWER, BILLING];

/// The matrix. `None`: the operation has no expectation yet.
#[expect(
    clippy::match_same_arms,
    reason = "the table is grouped by area, not by outcome"
)]
fn allow(operation: &str) -> Option<Allow> {
    use Outcome::{Ok, Status};
    let admins = |denied: u16, other: Outcome| Allow::Roles {
        roles: ADMINS,
        denied,
        other,
    };
    Some(match operation {
        // Operations endpoints and the credential exchanges.
        "get_health" | "get_readiness" | "get_metrics" | "get_setup_status" => Allow::Public(Ok),
        "complete_setup" => Allow::Public(Status(409)),
        "create_session" | "delete_session" | "preview_invitation" | "accept_invitation" => {
            Allow::Public(Ok)
        }
        "refresh_session" | "verify_mfa" => Allow::Public(Status(401)),
        // Self-service.
        "get_me"
        | "list_permissions"
        | "list_templates"
        | "list_roles"
        | "get_profile"
        | "update_profile"
        | "upload_avatar"
        | "delete_avatar"
        | "get_avatar"
        | "change_password"
        | "list_sessions"
        | "end_session"
        | "end_other_sessions"
        | "list_tokens"
        | "create_token"
        | "revoke_token"
        | "rotate_token"
        | "start_totp_enrollment"
        | "confirm_totp_enrollment"
        | "regenerate_recovery_codes"
        | "disable_totp"
        | "list_teams"
        | "list_clients"
        | "list_projects" => Allow::AnyUser,
        // Clients and projects: client A's objects are unknown to client B's admin.
        "create_client" => admins(403, Status(403)),
        "get_client" | "get_project" => Allow::Roles {
            roles: EVERYONE,
            denied: 403,
            other: Status(404),
        },
        "update_client" | "delete_client" | "create_project" | "update_project"
        | "delete_project" => admins(403, Status(404)),
        // Users, bindings, invitations: managing users anywhere shows who exists; global powers
        // stay global.
        "list_users" | "list_role_bindings" | "list_invitations" => admins(403, Ok),
        // A user with no role in a client is unknown to that client's admin.
        "get_user" | "list_user_teams" => admins(404, Status(404)),
        "create_user" | "update_user" | "create_invitation" => admins(403, Status(403)),
        "create_role_binding" => admins(403, Status(422)),
        "delete_role_binding" | "revoke_invitation" | "renew_invitation" => {
            admins(403, Status(404))
        }
        // Teams.
        "create_team" | "update_team" | "delete_team" => admins(403, Status(403)),
        "get_team" | "list_team_members" => admins(404, Ok),
        "add_team_member" => admins(404, Status(403)),
        "remove_team_member" => admins(404, Status(404)),
        // Custom roles and policies.
        "create_role" | "update_role" | "delete_role" | "set_role_policy" => {
            admins(403, Status(403))
        }
        // Costs: imported by those who manage them, seen by every role with costs.view.
        "import_costs" => Allow::Roles {
            roles: &[SA, ADMIN, BILLING],
            denied: 403,
            other: Status(404),
        },
        "list_cost_imports"
        | "get_costs"
        | "export_costs"
        | "list_allocation_rules"
        | "get_cost_forecast"
        | "list_cost_anomalies"
        | "give_anomaly_feedback"
        | "get_monthly_report"
        | "list_cost_people"
        | "get_invoice" => Allow::Roles {
            roles: EVERYONE,
            denied: 403,
            other: Ok,
        },
        // Budgets: seen by whoever sees costs where they apply; managed by Billing and Admins.
        "list_budgets" | "list_budget_alerts" => Allow::AnyUser,
        // Invoices are issued by those who manage costs where they are, and read by those who
        // see them.
        "issue_invoice" => Allow::Roles {
            roles: &[SA, ADMIN, BILLING],
            denied: 403,
            other: Status(404),
        },
        "get_issued_invoice" => Allow::Roles {
            roles: EVERYONE,
            denied: 404,
            other: Status(404),
        },
        "delete_cost_import" => Allow::Roles {
            roles: &[SA, ADMIN, BILLING],
            denied: 403,
            other: Status(404),
        },
        // Saved cost views: each caller's own (every role sees costs somewhere).
        "list_cost_views" | "create_cost_view" | "delete_cost_view" => Allow::AnyUser,
        "create_budget" => Allow::Roles {
            roles: &[SA, ADMIN, BILLING],
            denied: 403,
            other: Status(404),
        },
        "get_budget_status" => Allow::Roles {
            roles: EVERYONE,
            denied: 404,
            other: Status(404),
        },
        "delete_budget" | "update_budget" => Allow::Roles {
            roles: &[SA, ADMIN, BILLING],
            denied: 403,
            other: Status(404),
        },
        "create_cloud_account"
        | "delete_cloud_account"
        | "update_cloud_account"
        | "test_cloud_account"
        | "start_cost_sync" => Allow::Roles {
            roles: &[SA, ADMIN, BILLING],
            denied: 403,
            other: Status(404),
        },
        "list_cloud_accounts" => Allow::AnyUser,
        // Git connections: made by whoever manages services, seen by whoever sees them.
        "list_git_connections" => Allow::AnyUser,
        "create_git_connection" | "delete_git_connection" => Allow::Roles {
            roles: &[SA, ADMIN, DEV],
            denied: 403,
            other: Status(404),
        },
        "get_git_connection" => Allow::Roles {
            roles: &[SA, ADMIN, DEV, VIEWER],
            denied: 403,
            other: Status(404),
        },
        // Template sources: the installation's catalog, added to by whoever manages services
        // everywhere (a client's admin may not), read by anyone signed in.
        "list_template_sources" | "get_template_source" => Allow::AnyUser,
        "create_template_source" | "sync_template_source" | "delete_template_source" => {
            Allow::Roles {
                roles: &[SA, ADMIN, DEV],
                denied: 403,
                other: Status(403),
            }
        }
        // Deploy targets: registered by Admins (targets.manage), seen by whoever sees services.
        "list_targets" => Allow::AnyUser,
        "create_target" | "test_target" | "update_target" | "delete_target" => {
            admins(403, Status(404))
        }
        "get_target" => Allow::Roles {
            roles: &[SA, ADMIN, DEV, VIEWER],
            denied: 403,
            other: Status(404),
        },
        // Environments and releases: seen by whoever sees services; staging's target chosen and
        // deployed to by Developers (deploys.run), production only by Admins
        // (deploys.production, checked in the deploys tests).
        "list_environments" | "get_environment" | "list_releases" | "get_instances"
        | "get_logs" => Allow::Roles {
            roles: &[SA, ADMIN, DEV, VIEWER],
            denied: 403,
            other: Status(404),
        },
        "update_environment"
        | "create_deploy"
        | "rollback_environment"
        | "restart_environment"
        | "scale_environment" => Allow::Roles {
            roles: &[SA, ADMIN, DEV],
            denied: 403,
            other: Status(404),
        },
        // An environment's custom domains: seen by whoever sees services, added, checked and
        // removed by whoever deploys to it (staging here: Developers too).
        "list_domains" | "get_domain" => Allow::Roles {
            roles: &[SA, ADMIN, DEV, VIEWER],
            denied: 403,
            other: Status(404),
        },
        "create_domain" | "verify_domain" | "delete_domain" => Allow::Roles {
            roles: &[SA, ADMIN, DEV],
            denied: 403,
            other: Status(404),
        },
        // An environment's variables and secrets: read by whoever sees services, changed by
        // whoever deploys to it (staging here: Developers too); a secret's value is revealed
        // only with secrets.reveal (Admins) and a fresh code.
        "get_variables" | "diff_variables" | "list_secrets" => Allow::Roles {
            roles: &[SA, ADMIN, DEV, VIEWER],
            denied: 403,
            other: Status(404),
        },
        "set_variables" | "rollback_variables" | "set_secret" | "delete_secret" => Allow::Roles {
            roles: &[SA, ADMIN, DEV],
            denied: 403,
            other: Status(404),
        },
        "reveal_secret" => Allow::Roles {
            roles: ADMINS,
            denied: 403,
            other: Status(404),
        },
        // What a service shares: its secrets' names read by whoever sees services; set and
        // deleted only with deploys.production (they reach production), revealed only with
        // secrets.reveal and a fresh code.
        "list_service_secrets" | "list_project_secrets" => Allow::Roles {
            roles: &[SA, ADMIN, DEV, VIEWER],
            denied: 403,
            other: Status(404),
        },
        "set_service_secret"
        | "delete_service_secret"
        | "reveal_service_secret"
        | "set_project_secret"
        | "delete_project_secret"
        | "reveal_project_secret" => Allow::Roles {
            roles: ADMINS,
            denied: 403,
            other: Status(404),
        },
        // What a project or a service shares with its environments: read by whoever sees
        // services, changed only with deploys.production (it reaches production's next deploy).
        "get_project_variables"
        | "diff_project_variables"
        | "get_service_variables"
        | "diff_service_variables"
        | "get_group_variables"
        | "diff_group_variables"
        | "list_variable_groups"
        | "get_variable_group"
        | "get_service_variable_groups" => Allow::Roles {
            roles: &[SA, ADMIN, DEV, VIEWER],
            denied: 403,
            other: Status(404),
        },
        "set_project_variables"
        | "rollback_project_variables"
        | "set_service_variables"
        | "rollback_service_variables"
        | "set_group_variables"
        | "rollback_group_variables"
        | "create_variable_group"
        | "delete_variable_group"
        | "set_service_variable_groups" => Allow::Roles {
            roles: ADMINS,
            denied: 403,
            other: Status(404),
        },
        // Previews: Developers deploy to them (opening one builds its branch too).
        "create_preview" | "delete_environment" => Allow::Roles {
            roles: &[SA, ADMIN, DEV],
            denied: 403,
            other: Status(404),
        },
        // Services: managed by Developers and Admins, seen by Viewers too.
        "list_services" => Allow::AnyUser,
        "create_service" | "update_service" | "delete_service" => Allow::Roles {
            roles: &[SA, ADMIN, DEV],
            denied: 403,
            other: Status(404),
        },
        // A service's costs: whoever sees both the service and costs where it lives (Billing
        // sees costs, not services: the service is unknown to it).
        "get_service_costs" => Allow::Roles {
            roles: &[SA, ADMIN, DEV, VIEWER],
            denied: 403,
            other: Status(404),
        },
        "get_service" | "list_service_pushes" => Allow::Roles {
            roles: &[SA, ADMIN, DEV, VIEWER],
            denied: 403,
            other: Status(404),
        },
        // Builds: run by Developers and Admins, seen by whoever sees services.
        "start_build" | "retry_build" | "cancel_build" => Allow::Roles {
            roles: &[SA, ADMIN, DEV],
            denied: 403,
            other: Status(404),
        },
        "list_builds" | "get_build" | "get_build_logs" | "get_build_stats" => Allow::Roles {
            roles: &[SA, ADMIN, DEV, VIEWER],
            denied: 403,
            other: Status(404),
        },
        // A push webhook's credential is its signature: a request without one is refused.
        "receive_git_push" => Allow::Public(Status(401)),
        // Report schedules: managed by Billing and Admins, listed to whoever sees costs.
        "list_report_schedules" => Allow::AnyUser,
        "create_report_schedule" => Allow::Roles {
            roles: &[SA, ADMIN, BILLING],
            denied: 403,
            other: Status(403),
        },
        "delete_report_schedule" | "send_report_schedule" | "update_report_schedule" => {
            Allow::Roles {
                roles: &[SA, ADMIN, BILLING],
                denied: 403,
                other: Status(404),
            }
        }
        "list_cost_syncs" => Allow::Roles {
            roles: EVERYONE,
            denied: 403,
            other: Status(404),
        },
        "list_resource_assignments" => Allow::Roles {
            roles: EVERYONE,
            denied: 403,
            other: Status(404),
        },
        // Global rules need costs.manage globally; the other client's admin holds it only there.
        "create_allocation_rule" | "delete_allocation_rule" | "update_allocation_rule" => {
            Allow::Roles {
                roles: &[SA, ADMIN, BILLING],
                denied: 403,
                other: Status(403),
            }
        }
        "create_resource_assignment" | "delete_resource_assignment" => Allow::Roles {
            roles: &[SA, ADMIN, BILLING],
            denied: 403,
            other: Status(404),
        },
        // Jobs follow what they do: an import's job is seen by whoever sees the client's costs
        // (unknown elsewhere) and cancelled or retried by whoever may import there.
        "list_jobs" => Allow::AnyUser,
        // Everyone signed in reads events; each sees only what it may read (tests/api/events.rs).
        "list_events" | "stream_events" => Allow::AnyUser,
        "get_job" | "get_job_log" | "follow_job" => Allow::Roles {
            roles: EVERYONE,
            denied: 404,
            other: Status(404),
        },
        "cancel_job" | "retry_job" => Allow::Roles {
            roles: &[SA, ADMIN, BILLING],
            denied: 403,
            other: Status(404),
        },
        // The audit log.
        "list_audit_events" | "export_audit_events" => admins(403, Ok),
        "verify_audit_log" => admins(403, Status(403)),
        _ => return None,
    })
}

fn expected(allow: Allow, who: Who) -> Outcome {
    match (allow, who) {
        (Allow::Public(outcome), _) => outcome,
        (_, Who::Anonymous) => Outcome::Status(401),
        (Allow::AnyUser, _) => Outcome::Ok,
        (Allow::Roles { roles, denied, .. }, Who::Role(role)) => {
            if roles.contains(&role) {
                Outcome::Ok
            } else {
                Outcome::Status(denied)
            }
        }
        (Allow::Roles { other, .. }, Who::OtherClientAdmin) => other,
    }
}

/// One concrete request.
struct Call {
    path: String,
    body: Option<Body>,
    /// Send this bearer instead of the caller's main one (a throwaway session of theirs).
    bearer: Option<String>,
}

enum Body {
    Json(Value),
    Bytes(Vec<u8>, &'static str),
}

impl Call {
    fn at(path: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            body: None,
            bearer: None,
        }
    }

    fn json(path: impl Into<String>, body: Value) -> Self {
        Self {
            path: path.into(),
            body: Some(Body::Json(body)),
            bearer: None,
        }
    }
}

use gmac_tests::fixture::PASSWORD;

/// The fixtures every call works on.
struct World {
    app: TestApp,
    root: Session,
    sessions: HashMap<Who, Session>,
    client_a: String,
    project_a: String,
    target_user: String,
    team: String,
    custom_role: String,
    totp_secrets: Mutex<HashMap<Who, String>>,
    /// The last TOTP step each caller spent a code of.
    spent_steps: Mutex<HashMap<Who, i64>>,
    counter: Mutex<u32>,
    /// A real engine for targets to be registered on (they are tested before they are saved).
    podman: gmac_tests::podman::Podman,
}

impl World {
    async fn build() -> Self {
        let app = spawn_app_with(Options {
            manual_clock: true,
            ..Options::default()
        })
        .await;
        let root = app.super_admin().await;
        let fixture = app.fixture(&root);
        let client_a = fixture.client("Acme").await;
        let client_b = fixture.client("Globex").await;
        let project_a = fixture.project(&client_a, "Shop").await;
        let mut sessions = HashMap::new();
        for role in [ADMIN, DEV, VIEWER, BILLING] {
            let session = app
                .fixture(&root)
                .member(&format!("{role}@example.com"), role, Scope::Global)
                .await;
            sessions.insert(Who::Role(role), session);
        }
        let other = app
            .fixture(&root)
            .member("other@example.com", ADMIN, Scope::Client { id: client_b })
            .await;
        sessions.insert(Who::OtherClientAdmin, other);
        let target_user = app.fixture(&root).user("target@example.com").await;
        let team = root
            .client
            .create_team(&NewTeam {
                name: "Platform".into(),
                description: None,
            })
            .await
            .unwrap()
            .id;
        let custom_role = root
            .client
            .create_role(&NewRole {
                name: "Cost reader".into(),
                description: None,
                permissions: vec![Permission::CostsView],
                project_permissions: vec![],
            })
            .await
            .unwrap()
            .id;
        root.client
            .upload_avatar(b"\x89PNG\r\n\x1a\n....".to_vec(), "image/png")
            .await
            .unwrap();
        Self {
            app,
            sessions,
            client_a,
            project_a,
            target_user,
            team,
            custom_role,
            root,
            totp_secrets: Mutex::new(HashMap::new()),
            spent_steps: Mutex::new(HashMap::new()),
            counter: Mutex::new(0),
            podman: gmac_tests::podman::Podman::start().await,
        }
    }

    fn session(&self, who: Who) -> Option<&Session> {
        match who {
            Who::Anonymous => None,
            Who::Role(SA) => Some(&self.root),
            other => self.sessions.get(&other),
        }
    }

    fn unique(&self, prefix: &str) -> String {
        let mut n = self.counter.lock().unwrap();
        *n += 1;
        format!("{prefix}{n}")
    }

    fn now(&self) -> u64 {
        u64::try_from(self.app.core.now().timestamp()).unwrap()
    }

    /// The caller's own client, or root's for the anonymous caller (whose call fails anyway).
    fn own(&self, who: Who) -> &gmac_client::Client {
        self.session(who).map_or(&self.root.client, |s| &s.client)
    }

    /// A current TOTP code for `who`, of a step it has not spent a code of: the clock moves to
    /// the next step only when it has (so the sessions' tokens outlive the run).
    fn next_code(&self, who: Who) -> String {
        let step = |w: &Self| i64::try_from(w.now()).unwrap_or(i64::MAX) / 30;
        let mut spent = self.spent_steps.lock().unwrap();
        if spent.get(&who) == Some(&step(self)) {
            self.app.advance(chrono::Duration::seconds(30));
        }
        spent.insert(who, step(self));
        drop(spent);
        let secrets = self.totp_secrets.lock().unwrap();
        let secret = secrets
            .get(&who)
            .cloned()
            .unwrap_or_else(|| "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP".into());
        gmac_core::auth::totp::code_for_base32(&secret, self.now()).unwrap()
    }
}

/// A git connection of client A, to a remote that is never reached (no job runs here).
async fn matrix_git_connection(w: &World) -> String {
    w.root
        .client
        .create_git_connection(&gmac_types::NewGitConnection {
            provider: gmac_types::GitProvider::Git,
            base_url: "http://127.0.0.1:9/git".into(),
            token: None,
            client_id: Some(w.client_a.clone()),
            name: Some(w.unique("Remote ")),
        })
        .await
        .unwrap()
        .id
}

/// A service of project A whose creation was cancelled before it ran, so it may be changed
/// and deleted at once.
async fn matrix_service(w: &World) -> String {
    let connection = matrix_git_connection(w).await;
    let created = w
        .root
        .client
        .create_service(&gmac_types::NewService {
            project_id: w.project_a.clone(),
            name: w.unique("svc-"),
            template: "static-site".into(),
            parameters: json!({"title": "Site"}).as_object().unwrap().clone(),
            git: gmac_types::NewServiceRepository {
                connection_id: connection,
                owner: "acme".into(),
                name: w.unique("repo-"),
            },
            description: None,
            owner_team_id: None,
        })
        .await
        .unwrap();
    w.root.client.cancel_job(&created.job.id).await.unwrap();
    created.service.id
}

/// An active service of project A (its creation finished as if its host had answered), so
/// builds may start; none runs, as the matrix has no job worker.
async fn matrix_active_service(w: &World) -> String {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    let id = matrix_service(w).await;
    gmac_core::entities::service::Entity::update_many()
        .filter(gmac_core::entities::service::Column::Id.eq(id.as_str()))
        .col_expr(
            gmac_core::entities::service::Column::Status,
            Expr::value("active"),
        )
        .exec(&w.app.core.db)
        .await
        .unwrap();
    id
}

/// The staging environment of a new service of project A.
async fn matrix_environment(w: &World) -> String {
    let service = matrix_service(w).await;
    w.root
        .client
        .list_environments(&service, &gmac_types::PageQuery::default())
        .await
        .unwrap()
        .items
        .remove(0)
        .id
}

/// A new group of variables in project A.
async fn matrix_group(w: &World) -> String {
    w.root
        .client
        .create_variable_group(
            &w.project_a,
            &gmac_types::variables::NewVariableGroup {
                name: w.unique("group-"),
                variables: [("A".to_owned(), "1".to_owned())].into(),
            },
        )
        .await
        .unwrap()
        .id
}

/// The staging environment of a new active service of project A, deploying to a target on
/// the world's Podman.
async fn matrix_staging(w: &World) -> String {
    let service = matrix_active_service(w).await;
    let target = w
        .root
        .client
        .create_target(&gmac_types::NewTarget {
            name: w.unique("host-"),
            client_id: w.client_a.clone(),
            project_id: None,
            kind: gmac_types::TargetKind::ContainerHost,
            address: w.podman.host.clone(),
            proxy_admin_url: None,
            kubeconfig: None,
            tls: None,
            ssh: None,
            cluster_issuer: None,
            ingress_class: None,
            ingress_address: None,
        })
        .await
        .unwrap();
    let staging = w
        .root
        .client
        .list_environments(&service, &gmac_types::PageQuery::default())
        .await
        .unwrap()
        .items
        .remove(0);
    w.root
        .client
        .update_environment(
            &staging.id,
            &gmac_types::EnvironmentPatch {
                target_id: Some(Some(target.id)),
                ..gmac_types::EnvironmentPatch::default()
            },
            None,
        )
        .await
        .unwrap();
    staging.id
}

/// A staging environment and a release of it that could be brought back: its rollout was
/// cancelled (no worker runs here), then marked as having served with the base image, which
/// the target has.
async fn matrix_past_release(w: &World) -> (String, String) {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    let env = matrix_staging(w).await;
    let started = w
        .root
        .client
        .deploy(
            &env,
            &gmac_types::NewDeploy {
                build_id: None,
                image: Some(gmac_tests::podman::BASE_IMAGE.into()),
            },
        )
        .await
        .unwrap();
    w.root.client.cancel_job(&started.job.id).await.unwrap();
    gmac_core::entities::release::Entity::update_many()
        .filter(gmac_core::entities::release::Column::Id.eq(started.release.id.as_str()))
        .col_expr(
            gmac_core::entities::release::Column::ImageId,
            Expr::value(gmac_tests::podman::BASE_IMAGE),
        )
        .col_expr(
            gmac_core::entities::release::Column::Status,
            Expr::value("retired"),
        )
        .exec(&w.app.core.db)
        .await
        .unwrap();
    (env, started.release.id)
}

/// Makes the environment's newest release the one serving it (as a rollout would).
async fn matrix_serving(w: &World, env: &str) {
    use gmac_core::entities::{environment, release};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, sea_query::Expr};
    let newest = release::Entity::find()
        .filter(release::Column::EnvironmentId.eq(env))
        .order_by_desc(release::Column::Number)
        .one(&w.app.core.db)
        .await
        .unwrap()
        .unwrap();
    release::Entity::update_many()
        .filter(release::Column::Id.eq(newest.id.as_str()))
        .col_expr(release::Column::Status, Expr::value("live"))
        .exec(&w.app.core.db)
        .await
        .unwrap();
    environment::Entity::update_many()
        .filter(environment::Column::Id.eq(env))
        .col_expr(environment::Column::LiveReleaseId, Expr::value(newest.id))
        .exec(&w.app.core.db)
        .await
        .unwrap();
}

/// A build of an active service of project A, queued; cancelled when `cancelled`.
async fn matrix_build(w: &World, cancelled: bool) -> String {
    let service = matrix_active_service(w).await;
    let build = w
        .root
        .client
        .start_build(
            &service,
            &gmac_types::NewBuild {
                git_ref: "main".into(),
                cache: None,
            },
        )
        .await
        .unwrap();
    if cancelled {
        w.root.client.cancel_build(&build.id).await.unwrap();
    }
    build.id
}

/// Builds a valid request for `operation` as `who`, creating fresh targets where the call
/// changes or deletes something. `None`: no request is known for the operation.
#[expect(
    clippy::too_many_lines,
    reason = "one arm per operation keeps the table readable"
)]
async fn prepare(world: &World, operation: &str, who: Who) -> Option<Call> {
    let root = &world.root.client;
    let w = world;
    Some(match operation {
        "get_health" => Call::at("/healthz"),
        "get_readiness" => Call::at("/readyz"),
        "get_metrics" => Call::at("/metrics"),
        "get_setup_status" => Call::at("/api/v1/setup"),
        "complete_setup" => Call::json(
            "/api/v1/setup",
            json!({"setup_token": "x", "email": "late@example.com", "password": PASSWORD, "display_name": "Late"}),
        ),
        "create_session" => Call::json(
            "/api/v1/auth/login",
            json!({"email": "viewer@example.com", "password": PASSWORD}),
        ),
        "refresh_session" => Call::at("/api/v1/auth/refresh"),
        "delete_session" => {
            // Signing out ends the session it is called with: use a throwaway one.
            let mut call = Call::at("/api/v1/auth/logout");
            if let Some(session) = w.session(who) {
                call.bearer = Some(
                    w.app
                        .sign_in(&session.email, &session.password)
                        .await
                        .access_token,
                );
            }
            call
        }
        "verify_mfa" => Call::json(
            "/api/v1/auth/mfa",
            json!({"mfa_token": "not-a-token", "code": "123456"}),
        ),
        "preview_invitation" | "accept_invitation" => {
            let email = format!("{}@example.com", w.unique("invitee"));
            let created = root
                .create_invitation(&NewInvitation {
                    email,
                    role: VIEWER.into(),
                    scope: None,
                })
                .await
                .unwrap();
            let token = created
                .link
                .unwrap()
                .expose()
                .rsplit('#')
                .next()
                .unwrap()
                .to_owned();
            if operation == "preview_invitation" {
                Call::json("/api/v1/invitations/lookup", json!({"token": token}))
            } else {
                Call::json(
                    "/api/v1/invitations/accept",
                    json!({"token": token, "display_name": "New", "password": PASSWORD}),
                )
            }
        }
        "get_me" => Call::at("/api/v1/me"),
        "list_permissions" => Call::at("/api/v1/permissions"),
        "list_templates" => Call::at("/api/v1/templates"),
        "list_roles" => Call::at("/api/v1/roles"),
        "get_profile" => Call::at("/api/v1/me/profile"),
        "update_profile" => Call::json("/api/v1/me/profile", json!({"timezone": "Europe/Berlin"})),
        "upload_avatar" => Call {
            path: "/api/v1/me/avatar".into(),
            body: Some(Body::Bytes(b"\x89PNG\r\n\x1a\n..".to_vec(), "image/png")),
            bearer: None,
        },
        "delete_avatar" => Call::at("/api/v1/me/avatar"),
        "list_jobs" => Call::at("/api/v1/jobs"),
        "list_events" => Call::at("/api/v1/events"),
        "stream_events" => Call::at("/api/v1/events/stream"),
        "get_job" | "get_job_log" | "follow_job" | "cancel_job" | "retry_job" => {
            // An import job no worker runs here: it stays queued until cancelled.
            let file = format!(
                "BilledCost,EffectiveCost,BillingCurrency,ChargePeriodStart,ChargePeriodEnd,ChargeCategory,ServiceName\n\
                 1.25,1.00,USD,2024-09-01T00:00:00Z,2024-09-02T00:00:00Z,Usage,{}\n",
                w.unique("Service ")
            );
            let job = root
                .import_costs_async(
                    &gmac_types::CostImportParams {
                        client_id: w.client_a.clone(),
                        ..gmac_types::CostImportParams::default()
                    },
                    file.into_bytes(),
                )
                .await
                .unwrap();
            // Retrying needs a job that ended; following one that ended ends its stream.
            if matches!(operation, "retry_job" | "follow_job") {
                root.cancel_job(&job.id).await.unwrap();
            }
            let base = format!("/api/v1/jobs/{}", job.id);
            match operation {
                "get_job" => Call::at(base),
                "get_job_log" => Call::at(format!("{base}/log")),
                "follow_job" => Call::at(format!("{base}/events")),
                "cancel_job" => Call::at(format!("{base}/cancel")),
                _ => Call::at(format!("{base}/retry")),
            }
        }
        "import_costs" => Call {
            path: format!("/api/v1/cost-imports?client_id={}", w.client_a),
            body: Some(Body::Bytes(
                format!(
                    "BilledCost,EffectiveCost,BillingCurrency,ChargePeriodStart,ChargePeriodEnd,ChargeCategory,ServiceName\n\
                     1.25,1.00,USD,2024-09-01T00:00:00Z,2024-09-02T00:00:00Z,Usage,{}\n",
                    w.unique("Service ")
                )
                .into_bytes(),
                "text/csv",
            )),
            bearer: None,
        },
        "list_cost_imports" => Call::at("/api/v1/cost-imports"),
        "list_allocation_rules" => Call::at("/api/v1/allocation-rules"),
        "get_cost_forecast" => Call::at("/api/v1/costs/forecast?month=2024-09"),
        "list_cost_anomalies" => {
            Call::at("/api/v1/costs/anomalies?from=2024-09-01&to=2024-09-30&dimension=service")
        }
        "give_anomaly_feedback" => Call::json(
            "/api/v1/costs/anomalies/feedback",
            json!({"day": "2024-09-18", "dimension": "service", "key": "S3", "verdict": "expected"}),
        ),
        "list_budgets" => Call::at("/api/v1/budgets"),
        "list_cloud_accounts" => Call::at("/api/v1/cloud-accounts"),
        "list_git_connections" => Call::at("/api/v1/git-connections"),
        "create_git_connection" => Call::json(
            "/api/v1/git-connections",
            json!({"client_id": w.client_a, "provider": "git",
                   "base_url": "http://127.0.0.1:9/git", "name": w.unique("Remote ")}),
        ),
        "get_git_connection" | "delete_git_connection" => {
            let remote = root
                .create_git_connection(&gmac_types::NewGitConnection {
                    provider: gmac_types::GitProvider::Git,
                    base_url: "http://127.0.0.1:9/git".into(),
                    token: None,
                    client_id: Some(w.client_a.clone()),
                    name: Some(w.unique("Remote ")),
                })
                .await
                .unwrap();
            Call::at(format!("/api/v1/git-connections/{}", remote.id))
        }
        "list_template_sources" => Call::at("/api/v1/template-sources"),
        "create_template_source" => Call::json(
            "/api/v1/template-sources",
            json!({"url": format!("http://127.0.0.1:9/git/{}.git", w.unique("t-"))}),
        ),
        "get_template_source" | "sync_template_source" | "delete_template_source" => {
            let source = root
                .create_template_source(&gmac_types::NewTemplateSource {
                    url: format!("http://127.0.0.1:9/git/{}.git", w.unique("t-")),
                    connection_id: None,
                    git_ref: "main".into(),
                    path: String::new(),
                })
                .await
                .unwrap();
            Call::at(match operation {
                "sync_template_source" => format!("/api/v1/template-sources/{}/sync", source.id),
                _ => format!("/api/v1/template-sources/{}", source.id),
            })
        }
        "list_targets" => Call::at("/api/v1/targets"),
        "create_target" => Call::json(
            "/api/v1/targets",
            json!({"client_id": w.client_a, "name": w.unique("host-"), "kind": "container_host",
                   "address": w.podman.host}),
        ),
        "get_target" | "test_target" | "update_target" | "delete_target" => {
            let target = root
                .create_target(&gmac_types::NewTarget {
                    name: w.unique("host-"),
                    client_id: w.client_a.clone(),
                    project_id: None,
                    kind: gmac_types::TargetKind::ContainerHost,
                    address: w.podman.host.clone(),
                    proxy_admin_url: None,
                    kubeconfig: None,
                    tls: None,
                    ssh: None,
                    cluster_issuer: None,
                    ingress_class: None,
                    ingress_address: None,
                })
                .await
                .unwrap();
            match operation {
                "test_target" => Call::at(format!("/api/v1/targets/{}/test", target.id)),
                "update_target" => Call::json(
                    format!("/api/v1/targets/{}", target.id),
                    json!({"ingress_address": "203.0.113.10"}),
                ),
                _ => Call::at(format!("/api/v1/targets/{}", target.id)),
            }
        }
        "list_environments" => {
            let id = matrix_service(w).await;
            Call::at(format!("/api/v1/services/{id}/environments"))
        }
        "get_environment" | "update_environment" | "list_releases" | "create_deploy"
        | "get_instances" | "get_logs" => {
            let env = matrix_staging(w).await;
            match operation {
                "update_environment" => Call::json(
                    format!("/api/v1/environments/{env}"),
                    json!({"target_id": null}),
                ),
                "list_releases" => Call::at(format!("/api/v1/environments/{env}/releases")),
                "get_instances" => Call::at(format!("/api/v1/environments/{env}/instances")),
                "get_logs" => Call::at(format!("/api/v1/environments/{env}/logs")),
                "create_deploy" => Call::json(
                    format!("/api/v1/environments/{env}/deploys"),
                    json!({"image": gmac_tests::podman::BASE_IMAGE}),
                ),
                _ => Call::at(format!("/api/v1/environments/{env}")),
            }
        }
        "create_preview" | "delete_environment" => {
            let staging = matrix_staging(w).await;
            let service = root.get_environment(&staging).await.unwrap().service_id;
            if operation == "create_preview" {
                Call::json(
                    format!("/api/v1/services/{service}/previews"),
                    json!({"branch": w.unique("feature/")}),
                )
            } else {
                let opened = root
                    .create_preview(
                        &service,
                        &gmac_types::NewPreview {
                            branch: w.unique("feature/"),
                        },
                    )
                    .await
                    .unwrap();
                Call::at(format!("/api/v1/environments/{}", opened.environment.id))
            }
        }
        "get_variables" | "set_variables" | "diff_variables" | "rollback_variables" => {
            let env = matrix_environment(w).await;
            let set = w
                .root
                .client
                .set_variables(&env, &[("A".to_owned(), "1".to_owned())].into(), None)
                .await
                .unwrap();
            match operation {
                "set_variables" => Call::json(
                    format!("/api/v1/environments/{env}/variables"),
                    json!({"variables": {"A": "2"}}),
                ),
                "diff_variables" => Call::at(format!(
                    "/api/v1/environments/{env}/variables/diff?from=0&to={}",
                    set.version
                )),
                "rollback_variables" => Call::json(
                    format!("/api/v1/environments/{env}/variables/rollback"),
                    json!({"version": set.version}),
                ),
                _ => Call::at(format!("/api/v1/environments/{env}/variables")),
            }
        }
        "get_project_variables"
        | "set_project_variables"
        | "diff_project_variables"
        | "rollback_project_variables"
        | "get_service_variables"
        | "set_service_variables"
        | "diff_service_variables"
        | "rollback_service_variables"
        | "get_group_variables"
        | "set_group_variables"
        | "diff_group_variables"
        | "rollback_group_variables" => {
            let base = if operation.contains("project") {
                format!("/api/v1/projects/{}", w.project_a)
            } else if operation.contains("group") {
                format!("/api/v1/variable-groups/{}", matrix_group(w).await)
            } else {
                format!("/api/v1/services/{}", matrix_service(w).await)
            };
            let id = base.rsplit('/').next().unwrap();
            let owner = if operation.contains("project") {
                gmac_client::SharedOwner::Project(id)
            } else if operation.contains("group") {
                gmac_client::SharedOwner::Group(id)
            } else {
                gmac_client::SharedOwner::Service(id)
            };
            let set = w
                .root
                .client
                .set_shared_variables(owner, &[("A".to_owned(), w.unique("v-"))].into(), None)
                .await
                .unwrap();
            match operation.split('_').next().unwrap() {
                "set" => Call::json(
                    format!("{base}/variables"),
                    json!({"variables": {"A": "2"}}),
                ),
                "diff" => Call::at(format!(
                    "{base}/variables/diff?from=0&to={}",
                    set.version
                )),
                "rollback" => Call::json(
                    format!("{base}/variables/rollback"),
                    json!({"version": set.version}),
                ),
                _ => Call::at(format!("{base}/variables")),
            }
        }
        "list_variable_groups" | "create_variable_group" => match operation {
            "create_variable_group" => Call::json(
                format!("/api/v1/projects/{}/variable-groups", w.project_a),
                json!({"name": w.unique("group-"), "variables": {"A": "1"}}),
            ),
            _ => Call::at(format!("/api/v1/projects/{}/variable-groups", w.project_a)),
        },
        "get_variable_group" | "delete_variable_group" => {
            Call::at(format!("/api/v1/variable-groups/{}", matrix_group(w).await))
        }
        "get_service_variable_groups" | "set_service_variable_groups" => {
            let service = matrix_service(w).await;
            let group = matrix_group(w).await;
            match operation {
                "set_service_variable_groups" => Call::json(
                    format!("/api/v1/services/{service}/variable-groups"),
                    json!({"group_ids": [group]}),
                ),
                _ => Call::at(format!("/api/v1/services/{service}/variable-groups")),
            }
        }
        "list_secrets" | "set_secret" | "delete_secret" | "reveal_secret" => {
            let env = matrix_environment(w).await;
            w.root
                .client
                .set_secret(&env, "TOKEN", "s3cret-value")
                .await
                .unwrap();
            match operation {
                "set_secret" => Call::json(
                    format!("/api/v1/environments/{env}/secrets/TOKEN"),
                    json!({"value": "another"}),
                ),
                "delete_secret" => Call::at(format!("/api/v1/environments/{env}/secrets/TOKEN")),
                "reveal_secret" => Call::json(
                    format!("/api/v1/environments/{env}/secrets/TOKEN/reveal"),
                    json!({"code": w.next_code(who)}),
                ),
                _ => Call::at(format!("/api/v1/environments/{env}/secrets")),
            }
        }
        "list_service_secrets"
        | "set_service_secret"
        | "delete_service_secret"
        | "reveal_service_secret" => {
            let service = matrix_service(w).await;
            w.root
                .client
                .set_service_secret(&service, "SHARED", "s3cret-shared")
                .await
                .unwrap();
            let base = format!("/api/v1/services/{service}/secrets");
            match operation {
                "set_service_secret" => {
                    Call::json(format!("{base}/SHARED"), json!({"value": "another"}))
                }
                "delete_service_secret" => Call::at(format!("{base}/SHARED")),
                "reveal_service_secret" => Call::json(
                    format!("{base}/SHARED/reveal"),
                    json!({"code": w.next_code(who)}),
                ),
                _ => Call::at(base),
            }
        }
        "list_project_secrets"
        | "set_project_secret"
        | "delete_project_secret"
        | "reveal_project_secret" => {
            let project = w.project_a.clone();
            w.root
                .client
                .set_project_secret(&project, "PSHARED", "s3cret-project")
                .await
                .unwrap();
            let base = format!("/api/v1/projects/{project}/secrets");
            match operation {
                "set_project_secret" => {
                    Call::json(format!("{base}/PSHARED"), json!({"value": "another"}))
                }
                "delete_project_secret" => Call::at(format!("{base}/PSHARED")),
                "reveal_project_secret" => Call::json(
                    format!("{base}/PSHARED/reveal"),
                    json!({"code": w.next_code(who)}),
                ),
                _ => Call::at(base),
            }
        }
        "list_domains" | "create_domain" => {
            let env = matrix_environment(w).await;
            if operation == "create_domain" {
                Call::json(
                    format!("/api/v1/environments/{env}/domains"),
                    json!({"name": format!("{}.example.test", w.unique("site-"))}),
                )
            } else {
                Call::at(format!("/api/v1/environments/{env}/domains"))
            }
        }
        "get_domain" | "verify_domain" | "delete_domain" => {
            let env = matrix_environment(w).await;
            let domain = w
                .root
                .client
                .create_domain(
                    &env,
                    &gmac_types::NewDomain {
                        name: format!("{}.example.test", w.unique("site-")),
                    },
                )
                .await
                .unwrap()
                .id;
            match operation {
                "verify_domain" => Call::json(format!("/api/v1/domains/{domain}/verify"), json!({})),
                _ => Call::at(format!("/api/v1/domains/{domain}")),
            }
        }
        "restart_environment" | "scale_environment" => {
            let (env, _) = matrix_past_release(w).await;
            matrix_serving(w, &env).await;
            if operation == "restart_environment" {
                Call::json(format!("/api/v1/environments/{env}/restart"), json!({}))
            } else {
                Call::json(
                    format!("/api/v1/environments/{env}/scale"),
                    json!({"replicas": 1}),
                )
            }
        }
        "rollback_environment" => {
            let (env, release) = matrix_past_release(w).await;
            Call::json(
                format!("/api/v1/environments/{env}/rollback"),
                json!({"release_id": release}),
            )
        }
        "list_services" => Call::at("/api/v1/services"),
        "create_service" => {
            let connection = matrix_git_connection(w).await;
            Call::json(
                "/api/v1/services",
                json!({"project_id": w.project_a, "name": w.unique("svc-"),
                       "template": "static-site", "parameters": {"title": "Site"},
                       "git": {"connection_id": connection, "owner": "acme", "name": w.unique("repo-")}}),
            )
        }
        "get_service" | "update_service" | "delete_service" | "receive_git_push"
        | "list_service_pushes" | "get_service_costs" => {
            let id = matrix_service(w).await;
            match operation {
                "get_service_costs" => Call::at(format!("/api/v1/services/{id}/costs")),
                "update_service" => Call::json(
                    format!("/api/v1/services/{id}"),
                    json!({"description": "Changed"}),
                ),
                "list_service_pushes" => Call::at(format!("/api/v1/services/{id}/pushes")),
                "receive_git_push" => Call::json(
                    format!("/api/v1/hooks/git/{id}"),
                    json!({"ref": "refs/heads/main", "after": "a".repeat(40)}),
                ),
                _ => Call::at(format!("/api/v1/services/{id}")),
            }
        }
        "start_build" => {
            let id = matrix_active_service(w).await;
            Call::json(
                format!("/api/v1/services/{id}/builds"),
                json!({"ref": "main"}),
            )
        }
        "list_builds" | "get_build_stats" => {
            let id = matrix_service(w).await;
            Call::at(if operation == "list_builds" {
                format!("/api/v1/services/{id}/builds")
            } else {
                format!("/api/v1/services/{id}/build-stats?days=30")
            })
        }
        "get_build" | "get_build_logs" | "cancel_build" | "retry_build" => {
            let id = matrix_build(w, operation == "retry_build").await;
            match operation {
                "get_build" => Call::at(format!("/api/v1/builds/{id}")),
                "get_build_logs" => Call::at(format!("/api/v1/builds/{id}/logs")),
                "cancel_build" => Call::at(format!("/api/v1/builds/{id}/cancel")),
                _ => Call::at(format!("/api/v1/builds/{id}/retry")),
            }
        }
        "create_cloud_account" => Call::json(
            "/api/v1/cloud-accounts",
            json!({"client_id": w.client_a, "name": w.unique("Account "),
                   "access_key_id": "AKIAEXAMPLE", "secret_access_key": "secret",
                   "endpoint_url": "http://127.0.0.1:9"}),
        ),
        "delete_cloud_account"
        | "update_cloud_account"
        | "test_cloud_account"
        | "start_cost_sync"
        | "list_cost_syncs" => {
            let account = root
                .create_cloud_account(&gmac_types::NewCloudAccount {
                    client_id: w.client_a.clone(),
                    name: w.unique("Account "),
                    access_key_id: Some("AKIAEXAMPLE".into()),
                    secret_access_key: Some("secret".into()),
                    role_arn: None,
                    external_id: None,
                    region: None,
                    // Nothing listens there: calls fail fast and visibly.
                    endpoint_url: Some("http://127.0.0.1:9".into()),
                    group_by: None,
                    resync_days: Some(1),
                    test: None,
                })
                .await
                .unwrap();
            let base = format!("/api/v1/cloud-accounts/{}", account.id);
            match operation {
                "delete_cloud_account" => Call::at(base),
                "update_cloud_account" => Call::json(base, json!({"name": w.unique("Renamed account "), "resync_days": 7})),
                "test_cloud_account" => Call::at(format!("{base}/test")),
                _ => Call::at(format!("{base}/syncs")),
            }
        }
        "export_costs" => {
            Call::at("/api/v1/costs/export?from=2024-09-01&to=2024-09-30&group_by=service")
        }
        "get_invoice" => Call::at("/api/v1/invoices?user_id=unallocated&period=2024-09"),
        "get_monthly_report" => Call::at("/api/v1/reports/monthly?period=2024-09"),
        "list_cost_people" => Call::at("/api/v1/costs/people"),
        "list_report_schedules" => Call::at("/api/v1/report-schedules"),
        "create_report_schedule" => Call::json(
            "/api/v1/report-schedules",
            json!({"name": w.unique("Report "), "cadence": "monthly",
                   "recipients": ["cfo@example.com"]}),
        ),
        "delete_report_schedule" | "send_report_schedule" | "update_report_schedule" => {
            let schedule = root
                .create_report_schedule(&gmac_types::NewReportSchedule {
                    name: w.unique("Report "),
                    subject: None,
                    client_id: Some(w.client_a.clone()),
                    cadence: gmac_types::ReportCadence::Monthly,
                    format: gmac_types::ReportFormat::Pdf,
                    recipients: vec!["cfo@example.com".into()],
                })
                .await
                .unwrap();
            let base = format!("/api/v1/report-schedules/{}", schedule.id);
            if operation == "send_report_schedule" {
                Call::at(format!("{base}/send"))
            } else if operation == "update_report_schedule" {
                Call::json(base, json!({"name": w.unique("Renamed report "), "cadence": "weekly"}))
            } else {
                Call::at(base)
            }
        }
        "list_budget_alerts" => Call::at("/api/v1/budget-alerts"),
        "create_budget" => Call::json(
            "/api/v1/budgets",
            json!({"name": w.unique("Budget "), "scope": {"type": "client", "id": w.client_a},
                   "period": "monthly", "amount": "100.00"}),
        ),
        "get_budget_status" | "delete_budget" | "update_budget" => {
            let budget = root
                .create_budget(&gmac_types::NewBudget {
                    name: w.unique("Budget "),
                    scope: gmac_types::BudgetScope::Client {
                        id: w.client_a.clone(),
                    },
                    period: gmac_types::BudgetPeriod::Monthly,
                    amount: rust_decimal::Decimal::ONE_HUNDRED,
                    currency: None,
                    thresholds: None,
                    notify: None,
                })
                .await
                .unwrap();
            if operation == "get_budget_status" {
                Call::at(format!("/api/v1/budgets/{}/status", budget.id))
            } else if operation == "update_budget" {
                Call::json(
                    format!("/api/v1/budgets/{}", budget.id),
                    json!({"name": w.unique("Renamed ")}),
                )
            } else {
                Call::at(format!("/api/v1/budgets/{}", budget.id))
            }
        }
        "create_allocation_rule" => Call::json(
            "/api/v1/allocation-rules",
            json!({"name": w.unique("Rule "), "tag_key": "owner",
                   "allocation": {"type": "from_tag", "kind": "user"}}),
        ),
        "delete_allocation_rule" | "update_allocation_rule" => {
            let rule = root
                .create_allocation_rule(&gmac_types::NewAllocationRule {
                    client_id: None,
                    name: w.unique("Doomed rule "),
                    position: None,
                    tag_key: Some("team".into()),
                    tag_value: None,
                    account: None,
                    service: None,
                    allocation: gmac_types::Allocation::FromTag {
                        kind: SubjectKind::Team,
                    },
                })
                .await
                .unwrap();
            if operation == "update_allocation_rule" {
                Call::json(
                    format!("/api/v1/allocation-rules/{}", rule.id),
                    json!({"name": w.unique("Changed rule "), "tag_key": "team",
                           "allocation": {"type": "from_tag", "kind": "team"}}),
                )
            } else {
                Call::at(format!("/api/v1/allocation-rules/{}", rule.id))
            }
        }
        "list_resource_assignments" => Call::at(format!(
            "/api/v1/resource-assignments?client_id={}",
            w.client_a
        )),
        "create_resource_assignment" => Call::json(
            "/api/v1/resource-assignments",
            json!({"client_id": w.client_a, "resource_id": w.unique("i-"),
                   "to": {"type": "team", "id": w.team}}),
        ),
        "delete_resource_assignment" => {
            let assignment = root
                .assign_resource(&gmac_types::NewResourceAssignment {
                    client_id: w.client_a.clone(),
                    resource_id: w.unique("i-doomed-"),
                    to: Subject {
                        kind: SubjectKind::Team,
                        id: w.team.clone(),
                    },
                })
                .await
                .unwrap();
            Call::at(format!("/api/v1/resource-assignments/{}", assignment.id))
        }
        "get_costs" => Call::at("/api/v1/costs?from=2024-09-01&to=2024-09-30&group_by=service"),
        "get_avatar" => {
            let profile = root
                .upload_avatar(b"\x89PNG\r\n\x1a\n....".to_vec(), "image/png")
                .await
                .unwrap();
            Call::at(format!("/api/v1/users/{}/avatar", profile.id))
        }
        "change_password" => Call::json(
            "/api/v1/me/password",
            json!({"current_password": current_password(w, who), "new_password": current_password(w, who), "end_other_sessions": false}),
        ),
        "list_sessions" => Call::at("/api/v1/me/sessions"),
        "end_session" => {
            // A second session of the caller's own, to end.
            let id = match w.session(who) {
                Some(session) => {
                    let second = w.app.sign_in(&session.email, &session.password).await;
                    let sessions = second.client.list_sessions(&PageQuery::default()).await.unwrap().items;
                    sessions.into_iter().find(|s| s.current).unwrap().id
                }
                None => uuid::Uuid::now_v7().to_string(),
            };
            Call::at(format!("/api/v1/me/sessions/{id}"))
        }
        "end_other_sessions" => Call::at("/api/v1/me/sessions/end-others"),
        "list_tokens" => Call::at("/api/v1/tokens"),
        "create_token" => Call::json(
            "/api/v1/tokens",
            json!({"name": "ci", "scopes": ["costs.view"], "expires_in_days": 30}),
        ),
        "issue_invoice" | "get_issued_invoice" => {
            // August's unallocated costs of Acme, allocated: there is something to invoice.
            let file = format!(
                "BilledCost,EffectiveCost,BillingCurrency,ChargePeriodStart,ChargePeriodEnd,ChargeCategory,ServiceName\n\
                 2.50,2.00,USD,2024-08-01T00:00:00Z,2024-08-02T00:00:00Z,Usage,{}\n",
                w.unique("Service ")
            );
            root.import_costs(
                &gmac_types::CostImportParams {
                    client_id: w.client_a.clone(),
                    on_error: gmac_types::OnRowError::Reject,
                    file_name: None,
                },
                file.into_bytes(),
            )
            .await
            .unwrap();
            w.app.run_jobs().await;
            let issue = json!({"user_id": "unallocated", "period": "2024-08", "client_id": w.client_a});
            if operation == "issue_invoice" {
                Call::json("/api/v1/invoices", issue)
            } else {
                let issued = root
                    .issue_invoice(&serde_json::from_value(issue).unwrap())
                    .await
                    .unwrap();
                Call::at(format!("/api/v1/invoices/{}", issued.number))
            }
        }
        "delete_cost_import" => {
            let file = format!(
                "BilledCost,EffectiveCost,BillingCurrency,ChargePeriodStart,ChargePeriodEnd,ChargeCategory,ServiceName\n\
                 3.50,3.00,USD,2024-07-01T00:00:00Z,2024-07-02T00:00:00Z,Usage,{}\n",
                w.unique("Service ")
            );
            let (import, _) = root
                .import_costs(
                    &gmac_types::CostImportParams {
                        client_id: w.client_a.clone(),
                        on_error: gmac_types::OnRowError::Reject,
                        file_name: None,
                    },
                    file.into_bytes(),
                )
                .await
                .unwrap();
            Call::at(format!("/api/v1/cost-imports/{}", import.id))
        }
        "list_cost_views" => Call::at("/api/v1/cost-views"),
        "create_cost_view" => Call::json(
            "/api/v1/cost-views",
            json!({"name": w.unique("view"), "query": "range=6m&stack=team"}),
        ),
        "delete_cost_view" => {
            let view = w
                .own(who)
                .create_cost_view(&gmac_types::NewSavedView {
                    name: w.unique("view"),
                    query: "range=90d".into(),
                })
                .await
                .unwrap();
            Call::at(format!("/api/v1/cost-views/{}", view.id))
        }
        "revoke_token" | "rotate_token" => {
            let token = w
                .own(who)
                .create_token(&gmac_types::NewApiToken {
                    name: "t".into(),
                    scopes: vec![Permission::CostsView],
                    expires_in_days: 30,
                    scope: None,
                })
                .await
                .unwrap();
            if operation == "revoke_token" {
                Call::at(format!("/api/v1/tokens/{}", token.info.id))
            } else {
                Call::at(format!("/api/v1/tokens/{}/rotate", token.info.id))
            }
        }
        "start_totp_enrollment" => Call::at("/api/v1/me/mfa/totp"),
        "confirm_totp_enrollment" => {
            if who != Who::Anonymous {
                let enrollment = w.own(who).start_totp_enrollment().await.unwrap();
                w.totp_secrets
                    .lock()
                    .unwrap()
                    .insert(who, enrollment.secret.expose().to_owned());
            }
            Call::json(
                "/api/v1/me/mfa/totp/confirm",
                json!({"code": w.next_code(who)}),
            )
        }
        "regenerate_recovery_codes" => Call::json(
            "/api/v1/me/mfa/recovery-codes",
            json!({"code": w.next_code(who)}),
        ),
        "disable_totp" => Call::json(
            "/api/v1/me/mfa/totp/disable",
            json!({"password": current_password(w, who), "code": w.next_code(who)}),
        ),
        "list_teams" => Call::at("/api/v1/teams"),
        "list_clients" => Call::at("/api/v1/clients"),
        "list_projects" => Call::at("/api/v1/projects"),
        "create_client" => Call::json("/api/v1/clients", json!({"name": w.unique("Client ")})),
        "get_client" => Call::at(format!("/api/v1/clients/{}", w.client_a)),
        "update_client" => Call::json(
            format!("/api/v1/clients/{}", w.client_a),
            json!({"description": w.unique("d")}),
        ),
        "delete_client" => {
            let id = root
                .create_client(&NewClient {
                    name: w.unique("Doomed "),
                    description: None,
                })
                .await
                .unwrap()
                .id;
            Call::at(format!("/api/v1/clients/{id}"))
        }
        "create_project" => Call::json(
            "/api/v1/projects",
            json!({"client_id": w.client_a, "name": w.unique("Project ")}),
        ),
        "get_project" => Call::at(format!("/api/v1/projects/{}", w.project_a)),
        "update_project" => Call::json(
            format!("/api/v1/projects/{}", w.project_a),
            json!({"description": w.unique("d")}),
        ),
        "delete_project" => {
            let id = root
                .create_project(&NewProject {
                    client_id: w.client_a.clone(),
                    name: w.unique("Doomed "),
                    description: None,
                })
                .await
                .unwrap()
                .id;
            Call::at(format!("/api/v1/projects/{id}"))
        }
        "list_users" => Call::at("/api/v1/users"),
        "get_user" => Call::at(format!("/api/v1/users/{}", w.target_user)),
        "list_user_teams" => Call::at(format!("/api/v1/users/{}/teams", w.target_user)),
        "create_user" => Call::json(
            "/api/v1/users",
            json!({"email": format!("{}@example.com", w.unique("made")), "display_name": "Made", "password": PASSWORD}),
        ),
        "update_user" => Call::json(
            format!("/api/v1/users/{}", w.target_user),
            json!({"display_name": w.unique("Target ")}),
        ),
        "list_role_bindings" => Call::at("/api/v1/role-bindings"),
        "create_role_binding" => {
            let user = w.app.fixture(&w.root).user(&format!("{}@example.com", w.unique("grantee"))).await;
            Call::json(
                "/api/v1/role-bindings",
                json!({"subject": {"type": "user", "id": user}, "role": VIEWER, "scope": {"type": "client", "id": w.client_a}}),
            )
        }
        "delete_role_binding" => {
            let user = w.app.fixture(&w.root).user(&format!("{}@example.com", w.unique("grantee"))).await;
            let binding = root
                .create_role_binding(&NewRoleBinding {
                    subject: Subject {
                        kind: SubjectKind::User,
                        id: user,
                    },
                    role: VIEWER.into(),
                    scope: Scope::Client {
                        id: w.client_a.clone(),
                    },
                })
                .await
                .unwrap();
            Call::at(format!("/api/v1/role-bindings/{}", binding.id))
        }
        "list_invitations" => Call::at("/api/v1/invitations"),
        "create_invitation" => Call::json(
            "/api/v1/invitations",
            json!({"email": format!("{}@example.com", w.unique("invitee")), "role": VIEWER}),
        ),
        "revoke_invitation" => {
            let email = format!("{}@example.com", w.unique("invitee"));
            let created = root
                .create_invitation(&NewInvitation {
                    email,
                    role: VIEWER.into(),
                    scope: None,
                })
                .await
                .unwrap();
            Call::at(format!("/api/v1/invitations/{}", created.invitation.id))
        }
        "renew_invitation" => {
            let email = format!("{}@example.com", w.unique("invitee"));
            let created = root
                .create_invitation(&NewInvitation {
                    email,
                    role: VIEWER.into(),
                    scope: None,
                })
                .await
                .unwrap();
            Call::at(format!("/api/v1/invitations/{}/renew", created.invitation.id))
        }
        "create_team" => Call::json("/api/v1/teams", json!({"name": w.unique("Team ")})),
        "get_team" => Call::at(format!("/api/v1/teams/{}", w.team)),
        "update_team" => Call::json(
            format!("/api/v1/teams/{}", w.team),
            json!({"description": w.unique("d")}),
        ),
        "delete_team" => {
            let id = root
                .create_team(&NewTeam {
                    name: w.unique("Doomed "),
                    description: None,
                })
                .await
                .unwrap()
                .id;
            Call::at(format!("/api/v1/teams/{id}"))
        }
        "list_team_members" => Call::at(format!("/api/v1/teams/{}/members", w.team)),
        "add_team_member" => {
            let user = w.app.fixture(&w.root).user(&format!("{}@example.com", w.unique("member"))).await;
            Call::json(
                format!("/api/v1/teams/{}/members", w.team),
                json!({"user_id": user}),
            )
        }
        "remove_team_member" => {
            let user = w.app.fixture(&w.root).user(&format!("{}@example.com", w.unique("member"))).await;
            root.add_team_member(
                &w.team,
                &NewTeamMember {
                    user_id: user.clone(),
                    leader: false,
                },
            )
            .await
            .unwrap();
            Call::at(format!("/api/v1/teams/{}/members/{user}", w.team))
        }
        "create_role" => Call::json(
            "/api/v1/roles",
            json!({"name": w.unique("Role "), "permissions": ["costs.view"]}),
        ),
        "update_role" => Call::json(
            format!("/api/v1/roles/{}", w.custom_role),
            json!({"description": w.unique("d")}),
        ),
        "delete_role" => {
            let id = root
                .create_role(&NewRole {
                    name: w.unique("Doomed "),
                    description: None,
                    permissions: vec![Permission::CostsView],
                    project_permissions: vec![],
                })
                .await
                .unwrap()
                .id;
            Call::at(format!("/api/v1/roles/{id}"))
        }
        "set_role_policy" => Call::json(
            format!("/api/v1/roles/{}/policy", w.custom_role),
            json!({"mfa_required": false}),
        ),
        "list_audit_events" => Call::at("/api/v1/audit"),
        "export_audit_events" => Call::at("/api/v1/audit/export.csv"),
        "verify_audit_log" => Call::at("/api/v1/audit/verify"),
        _ => return None,
    })
}

fn current_password(world: &World, who: Who) -> String {
    world
        .session(who)
        .map_or_else(|| PASSWORD.to_owned(), |s| s.password.clone())
}

/// The operations in the order they run: enrolling MFA changes how a user signs in, so the
/// MFA operations come last, in the order enrol, confirm, use, turn off.
fn ordered(mut operations: Vec<(String, String, String)>) -> Vec<(String, String, String)> {
    // Revealing a secret needs a second factor: after enrolment, before it is turned off.
    const LAST: [&str; 7] = [
        "start_totp_enrollment",
        "confirm_totp_enrollment",
        "reveal_secret",
        "reveal_service_secret",
        "reveal_project_secret",
        "regenerate_recovery_codes",
        "disable_totp",
    ];
    operations.sort_by_key(|(_, _, id)| {
        (
            LAST.iter().position(|l| l == id).map_or(0, |p| p + 1),
            id.clone(),
        )
    });
    operations
}

#[tokio::test]
async fn every_operation_answers_every_caller_as_the_access_matrix_says() {
    let spec: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../openapi/openapi.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let mut operations = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            operations.push((
                method.to_uppercase(),
                path.clone(),
                op["operationId"].as_str().unwrap().to_owned(),
            ));
        }
    }
    let missing: Vec<&str> = operations
        .iter()
        .map(|(_, _, id)| id.as_str())
        .filter(|id| allow(id).is_none())
        .collect();
    assert!(
        missing.is_empty(),
        "operations without an access expectation: {missing:?}"
    );

    let world = World::build().await;
    let http = world.app.http();
    let mut failures = Vec::new();
    let mut checked = 0;
    for (method, template, operation) in ordered(operations) {
        let rule = allow(&operation).unwrap();
        for who in CALLERS {
            let call = prepare(&world, &operation, who).await.unwrap_or_else(|| {
                panic!("{operation}: no request is known for it; add one to `prepare`")
            });
            let method: reqwest::Method = method.parse().unwrap();
            let mut request = http.request(method.clone(), world.app.url(&call.path));
            if let Some(bearer) = call
                .bearer
                .as_ref()
                .or(world.session(who).map(|s| &s.access_token))
            {
                request = request.bearer_auth(bearer);
            }
            request = match call.body {
                Some(Body::Json(value)) => request.json(&value),
                Some(Body::Bytes(bytes, media_type)) => {
                    request.header("content-type", media_type).body(bytes)
                }
                None => request,
            };
            let status = request.send().await.unwrap().status().as_u16();
            let want = expected(rule, who);
            let good = match want {
                Outcome::Ok => (200..300).contains(&status),
                Outcome::Status(s) => status == s,
            };
            checked += 1;
            if !good {
                failures.push(format!(
                    "{method} {template} ({operation}) as {who:?}: got {status}, want {want:?}"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} calls broke the matrix:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked >= 7 * 60, "only {checked} calls were made");
}
