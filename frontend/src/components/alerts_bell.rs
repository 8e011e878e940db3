//! The bell in the header: budget alerts as in-app notifications. A badge counts the alerts
//! raised since the menu was last opened (remembered in this browser); the menu lists the
//! latest and leads to the budgets.

use std::time::Duration;

use chrono::{DateTime, Utc};
use gmac_types::Permission;
use leptos::ev::KeyboardEvent;
use leptos::html;
use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::icon::{Icon, IconName};
use crate::components::spinner::Loading;
use crate::format::date_label;
use crate::js::local_storage as storage;
use crate::pages::costs::budgets::alerts::{alert_amount, load_alerts};
use crate::pages::costs::budgets::threshold_label;
use crate::state::use_auth;

/// Where the time the menu was last opened is kept.
const SEEN_KEY: &str = "gmac.budget-alerts.seen";
/// How often the alerts are asked for again.
const POLL: Duration = Duration::from_mins(5);
/// How many alerts the menu lists.
const LISTED: usize = 6;

fn seen_at() -> Option<DateTime<Utc>> {
    let text = storage()?.get_item(SEEN_KEY).ok()??;
    DateTime::parse_from_rfc3339(&text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn mark_seen(at: DateTime<Utc>) {
    if let Some(storage) = storage()
        && storage.set_item(SEEN_KEY, &at.to_rfc3339()).is_err()
    {
        leptos::logging::warn!("could not remember when alerts were seen");
    }
}

/// The badge's text: the count, or "9+".
pub fn badge_text(unseen: usize) -> String {
    if unseen > 9 {
        "9+".to_owned()
    } else {
        unseen.to_string()
    }
}

/// The bell (`#alerts-bell`) and its menu (`#alerts-menu`), for those who see costs.
#[component]
pub fn AlertsBell() -> impl IntoView {
    let auth = use_auth();
    view! {
        <Show when=move || auth.can(Permission::CostsView)>
            <Bell />
        </Show>
    }
}

#[component]
fn Bell() -> impl IntoView {
    let auth = use_auth();
    let open = RwSignal::new(false);
    let seen = RwSignal::new(seen_at());
    let button = NodeRef::<html::Button>::new();
    let load = LocalResource::new(move || load_alerts(auth));
    if let Ok(handle) = set_interval_with_handle(move || load.refetch(), POLL) {
        on_cleanup(move || handle.clear());
    }
    // A new alert rings at once, through the live stream (the poll is the fallback).
    if let Some(live) = crate::live::use_live() {
        live.on(&["budget.threshold_crossed"], move |_| load.refetch());
    }
    let unseen = Memo::new(move |_| {
        let since = seen.get();
        load.with(|l| match l {
            Some(Ok(all)) => all
                .iter()
                .filter(|a| since.is_none_or(|s| a.raised_at > s))
                .count(),
            _ => 0,
        })
    });
    let toggle = move |_| {
        let now_open = !open.get_untracked();
        open.set(now_open);
        if now_open {
            load.refetch();
            let now = crate::js::now();
            mark_seen(now);
            // The badge clears when the menu closes, so the new ones stay marked while open.
        } else {
            seen.set(seen_at());
        }
    };
    let close = move || {
        open.set(false);
        seen.set(seen_at());
    };
    let on_keydown = move |ev: KeyboardEvent| {
        if ev.key() == "Escape" && open.get_untracked() {
            ev.prevent_default();
            close();
            if let Some(button) = button.get_untracked()
                && button.focus().is_err()
            {
                leptos::logging::warn!("could not return focus to the bell");
            }
        }
    };
    let label = move || match unseen.get() {
        0 => "Budget alerts".to_owned(),
        1 => "Budget alerts, 1 new".to_owned(),
        n => format!("Budget alerts, {n} new"),
    };
    view! {
        <div class="user-menu alerts" on:keydown=on_keydown>
            <button
                type="button"
                id="alerts-bell"
                class="icon-button bell-button"
                node_ref=button
                aria-label=label
                aria-haspopup="true"
                aria-expanded=move || if open.get() { "true" } else { "false" }
                aria-controls="alerts-menu"
                on:click=toggle
            >
                <Icon name=IconName::Bell />
                {move || {
                    let n = unseen.get();
                    (n > 0).then(|| view! { <span class="bell-badge" aria-hidden="true">{badge_text(n)}</span> })
                }}
            </button>
            <Show when=move || open.get()>
                <div class="menu-backdrop" on:click=move |_| close()></div>
                <div class="menu alerts-menu" id="alerts-menu" role="region" aria-label="Budget alerts">
                    <div class="menu-header">
                        <p class="menu-name">"Budget alerts"</p>
                    </div>
                    {move || match load.get() {
                        None => view! { <Loading label="Loading alerts…" /> }.into_any(),
                        Some(Err(failure)) => {
                            view! { <p class="menu-section field-error">{failure.message}</p> }.into_any()
                        }
                        Some(Ok(all)) if all.is_empty() => {
                            view! { <p class="menu-section muted">"No budget has reached a threshold."</p> }
                                .into_any()
                        }
                        Some(Ok(all)) => {
                            let since = seen.get_untracked();
                            let listed: Vec<_> = all.into_iter().take(LISTED).collect();
                            let items = listed
                                .into_iter()
                                .map(|alert| {
                                    let new = since.is_none_or(|s| alert.raised_at > s);
                                    let href = format!("/costs/budgets/{}", alert.budget_id);
                                    let line = format!(
                                        "{} reached {}: {}",
                                        alert.budget_name,
                                        threshold_label(&alert.threshold),
                                        alert_amount(&alert),
                                    );
                                    view! {
                                        <li>
                                            <A href=href attr:class="menu-item alert-item" on:click=move |_| close()>
                                                <span class="alert-dot" class:alert-dot-new=new aria-hidden="true"></span>
                                                <span class="alert-text">
                                                    <span>{line}</span>
                                                    <span class="cell-sub">
                                                        {date_label(&alert.raised_at)}
                                                        {new.then_some(" · new")}
                                                    </span>
                                                </span>
                                            </A>
                                        </li>
                                    }
                                })
                                .collect_view();
                            view! { <ul class="alert-list">{items}</ul> }.into_any()
                        }
                    }}
                    <div class="menu-section">
                        <A href="/costs/budgets" attr:class="menu-item" attr:id="alerts-all" on:click=move |_| close()>
                            <Icon name=IconName::Target />
                            <span>"All budgets and alerts"</span>
                        </A>
                    </div>
                </div>
            </Show>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::badge_text;

    #[test]
    fn the_badge_stays_short() {
        assert_eq!(badge_text(3), "3");
        assert_eq!(badge_text(12), "9+");
    }
}
