//! `/access/teams/:id`: one team: rename, delete, members and roles.

use gmac_types::validation::Name;
use gmac_types::{ErrorCode, FieldError, Permission, SubjectKind, Team, TeamPatch};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::NavigateOptions;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};

use crate::api::{self, CHANGED_ELSEWHERE, Failure, describe};
use crate::components::error_banner::{ErrorBanner, NoticeBanner};
use crate::components::form_field::{FormErrors, FormField, SubmitButton};
use crate::components::icon::{Icon, IconName};
use crate::components::modal::{Confirm, ConfirmDialog};
use crate::components::paging::LoadFailed;
use crate::components::spinner::Loading;
use crate::pages::access::bindings::RoleBindings;
use crate::pages::access::teams::members::Members;
use crate::pages::{SubmittedForm, set_title};
use crate::state::use_auth;

/// The team page.
#[component]
pub fn TeamPage() -> impl IntoView {
    let auth = use_auth();
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let team = LocalResource::new(move || {
        let id = id();
        async move {
            auth.call(move |c| {
                let id = id.clone();
                async move { c.get_team(&id).await }
            })
            .await
            .map_err(|e| Failure::of(&e))
        }
    });
    view! {
        <nav class="breadcrumbs" aria-label="Breadcrumbs">
            <A href="/access/teams">
                <Icon name=IconName::ChevronLeft />
                <span>"Teams"</span>
            </A>
        </nav>
        {move || match team.get() {
            None => view! { <Loading label="Loading the team…" /> }.into_any(),
            Some(Err(message)) => {
                view! { <LoadFailed message=message retry=Callback::new(move |()| team.refetch()) page=true /> }
                    .into_any()
            }
            Some(Ok(loaded)) => {
                set_title(&loaded.name);
                view! { <TeamView team=loaded reload=Callback::new(move |()| team.refetch()) /> }
                    .into_any()
            }
        }}
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
    let name = RwSignal::new(team.name.clone());
    let description = RwSignal::new(team.description.clone());
    let errors = RwSignal::new(FormErrors::default());
    let busy = RwSignal::new(false);
    let notice = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let confirm = RwSignal::new(None::<Confirm>);
    let banner = Signal::derive(move || errors.with(|e| e.banner.clone()));

    let save = move |ev: SubmitEvent| {
        ev.prevent_default();
        let submitted = SubmittedForm::of(&ev);
        if busy.get_untracked() {
            return;
        }
        let new_name = match Name::parse("name", &name.get_untracked()) {
            Ok(n) => n.as_str().to_owned(),
            Err(e) => {
                errors.set(FormErrors::from_fields(vec![e]));
                submitted.focus_first_invalid();
                return;
            }
        };
        let patch = TeamPatch {
            name: Some(new_name),
            description: Some(description.get_untracked().trim().to_owned()),
        };
        let (id, version) = current.with_untracked(|t| (t.id.clone(), t.version));
        errors.set(FormErrors::default());
        notice.set(None);
        error.set(None);
        busy.set(true);
        spawn_local(async move {
            let result = auth
                .call(move |c| {
                    let (id, patch) = (id.clone(), patch.clone());
                    async move { c.update_team(&id, &patch, Some(version)).await }
                })
                .await;
            busy.set(false);
            match result {
                Ok(updated) => {
                    notice.set(Some("The team is saved.".to_owned()));
                    current.set(updated);
                }
                Err(err) if api::is(&err, ErrorCode::PreconditionFailed) => {
                    error.set(Some(CHANGED_ELSEWHERE.to_owned()));
                    reload.run(());
                }
                Err(err) if api::is(&err, ErrorCode::NameTaken) => {
                    errors.set(FormErrors::from_fields(vec![FieldError::new(
                        "name",
                        "name_taken",
                        "Another team already has this name.",
                    )]));
                    submitted.focus_first_invalid();
                }
                Err(err) => {
                    errors.set(FormErrors::from_api(&err, &["name", "description"]));
                    submitted.focus_first_invalid();
                }
            }
        });
    };

    let delete = move |_| {
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
    };

    view! {
        <header class="page-header page-header-row">
            <div>
                <p class="eyebrow">"Team"</p>
                <h1 id="team-title">{move || current.with(|t| t.name.clone())}</h1>
                <p class="muted">{move || current.with(|t| t.description.clone())}</p>
            </div>
            {manages
                .then(|| {
                    view! {
                        <button type="button" id="delete-team" class="button button-danger-quiet" on:click=delete>
                            <Icon name=IconName::Trash />
                            <span>"Delete team"</span>
                        </button>
                    }
                })}
        </header>
        <NoticeBanner message=notice />
        <ErrorBanner message=error />
        <div class="stack">
            {manages
                .then(|| {
                    view! {
                        <section class="card" aria-labelledby="team-edit-title">
                            <h2 id="team-edit-title" class="card-title">
                                "Details"
                            </h2>
                            <form class="form card-body" novalidate=true on:submit=save>
                                <ErrorBanner message=banner />
                                <div class="field-row">
                                    <FormField
                                        id="team-name"
                                        field="name"
                                        label="Name"
                                        autocomplete="off"
                                        value=name
                                        errors=errors
                                        disabled=busy
                                    />
                                    <FormField
                                        id="team-description"
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
                                    <SubmitButton id="save-team" label="Save" busy_label="Saving…" busy=busy inline=true />
                                </div>
                            </form>
                        </section>
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
