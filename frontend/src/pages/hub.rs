//! The landing page of an area with sections (Access control, Settings): a card per section
//! the user may reach.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::account::use_account;
use crate::areas::{ACCESS_SECTIONS, Area, Reach, SETTINGS_SECTIONS, Section};
use crate::components::icon::{Icon, IconName};
use crate::components::nav::use_reach;
use crate::components::spinner::Loading;
use crate::components::tabs::{Tab, Tabs};
use crate::pages::set_title;

/// The sections of `area` the user may reach, as tabs.
pub fn section_tabs(area: Area) -> Signal<Vec<Tab>> {
    let reach = use_reach();
    Signal::derive(move || {
        reach.with(|reach| {
            area.sections()
                .iter()
                .filter(|s| (s.visible)(reach))
                .map(|s| Tab {
                    label: s.label,
                    path: s.path,
                    exact: false,
                })
                .collect()
        })
    })
}

/// The heading of a section page, with the area's tabs under it.
#[component]
pub fn SectionHeader(
    /// The area.
    area: Area,
    /// The page's heading.
    title: &'static str,
    /// A sentence under it.
    summary: &'static str,
) -> impl IntoView {
    set_title(title);
    view! {
        <header class="page-header">
            <p class="eyebrow">{area.label()}</p>
            <h1>{title}</h1>
            <p class="muted">{summary}</p>
        </header>
        <Tabs label=area.label() tabs=section_tabs(area) />
    }
}

/// An area's landing page: a card per section the user may reach.
#[component]
pub fn HubPage(
    /// The area.
    area: Area,
) -> impl IntoView {
    set_title(area.label());
    let reach = use_reach();
    let account = use_account();
    let sections = move || -> Vec<Section> {
        reach.with(|reach| {
            area.sections()
                .iter()
                .filter(|s| (s.visible)(reach))
                .copied()
                .collect()
        })
    };
    view! {
        <header class="page-header">
            <h1>{area.label()}</h1>
            <p class="muted">{area.summary()}</p>
        </header>
        {move || {
            let sections = sections();
            if sections.is_empty() && !account.teams_known() {
                view! { <Loading label="Loading…" /> }.into_any()
            } else if sections.is_empty() {
                view! { <NothingHere area=area /> }.into_any()
            } else {
                view! {
                    <ul class="card-grid">
                        {sections
                            .into_iter()
                            .map(|section| {
                                view! {
                                    <li>
                                        <A href=section.path attr:class="card area-card">
                                            <span class="area-icon">
                                                <Icon name=section.icon />
                                            </span>
                                            <span class="area-title">
                                                {section.label}
                                                <Icon name=IconName::ArrowRight class="area-arrow" />
                                            </span>
                                            <span class="area-summary">{section.summary}</span>
                                        </A>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
                    .into_any()
            }
        }}
    }
}

/// The card for a page the user's roles do not reach.
#[component]
pub fn NothingHere(
    /// The area, for the icon.
    area: Area,
) -> impl IntoView {
    view! {
        <section class="card empty-state" id="not-allowed">
            <span class="empty-icon">
                <Icon name=area.icon() />
            </span>
            <h2>"Nothing here for you"</h2>
            <p class="muted">
                "Your roles do not include this. Ask an administrator if you need it."
            </p>
        </section>
    }
}

/// Where a gated page stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Gate {
    Open,
    /// Not reachable yet, and the team count (which may open it) is still loading.
    Waiting,
    Closed,
}

/// Shows `children` when `allowed` says the user's reach includes the page, otherwise the
/// page's heading and [`NothingHere`]. The page (and its requests) is built only when open.
fn gate(
    area: Area,
    title: &'static str,
    summary: &'static str,
    allowed: impl Fn(&Reach) -> bool + Send + Sync + 'static,
    children: ChildrenFn,
) -> impl IntoView {
    let reach = use_reach();
    let account = use_account();
    let state = Memo::new(move |_| {
        if reach.with(|r| allowed(r)) {
            Gate::Open
        } else if account.teams_known() {
            Gate::Closed
        } else {
            Gate::Waiting
        }
    });
    move || match state.get() {
        Gate::Open => children().into_any(),
        Gate::Waiting => view! { <Loading label="Loading…" /> }.into_any(),
        Gate::Closed => {
            set_title(title);
            view! {
                <header class="page-header">
                    <p class="eyebrow">{area.label()}</p>
                    <h1>{title}</h1>
                    <p class="muted">{summary}</p>
                </header>
                {(!area.sections().is_empty())
                    .then(|| view! { <Tabs label=area.label() tabs=section_tabs(area) /> })}
                <NothingHere area=area />
            }
            .into_any()
        }
    }
}

/// A section's page (e.g. `/access/users`), shown only to users its section is offered to.
#[component]
pub fn SectionGate(
    /// The section's route, as in [`ACCESS_SECTIONS`] or [`SETTINGS_SECTIONS`].
    path: &'static str,
    /// The page.
    children: ChildrenFn,
) -> impl IntoView {
    let found = ACCESS_SECTIONS
        .iter()
        .map(|s| (Area::Access, s))
        .chain(SETTINGS_SECTIONS.iter().map(|s| (Area::Settings, s)))
        .find(|(_, s)| s.path == path);
    match found {
        Some((area, section)) => gate(
            area,
            section.label,
            section.summary,
            section.visible,
            children,
        )
        .into_any(),
        None => children().into_any(),
    }
}

/// An area's page (e.g. `/audit`), shown only to users the area is offered to.
#[component]
pub fn AreaGate(
    /// The area.
    area: Area,
    /// The page.
    children: ChildrenFn,
) -> impl IntoView {
    gate(
        area,
        area.label(),
        area.summary(),
        move |r| area.visible(r),
        children,
    )
}
