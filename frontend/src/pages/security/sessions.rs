//! The user's sessions: where they are signed in, ending one, or all but this one.

use gmac_client::Client;
use gmac_types::SessionInfo;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::account::use_account;
use crate::api::{Failure, describe};
use crate::components::error_banner::{ErrorBanner, NoticeBanner};
use crate::components::modal::{Confirm, ConfirmDialog};
use crate::components::paging::LoadFailed;
use crate::components::spinner::{Loading, Spinner};
use crate::format::date_time_label;
use crate::pages::security::mfa::end_other_sessions;
use crate::state::use_auth;

/// The sessions card.
#[component]
#[expect(
    clippy::too_many_lines,
    reason = "the list and its row actions share the card state"
)]
pub fn SessionsCard(
    /// Bumped when sessions ended elsewhere on the page; reloads the list.
    sessions_changed: RwSignal<u32>,
) -> impl IntoView {
    let auth = use_auth();
    let account = use_account();
    let confirm = RwSignal::new(None::<Confirm>);
    let notice = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let sessions = LocalResource::new(move || {
        sessions_changed.track();
        async move {
            auth.call(|c| async move {
                Client::all_pages(|page| {
                    let c = &c;
                    async move { c.list_sessions(&page).await }
                })
                .await
            })
            .await
            .map_err(|e| Failure::of(&e))
        }
    });

    let end_one = move |session: SessionInfo| {
        let id = session.id.clone();
        confirm.set(Some(Confirm::danger(
            "End this session?",
            format!(
                "{} ({}) is signed out at once.",
                session.device,
                session.ip.unwrap_or_else(|| "unknown address".to_owned())
            ),
            "End session",
            move || {
                let id = id.clone();
                error.set(None);
                notice.set(None);
                spawn_local(async move {
                    let result = auth
                        .call(move |c| {
                            let id = id.clone();
                            async move { c.end_session(&id).await }
                        })
                        .await;
                    match result {
                        Ok(()) => {
                            notice.set(Some("The session was ended.".to_owned()));
                            sessions.refetch();
                        }
                        Err(err) => error.set(Some(describe(&err))),
                    }
                });
            },
        )));
    };
    let end_others = move |_| {
        confirm.set(Some(Confirm::danger(
            "Sign out all other sessions?",
            "Every browser and app signed in to your account, except this one, must sign in \
             again.",
            "Sign out others",
            move || end_other_sessions(auth, busy, notice, error, sessions_changed),
        )));
    };

    let rows = move |list: Vec<SessionInfo>| {
        let zone = account.time_zone();
        list.into_iter()
            .map(|session| {
                let current = session.current;
                let last_seen = date_time_label(&session.last_seen_at, zone.as_deref());
                let since = date_time_label(&session.created_at, zone.as_deref());
                let for_end = session.clone();
                view! {
                    <li class="session" class:session-current=current>
                        <div class="session-main">
                            <p class="session-device">
                                <span>{session.device.clone()}</span>
                                {current.then(|| view! { <span class="badge badge-accent">"This device"</span> })}
                            </p>
                            <p class="muted session-meta">
                                {session.ip.clone().unwrap_or_else(|| "Unknown address".to_owned())}
                                " · last seen " {last_seen} " · signed in " {since}
                            </p>
                        </div>
                        {(!current)
                            .then(|| {
                                view! {
                                    <button
                                        type="button"
                                        class="button button-small button-danger-quiet"
                                        on:click=move |_| end_one(for_end.clone())
                                    >
                                        "End"
                                    </button>
                                }
                            })}
                    </li>
                }
            })
            .collect_view()
    };

    view! {
        <section class="card" aria-labelledby="sessions-title">
            <header class="card-header">
                <h2 id="sessions-title">"Sessions"</h2>
                <button
                    type="button"
                    id="end-other-sessions-all"
                    class="button button-small"
                    disabled=move || busy.get()
                    on:click=end_others
                >
                    {move || busy.get().then(|| view! { <Spinner /> })}
                    <span>"Sign out all other sessions"</span>
                </button>
            </header>
            <div class="card-body">
                <NoticeBanner message=notice />
                <ErrorBanner message=error />
                {move || match sessions.get() {
                    None => view! { <Loading label="Loading sessions…" /> }.into_any(),
                    Some(Err(message)) => {
                        view! { <LoadFailed message=message retry=Callback::new(move |()| sessions.refetch()) /> }
                            .into_any()
                    }
                    Some(Ok(list)) if list.is_empty() => {
                        view! { <p class="muted">"No sessions."</p> }.into_any()
                    }
                    Some(Ok(list)) => {
                        view! { <ul class="session-list" id="session-list">{rows(list)}</ul> }.into_any()
                    }
                }}
            </div>
            <ConfirmDialog request=confirm />
        </section>
    }
}
