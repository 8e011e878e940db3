//! The pages, one per route.

pub mod access;
pub mod audit;
pub mod clients;
pub mod home;
pub mod hub;
pub mod invite;
pub mod login;
pub mod not_found;
pub mod placeholder;
pub mod security;
pub mod settings;
pub mod setup;

use wasm_bindgen::JsCast;

/// Sets the browser tab's title to "`page` · gmac".
pub fn set_title(page: &str) {
    if let Some(document) = web_sys::window().and_then(|w| w.document()) {
        document.set_title(&format!("{page} · gmac"));
    }
}

/// Moves keyboard focus to the element with `id`, e.g. the first invalid input of a form.
pub fn focus(id: &str) {
    let element = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(element) = element
        && element.focus().is_err()
    {
        leptos::logging::warn!("could not focus #{id}");
    }
}
