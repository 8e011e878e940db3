//! HTTP routes. Handlers are thin: extract, convert, call one service, map the result.

pub mod access;
pub mod audit;
pub mod auth;
pub mod budgets;
pub mod builds;
pub mod clients;
pub mod cloud;
pub mod costs;
pub mod domains;
pub mod environments;
pub mod events;
pub mod fallback;
pub mod git;
pub mod hooks;
pub mod invitations;
pub mod jobs;
pub mod me;
pub mod mfa;
pub mod ops;
pub mod profile;
pub mod projects;
pub mod reports;
pub mod runtime;
pub mod services;
pub mod sessions;
pub mod setup;
pub mod shared_variables;
pub mod targets;
pub mod teams;
pub mod templates;
pub mod tokens;
pub mod users;
pub mod variables;
pub mod views;

use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

/// Registers every documented route; the OpenAPI document is collected from the same calls.
#[expect(
    clippy::too_many_lines,
    reason = "one line per route: the table the OpenAPI document is collected from"
)]
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(ops::get_health)
        .service(ops::get_readiness)
        .service(ops::get_metrics)
        .service(
            scope::scope(gmac_types::API_PREFIX)
                .service(setup::get_setup_status)
                .service(setup::complete_setup)
                .service(auth::create_session)
                .service(auth::refresh_session)
                .service(auth::delete_session)
                .service(auth::verify_mfa)
                .service(mfa::start_totp_enrollment)
                .service(mfa::confirm_totp_enrollment)
                .service(mfa::regenerate_recovery_codes)
                .service(mfa::disable_totp)
                .service(me::get_me)
                .service(clients::list_clients)
                .service(clients::create_client)
                .service(clients::get_client)
                .service(clients::update_client)
                .service(clients::delete_client)
                .service(projects::list_projects)
                .service(projects::create_project)
                .service(projects::get_project)
                .service(projects::update_project)
                .service(projects::delete_project)
                .service(access::list_permissions)
                .service(templates::list_templates)
                .service(templates::list_template_sources)
                .service(templates::create_template_source)
                .service(templates::get_template_source)
                .service(templates::sync_template_source)
                .service(templates::delete_template_source)
                .service(git::list_git_connections)
                .service(git::create_git_connection)
                .service(git::get_git_connection)
                .service(git::delete_git_connection)
                .service(services::list_services)
                .service(services::create_service)
                .service(services::get_service)
                .service(services::get_service_costs)
                .service(services::update_service)
                .service(services::delete_service)
                .service(hooks::receive_git_push)
                .service(hooks::list_service_pushes)
                .service(builds::start_build)
                .service(builds::list_builds)
                .service(builds::get_build)
                .service(builds::get_build_logs)
                .service(builds::retry_build)
                .service(builds::cancel_build)
                .service(builds::get_build_stats)
                .service(targets::list_targets)
                .service(targets::create_target)
                .service(targets::get_target)
                .service(targets::update_target)
                .service(targets::test_target)
                .service(targets::delete_target)
                .service(environments::list_environments)
                .service(environments::get_environment)
                .service(environments::update_environment)
                .service(environments::delete_environment)
                .service(environments::create_preview)
                .service(environments::create_deploy)
                .service(environments::rollback_environment)
                .service(environments::restart_environment)
                .service(environments::scale_environment)
                .service(environments::list_releases)
                .service(runtime::get_instances)
                .service(runtime::get_logs)
                .service(domains::list_domains)
                .service(domains::create_domain)
                .service(domains::get_domain)
                .service(domains::verify_domain)
                .service(domains::delete_domain)
                .service(variables::get_variables)
                .service(variables::set_variables)
                .service(variables::diff_variables)
                .service(variables::rollback_variables)
                .service(variables::list_secrets)
                .service(variables::set_secret)
                .service(variables::delete_secret)
                .service(variables::reveal_secret)
                .service(variables::list_service_secrets)
                .service(variables::set_service_secret)
                .service(variables::delete_service_secret)
                .service(variables::reveal_service_secret)
                .service(variables::list_project_secrets)
                .service(variables::set_project_secret)
                .service(variables::delete_project_secret)
                .service(variables::reveal_project_secret)
                .service(shared_variables::get_project_variables)
                .service(shared_variables::set_project_variables)
                .service(shared_variables::diff_project_variables)
                .service(shared_variables::rollback_project_variables)
                .service(shared_variables::get_service_variables)
                .service(shared_variables::set_service_variables)
                .service(shared_variables::diff_service_variables)
                .service(shared_variables::rollback_service_variables)
                .service(shared_variables::get_group_variables)
                .service(shared_variables::set_group_variables)
                .service(shared_variables::diff_group_variables)
                .service(shared_variables::rollback_group_variables)
                .service(shared_variables::list_variable_groups)
                .service(shared_variables::create_variable_group)
                .service(shared_variables::get_variable_group)
                .service(shared_variables::delete_variable_group)
                .service(shared_variables::get_service_variable_groups)
                .service(shared_variables::set_service_variable_groups)
                .service(access::list_roles)
                .service(access::list_role_bindings)
                .service(access::create_role_binding)
                .service(access::delete_role_binding)
                .service(users::list_users)
                .service(users::create_user)
                .service(users::get_user)
                .service(users::update_user)
                .service(tokens::list_tokens)
                .service(tokens::create_token)
                .service(tokens::revoke_token)
                .service(tokens::rotate_token)
                .service(costs::import_costs)
                .service(cloud::create_cloud_account)
                .service(cloud::list_cloud_accounts)
                .service(cloud::delete_cloud_account)
                .service(cloud::update_cloud_account)
                .service(cloud::test_cloud_account)
                .service(cloud::start_cost_sync)
                .service(cloud::list_cost_syncs)
                .service(costs::list_cost_imports)
                .service(costs::delete_cost_import)
                .service(budgets::get_cost_forecast)
                .service(budgets::list_cost_anomalies)
                .service(budgets::give_anomaly_feedback)
                .service(costs::get_costs)
                .service(costs::export_costs)
                .service(budgets::create_budget)
                .service(budgets::list_budgets)
                .service(budgets::get_budget_status)
                .service(budgets::delete_budget)
                .service(budgets::update_budget)
                .service(budgets::list_budget_alerts)
                .service(budgets::get_invoice)
                .service(budgets::issue_invoice)
                .service(budgets::get_issued_invoice)
                .service(views::create_cost_view)
                .service(views::list_cost_views)
                .service(views::delete_cost_view)
                .service(reports::get_monthly_report)
                .service(reports::list_cost_people)
                .service(reports::create_report_schedule)
                .service(reports::list_report_schedules)
                .service(reports::delete_report_schedule)
                .service(reports::update_report_schedule)
                .service(reports::send_report_schedule)
                .service(costs::create_allocation_rule)
                .service(costs::list_allocation_rules)
                .service(costs::delete_allocation_rule)
                .service(costs::update_allocation_rule)
                .service(costs::create_resource_assignment)
                .service(costs::list_resource_assignments)
                .service(costs::delete_resource_assignment)
                .service(audit::list_audit_events)
                .service(audit::export_audit_events)
                .service(audit::verify_audit_log)
                .service(sessions::list_sessions)
                .service(sessions::end_other_sessions)
                .service(sessions::end_session)
                .service(teams::list_teams)
                .service(teams::create_team)
                .service(teams::get_team)
                .service(teams::update_team)
                .service(teams::delete_team)
                .service(teams::list_team_members)
                .service(teams::add_team_member)
                .service(teams::remove_team_member)
                .service(teams::list_user_teams)
                .service(access::create_role)
                .service(access::update_role)
                .service(access::delete_role)
                .service(access::set_role_policy)
                .service(profile::get_profile)
                .service(profile::update_profile)
                .service(profile::upload_avatar)
                .service(profile::delete_avatar)
                .service(profile::get_avatar)
                .service(profile::change_password)
                .service(invitations::list_invitations)
                .service(invitations::create_invitation)
                .service(invitations::preview_invitation)
                .service(invitations::accept_invitation)
                .service(invitations::revoke_invitation)
                .service(invitations::renew_invitation)
                .service(jobs::list_jobs)
                .service(jobs::get_job)
                .service(jobs::get_job_log)
                .service(jobs::follow_job)
                .service(jobs::cancel_job)
                .service(jobs::retry_job)
                .service(events::list_events)
                .service(events::stream_events),
        );
}

