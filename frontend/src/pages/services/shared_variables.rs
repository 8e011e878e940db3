//! The variables a service's project, its groups and the service itself share with its
//! environments (issue 12, point 5's scopes and groups), on the service's page: one `.env`
//! editor per scope, saved as a new version with `If-Match`, an earlier version compared with
//! the newest or brought back; the groups attached in their order, a group attached or
//! detached, a new one made. Each environment's configuration shows what it inherits and what
//! overrides it.

use gmac_client::SharedOwner;
use gmac_types::variables::{
    NewVariableGroup, SharedVariableSet, VariableGroup, VariablesDiff, parse_dotenv,
};
use gmac_types::{ErrorCode, PageQuery, Permission};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::describe;
use crate::components::error_banner::{ErrorBanner, NoticeBanner};
use crate::live::use_live;
use crate::pages::services::configuration::{
    VersionCalls, VersionCompare, field_message, take_read,
};
use crate::state::use_auth;

/// Which scope an editor is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scope {
    Project,
    Group,
    Service,
}

impl Scope {
    fn id(self) -> &'static str {
        match self {
            Self::Project => "project",
            Self::Group => "group",
            Self::Service => "service",
        }
    }

    fn owner(self, id: &str) -> SharedOwner<'_> {
        match self {
            Self::Project => SharedOwner::Project(id),
            Self::Group => SharedOwner::Group(id),
            Self::Service => SharedOwner::Service(id),
        }
    }
}

/// The card: the project's shared variables, then the service's (the later wins).
#[component]
pub fn SharedVariablesCard(
    /// The service's id.
    service_id: String,
    /// Its project's id.
    project_id: String,
) -> impl IntoView {
    view! {
        <section class="card section-gap" id="shared-variables" aria-labelledby="shared-variables-title">
            <h2 id="shared-variables-title" class="card-title">"Shared variables"</h2>
            <div class="card-body">
                <p class="muted">"Every environment runs with the project's variables, then the project's shared secrets, then its service's groups in order, then the service's, then the service's shared secrets, then its own variables, then its own secrets: a later one of the same name wins. A change applies on each environment's next deploy."</p>
                <SharedEditor scope=Scope::Project owner_id=project_id.clone() title="Project".to_owned() />
                <Groups service_id=service_id.clone() project_id=project_id />
                <SharedEditor scope=Scope::Service owner_id=service_id title="This service".to_owned() />
            </div>
        </section>
    }
}

