//! Loading indicators.

use leptos::prelude::*;

/// A small spinning ring, for buttons and inline loading states. Decorative: pair it with text.
#[component]
pub fn Spinner() -> impl IntoView {
    view! { <span class="spinner" aria-hidden="true"></span> }
}

/// A loading state that fills its area, announced to screen readers.
#[component]
pub fn Loading(
    /// What is loading, e.g. "Loading gmac…".
    #[prop(default = "Loading…")]
    label: &'static str,
    /// Fill the whole viewport (startup) rather than the content area.
    #[prop(optional)]
    full_page: bool,
) -> impl IntoView {
    view! {
        <div class="loading" class:loading-page=full_page role="status" aria-live="polite">
            <Spinner />
            <span>{label}</span>
        </div>
    }
}
