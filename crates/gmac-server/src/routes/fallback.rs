//! Everything no route matched: 405 for a known path with another method, 404 problems under
//! `/api`, and otherwise the SPA (its files, or `index.html` for deep links).

use actix_web::http::{Method, header};
use actix_web::{HttpRequest, HttpResponse, web};
use gmac_types::ErrorCode;

use crate::error::ApiError;
use crate::state::AppState;

/// The documented paths and the methods each accepts, taken from the OpenAPI document.
#[derive(Debug, Default)]
pub struct RouteTable {
    routes: Vec<(Vec<Segment>, Vec<&'static str>)>,
}

#[derive(Debug, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param,
}

impl RouteTable {
    /// Builds the table from the API's own document, so it cannot drift from the routes.
    pub fn from_openapi(api: &utoipa::openapi::OpenApi) -> Self {
        let routes = api
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let segments = path
                    .split('/')
                    .filter(|s| !s.is_empty())
                    .map(|s| {
                        if s.starts_with('{') && s.ends_with('}') {
                            Segment::Param
                        } else {
                            Segment::Literal(s.to_owned())
                        }
                    })
                    .collect();
                let mut methods = Vec::new();
                for (name, op) in [
                    ("GET", &item.get),
                    ("POST", &item.post),
                    ("PUT", &item.put),
                    ("PATCH", &item.patch),
                    ("DELETE", &item.delete),
                ] {
                    if op.is_some() {
                        methods.push(name);
                    }
                }
                (segments, methods)
            })
            .collect();
        Self { routes }
    }

    /// The methods `path` accepts, if it is a known path. As in OpenAPI, a concrete path wins
    /// over a templated one (`/invitations/accept` is not `/invitations/{id}`), so only the
    /// paths that match with the most literal segments count.
    pub fn allowed_methods(&self, path: &str) -> Option<Vec<&'static str>> {
        // Empty segments count: `/users/` names no user and is not `/users` either.
        let parts: Vec<&str> = path.strip_prefix('/').unwrap_or(path).split('/').collect();
        let mut found: Option<(usize, Vec<&'static str>)> = None;
        for (segments, methods) in &self.routes {
            let matches = segments.len() == parts.len()
                && segments.iter().zip(&parts).all(|(seg, part)| match seg {
                    Segment::Param => !part.is_empty(),
                    Segment::Literal(lit) => lit == part,
                });
            if !matches {
                continue;
            }
            let literals = segments
                .iter()
                .filter(|s| matches!(s, Segment::Literal(_)))
                .count();
            match &mut found {
                Some((best, _)) if *best > literals => {}
                Some((best, found_methods)) if *best == literals => {
                    found_methods.extend(methods);
                }
                _ => found = Some((literals, methods.clone())),
            }
        }
        found.map(|(_, methods)| methods)
    }
}

/// The default service.
pub async fn fallback(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let path = req.path();
    if let Some(mut methods) = state.routes.allowed_methods(path) {
        methods.sort_unstable();
        methods.dedup();
        return Err(method_not_allowed(req.method(), &methods.join(", ")));
    }
    if path == "/api" || path.starts_with("/api/") {
        return Err(ApiError::new(ErrorCode::NotFound).detail(format!("No API route {path}.")));
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return Err(method_not_allowed(req.method(), "GET, HEAD"));
    }
    crate::spa::serve(&req, path)
}

fn method_not_allowed(method: &Method, allow: &str) -> ApiError {
    ApiError::new(ErrorCode::MethodNotAllowed)
        .detail(format!("{method} is not allowed here; use {allow}."))
        .header(header::ALLOW, allow)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> RouteTable {
        RouteTable {
            routes: vec![
                (
                    vec![
                        Segment::Literal("api".into()),
                        Segment::Literal("me".into()),
                    ],
                    vec!["GET"],
                ),
                (
                    vec![
                        Segment::Literal("api".into()),
                        Segment::Literal("users".into()),
                        Segment::Param,
                    ],
                    vec!["GET", "DELETE"],
                ),
            ],
        }
    }

    #[test]
    fn templated_paths_match_any_segment_value() {
        assert_eq!(
            table().allowed_methods("/api/users/42"),
            Some(vec!["GET", "DELETE"])
        );
        assert_eq!(table().allowed_methods("/api/me"), Some(vec!["GET"]));
    }

    #[test]
    fn a_concrete_path_wins_over_a_templated_one() {
        let mut table = table();
        table.routes.push((
            vec![
                Segment::Literal("api".into()),
                Segment::Literal("users".into()),
                Segment::Literal("export".into()),
            ],
            vec!["POST"],
        ));
        assert_eq!(
            table.allowed_methods("/api/users/export"),
            Some(vec!["POST"])
        );
        assert_eq!(
            table.allowed_methods("/api/users/41"),
            Some(vec!["GET", "DELETE"])
        );
    }

    #[test]
    fn an_empty_segment_names_nothing() {
        assert_eq!(table().allowed_methods("/api/users/"), None);
        assert_eq!(table().allowed_methods("/api/me/"), None);
        assert_eq!(table().allowed_methods("/api//42"), None);
    }

    #[test]
    fn unknown_paths_and_extra_segments_do_not_match() {
        assert_eq!(table().allowed_methods("/api/users/42/x"), None);
        assert_eq!(table().allowed_methods("/api/nothing"), None);
    }
}
