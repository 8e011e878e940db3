//! Cloud costs: FOCUS imports and cost reports.

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, post, put, web};
use futures_util::StreamExt;
use gmac_core::services::allocation;
use gmac_core::services::costs::{self, SpooledFile};
use gmac_types::{
    AllocationRule, AllocationRuleChange, CostImport, CostImportParams, CostQuery, CostReport,
    ErrorCode, NewAllocationRule, NewResourceAssignment, Page, PageQuery, ResourceAssignment,
};
use serde::Deserialize;

use crate::error::ApiError;
use crate::extract::{Actor, Meta};
use crate::state::AppState;

/// Spools the first file part of a `multipart/form-data` upload (the field `file`, or any
/// field with a file name); returns it with its name.
async fn spool_multipart(
    state: &AppState,
    mut form: actix_multipart::Multipart,
) -> Result<(tempfile::TempPath, String, Option<String>), ApiError> {
    let broken = |e: actix_multipart::MultipartError| {
        ApiError::new(ErrorCode::BadRequest).detail(format!("The form cannot be read: {e}"))
    };
    while let Some(field) = form.next().await {
        let field = field.map_err(broken)?;
        let disposition = field.content_disposition().cloned();
        let name = disposition
            .as_ref()
            .and_then(|d| d.get_name().map(str::to_owned));
        let file_name = disposition
            .as_ref()
            .and_then(|d| d.get_filename().map(str::to_owned));
        if name.as_deref() == Some("file") || file_name.is_some() {
            let (path, sha256) =
                crate::spool::spool(&state.spool, state.core.import_limits, field).await?;
            return Ok((path, sha256, file_name));
        }
    }
    Err(
        gmac_core::Error::Validation(vec![gmac_types::FieldError::new(
            "file",
            "missing_file",
            "The form has no file part: send the FOCUS file in the field `file`.",
        )])
        .into(),
    )
}

/// Import a FOCUS 1.0, 1.1 or 1.2 CSV file (optionally gzip'd) as the request body. Needs
/// `costs.manage` on the client.
///
/// The file is streamed, imported atomically and only once: sending the same file again
/// answers 200 with `rows_imported: 0`. By default a row that breaks the specification refuses
/// the whole file (422, with each bad line in `errors`); with `on_error=skip` the valid rows
/// are imported and the others reported.
///
/// With `Prefer: respond-async` (RFC 7240) the file is stored and imported by a job: the answer
/// is 202 with the job and its `Location`, to follow at `/jobs/{id}/events`; the job's result
/// names the import.
#[utoipa::path(
    tag = "costs",
    params(
        CostImportParams,
        ("Prefer" = Option<String>, Header, description = "`respond-async`: answer 202 with a job instead of waiting for the import"),
    ),
    request_body(content((crate::routes::docs::Binary = "text/csv"), (crate::routes::docs::FileForm = "multipart/form-data")), description = "A FOCUS CSV file, optionally gzip'd, as the body or as the `file` field of a form"),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Imported", body = CostImport,
            headers(("Location" = String, description = "The import's URL"))),
        (status = 200, description = "This file was imported before; nothing changed", body = CostImport),
        (status = 202, description = "Accepted: a job imports the file", body = gmac_types::Job,
            headers(("Location" = String, description = "The job's URL"), ("Preference-Applied" = String, description = "`respond-async`"))),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 413, response = crate::routes::docs::PayloadTooLarge),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[post("/cost-imports")]
pub async fn import_costs(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    params: crate::extract::Query<CostImportParams>,
    request: actix_web::HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    // Refuse before reading a large body when the caller may not import here.
    costs::may_import(&actor, &params.client_id)?;
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let (path, sha256, file_name) = if multipart {
        spool_multipart(
            &state,
            actix_multipart::Multipart::new(request.headers(), payload),
        )
        .await?
    } else {
        let (path, sha256) =
            crate::spool::spool(&state.spool, state.core.import_limits, payload).await?;
        (path, sha256, None)
    };
    let file = SpooledFile {
        path: path.to_path_buf(),
        sha256,
        file_name,
        progress: std::sync::Arc::default(),
    };
    if crate::routes::jobs::prefers_async(&request) {
        let job =
            gmac_core::services::import_jobs::enqueue(&state.core, &actor, &meta.0, &params, &file)
                .await?;
        drop(path);
        return Ok(crate::routes::jobs::accepted(&job));
    }
    let (import, created) =
        costs::import_focus(&state.core, &actor, &meta.0, &params, &file).await?;
    drop(path);
    Ok(if created {
        HttpResponse::Created()
            .insert_header((
                header::LOCATION,
                format!("/api/v1/cost-imports/{}", import.id),
            ))
            .json(import)
    } else {
        HttpResponse::Ok().json(import)
    })
}

