//! `/costs`: the costs dashboard. The controls set the range, client, project, tag and metric
//! (kept in the address); the cards below each ask `GET /costs` for their own grouping; those
//! who manage costs import FOCUS files at the bottom.

pub mod accounts;
pub mod allocation;
pub mod anomalies;
pub mod bill;
pub mod budgets;
pub mod controls;
pub mod directory;
pub mod drivers;
pub mod export;
pub mod forecast;
pub mod forms;
pub mod import;
pub mod import_result;
pub mod imports;
pub mod latest;
pub mod meter;
pub mod overview;
pub mod people;
pub mod reports;
pub mod saved;
pub mod services;
pub mod tabs;
pub mod trend;
pub mod view;

use gmac_types::PageQuery;
use gmac_types::{Client, CostQuery, CostReport, Permission};
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api::Failure;
use crate::areas::Area;
use crate::components::icon::{Icon, IconName};
use crate::pages::costs::anomalies::Anomalies;
use crate::pages::costs::controls::Controls;
use crate::pages::costs::directory::use_cost_directory;
use crate::pages::costs::drivers::TopDrivers;
use crate::pages::costs::forecast::ForecastCard;
use crate::pages::costs::import::ImportCard;
use crate::pages::costs::overview::Overview;
use crate::pages::costs::people::PerSubject;
use crate::pages::costs::services::ByService;
use crate::pages::costs::tabs::CostTabs;
use crate::pages::costs::view::CostView;
use crate::pages::set_title;
use crate::state::{Auth, use_auth};

/// What every card of the dashboard shares: the view, a counter bumped when costs were
/// imported (so every card reloads), and the way to change the view. `Copy`: handles.
#[derive(Clone, Copy, Debug)]
pub struct Dashboard {
    /// The view, from the address.
    pub view: Memo<CostView>,
    /// Bumped after an import.
    pub version: RwSignal<u32>,
    /// Shows another view (writes the address).
    pub show: Callback<CostView>,
    auth: Auth,
}

impl Dashboard {
    /// A report that loads again when the view changes or costs are imported. `shape` turns
    /// the view's query into this card's (grouping, filters); signals it reads are tracked.
    pub fn report(
        self,
        shape: impl Fn(&CostView) -> CostQuery + 'static,
    ) -> LocalResource<Result<CostReport, Failure>> {
        let auth = self.auth;
        LocalResource::new(move || {
            self.version.track();
            let query = self.view.with(&shape);
            async move {
                auth.call(move |c| {
                    let query = query.clone();
                    async move { c.costs(&query).await }
                })
                .await
                .map_err(|e| Failure::of(&e))
            }
        })
    }
}

/// A whole list as one page, for the lists the API answers in one piece (budgets, rules,
/// accounts), so they share [`crate::components::paging::Paged`]'s states.
pub fn one_page<T>(items: Vec<T>) -> gmac_types::Page<T> {
    let total = u64::try_from(items.len()).unwrap_or(u64::MAX);
    gmac_types::Page {
        items,
        next_cursor: None,
        total,
    }
}

/// A group's name for people: its label, or its key (`(none)` reads as "Not set").
pub fn group_name(group: &gmac_types::CostGroup) -> String {
    match (&group.label, group.key.as_str()) {
        (Some(label), _) => label.clone(),
        (None, "(none)") => "Not set".to_owned(),
        (None, key) => key.to_owned(),
    }
}

