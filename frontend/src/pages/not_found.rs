//! The page for an unknown route, inside the frame.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_location;

use crate::components::icon::{Icon, IconName};
use crate::pages::set_title;

/// "Page not found", with the path that was asked for and a way home.
#[component]
pub fn NotFoundPage() -> impl IntoView {
    set_title("Page not found");
    let location = use_location();
    view! {
        <section class="empty-state not-found" aria-labelledby="not-found-title">
            <span class="empty-icon">
                <Icon name=IconName::Compass />
            </span>
            <h1 id="not-found-title">"Page not found"</h1>
            <p class="muted">
                "There is no page at " <code>{move || location.pathname.get()}</code> "."
            </p>
            <A href="/" attr:class="button button-primary">
                "Go to the home page"
            </A>
        </section>
    }
}