/// Which client's imports to list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportListQuery {
    /// Only this client's imports.
    pub client_id: Option<String>,
}

/// The cost imports of the clients whose costs you may see, newest first, a page at a time.
#[utoipa::path(
    tag = "costs",
    params(ImportListQuery, PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Imports", body = Page<CostImport>),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[get("/cost-imports")]
pub async fn list_cost_imports(
    state: web::Data<AppState>,
    actor: Actor,
    query: crate::extract::Query<ImportListQuery>,
    page: crate::extract::Query<PageQuery>,
) -> Result<web::Json<Page<CostImport>>, ApiError> {
    Ok(web::Json(
        costs::list_imports(&state.core, &actor, query.client_id.as_deref(), &page).await?,
    ))
}

/// Costs over a range of days, summed exactly from the daily rollups and optionally grouped
/// (by day, month, service, account, region, provider, charge category, resource, client or
/// `tag:KEY`). Amounts are decimal strings. Needs `costs.view`; you see the clients where you
/// hold it.
#[utoipa::path(
    tag = "costs",
    params(CostQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The costs", body = CostReport),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[get("/costs")]
pub async fn get_costs(
    state: web::Data<AppState>,
    actor: Actor,
    query: crate::extract::Query<CostQuery>,
) -> Result<web::Json<CostReport>, ApiError> {
    Ok(web::Json(
        costs::query_costs(&state.core, &actor, &query).await?,
    ))
}

/// Which client's allocation settings to list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AllocationListQuery {
    /// Only this client's (and the global) rules.
    pub client_id: Option<String>,
}

/// Create an allocation rule. Rules are tried in order of `position` (1 first) after resources
/// assigned by hand; what no rule claims is Unallocated. Creating a rule re-allocates the
/// history it touches. Needs `costs.manage` where the rule applies.
#[utoipa::path(
    tag = "costs",
    request_body = NewAllocationRule,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The rule", body = AllocationRule,
            headers(("Location" = String, description = "Its URL"))),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[post("/allocation-rules")]
pub async fn create_allocation_rule(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    body: web::Json<NewAllocationRule>,
) -> Result<HttpResponse, ApiError> {
    let rule = allocation::create_rule(&state.core, &actor, &meta.0, body.into_inner()).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/allocation-rules/{}", rule.id),
        ))
        .json(rule))
}

