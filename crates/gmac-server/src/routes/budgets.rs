//! Budgets, and the forecasts and anomalies of costs.

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use gmac_core::services::{budgets, insights, invoices};
use gmac_types::{
    AnomalyFeedback, AnomalyQuery, Budget, BudgetAlert, BudgetPatch, BudgetStatus, CostAnomaly,
    CostForecast, ForecastQuery, Invoice, InvoiceQuery, IssueInvoice, NewBudget, Page, PageQuery,
};

use crate::error::ApiError;
use crate::extract::{Actor, IfMatch, Meta, etag};
use crate::state::AppState;

/// The month-end forecast (the elapsed days plus the remaining days at the mean of the last
/// 14), with a 90% prediction interval. Needs `costs.view`.
#[utoipa::path(
    tag = "costs",
    params(ForecastQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The forecast", body = CostForecast),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[get("/costs/forecast")]
pub async fn get_cost_forecast(
    state: web::Data<AppState>,
    actor: Actor,
    query: crate::extract::Query<ForecastQuery>,
) -> Result<web::Json<CostForecast>, ApiError> {
    Ok(web::Json(
        insights::forecast_month(&state.core, &actor, &query).await?,
    ))
}

/// Days whose cost, per service, account, user or team, was far from what the 14 days before
/// predicted: expected and actual, impact in money and percent, the likely root cause, and
/// any feedback. Newest first. Needs `costs.view`.
#[utoipa::path(
    tag = "costs",
    params(AnomalyQuery, PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Anomalies", body = Page<CostAnomaly>),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[get("/costs/anomalies")]
pub async fn list_cost_anomalies(
    state: web::Data<AppState>,
    actor: Actor,
    query: crate::extract::Query<AnomalyQuery>,
    page: crate::extract::Query<PageQuery>,
) -> Result<web::Json<Page<CostAnomaly>>, ApiError> {
    Ok(web::Json(
        insights::anomalies(&state.core, &actor, &query, &page).await?,
    ))
}

/// Say whether an anomaly was expected.
#[utoipa::path(
    tag = "costs",
    request_body = AnomalyFeedback,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Recorded"),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[post("/costs/anomalies/feedback")]
pub async fn give_anomaly_feedback(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    body: web::Json<AnomalyFeedback>,
) -> Result<HttpResponse, ApiError> {
    insights::give_feedback(&state.core, &actor, &meta.0, &body).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Create a budget for a user, a team, a project, a client or everything; monthly, quarterly
/// or yearly; with thresholds on actual and forecasted spend that alert once per period by
/// email and in the app. Needs `budgets.manage`.
#[utoipa::path(
    tag = "budgets",
    request_body = NewBudget,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The budget", body = Budget,
            headers(("Location" = String, description = "Its URL"))),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[post("/budgets")]
pub async fn create_budget(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    body: web::Json<NewBudget>,
) -> Result<HttpResponse, ApiError> {
    let budget = budgets::create_budget(&state.core, &actor, &meta.0, body.into_inner()).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/budgets/{}", budget.id)))
        .json(budget))
}

/// The budgets you may see.
#[utoipa::path(
    tag = "budgets",
    params(PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Budgets", body = Page<Budget>),
        (status = 401, response = crate::routes::docs::Unauthorized),
    )
)]
#[get("/budgets")]
pub async fn list_budgets(
    state: web::Data<AppState>,
    actor: Actor,
    page: crate::extract::Query<PageQuery>,
) -> Result<web::Json<Page<Budget>>, ApiError> {
    Ok(web::Json(
        budgets::list_budgets(&state.core, &actor, &page).await?,
    ))
}

