//! The OpenAPI 3.1 document, collected from the same route registrations that serve requests.

use actix_web::App;
use utoipa::OpenApi;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa_actix_web::AppExt;

/// Title, version, tags and security schemes; paths come from the handlers.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "gmac API",
        description = "gmac runs a company's cloud from one place: services, functions, databases, secrets, costs, monitoring and access control.\n\nErrors are RFC 9457 `application/problem+json` with a stable `code`. Authenticate with `Authorization: Bearer <access token or gmac_ API token>`.",
        license(name = "AGPL-3.0-only", identifier = "AGPL-3.0-only"),
    ),
    tags(
        (name = "operations", description = "Health, readiness and metrics"),
        (name = "setup", description = "First-run setup"),
        (name = "auth", description = "Sign-in, token refresh and sign-out"),
        (name = "me", description = "The signed-in user"),
        (name = "clients", description = "Clients: customers or business units, the top-level scopes"),
        (name = "projects", description = "Projects inside clients"),
        (name = "access", description = "Permissions, roles and role bindings"),
        (name = "users", description = "User administration"),
        (name = "teams", description = "Teams, their members and leaders"),
        (name = "invitations", description = "Invitations by email"),

        (name = "tokens", description = "API tokens for scripts"),
        (name = "audit", description = "The hash-chained audit log"),
        (name = "costs", description = "Cloud costs: FOCUS imports, reports, allocation, forecasts and anomalies"),
        (name = "budgets", description = "Budgets and their alerts"),

    ),
    modifiers(&SecuritySchemes),
    components(schemas(gmac_types::ErrorCode, gmac_types::ProblemDetails, gmac_types::FieldError)),
)]
struct ApiDoc;

struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut bearer = Http::new(HttpAuthScheme::Bearer);
        bearer.bearer_format = Some("JWT access token, or a gmac_ API token".to_owned());
        components.add_security_scheme("bearer", SecurityScheme::Http(bearer));
    }
}

/// The document.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, mut api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::routes::configure)
        .split_for_parts();
    env!("CARGO_PKG_VERSION").clone_into(&mut api.info.version);
    api
}

/// The document as `gmac openapi` prints it and `openapi/openapi.json` stores it.
pub fn to_pretty_json(api: &utoipa::openapi::OpenApi) -> anyhow::Result<String> {
    let mut json = api.to_pretty_json()?;
    json.push('\n');
    Ok(json)
}
