//! Saved cost views: your own named dashboard choices.

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, post, web};
use gmac_core::services::saved_views;
use gmac_types::{NewSavedView, Page, PageQuery, SavedView};

use crate::error::ApiError;
use crate::extract::{Actor, Meta};
use crate::state::AppState;

/// Saves the costs page's choices under a name. Needs `costs.view` somewhere; the view is
/// yours alone. A name you already use answers 409; 100 views at most.
#[utoipa::path(
    tag = "costs",
    request_body = NewSavedView,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Saved", body = SavedView),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 409, response = crate::routes::docs::Conflict),
        (status = 422, response = crate::routes::docs::ValidationFailed),
    )
)]
#[post("/cost-views")]
pub async fn create_cost_view(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    body: web::Json<NewSavedView>,
) -> Result<HttpResponse, ApiError> {
    let view = saved_views::create_view(&state.core, &actor, &meta.0, body.into_inner()).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/cost-views/{}", view.id)))
        .json(view))
}

/// Your saved cost views, by name.
#[utoipa::path(
    tag = "costs",
    params(PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Your views", body = Page<SavedView>),
        (status = 400, response = crate::routes::docs::BadRequest),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
    )
)]
#[get("/cost-views")]
pub async fn list_cost_views(
    state: web::Data<AppState>,
    actor: Actor,
    page: crate::extract::Query<PageQuery>,
) -> Result<web::Json<Page<SavedView>>, ApiError> {
    Ok(web::Json(
        saved_views::list_views(&state.core, &actor, &page).await?,
    ))
}

/// Deletes one of your saved views.
#[utoipa::path(
    tag = "costs",
    params(("id" = String, Path, description = "The view's id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, response = crate::routes::docs::Unauthorized),
        (status = 403, response = crate::routes::docs::Forbidden),
        (status = 404, response = crate::routes::docs::NotFound),
    )
)]
#[delete("/cost-views/{id}")]
pub async fn delete_cost_view(
    state: web::Data<AppState>,
    actor: Actor,
    meta: Meta,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    saved_views::delete_view(&state.core, &actor, &meta.0, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}