/// Where a budget stands: this period's actual and forecast against the limit, its alerts and
/// the budget-against-actual history.
#[utoipa::path(
    tag = "budgets",
    params(("id" = String, Path, description = "The budget's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The status", body = BudgetStatus),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[get("/budgets/{id}/status")]
pub async fn get_budget_status(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> Result<web::Json<BudgetStatus>, ApiError> {
    Ok(web::Json(
        budgets::budget_status(&state.core, &actor, &id).await?,
    ))
}

/// Delete a budget with its alerts and history.
#[utoipa::path(
    tag = "budgets",
    params(("id" = String, Path, description = "The budget's id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[delete("/budgets/{id}")]
pub async fn delete_budget(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    budgets::delete_budget(&state.core, &actor, &meta.0, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Change a budget's name, amount, thresholds or recipients (what it covers, its period and
/// currency stay). Send the `ETag` last read as `If-Match`: a change made meanwhile answers
/// 412. Alerts already sent stay sent; the next evaluation uses the new amount and thresholds.
#[utoipa::path(
    tag = "budgets",
    params(
        ("id" = String, Path, description = "The budget's id"),
        ("If-Match" = Option<String>, Header, description = "The ETag last read"),
    ),
    request_body = BudgetPatch,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The changed budget", body = Budget),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 412, response = crate::routes::docs::PreconditionFailed),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[patch("/budgets/{id}")]
pub async fn update_budget(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
    if_match: IfMatch,
    body: web::Json<BudgetPatch>,
) -> Result<HttpResponse, ApiError> {
    let budget = budgets::update_budget(
        &state.core,
        &actor,
        &meta.0,
        &id,
        if_match.0,
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(budget.version))
        .json(budget))
}

/// Budget alerts you may see, newest first: the in-app notifications.
#[utoipa::path(
    tag = "budgets",
    params(PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Alerts", body = Page<BudgetAlert>),
        (status = 401, response = crate::routes::docs::Unauthorized),
    )
)]
#[get("/budget-alerts")]
pub async fn list_budget_alerts(
    state: web::Data<AppState>,
    actor: Actor,
    page: crate::extract::Query<PageQuery>,
) -> Result<web::Json<Page<BudgetAlert>>, ApiError> {
    Ok(web::Json(
        budgets::list_alerts(&state.core, &actor, &page).await?,
    ))
}

/// A user's monthly invoice: their allocated billed cost by service, exactly. `user_id=unallocated`
/// bills what no rule claims, so that all invoices of a month add up to its billed cost.
/// Once issued (`POST /invoices`) it is the issued invoice, kept as issued (`outdated` when the
/// allocation changed since); before, a draft. Needs `costs.view`.
#[utoipa::path(
    tag = "costs",
    params(InvoiceQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The invoice, as JSON or (with `Accept: application/pdf`) as a PDF document",
            content((Invoice = "application/json"), (Vec<u8> = "application/pdf"))),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[get("/invoices")]
pub async fn get_invoice(
    state: web::Data<AppState>,
    actor: Actor,
    query: crate::extract::Query<InvoiceQuery>,
    request: actix_web::HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let invoice = invoices::invoice(&state.core, &actor, &query).await?;
    Ok(invoice_response(&invoice, &request))
}

/// The invoice as JSON, or as a PDF when the client asks for one.
fn invoice_response(invoice: &Invoice, request: &actix_web::HttpRequest) -> HttpResponse {
    let wants_pdf = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/pdf"));
    if !wants_pdf {
        return HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(invoice);
    }
    let filename = format!("{}.pdf", invoice.number);
    HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(gmac_core::pdf::invoice_pdf(invoice))
}

/// Issues a person's invoice for a month that is over: numbered (`INV-<year>-<sequence>`),
/// dated, naming the issuer, and kept as issued. Issued already with the same figures: that
/// invoice (200). Issued with other figures (the allocation changed): a credit note cancelling
/// it and a new invoice replacing it (201). Needs `costs.manage` where the costs are.
#[utoipa::path(
    tag = "costs",
    request_body = IssueInvoice,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Issued before with these figures: that invoice", body = Invoice),
        (status = 201, description = "Issued now", body = Invoice),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 409, response = crate::routes::docs::Conflict),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[post("/invoices")]
pub async fn issue_invoice(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    body: web::Json<IssueInvoice>,
) -> Result<HttpResponse, ApiError> {
    let (invoice, created) = invoices::issue(&state.core, &actor, &meta.0, &body).await?;
    let mut response = if created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    Ok(response
        .insert_header((
            header::LOCATION,
            format!("/api/v1/invoices/{}", invoice.number),
        ))
        .json(invoice))
}

/// An issued invoice or credit note by its number, as issued: JSON, or a PDF with
/// `Accept: application/pdf`. Needs `costs.view` where its costs are.
#[utoipa::path(
    tag = "costs",
    params(("number" = String, Path, description = "The number, e.g. `INV-2026-00001`")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The document, as JSON or (with `Accept: application/pdf`) as a PDF document",
            content((Invoice = "application/json"), (Vec<u8> = "application/pdf"))),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[get("/invoices/{number}")]
pub async fn get_issued_invoice(
    state: web::Data<AppState>,
    actor: Actor,
    number: web::Path<String>,
    request: actix_web::HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let invoice = invoices::issued(&state.core, &actor, &number).await?;
    Ok(invoice_response(&invoice, &request))
}
