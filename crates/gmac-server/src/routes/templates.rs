//! The catalog of service templates.

use actix_web::{get, web};
use gmac_core::templates;
use gmac_types::Template;

use crate::extract::Actor;

/// The templates a service can be created from, sorted by id: each with its card, health
/// check, default resources and build arguments, the JSON Schema its `parameters` must
/// satisfy, and the files its first commit holds.
#[utoipa::path(
    tag = "services",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The templates", body = Vec<Template>),
        (status = 401, response = crate::routes::docs::Unauthorized),
    )
)]
#[get("/templates")]
pub async fn list_templates(_actor: Actor) -> web::Json<Vec<Template>> {
    web::Json(
        templates::builtin()
            .iter()
            .map(|t| t.info().clone())
            .collect(),
    )
}
