//! A client's projects: the list, creating one, renaming one in place (with `If-Match`) and
//! deleting one.

use gmac_types::validation::Name;
use gmac_types::{ErrorCode, NewProject, Permission, Project, ProjectListQuery, ProjectPatch};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, CHANGED_ELSEWHERE, PAGE_SIZE, describe, non_blank};
use crate::components::error_banner::{ErrorBanner, NoticeBanner};
use crate::components::form_field::{FormErrors, FormField, SubmitButton};
use crate::components::modal::{Confirm, ConfirmDialog};
use crate::components::named::name_errors;
use crate::components::paging::{FilterBox, ListState, LoadMore, Paged};
use crate::components::spinner::Spinner;
use crate::pages::SubmittedForm;
use crate::state::use_auth;

/// The projects card of a client.
#[component]
#[expect(
    clippy::too_many_lines,
    reason = "the list, its in-place editing and deletion share the card's state"
)]
pub fn Projects(
    /// The client.
    client_id: String,
) -> impl IntoView {
    let auth = use_auth();
    let client = StoredValue::new(client_id);
    let manages = move || auth.can(Permission::ProjectsManage);
    let filter = RwSignal::new(String::new());
    let notice = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let confirm = RwSignal::new(None::<Confirm>);
    let list = Paged::new(move |cursor| {
        let query = ProjectListQuery {
            client_id: client.try_get_value(),
            limit: Some(PAGE_SIZE),
            cursor,
            name: non_blank(&filter.get_untracked()),
        };
        async move {
            auth.call(move |c| {
                let query = query.clone();
                async move { c.list_projects(&query).await }
            })
            .await
        }
    });
    let on_filter = Callback::new(move |text: String| {
        filter.set(text);
        list.reload();
    });
    let empty = Signal::derive(move || {
        if filter.with(String::is_empty) {
            "This client has no projects yet.".to_owned()
        } else {
            format!("No project matches “{}”.", filter.get())
        }
    });

    // In-place rename: which project, and the name being typed.
    let editing = RwSignal::new(None::<Project>);
    let edit_name = RwSignal::new(String::new());
    let edit_errors = RwSignal::new(FormErrors::default());
    let saving = RwSignal::new(false);
    let save = move |ev: SubmitEvent| {
        ev.prevent_default();
        let submitted = SubmittedForm::of(&ev);
        let Some(project) = editing.get_untracked() else {
            return;
        };
        let new_name = match Name::parse("name", &edit_name.get_untracked()) {
            Ok(n) => n.as_str().to_owned(),
            Err(e) => {
                edit_errors.set(FormErrors::from_fields(vec![e]));
                submitted.focus_first_invalid();
                return;
            }
        };
        let patch = ProjectPatch {
            name: Some(new_name),
            description: None,
        };
        saving.set(true);
        error.set(None);
        notice.set(None);
        spawn_local(async move {
            let (id, version) = (project.id.clone(), project.version);
            let result = auth
                .call(move |c| {
                    let (id, patch) = (id.clone(), patch.clone());
                    async move { c.update_project(&id, &patch, Some(version)).await }
                })
                .await;
            saving.set(false);
            match result {
                Ok(updated) => {
                    list.replace(|p| p.id == updated.id, &updated);
                    editing.set(None);
                    notice.set(Some("The project is renamed.".to_owned()));
                }
                Err(err) if api::is(&err, ErrorCode::PreconditionFailed) => {
                    editing.set(None);
                    error.set(Some(CHANGED_ELSEWHERE.to_owned()));
                    list.reload();
                }
                Err(err) => {
                    edit_errors.set(name_errors(&err, "project", &["name"]));
                    submitted.focus_first_invalid();
                }
            }
        });
    };

    let delete = move |project: Project| {
        confirm.set(Some(Confirm::danger(
            format!("Delete project “{}”?", project.name),
            "The project, and the roles and API tokens limited to it, are gone for good.",
            "Delete project",
            move || {
                let (id, version) = (project.id.clone(), project.version);
                error.set(None);
                notice.set(None);
                spawn_local(async move {
                    let target = id.clone();
                    let result = auth
                        .call(move |c| {
                            let id = id.clone();
                            async move { c.delete_project(&id, Some(version)).await }
                        })
                        .await;
                    match result {
                        Ok(()) => {
                            list.remove(|p| p.id == target);
                            notice.set(Some("The project was deleted.".to_owned()));
                        }
                        Err(err) if api::is(&err, ErrorCode::PreconditionFailed) => {
                            error.set(Some(CHANGED_ELSEWHERE.to_owned()));
                            list.reload();
                        }
                        Err(err) => error.set(Some(describe(&err))),
                    }
                });
            },
        )));
    };

    let row = move |project: Project| {
        let is_editing = {
            let id = project.id.clone();
            move || editing.with(|e| e.as_ref().is_some_and(|p| p.id == id))
        };
        let (for_edit, for_delete) = (project.clone(), project.clone());
        let start_edit = move |_| {
            edit_name.set(for_edit.name.clone());
            edit_errors.set(FormErrors::default());
            editing.set(Some(for_edit.clone()));
        };
        let name = project.name.clone();
        let description = project.description.clone();
        view! {
            <li class="project" data-project-name=project.name.clone()>
                <Show
                    when=is_editing
                    fallback=move || {
                        view! {
                            <div class="project-main">
                                <span class="cell-title">{name.clone()}</span>
                                <span class="cell-sub">{description.clone()}</span>
                            </div>
                        }
                    }
                >
                    <form class="form form-inline project-edit" novalidate=true on:submit=save>
                        <FormField
                            id="edit-project-name"
                            field="name"
                            label="Project name"
                            autocomplete="off"
                            value=edit_name
                            errors=edit_errors
                            autofocus=true
                            disabled=saving
                        />
                        <div class="form-actions">
                            <button type="submit" id="save-project" class="button button-primary button-small" disabled=move || saving.get()>
                                {move || saving.get().then(|| view! { <Spinner /> })}
                                <span>"Save"</span>
                            </button>
                            <button type="button" class="button button-small" on:click=move |_| editing.set(None)>
                                "Cancel"
                            </button>
                        </div>
                    </form>
                </Show>
                <Show when=move || manages() && editing.with(Option::is_none)>
                    <div class="button-row">
                        <button type="button" class="button button-small" on:click=start_edit.clone()>
                            "Rename"
                        </button>
                        <button
                            type="button"
                            class="button button-small button-danger-quiet"
                            on:click={
                                let project = for_delete.clone();
                                move |_| delete(project.clone())
                            }
                        >
                            "Delete"
                        </button>
                    </div>
                </Show>
            </li>
        }
    };

    view! {
        <section class="card" aria-labelledby="projects-title">
            <header class="card-header">
                <h2 id="projects-title">"Projects"</h2>
                <FilterBox id="project-filter" label="Filter projects" placeholder="Filter by name" on_change=on_filter />
            </header>
            <div class="card-body">
                <NoticeBanner message=notice />
                <ErrorBanner message=error />
                <Show when=manages>
                    <CreateProject
                        client=client
                        on_start=Callback::new(move |()| {
                            notice.set(None);
                            error.set(None);
                        })
                        on_created=Callback::new(move |project: Project| {
                            notice.set(Some(format!("Project “{}” is created.", project.name)));
                            list.prepend(project);
                        })
                    />
                </Show>
            </div>
            <ListState list=list loading="Loading projects…" empty=empty />
            <ul class="project-list" id="project-list">
                {move || list.items().into_iter().map(row).collect_view()}
            </ul>
            <LoadMore list=list />
            <ConfirmDialog request=confirm />
        </section>
    }
}

#[component]
fn CreateProject(
    client: StoredValue<String>,
    on_created: Callback<Project>,
    on_start: Callback<()>,
) -> impl IntoView {
    let auth = use_auth();
    let name = RwSignal::new(String::new());
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
            Ok(n) => NewProject {
                client_id: client.get_value(),
                name: n.as_str().to_owned(),
                description: None,
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
                    async move { c.create_project(&input).await }
                })
                .await;
            busy.set(false);
            match result {
                Ok(project) => {
                    name.set(String::new());
                    on_created.run(project);
                }
                Err(err) => {
                    errors.set(name_errors(&err, "project", &["name", "description"]));
                    submitted.focus_first_invalid();
                }
            }
        });
    };
    view! {
        <form class="form form-inline" novalidate=true on:submit=submit aria-label="New project">
            <ErrorBanner message=banner />
            <FormField
                id="new-project-name"
                field="name"
                label="New project"
                autocomplete="off"
                value=name
                errors=errors
                placeholder="Project name"
                disabled=busy
            />
            <div class="form-actions">
                <SubmitButton id="create-project" label="Create project" busy_label="Creating…" busy=busy inline=true />
            </div>
        </form>
    }
}
