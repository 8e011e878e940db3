//! gmac's web interface: a client-side rendered Leptos app, compiled to WebAssembly and served
//! by `gmac serve` from `frontend/dist` (built with `cargo xtask spa`).
//!
//! - [`app`] holds the router and the startup gate;
//! - [`state`] holds the session (access token in memory only) and the API client;
//! - [`account`] holds the signed-in user's profile and avatar;
//! - [`theme`] holds the System / Light / Dark choice;
//! - [`pages`] and [`components`] hold the views.

pub mod account;
pub mod api;
pub mod app;
pub mod areas;
pub mod components;
pub mod format;
pub mod js;
pub mod live;
pub mod pages;
pub mod routes;
pub mod state;
pub mod theme;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::wasm_bindgen;

/// The id of the element `index.html` reserves for the app.
const ROOT_ID: &str = "app";

/// Entry point, run by the boot module once the WebAssembly is instantiated.
#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
    let root = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(ROOT_ID))
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    match root {
        Some(root) => {
            // The static "Loading" placeholder goes; the app shows its own until the session
            // is known, so there is no flash in between.
            root.set_inner_html("");
            leptos::mount::mount_to(root, app::App).forget();
        }
        None => leptos::mount::mount_to_body(app::App),
    }
}
