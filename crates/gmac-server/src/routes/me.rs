//! The signed-in user.

use actix_web::{get, web};
use gmac_types::Me;

use crate::extract::Actor;
use crate::state::AppState;

/// Who is signed in: account, roles, and how the request authenticated.
#[utoipa::path(
    tag = "me",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The signed-in user", body = Me),
        (status = 401, response = crate::routes::docs::Unauthorized),
    )
)]
#[get("/me")]
pub async fn get_me(state: web::Data<AppState>, actor: Actor) -> web::Json<Me> {
    web::Json(gmac_core::services::sessions::me(&state.core, &actor))
}
