//! Scopes (global, a client, a project) and roles as people pick and read them: the clients
//! and projects by name, and the selects for granting a role.

use gmac_types::access::roles;
use gmac_types::{Client, ListQuery, Me, Project, ProjectListQuery, Role, RoleGrant, Scope};
use leptos::prelude::*;

use crate::format::role_label;
use crate::state::Auth;

/// The clients and projects the user may see, for naming scopes and choosing one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Directory {
    /// Clients by name.
    pub clients: Vec<Client>,
    /// Projects by name.
    pub projects: Vec<Project>,
}

impl Directory {
    /// Loads the first 200 clients and projects (as many as a select can sensibly offer).
    pub async fn load(auth: Auth) -> Result<Self, String> {
        let clients = auth
            .call(|c| async move {
                c.list_clients(&ListQuery {
                    limit: Some(ListQuery::MAX_LIMIT),
                    ..ListQuery::default()
                })
                .await
            })
            .await
            .map_err(|e| crate::api::describe(&e))?;
        let projects = auth
            .call(|c| async move {
                c.list_projects(&ProjectListQuery {
                    limit: Some(ListQuery::MAX_LIMIT),
                    ..ProjectListQuery::default()
                })
                .await
            })
            .await
            .map_err(|e| crate::api::describe(&e))?;
        Ok(Self {
            clients: clients.items,
            projects: projects.items,
        })
    }

    fn client_name(&self, id: &str) -> Option<&str> {
        self.clients
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.name.as_str())
    }

    /// A scope for people: "Global", "Client Acme", "Project Acme / Web shop" (a short id
    /// where the name is not known).
    pub fn scope_label(&self, scope: &Scope) -> String {
        match scope {
            Scope::Global => "Global".to_owned(),
            Scope::Client { id } => match self.client_name(id) {
                Some(name) => format!("Client {name}"),
                None => format!("Client {}", short_id(id)),
            },
            Scope::Project { id } => match self.projects.iter().find(|p| &p.id == id) {
                Some(project) => match self.client_name(&project.client_id) {
                    Some(client) => format!("Project {client} / {}", project.name),
                    None => format!("Project {}", project.name),
                },
                None => format!("Project {}", short_id(id)),
            },
        }
    }
}

/// The signed-in user's grants as lines for people, e.g. "Developer · Client Acme": clients,
/// projects and custom roles by name once they are loaded (short ids until then, or where
/// the user may not list them).
pub fn use_grant_labels(auth: Auth) -> Signal<Vec<String>> {
    let directory = LocalResource::new(move || Directory::load(auth));
    let roles = LocalResource::new(move || async move {
        auth.call(|c| async move { c.list_roles().await })
            .await
            .map_err(|e| crate::api::describe(&e))
    });
    Signal::derive(move || {
        let directory = directory.get().and_then(Result::ok).unwrap_or_default();
        let roles = roles.get().and_then(Result::ok).unwrap_or_default();
        auth.with_me(|me| {
            me.map(|m| {
                m.roles
                    .iter()
                    .map(|g| grant_text(g, &roles, &directory))
                    .collect()
            })
        })
        .unwrap_or_default()
    })
}

/// A grant as one line, e.g. "Developer · Project Acme / Web shop".
pub fn grant_text(grant: &RoleGrant, roles: &[Role], directory: &Directory) -> String {
    format!(
        "{} · {}",
        role_name(roles, &grant.role),
        directory.scope_label(&grant.scope)
    )
}

/// The first 8 characters of an id, to tell objects apart where their names are unknown.
pub fn short_id(id: &str) -> String {
    let short: String = id.chars().take(8).collect();
    format!("{short}…")
}

/// A scope as a select's value: `global`, `client:<id>`, `project:<id>`.
pub fn scope_value(scope: &Scope) -> String {
    match scope {
        Scope::Global => "global".to_owned(),
        Scope::Client { id } => format!("client:{id}"),
        Scope::Project { id } => format!("project:{id}"),
    }
}

/// The scope a select's value stands for.
pub fn parse_scope(value: &str) -> Option<Scope> {
    match value.split_once(':') {
        None if value == "global" => Some(Scope::Global),
        Some(("client", id)) if !id.is_empty() => Some(Scope::Client { id: id.to_owned() }),
        Some(("project", id)) if !id.is_empty() => Some(Scope::Project { id: id.to_owned() }),
        _ => None,
    }
}

/// A role's name from the catalogue, or a readable form of its id.
pub fn role_name(roles: &[Role], id: &str) -> String {
    roles
        .iter()
        .find(|r| r.id == id)
        .map_or_else(|| role_label(id), |r| r.name.clone())
}

