//! `/access/roles`: the permission matrix (what each role allows), custom roles, and which
//! roles require MFA.

pub mod editor;

use gmac_types::{Permission, Role, RolePolicy};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{CHANGED_ELSEWHERE, Failure, describe};
use crate::areas::Area;
use crate::components::error_banner::{ErrorBanner, NoticeBanner};
use crate::components::icon::{Icon, IconName};
use crate::components::modal::{Confirm, ConfirmAction, ConfirmDialog};
use crate::components::paging::LoadFailed;
use crate::components::spinner::Loading;
use crate::pages::access::roles::editor::{Outcome, RoleEditor};
use crate::pages::hub::SectionHeader;
use crate::state::use_auth;

/// What a role grants of one permission, for a matrix cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cell {
    /// Wherever the role is bound.
    Granted,
    /// Only where it is bound to a single project.
    ProjectOnly,
    /// Not at all.
    No,
}

impl Cell {
    /// The cell of `permission` for `role`.
    pub fn of(role: &Role, permission: Permission) -> Self {
        if role.permissions.contains(&permission) {
            Cell::Granted
        } else if role.project_permissions.contains(&permission) {
            Cell::ProjectOnly
        } else {
            Cell::No
        }
    }
}

/// Which dialog is open.
#[derive(Clone, Debug)]
enum Editing {
    New,
    Role(Role),
}

