//! The dialog that creates or edits a custom role: name, description and permissions (each
//! granted wherever the role is bound, or only where it is bound to a single project).

use gmac_client::ApiError;
use gmac_types::validation::Name;
use gmac_types::{ErrorCode, FieldError, NewRole, Permission, Role, RolePatch};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::components::error_banner::ErrorBanner;
use crate::components::form_field::{FieldMessages, FormErrors, FormField};
use crate::components::modal::Modal;
use crate::components::spinner::Spinner;
use crate::pages::SubmittedForm;
use crate::state::use_auth;

/// The fields, as the server names them.
const FIELDS: [&str; 4] = ["name", "description", "permissions", "project_permissions"];

/// How the editor ended.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// The role was saved (created or changed).
    Saved(Role),
    /// Someone else changed the role first (412): the list should reload.
    Stale,
}

/// How a permission is granted by the role being edited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Grant {
    No,
    Anywhere,
    ProjectOnly,
}

/// The editor dialog. `role`: the custom role to edit, or `None` to create one.
#[component]
#[expect(
    clippy::too_many_lines,
    reason = "one form: its fields read best together, in order"
)]
pub fn RoleEditor(
    /// The role to edit; `None` creates one.
    role: Option<Role>,
    /// Receives the outcome; the dialog closes.
    on_done: Callback<Outcome>,
    /// Closes the dialog without a change.
    on_close: Callback<()>,
) -> impl IntoView {
    let auth = use_auth();
    let (editing, name, description, anywhere, project) = match role {
        Some(r) => (
            Some((r.id, r.version)),
            r.name,
            r.description,
            r.permissions,
            r.project_permissions,
        ),
        None => (None, String::new(), String::new(), Vec::new(), Vec::new()),
    };
    let name = RwSignal::new(name);
    let description = RwSignal::new(description);
    let grants = RwSignal::new(
        Permission::ALL
            .iter()
            .map(|p| {
                let grant = if project.contains(p) {
                    Grant::ProjectOnly
                } else if anywhere.contains(p) {
                    Grant::Anywhere
                } else {
                    Grant::No
                };
                (*p, grant)
            })
            .collect::<Vec<_>>(),
    );
    let errors = RwSignal::new(FormErrors::default());
    let busy = RwSignal::new(false);
    let banner = Signal::derive(move || errors.with(|e| e.banner.clone()));
    let mine = auth
        .with_me_untracked(|me| me.map(|m| m.permissions.clone()))
        .unwrap_or_default();
    let set_grant = move |permission: Permission, grant: Grant| {
        grants.update(|all| {
            for (p, g) in all.iter_mut() {
                if *p == permission {
                    *g = grant;
                }
            }
        });
    };
    let title = if editing.is_some() {
        "Edit role"
    } else {
        "New custom role"
    };
    let editing = StoredValue::new(editing);

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let submitted = SubmittedForm::of(&ev);
        if busy.get_untracked() {
            return;
        }
        let parsed = match Name::parse("name", &name.get_untracked()) {
            Ok(n) => n.as_str().to_owned(),
            Err(e) => {
                errors.set(FormErrors::from_fields(vec![e]));
                submitted.focus_first_invalid();
                return;
            }
        };
        let (anywhere, project): (Vec<Permission>, Vec<Permission>) =
            grants.with_untracked(|all| {
                (
                    all.iter()
                        .filter(|(_, g)| *g == Grant::Anywhere)
                        .map(|(p, _)| *p)
                        .collect(),
                    all.iter()
                        .filter(|(_, g)| *g == Grant::ProjectOnly)
                        .map(|(p, _)| *p)
                        .collect(),
                )
            });
        let description = description.get_untracked().trim().to_owned();
        errors.set(FormErrors::default());
        busy.set(true);
        spawn_local(async move {
            let result: Result<Role, ApiError> = if let Some((id, version)) = editing.get_value() {
                let patch = RolePatch {
                    name: Some(parsed),
                    description: Some(description),
                    permissions: Some(anywhere),
                    project_permissions: Some(project),
                };
                auth.call(move |c| {
                    let (id, patch) = (id.clone(), patch.clone());
                    async move { c.update_role(&id, &patch, Some(version)).await }
                })
                .await
            } else {
                let input = NewRole {
                    name: parsed,
                    description: Some(description),
                    permissions: anywhere,
                    project_permissions: project,
                };
                auth.call(move |c| {
                    let input = input.clone();
                    async move { c.create_role(&input).await }
                })
                .await
            };
            busy.set(false);
            match result {
                Ok(role) => on_done.run(Outcome::Saved(role)),
                Err(err) if api::is(&err, ErrorCode::PreconditionFailed) => {
                    on_done.run(Outcome::Stale);
                }
                Err(err) if api::is(&err, ErrorCode::NameTaken) => {
                    errors.set(FormErrors::from_fields(vec![FieldError::new(
                        "name",
                        "name_taken",
                        "Another role already has this name.",
                    )]));
                    submitted.focus_first_invalid();
                }
                Err(err) if api::is(&err, ErrorCode::Forbidden) => {
                    errors.set(FormErrors::from_message(
                        "You can only define roles from permissions you hold yourself.",
                    ));
                }
                Err(err) => {
                    errors.set(FormErrors::from_api(&err, &FIELDS));
                    submitted.focus_first_invalid();
                }
            }
        });
    };

    view! {
        <Modal title=title on_close=on_close wide=true>
            <ErrorBanner message=banner />
            <form class="form" novalidate=true on:submit=submit>
                <FormField
                    id="role-name"
                    field="name"
                    label="Name"
                    autocomplete="off"
                    value=name
                    errors=errors
                    disabled=busy
                />
                <FormField
                    id="role-description"
                    field="description"
                    label="Description"
                    autocomplete="off"
                    value=description
                    errors=errors
                    optional=true
                    disabled=busy
                />
                <fieldset class="fieldset" disabled=move || busy.get()>
                    <legend>"Permissions"</legend>
                    <p class="field-hint">
                        "“Only in projects” grants the permission only where the role is bound to \
                         a single project. You can grant only permissions you hold."
                    </p>
                    <ul class="grant-list">
                        {Permission::ALL
                            .iter()
                            .map(|&permission| {
                                let held = mine.contains(&permission);
                                let base = permission.id().replace('.', "-");
                                let (check_id, project_id) = (
                                    format!("role-perm-{base}"),
                                    format!("role-project-{base}"),
                                );
                                let (check_for, project_for) = (check_id.clone(), project_id.clone());
                                let grant = move || {
                                    grants
                                        .with(|all| {
                                            all.iter()
                                                .find(|(p, _)| *p == permission)
                                                .map_or(Grant::No, |(_, g)| *g)
                                        })
                                };
                                view! {
                                    <li class="grant-row" class:grant-unheld=!held>
                                        <label class="check" for=check_for>
                                            <input
                                                id=check_id
                                                type="checkbox"
                                                disabled=!held
                                                prop:checked=move || grant() != Grant::No
                                                on:change=move |ev| {
                                                    set_grant(
                                                        permission,
                                                        if event_target_checked(&ev) { Grant::Anywhere } else { Grant::No },
                                                    );
                                                }
                                            />
                                            <span>
                                                <span class="check-label mono">{permission.id()}</span>
                                                <span class="check-hint">
                                                    {permission.description()}
                                                    {(!held).then_some(" (you do not hold it)")}
                                                </span>
                                            </span>
                                        </label>
                                        <label class="check check-small" for=project_for>
                                            <input
                                                id=project_id
                                                type="checkbox"
                                                disabled=move || !held || grant() == Grant::No
                                                prop:checked=move || grant() == Grant::ProjectOnly
                                                on:change=move |ev| {
                                                    set_grant(
                                                        permission,
                                                        if event_target_checked(&ev) { Grant::ProjectOnly } else { Grant::Anywhere },
                                                    );
                                                }
                                            />
                                            <span class="check-label">"Only in projects"</span>
                                        </label>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                    <FieldMessages id="role-permissions-error" field="permissions" errors=errors />
                </fieldset>
                <div class="modal-actions">
                    <button
                        type="button"
                        class="button"
                        disabled=move || busy.get()
                        on:click=move |_| on_close.run(())
                    >
                        "Cancel"
                    </button>
                    <button
                        type="submit"
                        id="save-role"
                        class="button button-primary"
                        disabled=move || busy.get()
                    >
                        {move || busy.get().then(|| view! { <Spinner /> })}
                        <span>"Save role"</span>
                    </button>
                </div>
            </form>
        </Modal>
    }
}
