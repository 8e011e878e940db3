//! The single-page app, built by `cargo xtask spa` into `frontend/dist` and embedded in release
//! builds (debug builds read the folder at run time).
//!
//! Hashed files under `assets/` are cached forever; `index.html` is revalidated every time, so
//! a new release is picked up on the next load. A release build's assets come precompressed
//! (`<file>.br`, `<file>.gz`, made by `cargo xtask spa`): a browser that takes brotli or gzip gets
//! those bytes as they are, smaller than on-the-fly compression makes them.

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
    // Dotfiles are the build's own records (`cargo xtask spa` keeps what it built from).
    let hidden = relative.split('/').any(|segment| segment.starts_with('.'));
    if !relative.is_empty() && relative != "index.html" {
        if let Some(file) = Assets::get(relative).filter(|_| !hidden) {
            let cache = if relative.starts_with("assets/") {
                IMMUTABLE
            } else {
                REVALIDATE
            };
            if let Some((encoding, packed)) = precompressed(req, relative) {
                let mime = file.metadata.mimetype().to_owned();
                let mut response = respond(req, packed, cache, Some(encoding));
                if response.status() == actix_web::http::StatusCode::OK {
                    response.headers_mut().insert(
                        header::CONTENT_TYPE,
                        header::HeaderValue::from_str(&content_type(&mime)).unwrap_or(
                            header::HeaderValue::from_static("application/octet-stream"),
                        ),
                    );
                }
                return Ok(response);
            }
            return Ok(respond(req, file, cache, None));
        }
        // A missing file is a 404; only extension-less paths are client-side routes.
        let last = relative.rsplit('/').next().unwrap_or_default();
        if hidden || relative.starts_with("assets/") || last.contains('.') {
            return Err(ApiError::new(ErrorCode::NotFound).detail(format!("No file {path}.")));
        }
    }
    match Assets::get("index.html") {
        Some(index) => Ok(respond(req, index, REVALIDATE, None)),
        None => Err(ApiError::new(ErrorCode::ServiceUnavailable).detail(
            "The web interface is not built. Run `cargo xtask spa`, then restart gmac; the API works without it.",
        )),
    }
}

/// The precompressed copy of `relative` the request takes, brotli first: its encoding and
/// bytes.
fn precompressed(
    req: &HttpRequest,
    relative: &str,
) -> Option<(&'static str, rust_embed::EmbeddedFile)> {
    let accepted = req
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let takes = |coding: &str| {
        accepted.split(',').any(|part| {
            let mut pieces = part.split(';');
            let name = pieces.next().unwrap_or_default().trim();
            // `br;q=0` refuses it.
            let refused = pieces.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            name.eq_ignore_ascii_case(coding) && !refused
        })
    };
    [("br", "br"), ("gzip", "gz")]
        .into_iter()
        .filter(|(coding, _)| takes(coding))
        .find_map(|(coding, suffix)| Some((coding, Assets::get(&format!("{relative}.{suffix}"))?)))
}

fn content_type(mime: &str) -> String {
    if mime.starts_with("text/") && !mime.contains("charset") {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_owned()
    }
}

/// Serves `file`; `encoding` names the coding its bytes are already in (the caller sets the
/// type of what they decode to).
fn respond(
    req: &HttpRequest,
    file: rust_embed::EmbeddedFile,
    cache: &str,
    encoding: Option<&'static str>,
) -> HttpResponse {
    // Each coding of a file is its own representation, with its own tag.
    let etag = format!(
        "\"{}{}\"",
        hex_prefix(&file.metadata.sha256_hash()),
        encoding.map(|e| format!("-{e}")).unwrap_or_default()
    );
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
        .insert_header((header::ETAG, etag))
        .insert_header((header::VARY, "Accept-Encoding"));
    if let Some(encoding) = encoding {
        // Already encoded: the compression middleware leaves it as it is.
        builder.insert_header((header::CONTENT_ENCODING, encoding));
    }
    if fresh {
        return builder.finish();
    }
    let content_type = content_type(file.metadata.mimetype());
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