/// One scope's editor (`#shared-{scope}`, `#shared-group-{group id}` for a group).
#[component]
fn SharedEditor(scope: Scope, owner_id: String, title: String) -> impl IntoView {
    let auth = use_auth();
    // The server decides where; the editor is read-only for whoever holds it nowhere.
    let may_change = auth.can_untracked(Permission::DeploysProduction);
    let text = RwSignal::new(String::new());
    let dirty = RwSignal::new(false);
    let base: RwSignal<Option<i64>> = RwSignal::new(None);
    let loaded: RwSignal<Option<SharedVariableSet>> = RwSignal::new(None);
    let notice = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let saving = RwSignal::new(false);
    let reads = RwSignal::new(0_u32);
    // The version chosen to compare with the newest or to bring back, and the changes shown.
    let from = RwSignal::new(String::new());
    let diff: RwSignal<Option<VariablesDiff>> = RwSignal::new(None);
    if let Some(live) = use_live() {
        // An event names its subject as `kind/id`.
        let own = match scope {
            Scope::Project => format!("project/{owner_id}"),
            Scope::Group => format!("variable_group/{owner_id}"),
            Scope::Service => format!("service/{owner_id}"),
        };
        let action: &'static [&'static str] = match scope {
            Scope::Project => &["project.variables"],
            Scope::Group => &["variable_group.variables"],
            Scope::Service => &["service.variables"],
        };
        live.on(action, move |event| {
            if event.subject.as_deref() == Some(own.as_str()) {
                reads.update(|v| *v += 1);
            }
        });
    }
    let for_read = owner_id.clone();
    let read = LocalResource::new(move || {
        // A read that a newer one overtook writes nothing.
        let asked = reads.get();
        let id = for_read.clone();
        async move {
            let result = auth
                .call(move |c| {
                    let id = id.clone();
                    async move { c.get_shared_variables(scope.owner(&id), None).await }
                })
                .await
                .map_err(|err| describe(&err));
            if let Ok(set) = &result
                && reads.try_get_untracked() == Some(asked)
            {
                take_read((dirty, text, base), &set.variables, set.latest_version);
                loaded.try_set(Some(set.clone()));
            }
            result.map(drop)
        }
    });
    let for_save = owner_id.clone();
    let save = move |ev: SubmitEvent| {
        ev.prevent_default();
        if saving.get_untracked() {
            return;
        }
        error.set(None);
        let parsed = match parse_dotenv(&text.get_untracked()) {
            Ok(parsed) => parsed,
            Err(message) => {
                error.set(Some(format!("The variables do not read: {message}.")));
                return;
            }
        };
        let expected = base.get_untracked();
        let id = for_save.clone();
        saving.set(true);
        spawn_local(async move {
            let result = auth
                .call(move |c| {
                    let (id, parsed) = (id.clone(), parsed.clone());
                    async move {
                        c.set_shared_variables(scope.owner(&id), &parsed, expected)
                            .await
                    }
                })
                .await;
            saving.try_set(false);
            match result {
                Ok(set) => {
                    notice.try_set(Some(format!(
                        "Saved as version {}. It applies on each environment's next deploy.",
                        set.version
                    )));
                    dirty.try_set(false);
                    diff.try_set(None);
                    reads.update(|v| *v += 1);
                }
                Err(err) if crate::api::is(&err, ErrorCode::PreconditionFailed) => {
                    base.try_set(None);
                    reads.update(|v| *v += 1);
                    error.try_set(Some(
                        "Someone saved these variables meanwhile. Your text is kept: save again to replace theirs.".to_owned(),
                    ));
                }
                Err(err) => drop(error.try_set(Some(err.message()))),
            }
        });
    };
    let hint = match scope {
        Scope::Project => "Shared by every service of the project.",
        Scope::Group => "Shared by every service it is attached to.",
        Scope::Service => {
            "Shared by each environment of this service, over the project's and its groups'."
        }
    };
    let key = match scope {
        Scope::Group => format!("group-{owner_id}"),
        Scope::Project | Scope::Service => scope.id().to_owned(),
    };
    let area_id = format!("shared-{key}");
    let area_label = format!("{title} variables, one NAME=value a line");
    let save_label = format!("Save the variables of {}", title.to_lowercase());
    let save_id = format!("save-shared-{key}");
    let noun = title.to_lowercase();
    let versions = shared_versions(scope, &owner_id, notice, error, dirty, reads);
    let latest_version =
        Signal::derive(move || loaded.with(|s| s.as_ref().map_or(0, |s| s.latest_version)));
    view! {
        <form class="form shared-editor" novalidate=true on:submit=save data-scope=scope.id()>
            <h3 class="subhead">{title}</h3>
            <NoticeBanner message=notice />
            <ErrorBanner message=error />
            <p class="muted" data-field="shared-version">
                {move || match read.get() {
                    None => "Loading…".to_owned(),
                    Some(Err(message)) => message,
                    Some(Ok(())) => loaded.with(|s| match s {
                        Some(s) if s.latest_version > 0 => format!("{hint} Version {}.", s.latest_version),
                        _ => format!("{hint} None yet."),
                    }),
                }}
            </p>
            <div class="field">
                <label class="visually-hidden" for=area_id.clone()>{area_label.clone()}</label>
                <textarea class="input mono" id=area_id.clone() rows="4" spellcheck="false" aria-label=area_label
                    readonly=!may_change placeholder="NAME=value"
                    prop:value=move || text.get()
                    on:input=move |ev| {
                        text.set(event_target_value(&ev));
                        dirty.set(true);
                    }></textarea>
            </div>
            {may_change.then(|| view! {
                <div class="form-actions">
                    <button type="submit" class="button button-small" id=save_id
                        aria-label=save_label disabled=move || saving.get()>
                        {move || if saving.get() { "Saving…" } else { "Save" }}
                    </button>
                </div>
            })}
            <VersionCompare prefix="shared" key noun latest_version may_change from diff error calls=versions />
        </form>
    }
}

