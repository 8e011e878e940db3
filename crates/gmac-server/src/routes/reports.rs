//! Monthly cost reports and their emailed schedules.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use gmac_core::services::reports;
use gmac_types::{
    CostPeople, MonthlyReport, MonthlyReportQuery, NewReportSchedule, Page, PageQuery,
    ReportDelivery, ReportSchedule, SendReportQuery,
};

use crate::error::ApiError;
use crate::extract::{Actor, Meta};
use crate::state::AppState;

/// Whether the request's `Accept` header names `media_type`.
fn accepts(request: &HttpRequest, media_type: &str) -> bool {
    request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains(media_type))
}

/// A month of costs for a user (`user_id`), a team (`team_id`) or everything you see: billed
/// and effective totals, the change on the month before, services, members or teams, and the
/// days. As JSON, or as a PDF (`Accept: application/pdf`) or CSV (`Accept: text/csv`)
/// document. Needs `costs.view`.
#[utoipa::path(
    tag = "costs",
    params(MonthlyReportQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The report, as JSON, PDF or CSV",
            content((MonthlyReport = "application/json"), (Vec<u8> = "application/pdf"), (String = "text/csv"))),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[get("/reports/monthly")]
pub async fn get_monthly_report(
    state: web::Data<AppState>,
    actor: Actor,
    query: crate::extract::Query<MonthlyReportQuery>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let report = reports::monthly_report(&state.core, &actor, &query).await?;
    let (content_type, body, extension) = if accepts(&request, "application/pdf") {
        (
            "application/pdf",
            gmac_core::pdf::report_pdf(&report),
            "pdf",
        )
    } else if accepts(&request, "text/csv") {
        (
            "text/csv; charset=utf-8",
            reports::report_csv(&report)?,
            "csv",
        )
    } else {
        return Ok(HttpResponse::Ok().json(report));
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"{}\"",
                reports::file_name(&report, extension)
            ),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}

/// Schedule a monthly report (per user, per team or everything) to be emailed as PDF or CSV:
/// monthly on the 1st (the month just ended) or weekly on Mondays (the month so far). Needs
/// `costs.manage` on its client, or everywhere without one.
#[utoipa::path(
    tag = "costs",
    request_body = NewReportSchedule,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The schedule", body = ReportSchedule,
            headers(("Location" = String, description = "Its URL"))),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[post("/report-schedules")]
pub async fn create_report_schedule(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    body: web::Json<NewReportSchedule>,
) -> Result<HttpResponse, ApiError> {
    let schedule =
        reports::create_schedule(&state.core, &actor, &meta.0, body.into_inner()).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/report-schedules/{}", schedule.id),
        ))
        .json(schedule))
}

/// The report schedules whose costs you may see.
#[utoipa::path(
    tag = "costs",
    params(PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Schedules", body = Page<ReportSchedule>),
        (status = 401, response = crate::routes::docs::Unauthorized),
    )
)]
#[get("/report-schedules")]
pub async fn list_report_schedules(
    state: web::Data<AppState>,
    actor: Actor,
    page: crate::extract::Query<PageQuery>,
) -> Result<web::Json<Page<ReportSchedule>>, ApiError> {
    Ok(web::Json(
        reports::list_schedules(&state.core, &actor, &page).await?,
    ))
}

/// Change a report schedule's name, cadence, format or recipients (what it reports on stays).
/// Send the version last read as `If-Match`: a change made meanwhile answers 412. Needs
/// `costs.manage` where it applies.
#[utoipa::path(
    tag = "reports",
    params(
        ("id" = String, Path, description = "The schedule's id"),
        ("If-Match" = Option<String>, Header, description = "The version last read"),
    ),
    request_body = gmac_types::ReportSchedulePatch,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The changed schedule", body = ReportSchedule),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 412, response = crate::routes::docs::PreconditionFailed),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[patch("/report-schedules/{id}")]
pub async fn update_report_schedule(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
    if_match: crate::extract::IfMatch,
    body: web::Json<gmac_types::ReportSchedulePatch>,
) -> Result<HttpResponse, ApiError> {
    let schedule = reports::update_schedule(
        &state.core,
        &actor,
        &meta.0,
        &id,
        if_match.0,
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header(crate::extract::etag(schedule.version))
        .json(schedule))
}

/// Delete a report schedule. Needs `costs.manage` where it applies.
#[utoipa::path(
    tag = "costs",
    params(("id" = String, Path, description = "The schedule's id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[delete("/report-schedules/{id}")]
pub async fn delete_report_schedule(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    reports::delete_schedule(&state.core, &actor, &meta.0, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Email a schedule's report now, for `period`, or else the month a run today would send (a
/// monthly schedule: the month just ended; a weekly one: the month so far); says which
/// recipients the mail server accepted. Needs `costs.manage` where it applies.
///
/// With `Prefer: respond-async` (RFC 7240) a job sends it, retrying while the mail server is
/// unreachable: the answer is 202 with the job and its `Location`; the job's result is the
/// delivery.
#[utoipa::path(
    tag = "costs",
    params(
        ("id" = String, Path, description = "The schedule's id"),
        SendReportQuery,
        ("Prefer" = Option<String>, Header, description = "`respond-async`: answer 202 with a job instead of waiting for the mail"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "What was sent", body = ReportDelivery),
        (status = 202, description = "Accepted: a job sends it", body = gmac_types::Job,
            headers(("Location" = String, description = "The job's URL"), ("Preference-Applied" = String, description = "`respond-async`"))),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[post("/report-schedules/{id}/send")]
pub async fn send_report_schedule(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
    query: crate::extract::Query<SendReportQuery>,
    request: actix_web::HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let period = query.period.as_deref();
    if crate::routes::jobs::prefers_async(&request) {
        let job = reports::enqueue_send(&state.core, &actor, &meta.0, &id, period).await?;
        return Ok(crate::routes::jobs::accepted(&job));
    }
    Ok(
        HttpResponse::Ok()
            .json(reports::send_now(&state.core, &actor, &meta.0, &id, period).await?),
    )
}

/// Everyone costs can be allocated to, by name: active users (with their email) and teams.
/// Needs `costs.view` somewhere, so that a Billing Manager, who may not list users, can still
/// pick people for budgets, rules and reports.
#[utoipa::path(
    tag = "costs",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Users and teams", body = CostPeople),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
    )
)]
#[get("/costs/people")]
pub async fn list_cost_people(
    state: web::Data<AppState>,
    actor: Actor,
) -> Result<web::Json<CostPeople>, ApiError> {
    Ok(web::Json(
        gmac_core::services::allocation::people(&state.core, &actor).await?,
    ))
}