/// The roles page.
#[component]
#[expect(
    clippy::too_many_lines,
    reason = "the matrix, its policies and the role actions share the page's state"
)]
pub fn RolesPage() -> impl IntoView {
    let auth = use_auth();
    let can_edit = move || auth.can(Permission::RolesManage);
    let can_policy = move || auth.can(Permission::RolesManage) && auth.can(Permission::UsersManage);
    let roles = LocalResource::new(move || async move {
        auth.call(|c| async move { c.list_roles().await })
            .await
            .map_err(|e| Failure::of(&e))
    });
    let notice = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let confirm = RwSignal::new(None::<Confirm>);
    let editing = RwSignal::new(None::<Editing>);

    let on_done = Callback::new(move |outcome: Outcome| {
        editing.set(None);
        match outcome {
            Outcome::Saved(role) => notice.set(Some(format!("“{}” is saved.", role.name))),
            Outcome::Stale => error.set(Some(CHANGED_ELSEWHERE.to_owned())),
        }
        roles.refetch();
    });

    let delete = move |role: Role| {
        let id = role.id.clone();
        confirm.set(Some(Confirm::danger(
            format!("Delete “{}”?", role.name),
            "The role is gone for good. A role that someone still holds cannot be deleted: \
             remove it from them first.",
            "Delete role",
            move || {
                let id = id.clone();
                error.set(None);
                notice.set(None);
                spawn_local(async move {
                    let result = auth
                        .call(move |c| {
                            let id = id.clone();
                            async move { c.delete_role(&id).await }
                        })
                        .await;
                    match result {
                        Ok(()) => notice.set(Some("The role was deleted.".to_owned())),
                        Err(err) => error.set(Some(describe(&err))),
                    }
                    roles.refetch();
                });
            },
        )));
    };

    let set_policy = move |role: Role, required: bool| {
        let id = role.id.clone();
        let apply = move || {
            let id = id.clone();
            error.set(None);
            notice.set(None);
            spawn_local(async move {
                let result = auth
                    .call(move |c| {
                        let id = id.clone();
                        async move {
                            c.set_role_policy(
                                &id,
                                &RolePolicy {
                                    mfa_required: required,
                                },
                            )
                            .await
                        }
                    })
                    .await;
                match result {
                    Ok(_) => notice.set(Some(if required {
                        "MFA is now required for this role.".to_owned()
                    } else {
                        "MFA is no longer required for this role.".to_owned()
                    })),
                    Err(err) => error.set(Some(describe(&err))),
                }
                roles.refetch();
            });
        };
        if required {
            confirm.set(Some(Confirm {
                title: format!("Require MFA for “{}”?", role.name),
                message: "Everyone who holds this role and has no two-step verification must \
                          set it up before they can do anything else, from their next request."
                    .to_owned(),
                confirm_label: "Require MFA".to_owned(),
                danger: false,
                action: ConfirmAction::new(apply),
                // The box was ticked before asking: show the server's state again.
                cancel: Some(ConfirmAction::new(move || roles.refetch())),
            }));
        } else {
            apply();
        }
    };

    let matrix = move |list: Vec<Role>| {
        let heads = list
            .iter()
            .map(|role| {
                let (for_edit, for_delete) = (role.clone(), role.clone());
                let custom = !role.builtin;
                view! {
                    <th scope="col" data-role=role.id.clone()>
                        <span class="matrix-role">{role.name.clone()}</span>
                        <span class="matrix-kind">{if custom { "Custom" } else { "Built-in" }}</span>
                        {(custom && can_edit())
                            .then(|| {
                                view! {
                                    <span class="matrix-actions">
                                        <button
                                            type="button"
                                            class="icon-button icon-button-small"
                                            title="Edit role"
                                            aria-label=format!("Edit {}", for_edit.name)
                                            on:click=move |_| editing.set(Some(Editing::Role(for_edit.clone())))
                                        >
                                            <Icon name=IconName::Edit />
                                        </button>
                                        <button
                                            type="button"
                                            class="icon-button icon-button-small icon-button-danger"
                                            title="Delete role"
                                            aria-label=format!("Delete {}", for_delete.name)
                                            on:click=move |_| delete(for_delete.clone())
                                        >
                                            <Icon name=IconName::Trash />
                                        </button>
                                    </span>
                                }
                            })}
                    </th>
                }
            })
            .collect_view();
        let rows = Permission::ALL
            .iter()
            .map(|&permission| {
                let cells = list
                    .iter()
                    .map(|role| match Cell::of(role, permission) {
                        Cell::Granted => view! {
                            <td class="matrix-cell matrix-yes">
                                <Icon name=IconName::Check />
                                <span class="visually-hidden">"Granted"</span>
                            </td>
                        }
                        .into_any(),
                        Cell::ProjectOnly => view! {
                            <td class="matrix-cell">
                                <span class="matrix-project">"project only"</span>
                            </td>
                        }
                        .into_any(),
                        Cell::No => view! { <td class="matrix-cell"></td> }.into_any(),
                    })
                    .collect_view();
                view! {
                    <tr data-permission=permission.id()>
                        <th scope="row">
                            <code class="matrix-permission">{permission.id()}</code>
                            <span class="cell-sub">{permission.description()}</span>
                        </th>
                        {cells}
                    </tr>
                }
            })
            .collect_view();
        let policies = list
            .iter()
            .map(|role| {
                let for_toggle = role.clone();
                let id = format!("mfa-required-{}", role.id);
                let label_for = id.clone();
                let required = role.mfa_required;
                view! {
                    <td class="matrix-cell">
                        <label class="switch" for=label_for>
                            <input
                                id=id
                                type="checkbox"
                                prop:checked=required
                                disabled=!can_policy()
                                on:change=move |ev| {
                                    set_policy(for_toggle.clone(), event_target_checked(&ev));
                                }
                            />
                            <span class="visually-hidden">
                                {format!("Require MFA for {}", role.name)}
                            </span>
                        </label>
                    </td>
                }
            })
            .collect_view();
        view! {
            <div class="table-wrap">
                <table class="table matrix" id="role-matrix">
                    <thead>
                        <tr>
                            <th scope="col">"Permission"</th>
                            {heads}
                        </tr>
                    </thead>
                    <tbody>
                        {rows}
                        <tr class="matrix-policy">
                            <th scope="row">
                                <span class="cell-title">"Require MFA"</span>
                                <span class="cell-sub">
                                    "Holders must use two-step verification."
                                </span>
                            </th>
                            {policies}
                        </tr>
                    </tbody>
                </table>
            </div>
        }
    };

    view! {
        <SectionHeader
            area=Area::Access
            title="Roles"
            summary="What each role allows. Built-in roles are fixed; custom roles are yours to shape."
        />
        <div class="toolbar">
            <p class="muted toolbar-text">
                "A role is granted to a user or team globally, for a client, or for one project."
            </p>
            <Show when=can_edit>
                <button
                    type="button"
                    id="new-role"
                    class="button button-primary"
                    on:click=move |_| editing.set(Some(Editing::New))
                >
                    <Icon name=IconName::Plus />
                    <span>"New custom role"</span>
                </button>
            </Show>
        </div>
        <NoticeBanner message=notice />
        <ErrorBanner message=error />
        <section class="card" aria-label="Permission matrix">
            {move || match roles.get() {
                None => view! { <Loading label="Loading roles…" /> }.into_any(),
                Some(Err(message)) => {
                    view! { <LoadFailed message=message retry=Callback::new(move |()| roles.refetch()) /> }
                        .into_any()
                }
                Some(Ok(list)) => matrix(list).into_any(),
            }}
        </section>
        {move || {
            editing
                .get()
                .map(|which| {
                    let role = match which {
                        Editing::New => None,
                        Editing::Role(role) => Some(role),
                    };
                    view! {
                        <RoleEditor
                            role=role
                            on_done=on_done
                            on_close=Callback::new(move |()| editing.set(None))
                        />
                    }
                })
        }}
        <ConfirmDialog request=confirm />
    }
}

#[cfg(test)]
mod tests {
    use gmac_types::access::BUILTIN_ROLES;
    use gmac_types::{Permission, Role};

    use super::Cell;

    #[test]
    fn the_matrix_reads_the_built_in_roles() {
        let developer = Role::from(&BUILTIN_ROLES[2]);
        assert_eq!(developer.id, "developer");
        assert_eq!(
            Cell::of(&developer, Permission::ResourcesView),
            Cell::Granted
        );
        assert_eq!(
            Cell::of(&developer, Permission::ResourcesDelete),
            Cell::ProjectOnly
        );
        assert_eq!(Cell::of(&developer, Permission::UsersManage), Cell::No);
    }
}