/// How a scope's variables are compared and brought back, and what follows a rollback: a
/// notice, the editor emptied of edits, the variables read again.
fn shared_versions(
    scope: Scope,
    owner_id: &str,
    notice: RwSignal<Option<String>>,
    error: RwSignal<Option<String>>,
    dirty: RwSignal<bool>,
    reads: RwSignal<u32>,
) -> VersionCalls {
    let auth = use_auth();
    let (for_diff, for_rollback) = (owner_id.to_owned(), owner_id.to_owned());
    VersionCalls::new(
        move |from, to| {
            let id = for_diff.clone();
            async move {
                auth.call(move |c| {
                    let id = id.clone();
                    async move { c.diff_shared_variables(scope.owner(&id), from, to).await }
                })
                .await
                .map_err(|err| err.message())
            }
        },
        move |version| {
            let id = for_rollback.clone();
            async move {
                auth.call(move |c| {
                    let id = id.clone();
                    async move { c.rollback_shared_variables(scope.owner(&id), version).await }
                })
                .await
                .map(|set| set.version)
                .map_err(|err| field_message(&err))
            }
        },
        move |old, new| {
            error.try_set(None);
            notice.try_set(Some(format!(
                "Version {old} is back as version {new}. It applies on each environment's next deploy."
            )));
            dirty.try_set(false);
            reads.try_update(|v| *v += 1);
        },
    )
}

