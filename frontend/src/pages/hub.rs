//! The landing page of an area with sections (Access control, Settings): a card per section
//! the user may reach.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::areas::{Area, Section};
use crate::components::icon::{Icon, IconName};
use crate::components::nav::use_reach;
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
            if sections.is_empty() {
                view! {
                    <section class="card empty-state">
                        <span class="empty-icon">
                            <Icon name=area.icon() />
                        </span>
                        <h2>"Nothing here for you"</h2>
                        <p class="muted">"Your roles do not include anything in this area."</p>
                    </section>
                }
                    .into_any()
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