/// The roles `me` may grant: those whose permissions they hold (somewhere), and Super Admin
/// only for a global Super Admin. The API checks the scope; this only leaves out what would
/// be refused everywhere.
pub fn grantable(all: &[Role], me: Option<&Me>) -> Vec<Role> {
    let Some(me) = me else {
        return Vec::new();
    };
    let global_super = me
        .roles
        .iter()
        .any(|g| g.role == roles::SUPER_ADMIN && g.scope == Scope::Global);
    all.iter()
        .filter(|role| {
            if role.id == roles::SUPER_ADMIN {
                global_super
            } else {
                role.permissions
                    .iter()
                    .chain(&role.project_permissions)
                    .all(|p| me.permissions.contains(p))
            }
        })
        .cloned()
        .collect()
}

/// A select of scopes: Global (unless left out), then each client and each project.
#[component]
pub fn ScopeSelect(
    /// The select's `id`.
    id: &'static str,
    /// The selected scope, as [`scope_value`] writes it; `""` for "none" when `global` is off.
    value: RwSignal<String>,
    /// The clients and projects.
    directory: Signal<Directory>,
    /// Offer "Global".
    #[prop(default = true)]
    global: bool,
    /// The label of the empty choice, when there is one (e.g. "Wherever my roles reach").
    #[prop(optional)]
    none_label: Option<&'static str>,
    /// Disable the select.
    #[prop(optional, into)]
    disabled: Signal<bool>,
) -> impl IntoView {
    let option = move |choice: String, label: String| {
        let selected = choice.clone();
        view! {
            <option value=choice prop:selected=move || value.with(|v| *v == selected)>
                {label}
            </option>
        }
    };
    view! {
        <select
            id=id
            class="select"
            disabled=move || disabled.get()
            on:change=move |ev| value.set(event_target_value(&ev))
        >
            {none_label.map(|label| option(String::new(), label.to_owned()))}
            {global.then(|| option("global".to_owned(), "Global (everywhere)".to_owned()))}
            {move || {
                directory
                    .with(|d| {
                        let clients = d
                            .clients
                            .iter()
                            .map(|c| option(format!("client:{}", c.id), c.name.clone()))
                            .collect_view();
                        let projects = d
                            .projects
                            .iter()
                            .map(|p| {
                                let label = d
                                    .client_name(&p.client_id)
                                    .map_or_else(|| p.name.clone(), |c| format!("{c} / {}", p.name));
                                option(format!("project:{}", p.id), label)
                            })
                            .collect_view();
                        view! {
                            {(!d.clients.is_empty())
                                .then(|| view! { <optgroup label="Clients">{clients}</optgroup> })}
                            {(!d.projects.is_empty())
                                .then(|| view! { <optgroup label="Projects">{projects}</optgroup> })}
                        }
                    })
            }}
        </select>
    }
}

/// A select of roles from the catalogue.
#[component]
pub fn RoleSelect(
    /// The select's `id`.
    id: &'static str,
    /// The selected role's id; `""` before a choice.
    value: RwSignal<String>,
    /// The catalogue.
    roles: Signal<Vec<Role>>,
    /// Disable the select.
    #[prop(optional, into)]
    disabled: Signal<bool>,
) -> impl IntoView {
    view! {
        <select
            id=id
            class="select"
            disabled=move || disabled.get()
            on:change=move |ev| value.set(event_target_value(&ev))
        >
            <option value="" prop:selected=move || value.with(String::is_empty)>
                "Choose a role…"
            </option>
            {move || {
                roles
                    .get()
                    .into_iter()
                    .map(|role| {
                        let choice = role.id.clone();
                        view! {
                            <option
                                value=role.id
                                prop:selected=move || value.with(|v| *v == choice)
                            >
                                {role.name}
                            </option>
                        }
                    })
                    .collect_view()
            }}
        </select>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_round_trip_through_select_values() {
        for scope in [
            Scope::Global,
            Scope::Client { id: "c1".into() },
            Scope::Project { id: "p1".into() },
        ] {
            assert_eq!(parse_scope(&scope_value(&scope)), Some(scope));
        }
        assert_eq!(parse_scope(""), None);
        assert_eq!(parse_scope("client:"), None);
        assert_eq!(parse_scope("team:x"), None);
    }

    #[test]
    fn scopes_are_named_from_the_directory() {
        let at = chrono::DateTime::<chrono::Utc>::MIN_UTC;
        let directory = Directory {
            clients: vec![Client {
                id: "c1".into(),
                name: "Acme".into(),
                description: String::new(),
                created_at: at,
                updated_at: at,
                version: 1,
            }],
            projects: vec![Project {
                id: "p1".into(),
                client_id: "c1".into(),
                name: "Web shop".into(),
                description: String::new(),
                created_at: at,
                updated_at: at,
                version: 1,
            }],
        };
        assert_eq!(directory.scope_label(&Scope::Global), "Global");
        assert_eq!(
            directory.scope_label(&Scope::Client { id: "c1".into() }),
            "Client Acme"
        );
        assert_eq!(
            directory.scope_label(&Scope::Project { id: "p1".into() }),
            "Project Acme / Web shop"
        );
        assert_eq!(
            directory.scope_label(&Scope::Client {
                id: "0190abcdef".into()
            }),
            "Client 0190abcd…"
        );
    }
}