/// The groups attached to the service, each with its editor and a Detach button; a group of the
/// project to attach; a new group.
#[component]
fn Groups(service_id: String, project_id: String) -> impl IntoView {
    let auth = use_auth();
    let may_change = auth.can_untracked(Permission::DeploysProduction);
    let reads = RwSignal::new(0_u32);
    let error = RwSignal::new(None::<String>);
    let notice = RwSignal::new(None::<String>);
    let chosen = RwSignal::new(String::new());
    let new_name = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    // Kept apart from the list's loading, so that a group's editor (and what is typed in it)
    // stays while the list is read again.
    let attached_list: RwSignal<Vec<VariableGroup>> = RwSignal::new(Vec::new());
    let free_list: RwSignal<Vec<VariableGroup>> = RwSignal::new(Vec::new());
    if let Some(live) = use_live() {
        live.on(&["service.variable_groups", "variable_group."], move |_| {
            reads.update(|v| *v += 1);
        });
    }
    let (for_read, project_for_read) = (service_id.clone(), project_id.clone());
    let listed = LocalResource::new(move || {
        // A read that a newer one overtook writes nothing.
        let asked = reads.get();
        let (id, project) = (for_read.clone(), project_for_read.clone());
        async move {
            let result = auth
                .call(move |c| {
                    let (id, project) = (id.clone(), project.clone());
                    async move {
                        let attached = c.service_variable_groups(&id).await?;
                        let all = c
                            .list_variable_groups(&project, &PageQuery::after(100, None))
                            .await?;
                        Ok((attached.groups, all.items))
                    }
                })
                .await;
            result
                .map(|(attached, all)| {
                    if reads.try_get_untracked() != Some(asked) {
                        return;
                    }
                    let free = all
                        .into_iter()
                        .filter(|g| attached.iter().all(|a| a.id != g.id))
                        .collect();
                    attached_list.try_set(attached);
                    free_list.try_set(free);
                })
                .map_err(|err| describe(&err))
        }
    });
    // Sends the new order of attached groups.
    let for_attach = service_id;
    let attach = move |ids: Vec<String>, said: String| {
        let id = for_attach.clone();
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let result = auth
                .call(move |c| {
                    let (id, ids) = (id.clone(), ids.clone());
                    async move { c.set_service_variable_groups(&id, &ids).await }
                })
                .await;
            busy.try_set(false);
            match result {
                Ok(_) => {
                    notice.try_set(Some(said));
                    chosen.try_set(String::new());
                    reads.update(|v| *v += 1);
                }
                Err(err) => drop(error.try_set(Some(err.message()))),
            }
        });
    };
    let current = move || {
        attached_list.with_untracked(|list| list.iter().map(|g| g.id.clone()).collect::<Vec<_>>())
    };
    let attach_chosen = attach.clone();
    let on_attach = move |_| {
        let id = chosen.get_untracked();
        if id.is_empty() {
            return;
        }
        let mut ids = current();
        ids.push(id);
        attach_chosen(
            ids,
            "Group attached. It applies on each environment's next deploy.".to_owned(),
        );
    };
    let attach_new = attach.clone();
    let create = move |ev: SubmitEvent| {
        ev.prevent_default();
        let name = new_name.get_untracked().trim().to_owned();
        let project = project_id.clone();
        let attach_new = attach_new.clone();
        let ids = current();
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let result = auth
                .call(move |c| {
                    let (project, name) = (project.clone(), name.clone());
                    async move {
                        c.create_variable_group(
                            &project,
                            &NewVariableGroup {
                                name,
                                variables: std::collections::BTreeMap::new(),
                            },
                        )
                        .await
                    }
                })
                .await;
            busy.try_set(false);
            match result {
                Ok(group) => {
                    new_name.try_set(String::new());
                    let mut ids = ids;
                    ids.push(group.id);
                    attach_new(
                        ids,
                        format!(
                            "Group {} made and attached: give it its variables below.",
                            group.name
                        ),
                    );
                }
                Err(err) => drop(error.try_set(Some(err.message()))),
            }
        });
    };
    let detach = Callback::new(move |gone: String| {
        let ids: Vec<String> = current().into_iter().filter(|id| *id != gone).collect();
        attach(
            ids,
            "Group detached. It applies on each environment's next deploy.".to_owned(),
        );
    });
    view! {
        <div class="shared-groups" id="shared-groups">
            <h3 class="subhead">"Groups"</h3>
            <NoticeBanner message=notice />
            <ErrorBanner message=error />
            {move || match listed.get() {
                None => view! { <p class="muted">"Loading the groups…"</p> }.into_any(),
                Some(Err(message)) => view! { <p class="field-error">{message}</p> }.into_any(),
                Some(Ok(())) => attached_list.with(Vec::is_empty).then(|| view! {
                    <p class="muted">"No group is attached. A group's variables are shared by every service it is attached to; a later group wins over an earlier one."</p>
                }).into_any(),
            }}
            <For each=move || attached_list.get() key=|g| g.id.clone() let:g>
                <div class="shared-group" data-group=g.name.clone()>
                    <SharedEditor scope=Scope::Group owner_id=g.id.clone() title=format!("Group {}", g.name) />
                    {may_change.then(|| {
                        let id = g.id.clone();
                        view! {
                            <button type="button" class="button button-small" aria-label=format!("Detach group {}", g.name)
                                disabled=move || busy.get() on:click=move |_| detach.run(id.clone())>"Detach"</button>
                        }
                    })}
                </div>
            </For>
            {move || (may_change && !free_list.with(Vec::is_empty)).then(|| {
                let on_attach = on_attach.clone();
                view! {
                    <div class="inline-form">
                        <label for="attach-group">"Attach"</label>
                        <select class="select" id="attach-group" prop:value=move || chosen.get()
                            on:change=move |ev| chosen.set(event_target_value(&ev))>
                            <option value="">"choose a group…"</option>
                            {free_list.get().into_iter().map(|g| view! { <option value=g.id.clone()>{g.name.clone()}</option> }).collect_view()}
                        </select>
                        <button type="button" class="button button-small" id="attach-group-button"
                            disabled=move || busy.get() || chosen.with(String::is_empty) on:click=on_attach>"Attach"</button>
                    </div>
                }
            })}
            {may_change.then(|| view! {
                <form class="inline-form" novalidate=true on:submit=create>
                    <label for="new-group-name">"New group"</label>
                    <input class="input" id="new-group-name" placeholder="observability" autocomplete="off" maxlength="64"
                        prop:value=move || new_name.get() on:input=move |ev| new_name.set(event_target_value(&ev)) />
                    <button type="submit" class="button button-small" id="create-group"
                        disabled=move || busy.get() || new_name.with(|n| n.trim().is_empty())>"Make and attach"</button>
                </form>
            })}
        </div>
    }
}
