//! The single-page app, built by `cargo xtask spa` into `frontend/dist` and embedded in release
//! builds (debug builds read the folder at run time).
//!
//! Hashed files under `assets/` are cached forever; `index.html` is revalidated every time, so
//! a new release is picked up on the next load.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use gmac_types::ErrorCode;
use rust_embed::RustEmbed;

use crate::error::ApiError;

#[derive(RustEmbed)]
#[folder = "../../frontend/dist/"]
#[allow_missing = true]
struct Assets;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";

/// Whether the SPA was built into (or, in debug builds, is next to) this binary.
pub fn is_available() -> bool {
    Assets::get("index.html").is_some()
}

/// Serves the file at `path`, or `index.html` for a client-side route.
pub fn serve(req: &HttpRequest, path: &str) -> Result<HttpResponse, ApiError> {
    let relative = path.trim_start_matches('/');
    if !relative.is_empty() && relative != "index.html" {
        if let Some(file) = Assets::get(relative) {
            let cache = if relative.starts_with("assets/") {
                IMMUTABLE
            } else {
                REVALIDATE
            };
            return Ok(respond(req, file, cache));
        }
        // A missing file is a 404; only extension-less paths are client-side routes.
        let last = relative.rsplit('/').next().unwrap_or_default();
        if relative.starts_with("assets/") || last.contains('.') {
            return Err(ApiError::new(ErrorCode::NotFound).detail(format!("No file {path}.")));
        }
    }
    match Assets::get("index.html") {
        Some(index) => Ok(respond(req, index, REVALIDATE)),
        None => Err(ApiError::new(ErrorCode::ServiceUnavailable).detail(
            "The web interface is not built. Run `cargo xtask spa`, then restart gmac; the API works without it.",
        )),
    }
}

fn respond(req: &HttpRequest, file: rust_embed::EmbeddedFile, cache: &str) -> HttpResponse {
    let etag = format!("\"{}\"", hex_prefix(&file.metadata.sha256_hash()));
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut builder = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    builder
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header((header::ETAG, etag));
    if fresh {
        return builder.finish();
    }
    let mime = file.metadata.mimetype();
    let content_type = if mime.starts_with("text/") && !mime.contains("charset") {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_owned()
    };
    // Embedded files are served from the binary without copying.
    let body = match file.data {
        std::borrow::Cow::Borrowed(bytes) => actix_web::web::Bytes::from_static(bytes),
        std::borrow::Cow::Owned(bytes) => actix_web::web::Bytes::from(bytes),
    };
    builder
        .insert_header((header::CONTENT_TYPE, content_type))
        .body(body)
}

fn hex_prefix(hash: &[u8; 32]) -> String {
    hex::encode(&hash[..12])
}
