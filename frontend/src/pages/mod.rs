//! The pages, one per route.

pub mod access;
pub mod activity;
pub mod audit;
pub mod clients;
pub mod costs;
pub mod home;
pub mod home_summary;
pub mod hub;
pub mod invite;
pub mod login;
pub mod not_found;
pub mod placeholder;
pub mod security;
pub mod services;
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

/// Moves keyboard focus to the element with `id` once the page has caught up (e.g. after a
/// request, when the input is enabled again).
pub fn focus_later(id: &'static str) {
    leptos::prelude::request_animation_frame(move || focus(id));
}

/// The form a submit event came from, kept to move focus to its first invalid field once
/// the messages are drawn (also after an answer from the server).
#[derive(Clone, Debug)]
pub struct SubmittedForm(Option<web_sys::Element>);

impl SubmittedForm {
    /// The form `ev` was submitted from.
    pub fn of(ev: &leptos::ev::SubmitEvent) -> Self {
        Self(
            ev.target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok()),
        )
    }

    /// Focuses the form's first input marked `aria-invalid="true"`, after the next render.
    pub fn focus_first_invalid(&self) {
        let Some(form) = self.0.clone() else { return };
        leptos::prelude::request_animation_frame(move || {
            let target = form
                .query_selector("[aria-invalid=\"true\"]")
                .ok()
                .flatten()
                .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
            if let Some(target) = target
                && target.focus().is_err()
            {
                leptos::logging::warn!("could not focus the invalid field");
            }
        });
    }
}
