//! What every handler can reach.

use std::sync::Arc;

use gmac_core::Core;

use crate::config::CookieSecure;
use crate::routes::fallback::RouteTable;

/// Shared, immutable application state.
#[derive(Debug)]
pub struct AppState {
    /// The domain services.
    pub core: Core,
    /// Whether refresh cookies are `Secure`.
    pub cookie_secure: CookieSecure,
    /// Origins allowed besides our own (CORS), also accepted for cookie-authenticated POSTs.
    pub allowed_origins: Vec<String>,
    /// Take client addresses from `X-Forwarded-For`.
    pub trust_forwarded_for: bool,
    /// The OpenAPI document, pretty-printed exactly as `gmac openapi` prints it.
    pub openapi_json: Arc<String>,
    /// Known paths and their methods, to tell 404 from 405.
    pub routes: Arc<RouteTable>,
    /// Where uploaded cost files are spooled.
    pub spool: crate::spool::Spool,
    /// SHA-256 of the token `/metrics` requires, if any.
    pub metrics_token_hash: Option<[u8; 32]>,
}
