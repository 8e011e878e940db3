//! A team's members: the list with its leaders, adding someone (found by name or email), and
//! removing. User managers manage every team; a team's leaders add and remove its other
//! members.

use gmac_client::Client;
use std::time::Duration;

use gmac_types::{ErrorCode, ListQuery, NewTeamMember, TeamMember, UserDetail};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::account::use_account;
use crate::api::{self, Failure, describe};
use crate::components::error_banner::{ErrorBanner, NoticeBanner};
use crate::components::form_field::{FormErrors, FormField};
use crate::components::icon::{Icon, IconName};
use crate::components::modal::{Confirm, ConfirmDialog};
use crate::components::paging::LoadFailed;
use crate::components::spinner::{Loading, Spinner};
use crate::format::date_time_label;
use crate::state::use_auth;

/// How many matches the user search offers.
const MATCHES: u32 = 8;
/// How long typing must pause before the search runs.
const DEBOUNCE: Duration = Duration::from_millis(300);

/// The members card.
#[component]
#[expect(
    clippy::too_many_lines,
    reason = "the list, removal and the add form share the card's state"
)]
pub fn Members(
    /// The team.
    team_id: String,
    /// The user manages users (every team, and may make leaders).
    manages: bool,
) -> impl IntoView {
    let auth = use_auth();
    let account = use_account();
    let team = StoredValue::new(team_id);
    let notice = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let confirm = RwSignal::new(None::<Confirm>);
    let members = LocalResource::new(move || {
        let id = team.get_value();
        async move {
            auth.call(move |c| {
                let id = id.clone();
                async move {
                    Client::all_pages(|page| {
                        let (c, id) = (&c, &id);
                        async move { c.list_team_members(id, &page).await }
                    })
                    .await
                }
            })
            .await
            .map_err(|e| Failure::of(&e))
        }
    });
    let me = StoredValue::new(auth.user_id_untracked());
    let leads = move || {
        members.get().and_then(Result::ok).is_some_and(|list| {
            me.with_value(|me| {
                list.iter()
                    .any(|m| m.leader && Some(&m.user_id) == me.as_ref())
            })
        })
    };
    let can_change = move || manages || leads();

    let remove = move |member: TeamMember| {
        let user_id = member.user_id.clone();
        confirm.set(Some(Confirm::danger(
            format!("Remove {} from the team?", member.display_name),
            "They lose every role they held through the team, at once.",
            "Remove member",
            move || {
                let user_id = user_id.clone();
                error.set(None);
                notice.set(None);
                spawn_local(async move {
                    let id = team.get_value();
                    let result = auth
                        .call(move |c| {
                            let (id, user_id) = (id.clone(), user_id.clone());
                            async move { c.remove_team_member(&id, &user_id).await }
                        })
                        .await;
                    match result {
                        Ok(()) => {
                            notice.set(Some("The member was removed.".to_owned()));
                            members.refetch();
                        }
                        Err(err) if api::is(&err, ErrorCode::Forbidden) => error.set(Some(
                            "Only someone who manages users removes a team's leaders.".to_owned(),
                        )),
                        Err(err) => error.set(Some(describe(&err))),
                    }
                });
            },
        )));
    };

    let rows = move |list: Vec<TeamMember>| {
        let zone = account.time_zone();
        let changeable = can_change();
        list.into_iter()
            .map(|member| {
                let joined = date_time_label(&member.joined_at, zone.as_deref());
                let removable = changeable && (manages || !member.leader);
                let for_remove = member.clone();
                view! {
                    <tr data-member-email=member.email.clone()>
                        <td>
                            <span class="cell-title">{member.display_name.clone()}</span>
                            <span class="cell-sub">{member.email.clone()}</span>
                        </td>
                        <td>
                            {if member.leader {
                                view! { <span class="badge badge-accent">"Leader"</span> }.into_any()
                            } else {
                                view! { <span class="muted">"Member"</span> }.into_any()
                            }}
                        </td>
                        <td>{joined}</td>
                        <td class="cell-actions">
                            {removable
                                .then(|| {
                                    view! {
                                        <button
                                            type="button"
                                            class="button button-small button-danger-quiet"
                                            aria-label=format!("Remove {} from the team", member.display_name)
                                            on:click=move |_| remove(for_remove.clone())
                                        >
                                            "Remove"
                                        </button>
                                    }
                                })}
                        </td>
                    </tr>
                }
            })
            .collect_view()
    };
    let on_added = Callback::new(move |member: TeamMember| {
        notice.set(Some(format!("{} joined the team.", member.display_name)));
        members.refetch();
    });

    view! {
        <section class="card" aria-labelledby="members-title">
            <h2 id="members-title" class="card-title">
                "Members"
            </h2>
            <div class="card-body">
                <NoticeBanner message=notice />
                <ErrorBanner message=error />
                {move || match members.get() {
                    None => view! { <Loading label="Loading members…" /> }.into_any(),
                    Some(Err(message)) => {
                        view! { <LoadFailed message=message retry=Callback::new(move |()| members.refetch()) /> }
                            .into_any()
                    }
                    Some(Ok(list)) if list.is_empty() => {
                        view! { <p class="list-empty muted">"The team has no members yet."</p> }.into_any()
                    }
                    Some(Ok(list)) => {
                        view! {
                            <div class="table-wrap">
                                <table class="table" id="member-table">
                                    <thead>
                                        <tr>
                                            <th scope="col">"Name"</th>
                                            <th scope="col">"Role in team"</th>
                                            <th scope="col">"Joined"</th>
                                            <th scope="col">
                                                <span class="visually-hidden">"Actions"</span>
                                            </th>
                                        </tr>
                                    </thead>
                                    <tbody>{rows(list)}</tbody>
                                </table>
                            </div>
                        }
                            .into_any()
                    }
                }}
                <Show when=can_change>
                    <AddMember
                        team=team
                        manages=manages
                        on_added=on_added
                        on_start=Callback::new(move |()| {
                            notice.set(None);
                            error.set(None);
                        })
                    />
                </Show>
            </div>
            <ConfirmDialog request=confirm />
        </section>
    }
}

