//! Pages for the areas that later releases build: what each will offer.

use leptos::prelude::*;

use crate::areas::Area;
use crate::components::icon::Icon;
use crate::pages::set_title;

/// The page of an area that is not built yet.
#[component]
pub fn PlaceholderPage(
    /// Which area.
    area: Area,
) -> impl IntoView {
    set_title(area.label());
    view! {
        <header class="page-header">
            <h1>{area.label()}</h1>
            <p class="muted">{area.summary()}</p>
        </header>
        <section class="card empty-state" aria-labelledby="coming-soon">
            <span class="empty-icon">
                <Icon name=area.icon() />
            </span>
            <h2 id="coming-soon">"Coming soon"</h2>
            <p class="muted">"This area arrives in a later release. It will offer:"</p>
            <ul class="upcoming-list">
                {area.upcoming().iter().map(|item| view! { <li>{*item}</li> }).collect_view()}
            </ul>
        </section>
    }
}