/// The costs page.
#[component]
pub fn CostsPage() -> impl IntoView {
    set_title(Area::Costs.label());
    let auth = use_auth();
    let query = use_query_map();
    let navigate = use_navigate();
    let today = crate::js::now().date_naive();
    let view = Memo::new(move |_| query.with(|q| CostView::parse(|k| q.get(k), today)));
    let show = Callback::new(move |next: CostView| {
        let options = NavigateOptions {
            replace: true,
            scroll: false,
            ..NavigateOptions::default()
        };
        navigate(&format!("/costs{}", next.search()), options);
    });
    let dash = Dashboard {
        view,
        version: RwSignal::new(0),
        show,
        auth,
    };
    // Costs that change elsewhere (a sync finished, a re-allocation after a rule or team
    // change) show here without a reload. (An import from this page refreshes it itself.)
    if let Some(live) = crate::live::use_live() {
        live.on(
            &[
                "cost_allocation.recomputed",
                "cost_sync.",
                "cost_import.deleted",
            ],
            move |_| {
                dash.version.update(|v| *v += 1);
            },
        );
    }
    let directory = use_cost_directory(auth);
    let clients = Signal::derive(move || directory.with(|d| d.clients.clone()));
    let imports_load = LocalResource::new(move || {
        dash.version.track();
        async move {
            auth.call(|c| async move {
                c.list_cost_imports(None, &PageQuery::first(PageQuery::MAX))
                    .await
            })
            .await
            .map(|page| page.items)
            .map_err(|e| Failure::of(&e))
        }
    });
    let imports = Signal::derive(move || imports_load.get().and_then(Result::ok));
    let manages = move || auth.can(Permission::CostsManage);
    // What the page's body is, as a memo: the cards are made once, not again when the imports
    // arrive or the view changes (each card reloads its own report when the view changes),
    // so every report is asked for once.
    let body = Memo::new(move |_| {
        if view.with(|v| v.problem.is_some()) {
            Body::Problem
        } else if imports.with(|i| i.as_ref().is_some_and(Vec::is_empty)) {
            Body::NothingImported
        } else {
            Body::Cards
        }
    });

    view! {
        <header class="page-header page-header-row">
            <div>
                <h1>"Costs"</h1>
                <p class="muted">
                    "What the cloud accounts of your clients cost, from the FOCUS files imported into gmac."
                </p>
            </div>
            <Show when=manages>
                <a href="#import-card" class="button">
                    <Icon name=IconName::Upload />
                    <span>"Import FOCUS file"</span>
                </a>
            </Show>
        </header>
        <CostTabs />
        <Controls dash=dash directory=directory />
        <saved::SavedViews dash=dash />
        {move || match body.get() {
            Body::Problem => ().into_any(),
            Body::NothingImported => view! { <NoCostsYet manages=manages() /> }.into_any(),
            Body::Cards => view! { <Cards dash=dash /> }.into_any(),
        }}
        <Show when=manages>
            <ImportCard dash=dash clients=clients imports=imports />
        </Show>
    }
}

/// What the costs page shows below its controls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Body {
    /// Nothing: the address holds a view that is not valid (the controls say why).
    Problem,
    /// Nothing was imported yet.
    NothingImported,
    /// The dashboard's cards.
    Cards,
}

/// The dashboard's cards.
#[component]
fn Cards(dash: Dashboard) -> impl IntoView {
    view! {
        <Overview dash=dash />
        <ForecastCard dash=dash />
        <div class="cost-grid">
            <ByService dash=dash />
            <TopDrivers dash=dash />
        </div>
        <PerSubject dash=dash />
        <Anomalies dash=dash />
    }
}

/// A note on a card whose figures cannot follow the project and tag filters (the API has no
/// such filter for them, or refuses it), shown while one is set.
#[component]
pub fn UnfilteredNote(
    /// The dashboard.
    dash: Dashboard,
    /// The note's `id`.
    id: &'static str,
    /// The note, for people.
    what: &'static str,
) -> impl IntoView {
    move || {
        dash.view.with(CostView::narrowed).then(|| {
            view! {
                <p class="muted cost-note cost-unfiltered" id=id>
                    <Icon name=IconName::Info />
                    <span>{what}</span>
                </p>
            }
        })
    }
}

/// Nothing was ever imported (that the user may see).
#[component]
fn NoCostsYet(manages: bool) -> impl IntoView {
    view! {
        <section class="card empty-state" id="costs-empty" aria-labelledby="costs-empty-title">
            <span class="empty-icon">
                <Icon name=IconName::Coins />
            </span>
            <h2 id="costs-empty-title">"No costs yet"</h2>
            {if manages {
                view! {
                    <p class="muted">
                        "Costs arrive as FOCUS files exported from your cloud provider's billing \
                         console. Import the first one to fill this dashboard."
                    </p>
                    <a href="#import-card" class="button button-primary">
                        <Icon name=IconName::Upload />
                        <span>"Import a FOCUS file"</span>
                    </a>
                }
                    .into_any()
            } else {
                view! {
                    <p class="muted">
                        "Nothing has been imported for the clients you can see. Someone who \
                         manages costs imports them from FOCUS files."
                    </p>
                }
                    .into_any()
            }}
        </section>
    }
}

/// The client's name, or a short id where the user cannot see it.
pub fn client_name(clients: &[Client], id: &str) -> String {
    clients.iter().find(|c| c.id == id).map_or_else(
        || crate::components::scope::short_id(id),
        |c| c.name.clone(),
    )
}
