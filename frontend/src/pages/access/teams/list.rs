//! `/access/teams`: the teams (all of them for user managers, otherwise the user's own), and
//! creating one.

use gmac_types::validation::Name;
use gmac_types::{ErrorCode, FieldError, ListQuery, NewTeam, Permission, Team};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;

use crate::api::{self, PAGE_SIZE, non_blank};
use crate::areas::Area;
use crate::components::error_banner::{ErrorBanner, NoticeBanner};
use crate::components::form_field::{FormErrors, FormField, SubmitButton};
use crate::components::icon::{Icon, IconName};
use crate::components::paging::{FilterBox, ListState, LoadMore, Paged};
use crate::pages::SubmittedForm;
use crate::pages::hub::SectionHeader;
use crate::state::use_auth;

/// The fields of the create form, as the server names them.
const FIELDS: [&str; 2] = ["name", "description"];

/// The teams page.
#[component]
#[expect(
    clippy::too_many_lines,
    reason = "the list, its filter and the create form share the page's state"
)]
pub fn TeamsPage() -> impl IntoView {
    let auth = use_auth();
    let manages = move || auth.can(Permission::UsersManage);
    let filter = RwSignal::new(String::new());
    let creating = RwSignal::new(false);
    let notice = RwSignal::new(None::<String>);
    let list = Paged::new(move |cursor| {
        let query = ListQuery {
            limit: Some(PAGE_SIZE),
            cursor,
            name: non_blank(&filter.get_untracked()),
        };
        async move {
            auth.call(move |c| {
                let query = query.clone();
                async move { c.list_teams(&query).await }
            })
            .await
        }
    });
    let on_filter = Callback::new(move |text: String| {
        filter.set(text);
        list.reload();
    });
    let empty = Signal::derive(move || {
        if !filter.with(String::is_empty) {
            format!("No team matches “{}”.", filter.get())
        } else if manages() {
            "No teams yet.".to_owned()
        } else {
            "You are in no team.".to_owned()
        }
    });
    let on_created = Callback::new(move |team: Team| {
        creating.set(false);
        notice.set(Some(format!("Team “{}” is created.", team.name)));
        list.prepend(team);
    });
    let rows = move || {
        list.items()
            .into_iter()
            .map(|team| {
                let href = format!("/access/teams/{}", team.id);
                let members = match team.member_count {
                    1 => "1 member".to_owned(),
                    n => format!("{n} members"),
                };
                let name = team.name.clone();
                view! {
                    <tr data-team-name=team.name.clone()>
                        <td>
                            <A href=href attr:class="cell-title">{name}</A>
                            <span class="cell-sub">{team.description.clone()}</span>
                        </td>
                        <td>{members}</td>
                    </tr>
                }
            })
            .collect_view()
    };
    view! {
        <SectionHeader
            area=Area::Access
            title="Teams"
            summary="Groups of users that hold roles together: every member holds the team's roles."
        />
        <div class="toolbar">
            <FilterBox id="team-filter" label="Filter teams" placeholder="Filter by name" on_change=on_filter />
            <Show when=move || manages() && !creating.get()>
                <button
                    type="button"
                    id="new-team"
                    class="button button-primary"
                    on:click=move |_| creating.set(true)
                >
                    <Icon name=IconName::Plus />
                    <span>"New team"</span>
                </button>
            </Show>
        </div>
        <Show when=move || !manages()>
            <p class="muted page-note">
                "These are your teams. A team's leaders add and remove its members."
            </p>
        </Show>
        <NoticeBanner message=notice />
        <Show when=move || creating.get()>
            <CreateTeam
                on_created=on_created
                on_cancel=Callback::new(move |()| creating.set(false))
                on_start=Callback::new(move |()| notice.set(None))
            />
        </Show>
        <section class="card" aria-label="Teams">
            <ListState list=list loading="Loading teams…" empty=empty />
            <Show when=move || !list.with_items(<[Team]>::is_empty)>
                <div class="table-wrap">
                    <table class="table" id="team-table">
                        <thead>
                            <tr>
                                <th scope="col">"Team"</th>
                                <th scope="col">"Members"</th>
                            </tr>
                        </thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            </Show>
            <LoadMore list=list />
        </section>
    }
}

#[component]
fn CreateTeam(
    on_created: Callback<Team>,
    on_cancel: Callback<()>,
    on_start: Callback<()>,
) -> impl IntoView {
    let auth = use_auth();
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let errors = RwSignal::new(FormErrors::default());
    let busy = RwSignal::new(false);
    let banner = Signal::derive(move || errors.with(|e| e.banner.clone()));
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let submitted = SubmittedForm::of(&ev);
        if busy.get_untracked() {
            return;
        }
        on_start.run(());
        let input = match Name::parse("name", &name.get_untracked()) {
            Ok(n) => NewTeam {
                name: n.as_str().to_owned(),
                description: non_blank(&description.get_untracked()),
            },
            Err(e) => {
                errors.set(FormErrors::from_fields(vec![e]));
                submitted.focus_first_invalid();
                return;
            }
        };
        errors.set(FormErrors::default());
        busy.set(true);
        spawn_local(async move {
            let result = auth
                .call(move |c| {
                    let input = input.clone();
                    async move { c.create_team(&input).await }
                })
                .await;
            busy.set(false);
            match result {
                Ok(team) => on_created.run(team),
                Err(err) if api::is(&err, ErrorCode::NameTaken) => {
                    errors.set(FormErrors::from_fields(vec![FieldError::new(
                        "name",
                        "name_taken",
                        "Another team already has this name.",
                    )]));
                    submitted.focus_first_invalid();
                }
                Err(err) => {
                    errors.set(FormErrors::from_api(&err, &FIELDS));
                    submitted.focus_first_invalid();
                }
            }
        });
    };
    view! {
        <section class="card" aria-labelledby="new-team-title">
            <h2 id="new-team-title" class="card-title">
                "New team"
            </h2>
            <form class="form card-body" novalidate=true on:submit=submit>
                <ErrorBanner message=banner />
                <div class="field-row">
                    <FormField
                        id="new-team-name"
                        field="name"
                        label="Name"
                        autocomplete="off"
                        value=name
                        errors=errors
                        autofocus=true
                        disabled=busy
                    />
                    <FormField
                        id="new-team-description"
                        field="description"
                        label="Description"
                        autocomplete="off"
                        value=description
                        errors=errors
                        optional=true
                        disabled=busy
                    />
                </div>
                <div class="form-actions">
                    <SubmitButton id="create-team" label="Create team" busy_label="Creating…" busy=busy inline=true />
                    <button
                        type="button"
                        class="button"
                        disabled=move || busy.get()
                        on:click=move |_| on_cancel.run(())
                    >
                        "Cancel"
                    </button>
                </div>
            </form>
        </section>
    }
}
