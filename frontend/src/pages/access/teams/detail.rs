//! `/access/teams/:id`: one team: rename, delete, members and roles.

use gmac_types::{ErrorCode, Permission, SubjectKind, Team, TeamPatch};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::NavigateOptions;
use leptos_router::hooks::use_navigate;

use crate::api::{self, CHANGED_ELSEWHERE, describe};
use crate::components::error_banner::{ErrorBanner, NoticeBanner};
use crate::components::modal::{Confirm, ConfirmDialog};
use crate::components::named::{NamedForm, ObjectHeader, ObjectPage, by_route_id, send_named};
use crate::pages::access::bindings::RoleBindings;
use crate::pages::access::teams::members::Members;
use crate::pages::set_title;
use crate::state::use_auth;

/// The team page.
#[component]
pub fn TeamPage() -> impl IntoView {
    let team = by_route_id(|c, id| async move { c.get_team(&id).await });
    let show = move |loaded: Team| {
        set_title(&loaded.name);
        view! { <TeamView team=loaded reload=Callback::new(move |()| team.refetch()) /> }.into_any()
    };
    view! {
        <ObjectPage object=team back="/access/teams" back_label="Teams" loading="Loading the team…" show=show />
    }
}

#[component]
fn TeamView(team: Team, reload: Callback<()>) -> impl IntoView {
    let auth = use_auth();
    let navigate = use_navigate();
    let manages = auth.can_untracked(Permission::UsersManage);
    let current = RwSignal::new(team.clone());
    // The tab follows a rename.
    Effect::new(move |_| current.with(|t| set_title(&t.name)));
    let notice = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let confirm = RwSignal::new(None::<Confirm>);

    let save = send_named(move |named| async move {
        let patch = TeamPatch {
            name: Some(named.name),
            description: Some(named.description),
        };
        let (id, version) = current.with_untracked(|t| (t.id.clone(), t.version));
        notice.set(None);
        error.set(None);
        let result = auth
            .call(move |c| {
                let (id, patch) = (id.clone(), patch.clone());
                async move { c.update_team(&id, &patch, Some(version)).await }
            })
            .await;
        match result {
            Ok(updated) => {
                notice.set(Some("The team is saved.".to_owned()));
                current.set(updated);
                Ok(())
            }
            Err(err) if api::is(&err, ErrorCode::PreconditionFailed) => {
                error.set(Some(CHANGED_ELSEWHERE.to_owned()));
                reload.run(());
                Ok(())
            }
            Err(err) => Err(err),
        }
    });

    let delete = Callback::new(move |()| {
        let (id, team_name) = current.with_untracked(|t| (t.id.clone(), t.name.clone()));
        let navigate = navigate.clone();
        confirm.set(Some(Confirm::danger(
            format!("Delete team “{team_name}”?"),
            "Its members lose every role they held through the team, at once. The members' \
             accounts stay.",
            "Delete team",
            move || {
                let id = id.clone();
                let navigate = navigate.clone();
                spawn_local(async move {
                    let result = auth
                        .call(move |c| {
                            let id = id.clone();
                            async move { c.delete_team(&id).await }
                        })
                        .await;
                    match result {
                        Ok(()) => navigate("/access/teams", NavigateOptions::default()),
                        Err(err) => error.set(Some(describe(&err))),
                    }
                });
            },
        )));
    });
    let named = Signal::derive(move || current.with(|t| (t.name.clone(), t.description.clone())));

    view! {
        <ObjectHeader
            eyebrow="Team"
            title_id="team-title"
            named=named
            delete=manages.then_some(("delete-team", "Delete team", delete))
        />
        <NoticeBanner message=notice />
        <ErrorBanner message=error />
        <div class="stack">
            {manages
                .then(|| {
                    view! {
                        <NamedForm
                            title="Details"
                            title_id="team-edit-title"
                            inputs=("team-name", "team-description")
                            submit=("save-team", "Save", "Saving…")
                            what="team"
                            send=save
                            initial=(team.name.clone(), team.description.clone())
                        />
                    }
                })}
            <Members team_id=team.id.clone() manages=manages />
            {manages
                .then(|| {
                    view! { <RoleBindings kind=SubjectKind::Team id=team.id.clone() name=team.name.clone() /> }
                })}
        </div>
        <ConfirmDialog request=confirm />
    }
}