/// Problem-details responses shared by many operations, for `#[utoipa::path(responses(...))]`.
pub mod docs {
    use gmac_types::ProblemDetails;
    use utoipa::{ToResponse, ToSchema};

    /// A file's bytes, sent as the whole body.
    #[derive(Debug, ToSchema)]
    #[schema(value_type = String, format = Binary)]
    pub struct Binary(pub Vec<u8>);

    /// A `multipart/form-data` upload of one file in the field `file`.
    #[derive(Debug, ToSchema, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct FileForm {
        /// The file.
        #[schema(value_type = String, format = Binary)]
        pub file: Vec<u8>,
    }

    /// Missing, invalid, expired or revoked credentials.
    #[derive(Debug, ToResponse)]
    #[response(
        description = "Authentication required or failed",
        content_type = "application/problem+json"
    )]
    pub struct Unauthorized(#[response(inline)] pub ProblemDetails);

    /// The body is not JSON or not the expected shape.
    #[derive(Debug, ToResponse)]
    #[response(
        description = "Malformed request",
        content_type = "application/problem+json"
    )]
    pub struct BadRequest(#[response(inline)] pub ProblemDetails);

    /// The body exceeds the size limit.
    #[derive(Debug, ToResponse)]
    #[response(
        description = "Body too large",
        content_type = "application/problem+json"
    )]
    pub struct PayloadTooLarge(#[response(inline)] pub ProblemDetails);

    /// The body is not `application/json`.
    #[derive(Debug, ToResponse)]
    #[response(
        description = "Unsupported media type",
        content_type = "application/problem+json"
    )]
    pub struct UnsupportedMediaType(#[response(inline)] pub ProblemDetails);

    /// One or more fields are invalid; `errors[]` points at each.
    #[derive(Debug, ToResponse)]
    #[response(
        description = "Validation failed",
        content_type = "application/problem+json"
    )]
    pub struct ValidationFailed(#[response(inline)] pub ProblemDetails);

    /// Too many requests; see `Retry-After`.
    #[derive(Debug, ToResponse)]
    #[response(
        description = "Rate limited",
        content_type = "application/problem+json"
    )]
    pub struct RateLimited(#[response(inline)] pub ProblemDetails);

    /// The request conflicts with the current state.
    #[derive(Debug, ToResponse)]
    #[response(description = "Conflict", content_type = "application/problem+json")]
    pub struct Conflict(#[response(inline)] pub ProblemDetails);

    /// No such object, or not one you may know of.
    #[derive(Debug, ToResponse)]
    #[response(description = "Not found", content_type = "application/problem+json")]
    pub struct NotFound(#[response(inline)] pub ProblemDetails);

    /// `If-Match` names a version that is no longer current.
    #[derive(Debug, ToResponse)]
    #[response(
        description = "Precondition failed",
        content_type = "application/problem+json"
    )]
    pub struct PreconditionFailed(#[response(inline)] pub ProblemDetails);

    /// The cross-site request was refused.
    #[derive(Debug, ToResponse)]
    #[response(description = "Forbidden", content_type = "application/problem+json")]
    pub struct Forbidden(#[response(inline)] pub ProblemDetails);

    /// The database is busy or unreachable; see `Retry-After`.
    #[derive(Debug, ToResponse)]
    #[response(
        description = "Service unavailable; retry after `Retry-After` seconds",
        content_type = "application/problem+json"
    )]
    pub struct ServiceUnavailable(#[response(inline)] pub ProblemDetails);

    /// The server's disk is full; nothing was written.
    #[derive(Debug, ToResponse)]
    #[response(
        description = "Insufficient storage: the disk is full, nothing was written",
        content_type = "application/problem+json"
    )]
    pub struct InsufficientStorage(#[response(inline)] pub ProblemDetails);

    /// Something went wrong on our side.
    #[derive(Debug, ToResponse)]
    #[response(
        description = "Internal error (details are logged, never returned)",
        content_type = "application/problem+json"
    )]
    pub struct Internal(#[response(inline)] pub ProblemDetails);
}