/// The allocation rules you may see, in order of precedence.
#[utoipa::path(
    tag = "costs",
    params(AllocationListQuery, PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Rules", body = Page<AllocationRule>),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[get("/allocation-rules")]
pub async fn list_allocation_rules(
    state: web::Data<AppState>,
    actor: Actor,
    query: crate::extract::Query<AllocationListQuery>,
    page: crate::extract::Query<PageQuery>,
) -> Result<web::Json<Page<AllocationRule>>, ApiError> {
    Ok(web::Json(
        allocation::list_rules(&state.core, &actor, query.client_id.as_deref(), &page).await?,
    ))
}

/// Delete an import (one sent to the wrong client, say): it leaves the list at once, and a job
/// takes its lines out of the dashboards, rollups and allocations of their days. Answers the
/// job (202), to follow at `/jobs/{id}`. Needs `costs.manage` on the client.
#[utoipa::path(
    tag = "costs",
    params(("id" = String, Path, description = "The import's id")),
    security(("bearer" = [])),
    responses(
        (status = 202, description = "The job that deletes it", body = gmac_types::Job,
            headers(("Location" = String, description = "The job's URL"))),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[delete("/cost-imports/{id}")]
pub async fn delete_cost_import(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let job = costs::delete_import(&state.core, &actor, &meta.0, &id).await?;
    Ok(HttpResponse::Accepted()
        .insert_header((header::LOCATION, format!("/api/v1/jobs/{}", job.id)))
        .json(job))
}

/// Change an allocation rule: its name, criteria and allocation are replaced by those given
/// (a criterion left out no longer matches), and it moves when a position is given. Send the
/// version last read as `If-Match`: a change made meanwhile answers 412. History is
/// re-allocated as a job. Needs `costs.manage` where the rule applies.
#[utoipa::path(
    tag = "costs",
    params(
        ("id" = String, Path, description = "The rule's id"),
        ("If-Match" = Option<String>, Header, description = "The version last read"),
    ),
    request_body = AllocationRuleChange,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The changed rule", body = AllocationRule),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 412, response = crate::routes::docs::PreconditionFailed),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[put("/allocation-rules/{id}")]
pub async fn update_allocation_rule(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
    if_match: crate::extract::IfMatch,
    body: web::Json<AllocationRuleChange>,
) -> Result<HttpResponse, ApiError> {
    let rule = allocation::update_rule(
        &state.core,
        &actor,
        &meta.0,
        &id,
        if_match.0,
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header(crate::extract::etag(rule.version))
        .json(rule))
}

/// Delete an allocation rule; the rules after it move up and history is re-allocated.
#[utoipa::path(
    tag = "costs",
    params(("id" = String, Path, description = "The rule's id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[delete("/allocation-rules/{id}")]
pub async fn delete_allocation_rule(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    allocation::delete_rule(&state.core, &actor, &meta.0, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Assign a resource's costs to a user or team by hand (this beats every rule; a resource has
/// one assignment, the latest). Needs `costs.manage` on the client.
#[utoipa::path(
    tag = "costs",
    request_body = NewResourceAssignment,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The assignment", body = ResourceAssignment,
            headers(("Location" = String, description = "Its URL"))),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[post("/resource-assignments")]
pub async fn create_resource_assignment(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    body: web::Json<NewResourceAssignment>,
) -> Result<HttpResponse, ApiError> {
    let assignment =
        allocation::assign_resource(&state.core, &actor, &meta.0, body.into_inner()).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/resource-assignments/{}", assignment.id),
        ))
        .json(assignment))
}

/// Which client's assignments to list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AssignmentListQuery {
    /// The client.
    pub client_id: String,
}

/// A client's resources assigned by hand.
#[utoipa::path(
    tag = "costs",
    params(AssignmentListQuery, PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Assignments", body = Page<ResourceAssignment>),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[get("/resource-assignments")]
pub async fn list_resource_assignments(
    state: web::Data<AppState>,
    actor: Actor,
    query: crate::extract::Query<AssignmentListQuery>,
    page: crate::extract::Query<PageQuery>,
) -> Result<web::Json<Page<ResourceAssignment>>, ApiError> {
    Ok(web::Json(
        allocation::list_assignments(&state.core, &actor, &query.client_id, &page).await?,
    ))
}

/// Remove a resource assignment; its costs go back to the rules.
#[utoipa::path(
    tag = "costs",
    params(("id" = String, Path, description = "The assignment's id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[delete("/resource-assignments/{id}")]
pub async fn delete_resource_assignment(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    allocation::unassign_resource(&state.core, &actor, &meta.0, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The same report as `GET /costs`, as CSV (`key,label,amount,currency`, then a total row),
/// safe to open in a spreadsheet. With `stack_by`, a row per day (or month) and stack:
/// `key,stack,label,amount,currency`.
#[utoipa::path(
    tag = "costs",
    params(CostQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "CSV", content_type = "text/csv", body = String),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[get("/costs/export")]
pub async fn export_costs(
    state: web::Data<AppState>,
    actor: Actor,
    query: crate::extract::Query<CostQuery>,
) -> Result<HttpResponse, ApiError> {
    let report = costs::query_costs(&state.core, &actor, &query).await?;
    let csv = if report.stacks.is_empty() {
        flat_csv(report)?
    } else {
        stacked_csv(report)?
    };
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"gmac-costs-{}-{}.csv\"",
                query.from, query.to
            ),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(csv))
}

/// A report as CSV: a row per group, then the total.
fn flat_csv(report: gmac_types::CostReport) -> Result<Vec<u8>, ApiError> {
    let currency = report.currency;
    let rows = report
        .groups
        .into_iter()
        .map(|g| {
            vec![
                g.key,
                g.label.unwrap_or_default(),
                g.amount.to_string(),
                currency.clone(),
            ]
        })
        .chain(std::iter::once(vec![
            "total".to_owned(),
            "Total".to_owned(),
            report.total.to_string(),
            currency.clone(),
        ]));
    Ok(gmac_core::export::to_csv(
        &["key", "label", "amount", "currency"],
        rows,
    )?)
}

/// A stacked report as CSV: a row per day (or month) and stack, then the total.
fn stacked_csv(report: gmac_types::CostReport) -> Result<Vec<u8>, ApiError> {
    let currency = report.currency;
    let labels: std::collections::HashMap<String, String> = report
        .stacks
        .into_iter()
        .map(|s| {
            let label = s.label.unwrap_or_else(|| s.key.clone());
            (s.key, label)
        })
        .collect();
    let rows = report
        .groups
        .into_iter()
        .flat_map(|g| {
            let key = g.key;
            let labels = &labels;
            let currency = &currency;
            g.parts.into_iter().map(move |p| {
                vec![
                    key.clone(),
                    p.stack.clone(),
                    labels.get(&p.stack).cloned().unwrap_or(p.stack),
                    p.amount.to_string(),
                    currency.clone(),
                ]
            })
        })
        .chain(std::iter::once(vec![
            "total".to_owned(),
            String::new(),
            "Total".to_owned(),
            report.total.to_string(),
            currency.clone(),
        ]));
    Ok(gmac_core::export::to_csv(
        &["key", "stack", "label", "amount", "currency"],
        rows,
    )?)
}
