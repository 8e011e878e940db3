//! The tabs under every costs page's heading: the dashboard and the sections the user may
//! reach (budgets, allocation, cloud accounts).

use crate::areas::Area;
use crate::components::nav::use_reach;
use crate::components::tabs::{Tab, Tabs};
use leptos::prelude::*;

/// The tab row, `nav.tabs#cost-tabs`. The dashboard's tab is current only on `/costs`
/// itself; a section's also on its detail pages (`/costs/budgets/…`).
#[component]
pub fn CostTabs() -> impl IntoView {
    let reach = use_reach();
    let tabs = Signal::derive(move || {
        let dashboard = Tab {
            label: "Dashboard",
            path: "/costs",
            exact: true,
        };
        reach.with(|reach| {
            std::iter::once(dashboard)
                .chain(
                    Area::Costs
                        .sections()
                        .iter()
                        .filter(|s| (s.visible)(reach))
                        .map(|s| Tab {
                            label: s.label,
                            path: s.path,
                            exact: false,
                        }),
                )
                .collect()
        })
    });
    view! { <Tabs label="Costs" tabs=tabs id="cost-tabs" /> }
}

/// The heading of a costs section page, with the tabs under it; `children` are its actions.
#[component]
pub fn CostHeader(
    /// The page's heading.
    title: &'static str,
    /// A sentence under it.
    summary: &'static str,
    /// Buttons on the heading's right.
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView {
    crate::pages::set_title(title);
    view! {
        <header class="page-header page-header-row">
            <div>
                <p class="eyebrow">{Area::Costs.label()}</p>
                <h1>{title}</h1>
                <p class="muted">{summary}</p>
            </div>
            {children.map(|c| view! { <div class="button-row">{c()}</div> })}
        </header>
        <CostTabs />
    }
}
