//! `/access/teams`: the teams (all of them for user managers, otherwise the user's own), and
//! creating one.

use gmac_types::{NewTeam, Permission, Team};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::areas::Area;
use crate::components::error_banner::NoticeBanner;
use crate::components::icon::{Icon, IconName};
use crate::components::named::{ListTable, NameFiltered, NamedForm, send_named};
use crate::components::paging::FilterBox;
use crate::pages::hub::SectionHeader;
use crate::state::use_auth;

/// A team's row in the list.
fn team_row(team: Team) -> AnyView {
    let href = format!("/access/teams/{}", team.id);
    let members = match team.member_count {
        1 => "1 member".to_owned(),
        n => format!("{n} members"),
    };
    let title = team.name.clone();
    view! {
        <tr data-team-name=team.name>
            <td>
                <A href=href attr:class="cell-title">{title}</A>
                <span class="cell-sub">{team.description}</span>
            </td>
            <td>{members}</td>
        </tr>
    }
    .into_any()
}

/// The teams page.
#[component]
pub fn TeamsPage() -> impl IntoView {
    let auth = use_auth();
    let manages = move || auth.can(Permission::UsersManage);
    let creating = RwSignal::new(false);
    let notice = RwSignal::new(None::<String>);
    let teams = NameFiltered::new(move |query| async move {
        auth.call(move |c| {
            let query = query.clone();
            async move { c.list_teams(&query).await }
        })
        .await
    });
    let list = teams.list;
    let empty = teams.empty("team", move || {
        if manages() {
            "No teams yet.".to_owned()
        } else {
            "You are in no team.".to_owned()
        }
    });
    let create = send_named(move |named| async move {
        let input = NewTeam {
            description: named.description(),
            name: named.name,
        };
        let team = auth
            .call(move |c| {
                let input = input.clone();
                async move { c.create_team(&input).await }
            })
            .await?;
        creating.set(false);
        notice.set(Some(format!("Team “{}” is created.", team.name)));
        list.prepend(team);
        Ok(())
    });
    view! {
        <SectionHeader
            area=Area::Access
            title="Teams"
            summary="Groups of users that hold roles together: every member holds the team's roles."
        />
        <div class="toolbar">
            <FilterBox id="team-filter" label="Filter teams" placeholder="Filter by name" on_change=teams.on_filter />
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
            <NamedForm
                title="New team"
                title_id="new-team-title"
                inputs=("new-team-name", "new-team-description")
                submit=("create-team", "Create team", "Creating…")
                what="team"
                send=create
                autofocus=true
                on_start=Callback::new(move |()| notice.set(None))
                on_cancel=Callback::new(move |()| creating.set(false))
            />
        </Show>
        <ListTable
            list=list
            id="team-table"
            label="Teams"
            loading="Loading teams…"
            empty=empty
            headers=&["Team", "Members"]
            row=team_row
        />
    }
}
