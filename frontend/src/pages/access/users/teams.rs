//! A user's teams, on their page: each team, whether they lead it, and the roles they hold
//! through it.

use gmac_client::Client;
use gmac_types::{ListQuery, Role, UserTeam};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::Failure;
use crate::components::paging::LoadFailed;
use crate::components::scope::{Directory, role_name};
use crate::components::spinner::Loading;
use crate::format::date_label;
use crate::state::{Auth, use_auth};

/// The roles a team holds, in words: "Developer in Acme, Viewer in Globex".
fn roles_through(team: &UserTeam, roles: &[Role], directory: &Directory) -> String {
    team.roles
        .iter()
        .map(|b| {
            format!(
                "{} in {}",
                role_name(roles, &b.role),
                directory.scope_label(&b.scope)
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every team of the user.
async fn load_teams(auth: Auth, id: String) -> Result<Vec<UserTeam>, Failure> {
    auth.call(move |c| {
        let id = id.clone();
        async move {
            Client::all_pages(|page| {
                let (c, id) = (&c, &id);
                async move {
                    let query = ListQuery {
                        limit: page.limit,
                        cursor: page.cursor,
                        name: None,
                    };
                    c.list_user_teams(id, &query).await
                }
            })
            .await
        }
    })
    .await
    .map_err(|e| Failure::of(&e))
}

/// The card `#user-teams`.
#[component]
pub fn UserTeams(
    /// The user's id.
    user_id: String,
) -> impl IntoView {
    let auth = use_auth();
    let user_id = StoredValue::new(user_id);
    let teams = LocalResource::new(move || load_teams(auth, user_id.get_value()));
    let roles_load = LocalResource::new(move || async move {
        auth.call(|c| async move { c.list_roles().await })
            .await
            .map_err(|e| e.message())
    });
    let roles = Signal::derive(move || roles_load.get().and_then(Result::ok).unwrap_or_default());
    let directory_load = LocalResource::new(move || Directory::load(auth));
    let directory = Signal::derive(move || {
        directory_load
            .get()
            .and_then(Result::ok)
            .unwrap_or_default()
    });
    let rows = move |list: Vec<UserTeam>| {
        roles.with(|roles| {
            directory.with(|directory| {
                list.into_iter()
                    .map(|team| {
                        let held = roles_through(&team, roles, directory);
                        let held = if held.is_empty() {
                            view! { <span class="muted">"No role"</span> }.into_any()
                        } else {
                            view! { <span class="team-roles">{held}</span> }.into_any()
                        };
                        let joined = date_label(&team.joined_at);
                        let href = format!("/access/teams/{}", team.id);
                        let name = team.name.clone();
                        view! {
                            <tr data-team=team.name>
                                <td>
                                    <A href=href attr:class="cell-title">
                                        {name}
                                    </A>
                                    {team.leader.then(|| view! { <span class="badge badge-info">"Leader"</span> })}
                                </td>
                                <td>{held}</td>
                                <td>{joined}</td>
                            </tr>
                        }
                    })
                    .collect_view()
            })
        })
    };
    view! {
        <section class="card section-gap" id="user-teams" aria-labelledby="user-teams-title">
            <h2 id="user-teams-title" class="card-title">
                "Teams"
            </h2>
            {move || match teams.get() {
                None => view! { <Loading label="Loading teams…" /> }.into_any(),
                Some(Err(failure)) => {
                    view! { <LoadFailed message=failure retry=Callback::new(move |()| teams.refetch()) /> }
                        .into_any()
                }
                Some(Ok(list)) if list.is_empty() => {
                    view! { <p class="list-empty muted">"Not a member of any team."</p> }.into_any()
                }
                Some(Ok(list)) => {
                    view! {
                        <div class="table-wrap">
                            <table class="table" id="user-team-table">
                                <thead>
                                    <tr>
                                        <th scope="col">"Team"</th>
                                        <th scope="col">"Roles through it"</th>
                                        <th scope="col">"Joined"</th>
                                    </tr>
                                </thead>
                                <tbody>{rows(list)}</tbody>
                            </table>
                        </div>
                    }
                        .into_any()
                }
            }}
        </section>
    }
}
