//! The OpenAPI 3.1 document, collected from the same route registrations that serve requests.

use actix_web::App;
use utoipa::OpenApi;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa_actix_web::AppExt;

use crate::routes::docs;

/// Title, version, tags and security schemes; paths come from the handlers.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "gmac API",
        description = "gmac runs a company's cloud from one place: services, functions, databases, secrets, costs, monitoring and access control.\n\nErrors are RFC 9457 `application/problem+json` with a stable `code`. Text never contains NUL characters (U+0000): a request with one is refused with 422 `invalid_characters`. Authenticate with `Authorization: Bearer <access token or gmac_ API token>`.",
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
        (name = "services", description = "Services and the templates they are created from"),
        (name = "deployments", description = "Deployments: targets, each service's environments, releases, deploys and rollbacks"),
        (name = "builds", description = "Builds: a service's commit made into a container image, with steps and a log that follows live"),
        (name = "jobs", description = "Durable jobs: long work with progress, a log, retries and cancellation"),
        (name = "events", description = "What changed, in commit order: a list and a live stream (server-sent events)"),

    ),
    modifiers(&SecuritySchemes),
    components(
        schemas(
            gmac_types::ErrorCode,
            gmac_types::ProblemDetails,
            gmac_types::FieldError,
            gmac_types::OnRowError,
        ),
        responses(
            docs::BadRequest,
            docs::Unauthorized,
            docs::Forbidden,
            docs::NotFound,
            docs::Conflict,
            docs::PreconditionFailed,
            docs::PayloadTooLarge,
            docs::UnsupportedMediaType,
            docs::ValidationFailed,
            docs::RateLimited,
            docs::ServiceUnavailable,
            docs::InsufficientStorage,
            docs::Internal,
        ),
    ),
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

/// The answers that middleware and extractors give for any operation, documented on each
/// operation they can reach, so that a client generated from the document knows every status it
/// may see: 401 and 403 where credentials are needed, 404 where a path names an object, 400 and
/// 422 where there is input to refuse, 413 and 415 where there is a body, 429 from the rate
/// limit and 503 from a busy or unreachable database on every API operation, 507 from a full
/// disk on every one that writes.
struct CommonResponses;

/// What `If-Match` accepts: `*`, or an entity tag as gmac sends them (`"3"`, `W/"3"`).
const IF_MATCH_PATTERN: &str = r#"^(\*|(W/)?"[0-9]{1,18}")$"#;

impl utoipa::Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::ParameterIn;
        use utoipa::openapi::{Ref, RefOr};
        for (path, item) in &mut openapi.paths.paths {
            let on_api = path.starts_with(gmac_types::API_PREFIX);
            let names_an_object = item
                .parameters
                .iter()
                .flatten()
                .any(|p| matches!(p, RefOr::T(p) if p.parameter_in == ParameterIn::Path))
                || path.contains('{');
            for (writes, op) in [
                (false, &mut item.get),
                (true, &mut item.put),
                (true, &mut item.post),
                (true, &mut item.delete),
                (true, &mut item.patch),
                (false, &mut item.head),
            ]
            .into_iter()
            .filter_map(|(writes, op)| op.as_mut().map(|op| (writes, op)))
            {
                let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
                let has_query = op
                    .parameters
                    .iter()
                    .flatten()
                    .any(|p| matches!(p, RefOr::T(p) if p.parameter_in == ParameterIn::Query));
                let has_body = op.request_body.is_some();
                let mut conditional = false;
                for param in op.parameters.iter_mut().flatten() {
                    // An empty path segment addresses nothing (`/teams/x/members/` is the
                    // list, not a member): every path id has at least one character.
                    if let RefOr::T(param) = param
                        && param.parameter_in == ParameterIn::Path
                        && let Some(RefOr::T(utoipa::openapi::Schema::Object(schema))) =
                            &mut param.schema
                        && schema.min_length.is_none()
                    {
                        schema.min_length = Some(1);
                    }
                    if let RefOr::T(param) = param
                        && param.parameter_in == ParameterIn::Header
                        && param.name.eq_ignore_ascii_case("If-Match")
                    {
                        conditional = true;
                        param.schema = Some(
                            utoipa::openapi::ObjectBuilder::new()
                                .schema_type(utoipa::openapi::schema::Type::String)
                                .pattern(Some(IF_MATCH_PATTERN))
                                .into(),
                        );
                    }
                }
                let mut wanted: Vec<(&str, &str)> = Vec::new();
                if has_query || has_body || names_an_object {
                    wanted.push(("400", "BadRequest"));
                }
                if secured {
                    wanted.push(("401", "Unauthorized"));
                    wanted.push(("403", "Forbidden"));
                }
                if names_an_object {
                    wanted.push(("404", "NotFound"));
                }
                if conditional {
                    wanted.push(("412", "PreconditionFailed"));
                }
                if has_body && secured {
                    // A body may name another object (a client, a team) that does not exist.
                    wanted.push(("404", "NotFound"));
                }
                if has_body {
                    wanted.push(("413", "PayloadTooLarge"));
                    wanted.push(("415", "UnsupportedMediaType"));
                }
                if has_query || has_body || names_an_object {
                    wanted.push(("422", "ValidationFailed"));
                }
                if on_api {
                    wanted.push(("429", "RateLimited"));
                    wanted.push(("503", "ServiceUnavailable"));
                }
                if on_api && writes {
                    wanted.push(("507", "InsufficientStorage"));
                }
                for (status, name) in wanted {
                    op.responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| RefOr::Ref(Ref::from_response_name(name)));
                }
            }
        }
    }
}

/// The document.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, mut api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::routes::configure)
        .split_for_parts();
    utoipa::Modify::modify(&CommonResponses, &mut api);
    env!("CARGO_PKG_VERSION").clone_into(&mut api.info.version);
    api
}

/// The document as `gmac openapi` prints it and `openapi/openapi.json` stores it.
pub fn to_pretty_json(api: &utoipa::openapi::OpenApi) -> anyhow::Result<String> {
    let mut json = api.to_pretty_json()?;
    json.push('\n');
    Ok(json)
}
