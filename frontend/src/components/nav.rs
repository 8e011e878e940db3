//! The main navigation.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::account::use_account;
use crate::areas::{NAV, Reach};
use crate::components::icon::{Icon, IconName};
use crate::state::use_auth;

/// What the signed-in user may reach (tracked), for the navigation and the home page.
pub fn use_reach() -> Memo<Reach> {
    let auth = use_auth();
    let account = use_account();
    Memo::new(move |_| Reach {
        permissions: auth
            .with_me(|me| me.map(|m| m.permissions.clone()))
            .unwrap_or_default(),
        teams: account.team_count(),
    })
}

/// The navigation, `nav#main-nav`: Home, then the areas by group, each with its sections.
/// Only what the user may reach is offered. The current page's link gets
/// `aria-current="page"` from the router, which the stylesheet highlights.
#[component]
pub fn MainNav() -> impl IntoView {
    let reach = use_reach();
    view! {
        <nav id="main-nav" aria-label="Main">
            <ul class="nav-list">
                <li>
                    <A href="/" exact=true attr:class="nav-link">
                        <Icon name=IconName::Home />
                        <span>"Home"</span>
                    </A>
                </li>
            </ul>
            {move || {
                reach
                    .with(|reach| {
                        NAV.iter()
                            .filter(|group| group.areas.iter().any(|a| a.visible(reach)))
                            .map(|group| {
                                let areas = group
                                    .areas
                                    .iter()
                                    .filter(|a| a.visible(reach))
                                    .map(|area| {
                                        let sections = area
                                            .sections()
                                            .iter()
                                            .filter(|s| (s.visible)(reach))
                                            .map(|section| {
                                                view! {
                                                    <li>
                                                        <A href=section.path attr:class="nav-link nav-sublink">
                                                            <span>{section.label}</span>
                                                        </A>
                                                    </li>
                                                }
                                            })
                                            .collect_view();
                                        let has_sections = !area.sections().is_empty();
                                        view! {
                                            <li>
                                                <A href=area.path() exact=has_sections attr:class="nav-link">
                                                    <Icon name=area.icon() />
                                                    <span>{area.label()}</span>
                                                </A>
                                                {has_sections
                                                    .then(|| view! { <ul class="nav-list nav-sublist">{sections}</ul> })}
                                            </li>
                                        }
                                    })
                                    .collect_view();
                                view! {
                                    <div class="nav-group">
                                        <p class="nav-heading">{group.label}</p>
                                        <ul class="nav-list">{areas}</ul>
                                    </div>
                                }
                            })
                            .collect_view()
                    })
            }}
        </nav>
    }
}