/// How the user search stands.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Search {
    Idle,
    Searching,
    Found(Vec<UserDetail>),
    Failed(String),
    /// The user may not list users (a leader who does not manage users): they type an id.
    Unavailable,
}

#[component]
fn AddMember(
    team: StoredValue<String>,
    manages: bool,
    on_added: Callback<TeamMember>,
    on_start: Callback<()>,
) -> impl IntoView {
    let auth = use_auth();
    let search = RwSignal::new(Search::Idle);
    let chosen = RwSignal::new(None::<(String, String)>);
    let typed_id = RwSignal::new(String::new());
    let leader = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let errors = RwSignal::new(FormErrors::default());
    let banner = Signal::derive(move || errors.with(|e| e.banner.clone()));
    let timer = StoredValue::new(None::<TimeoutHandle>);
    let generation = StoredValue::new(0_u64);

    let run_search = move |text: String| {
        let Some(current) = generation.try_get_value().map(|g| g + 1) else {
            return;
        };
        generation.set_value(current);
        if text.is_empty() {
            search.set(Search::Idle);
            return;
        }
        search.set(Search::Searching);
        spawn_local(async move {
            let query = ListQuery {
                limit: Some(MATCHES),
                cursor: None,
                name: Some(text),
            };
            let result = auth
                .call(move |c| {
                    let query = query.clone();
                    async move { c.list_users(&query).await }
                })
                .await;
            if generation.try_get_value() != Some(current) {
                return;
            }
            search.set(match result {
                Ok(page) => Search::Found(page.items),
                Err(err) if api::is(&err, ErrorCode::Forbidden) => Search::Unavailable,
                Err(err) => Search::Failed(describe(&err)),
            });
        });
    };
    let on_input = move |ev: leptos::ev::Event| {
        let text = event_target_value(&ev).trim().to_owned();
        if let Some(handle) = timer.get_value() {
            handle.clear();
        }
        timer.set_value(set_timeout_with_handle(move || run_search(text), DEBOUNCE).ok());
    };

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        on_start.run(());
        let user_id = chosen
            .get_untracked()
            .map(|(id, _)| id)
            .or_else(|| api::non_blank(&typed_id.get_untracked()));
        let Some(user_id) = user_id else {
            errors.set(FormErrors::from_message("Choose someone to add first."));
            return;
        };
        let input = NewTeamMember {
            user_id,
            leader: manages && leader.get_untracked(),
        };
        errors.set(FormErrors::default());
        busy.set(true);
        spawn_local(async move {
            let id = team.get_value();
            let result = auth
                .call(move |c| {
                    let (id, input) = (id.clone(), input.clone());
                    async move { c.add_team_member(&id, &input).await }
                })
                .await;
            busy.set(false);
            match result {
                Ok(member) => {
                    chosen.set(None);
                    search.set(Search::Idle);
                    typed_id.set(String::new());
                    leader.set(false);
                    on_added.run(member);
                }
                Err(err) => errors.set(FormErrors::from_api(&err, &["user_id"])),
            }
        });
    };

    view! {
        <form class="form subpanel" novalidate=true on:submit=submit aria-label="Add a member">
            <h3 class="subpanel-title">"Add a member"</h3>
            <ErrorBanner message=banner />
            {move || match chosen.get() {
                Some((_, label)) => {
                    view! {
                        <p class="picked">
                            <Icon name=IconName::User />
                            <span id="member-chosen">{label}</span>
                            <button
                                type="button"
                                class="link-button"
                                on:click=move |_| chosen.set(None)
                            >
                                "Change"
                            </button>
                        </p>
                    }
                        .into_any()
                }
                None if search.get() == Search::Unavailable => {
                    view! {
                        <FormField
                            id="member-user-id"
                            field="user_id"
                            label="User id"
                            autocomplete="off"
                            value=typed_id
                            errors=errors
                            mono=true
                            hint="You cannot search accounts: ask the person for their user id (under Profile)."
                            disabled=busy
                        />
                    }
                        .into_any()
                }
                None => {
                    view! {
                        <div class="field">
                            <label for="member-search">"Find a person"</label>
                            <input
                                id="member-search"
                                class="input"
                                type="search"
                                autocomplete="off"
                                placeholder="Name or email"
                                on:input=on_input
                            />
                            {move || match search.get() {
                                Search::Searching => {
                                    view! {
                                        <p class="muted picker-note">
                                            <Spinner />
                                            " Searching…"
                                        </p>
                                    }
                                        .into_any()
                                }
                                Search::Failed(message) => {
                                    view! { <p class="field-error">{message}</p> }.into_any()
                                }
                                Search::Found(users) if users.is_empty() => {
                                    view! { <p class="muted picker-note">"Nobody matches."</p> }.into_any()
                                }
                                Search::Found(users) => {
                                    view! {
                                        <ul class="picker-results" id="member-results">
                                            {users
                                                .into_iter()
                                                .map(|user| {
                                                    let label = format!("{} ({})", user.display_name, user.email);
                                                    let pick = (user.id.clone(), label);
                                                    view! {
                                                        <li>
                                                            <button
                                                                type="button"
                                                                class="picker-option"
                                                                data-user-email=user.email.clone()
                                                                on:click=move |_| chosen.set(Some(pick.clone()))
                                                            >
                                                                <span class="cell-title">{user.display_name.clone()}</span>
                                                                <span class="cell-sub">{user.email.clone()}</span>
                                                            </button>
                                                        </li>
                                                    }
                                                })
                                                .collect_view()}
                                        </ul>
                                    }
                                        .into_any()
                                }
                                Search::Idle | Search::Unavailable => ().into_any(),
                            }}
                        </div>
                    }
                        .into_any()
                }
            }}
            {manages
                .then(|| {
                    view! {
                        <label class="check" for="member-leader">
                            <input id="member-leader" type="checkbox" bind:checked=leader />
                            <span>
                                <span class="check-label">"Team leader"</span>
                                <span class="check-hint">"Leaders add and remove the team's other members."</span>
                            </span>
                        </label>
                    }
                })}
            <div class="form-actions">
                <button type="submit" id="add-member" class="button button-primary" disabled=move || busy.get()>
                    {move || busy.get().then(|| view! { <Spinner /> })}
                    <span>"Add to team"</span>
                </button>
            </div>
        </form>
    }
}
