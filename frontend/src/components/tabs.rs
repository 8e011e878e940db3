//! The tabs under a page heading that lead to the sections of an area.

use leptos::prelude::*;
use leptos_router::components::A;

/// One tab: its label and route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tab {
    /// The label.
    pub label: &'static str,
    /// The route.
    pub path: &'static str,
}

/// A row of tab links (`nav.tabs`); the current one is marked by the router with
/// `aria-current="page"`.
#[component]
pub fn Tabs(
    /// What the tabs are for, for screen readers, e.g. "Access control".
    label: &'static str,
    /// The tabs to show.
    #[prop(into)]
    tabs: Signal<Vec<Tab>>,
) -> impl IntoView {
    view! {
        <nav class="tabs" aria-label=label>
            {move || {
                tabs.get()
                    .into_iter()
                    .map(|tab| view! { <A href=tab.path attr:class="tab">{tab.label}</A> })
                    .collect_view()
            }}
        </nav>
    }
}
