//! One cloud account's panel, `#account-detail`: test the connection, sync now, disconnect,
//! and the sync history with its progress (asked for again every 2 s while a sync runs).

use gmac_types::PageQuery;
use std::time::Duration;

use gmac_types::{ConnectionTest, CostSync, Permission};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::account::use_account;
use crate::api::{Failure, describe};
use crate::components::error_banner::ErrorBanner;
use crate::components::icon::{Icon, IconName};
use crate::components::modal::{Confirm, ConfirmDialog};
use crate::components::paging::LoadFailed;
use crate::components::spinner::{Loading, Spinner};
use crate::format::{date_time_label, day_label};
use crate::pages::costs::accounts::{CLIPPED, clip, progress_label, status_badge};
use crate::state::use_auth;

/// How often a running sync is asked about.
const POLL: Duration = Duration::from_secs(2);

/// Whether a sync is still running.
fn running(syncs: &[CostSync]) -> bool {
    syncs.iter().any(|s| s.status == "running")
}

/// The account's panel.
#[component]
#[expect(
    clippy::too_many_lines,
    reason = "the three actions and the history share the panel's state"
)]
pub fn AccountDetail(
    /// The account's id.
    id: String,
    /// Its name.
    name: String,
    /// After a sync ended or a test ran (the list shows the last of each).
    on_changed: Callback<()>,
    /// After it was disconnected (its id).
    on_removed: Callback<String>,
    /// Opens the form that changes its settings.
    on_edit: Callback<()>,
) -> impl IntoView {
    let auth = use_auth();
    let account = use_account();
    let manages = move || auth.can(Permission::CostsManage);
    let id = StoredValue::new(id);
    let syncs = LocalResource::new(move || async move {
        let id = id.get_value();
        auth.call(move |c| {
            let id = id.clone();
            async move {
                c.list_cost_syncs(&id, &PageQuery::first(PageQuery::MAX))
                    .await
            }
        })
        .await
        .map(|page| page.items)
        .map_err(|e| Failure::of(&e))
    });
    let timer = StoredValue::new(None::<TimeoutHandle>);
    let was_running = StoredValue::new(false);
    Effect::new(move |_| {
        let Some(now) = syncs.with(|s| match s {
            Some(Ok(list)) => Some(running(list)),
            _ => None,
        }) else {
            return;
        };
        if let Some(handle) = timer.get_value() {
            handle.clear();
        }
        if now {
            let handle = set_timeout_with_handle(move || syncs.refetch(), POLL);
            timer.set_value(handle.ok());
        }
        if was_running.get_value() && !now {
            on_changed.run(());
        }
        was_running.set_value(now);
    });
    on_cleanup(move || {
        if let Some(handle) = timer.try_get_value().flatten() {
            handle.clear();
        }
    });

    let testing = RwSignal::new(false);
    let tested = RwSignal::new(None::<ConnectionTest>);
    let starting = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let confirm = RwSignal::new(None::<Confirm>);
    let test = move |_| {
        testing.set(true);
        tested.set(None);
        error.set(None);
        spawn_local(async move {
            let id = id.get_value();
            let result = auth
                .call(move |c| {
                    let id = id.clone();
                    async move { c.test_cloud_account(&id).await }
                })
                .await;
            testing.set(false);
            match result {
                Ok(outcome) => {
                    tested.set(Some(outcome));
                    on_changed.run(());
                }
                Err(err) => error.set(Some(describe(&err))),
            }
        });
    };
    let sync_now = move |_| {
        starting.set(true);
        error.set(None);
        spawn_local(async move {
            let id = id.get_value();
            let result = auth
                .call(move |c| {
                    let id = id.clone();
                    async move { c.start_cost_sync(&id).await }
                })
                .await;
            starting.set(false);
            match result {
                Ok(_) => syncs.refetch(),
                Err(err) => error.set(Some(describe(&err))),
            }
        });
    };
    let title = format!("Syncs of {name}");
    let disconnect = {
        move |_| {
            confirm.set(Some(Confirm::danger(
                format!("Disconnect “{name}”?"),
                "gmac forgets its credentials and stops syncing it. The costs it synced stay.",
                "Disconnect",
                move || {
                    error.set(None);
                    spawn_local(async move {
                        let target = id.get_value();
                        let path = format!("/api/v1/cloud-accounts/{target}");
                        let result = auth
                            .call(move |c| {
                                let path = path.clone();
                                async move { c.delete(&path, None).await }
                            })
                            .await;
                        match result {
                            Ok(()) => on_removed.run(target),
                            Err(err) => error.set(Some(describe(&err))),
                        }
                    });
                },
            )));
        }
    };
    let is_running = move || syncs.with(|s| matches!(s, Some(Ok(list)) if running(list)));
    let rows = move |list: Vec<CostSync>| {
        let zone = account.time_zone();
        list.into_iter()
            .map(|sync| {
                let (class, word) = status_badge(&sync.status);
                let live = sync.status == "running";
                let finished = sync.finished_at.as_ref().map_or_else(
                    || "—".to_owned(),
                    |at| date_time_label(at, zone.as_deref()),
                );
                view! {
                    <tr data-sync=sync.id.clone() data-status=sync.status.clone()>
                        <td class="nowrap" data-label="Started">{date_time_label(&sync.started_at, zone.as_deref())}</td>
                        <td class="nowrap" data-label="Days re-read">
                            {format!("{} – {}", day_label(sync.from), day_label(sync.to))}
                        </td>
                        <td data-label="Status">
                            <span class=class>
                                {live.then(|| view! { <Spinner /> })}
                                {word}
                            </span>
                        </td>
                        <td class="cell-wrap" data-label="Progress" title=progress_label(&sync)>
                            {clip(&progress_label(&sync), CLIPPED)}
                        </td>
                        <td class="nowrap" data-label="Finished">{finished}</td>
                    </tr>
                }
            })
            .collect_view()
    };
    view! {
        <section class="card section-gap" id="account-detail" aria-labelledby="account-detail-title">
            <header class="card-header">
                <h2 id="account-detail-title">{title}</h2>
                <Show when=manages>
                    <div class="button-row">
                        <button
                            type="button"
                            class="button button-small"
                            id="test-connection"
                            disabled=move || testing.get()
                            aria-busy=move || if testing.get() { "true" } else { "false" }
                            on:click=test
                        >
                            {move || {
                                if testing.get() {
                                    view! { <Spinner /> }.into_any()
                                } else {
                                    view! { <Icon name=IconName::Check /> }.into_any()
                                }
                            }}
                            <span>"Test connection"</span>
                        </button>
                        <button
                            type="button"
                            class="button button-small button-primary"
                            id="sync-now"
                            disabled=move || starting.get() || is_running()
                            aria-busy=move || if starting.get() { "true" } else { "false" }
                            on:click=sync_now
                        >
                            {move || {
                                if starting.get() || is_running() {
                                    view! { <Spinner /> }.into_any()
                                } else {
                                    view! { <Icon name=IconName::Refresh /> }.into_any()
                                }
                            }}
                            <span>{move || if is_running() { "Syncing…" } else { "Sync now" }}</span>
                        </button>
                        <button
                            type="button"
                            class="button button-small"
                            id="edit-account-open"
                            on:click=move |_| on_edit.run(())
                        >
                            <Icon name=IconName::Edit />
                            <span>"Change settings"</span>
                        </button>
                        <button
                            type="button"
                            class="button button-small button-danger-quiet"
                            id="disconnect-account"
                            on:click=disconnect.clone()
                        >
                            <Icon name=IconName::Trash />
                            <span>"Disconnect"</span>
                        </button>
                    </div>
                </Show>
            </header>
            <div class="card-body card-body-flush" aria-live="polite">
                <ErrorBanner message=error />
                {move || {
                    tested
                        .get()
                        .map(|t| {
                            let (class, title) = if t.ok {
                                ("banner notice-banner", "The connection works. ")
                            } else {
                                ("banner error-banner", "The connection failed. ")
                            };
                            let icon = if t.ok { IconName::Check } else { IconName::Alert };
                            view! {
                                <div class=class id="connection-result" data-ok=if t.ok { "true" } else { "false" }>
                                    <Icon name=icon />
                                    <p title=t.detail.clone()>
                                        <strong>{title}</strong>
                                        {clip(&t.detail, 2 * CLIPPED)}
                                    </p>
                                </div>
                            }
                        })
                }}
            </div>
            <div aria-live="polite">
                {move || match syncs.get() {
                    None => view! { <Loading label="Loading syncs…" /> }.into_any(),
                    Some(Err(failure)) => {
                        view! { <LoadFailed message=failure retry=Callback::new(move |()| syncs.refetch()) /> }
                            .into_any()
                    }
                    Some(Ok(list)) if list.is_empty() => {
                        view! {
                            <p class="list-empty muted">
                                "Not synced yet. It syncs every 6 hours, or now with “Sync now”."
                            </p>
                        }
                            .into_any()
                    }
                    Some(Ok(list)) => {
                        let count = list.len();
                        view! {
                            <div class="table-wrap">
                                <table class="table table-stack" id="sync-history">
                                    <thead>
                                        <tr>
                                            <th scope="col">"Started"</th>
                                            <th scope="col">"Days re-read"</th>
                                            <th scope="col">"Status"</th>
                                            <th scope="col">"Progress"</th>
                                            <th scope="col">"Finished"</th>
                                        </tr>
                                    </thead>
                                    <tbody>{rows(list)}</tbody>
                                </table>
                            </div>
                            <div class="list-footer">
                                <p class="muted">
                                    {format!("{count} shown, newest first; gmac keeps the last 50.")}
                                </p>
                            </div>
                        }
                            .into_any()
                    }
                }}
            </div>
            <ConfirmDialog request=confirm />
        </section>
    }
}
