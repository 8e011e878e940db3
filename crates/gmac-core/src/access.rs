//! Authorization: what an actor may do, where.
//!
//! An actor's grants are its own role bindings plus those of its teams, each expanded to the
//! permissions of the role at the binding's scope. A grant at a scope covers everything inside
//! it: global covers all; a client covers itself and its projects; a project covers itself.
//! An API token narrows the user's grants to the token's permissions and scope.

use std::collections::BTreeSet;

use gmac_types::{Permission, Scope};

/// Where something lives, with enough ancestry to test coverage without a query.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// The installation itself (users, roles, clients as a collection).
    Global,
    /// A client.
    Client(String),
    /// A project, and the client that owns it.
    Project {
        /// The project.
        id: String,
        /// Its client.
        client_id: String,
    },
}

impl Target {
    /// The client this target belongs to, if any.
    pub fn client_id(&self) -> Option<&str> {
        match self {
            Target::Global => None,
            Target::Client(id) | Target::Project { client_id: id, .. } => Some(id),
        }
    }
}

/// A scope as a row stores it (`scope_type`, `scope_id`): a role binding's, an API token's, an
/// invitation's. Text that names no scope is an error, never the whole installation, so that a
/// damaged row can only narrow what it grants.
pub fn stored_scope(scope_type: &str, scope_id: Option<&String>) -> crate::Result<Scope> {
    match (scope_type, scope_id) {
        ("global", None) => Ok(Scope::Global),
        ("client", Some(id)) => Ok(Scope::Client { id: id.clone() }),
        ("project", Some(id)) => Ok(Scope::Project { id: id.clone() }),
        _ => Err(anyhow::anyhow!("a stored scope is unknown: {scope_type:?} {scope_id:?}").into()),
    }
}

/// One effective grant: permissions at a scope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    /// The role it comes from.
    pub role_id: String,
    /// Where it applies.
    pub scope: Target,
    /// What it allows there.
    pub permissions: BTreeSet<Permission>,
    /// Through which team, if not bound to the user directly.
    pub via_team: Option<String>,
}

/// Whether a grant at `scope` covers `target`.
pub fn covers(scope: &Target, target: &Target) -> bool {
    match (scope, target) {
        (Target::Global, _) => true,
        (Target::Client(c), Target::Client(t)) => c == t,
        (Target::Client(c), Target::Project { client_id, .. }) => c == client_id,
        (Target::Project { id, .. }, Target::Project { id: t, .. }) => id == t,
        _ => false,
    }
}

/// The narrowing an API token applies to its user's grants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenLimits {
    /// The token's id.
    pub token_id: String,
    /// Only these permissions.
    pub permissions: BTreeSet<Permission>,
    /// Only inside this scope.
    pub scope: Target,
}

/// What an actor may see of a collection: everything, or the listed clients and projects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Visible {
    /// No restriction.
    All,
    /// Only these clients (whole) and these projects (with their clients' names).
    Some {
        /// Clients visible as a whole.
        clients: BTreeSet<String>,
        /// Single projects visible, with their client ids.
        projects: BTreeSet<(String, String)>,
    },
}

impl Visible {
    /// Whether nothing at all is visible.
    pub fn is_nothing(&self) -> bool {
        matches!(self, Visible::Some { clients, projects } if clients.is_empty() && projects.is_empty())
    }

    /// Client ids visible as a whole (`None`: all). A grant on one project does not make its
    /// client's other projects visible: data kept per client (cost lines, imports, cloud
    /// accounts, allocation rules) is scoped with this, never with [`Visible::client_ids`].
    pub fn whole_client_ids(&self) -> Option<BTreeSet<String>> {
        match self {
            Visible::All => None,
            Visible::Some { clients, .. } => Some(clients.clone()),
        }
    }

    /// The projects visible on their own, whose client is not visible as a whole.
    pub fn project_only(&self) -> Vec<(String, String)> {
        match self {
            Visible::All => Vec::new(),
            Visible::Some { clients, projects } => projects
                .iter()
                .filter(|(_, client)| !clients.contains(client))
                .cloned()
                .collect(),
        }
    }

    /// Client ids whose name may be shown (their own grant, or a grant on one of their projects).
    pub fn client_ids(&self) -> Option<BTreeSet<String>> {
        match self {
            Visible::All => None,
            Visible::Some { clients, projects } => Some(
                clients
                    .iter()
                    .cloned()
                    .chain(projects.iter().map(|(_, c)| c.clone()))
                    .collect(),
            ),
        }
    }
}

/// The permission calculus of one actor.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Permissions {
    /// The effective grants.
    pub grants: Vec<Grant>,
    /// Present when the actor is an API token.
    pub token: Option<TokenLimits>,
}

impl Permissions {
    /// Whether the actor holds `permission` at `target`.
    pub fn can(&self, permission: Permission, target: &Target) -> bool {
        if let Some(token) = &self.token
            && (!token.permissions.contains(&permission) || !covers(&token.scope, target))
        {
            return false;
        }
        self.grants
            .iter()
            .any(|g| g.permissions.contains(&permission) && covers(&g.scope, target))
    }

    /// Whether the actor holds `permission` anywhere at all.
    pub fn can_anywhere(&self, permission: Permission) -> bool {
        if self
            .token
            .as_ref()
            .is_some_and(|t| !t.permissions.contains(&permission))
        {
            return false;
        }
        self.grants
            .iter()
            .any(|g| g.permissions.contains(&permission))
    }

    /// Where the actor holds `permission`, as a filter for list queries.
    pub fn visible(&self, permission: Permission) -> Visible {
        let mut clients = BTreeSet::new();
        let mut projects = BTreeSet::new();
        for grant in self
            .grants
            .iter()
            .filter(|g| g.permissions.contains(&permission))
        {
            // A token narrows each grant to the intersection of the two scopes.
            let scope = match &self.token {
                None => Some(grant.scope.clone()),
                Some(token) if !token.permissions.contains(&permission) => None,
                Some(token) if covers(&grant.scope, &token.scope) => Some(token.scope.clone()),
                Some(token) if covers(&token.scope, &grant.scope) => Some(grant.scope.clone()),
                Some(_) => None,
            };
            match scope {
                Some(Target::Global) => return Visible::All,
                Some(Target::Client(id)) => {
                    clients.insert(id);
                }
                Some(Target::Project { id, client_id }) => {
                    projects.insert((id, client_id));
                }
                None => {}
            }
        }
        Visible::Some { clients, projects }
    }

    /// Where the actor has any grant at all: what it may know exists.
    pub fn known(&self) -> Visible {
        let mut clients = BTreeSet::new();
        let mut projects = BTreeSet::new();
        for grant in &self.grants {
            let scope = match &self.token {
                None => Some(grant.scope.clone()),
                Some(token) if covers(&grant.scope, &token.scope) => Some(token.scope.clone()),
                Some(token) if covers(&token.scope, &grant.scope) => Some(grant.scope.clone()),
                Some(_) => None,
            };
            match scope {
                Some(Target::Global) => return Visible::All,
                Some(Target::Client(id)) => {
                    clients.insert(id);
                }
                Some(Target::Project { id, client_id }) => {
                    projects.insert((id, client_id));
                }
                None => {}
            }
        }
        Visible::Some { clients, projects }
    }

    /// Whether the actor may know that `target` exists (it has some grant covering it, or,
    /// for a client, a grant on one of its projects).
    pub fn knows(&self, target: &Target) -> bool {
        match (self.known(), target) {
            (Visible::All, _) => true,
            (Visible::Some { .. }, Target::Global) => false,
            (Visible::Some { clients, projects }, Target::Client(id)) => {
                clients.contains(id) || projects.iter().any(|(_, c)| c == id)
            }
            (Visible::Some { clients, projects }, Target::Project { id, client_id }) => {
                clients.contains(client_id) || projects.iter().any(|(p, _)| p == id)
            }
        }
    }

    /// Every permission the actor holds at `target` (for "may not grant more than you hold").
    pub fn held_at(&self, target: &Target) -> BTreeSet<Permission> {
        Permission::ALL
            .iter()
            .copied()
            .filter(|p| self.can(*p, target))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_scope_that_names_no_scope_is_an_error_never_the_installation() {
        let id = "c1".to_owned();
        assert_eq!(stored_scope("global", None).unwrap(), Scope::Global);
        assert_eq!(
            stored_scope("client", Some(&id)).unwrap(),
            Scope::Client { id: id.clone() }
        );
        assert_eq!(
            stored_scope("project", Some(&id)).unwrap(),
            Scope::Project { id: id.clone() }
        );
        for (kind, scope_id) in [
            ("client", None),
            ("project", None),
            ("global", Some(&id)),
            ("Client", Some(&id)),
            ("", None),
            ("team", Some(&id)),
        ] {
            assert!(
                stored_scope(kind, scope_id).is_err(),
                "{kind:?} {scope_id:?} is no scope"
            );
        }
    }

    fn project(id: &str, client: &str) -> Target {
        Target::Project {
            id: id.into(),
            client_id: client.into(),
        }
    }

    fn grant(scope: Target, permissions: &[Permission]) -> Grant {
        Grant {
            role_id: "r".into(),
            scope,
            permissions: permissions.iter().copied().collect(),
            via_team: None,
        }
    }

    #[test]
    fn a_grant_covers_what_is_inside_its_scope_and_nothing_else() {
        let acme = Target::Client("acme".into());
        assert!(covers(&Target::Global, &project("p", "acme")));
        assert!(covers(&acme, &acme));
        assert!(covers(&acme, &project("p", "acme")));
        assert!(!covers(&acme, &project("p", "globex")));
        assert!(!covers(&acme, &Target::Global));
        assert!(!covers(&project("p", "acme"), &acme));
        assert!(covers(&project("p", "acme"), &project("p", "acme")));
        assert!(!covers(&project("p", "acme"), &project("q", "acme")));
    }

    #[test]
    fn a_token_narrows_both_permissions_and_scope() {
        let mut perms = Permissions {
            grants: vec![grant(
                Target::Global,
                &[Permission::ResourcesView, Permission::CostsView],
            )],
            token: None,
        };
        let p = project("p", "acme");
        assert!(perms.can(Permission::CostsView, &p));
        perms.token = Some(TokenLimits {
            token_id: "t".into(),
            permissions: [Permission::CostsView].into(),
            scope: Target::Client("acme".into()),
        });
        assert!(perms.can(Permission::CostsView, &p));
        assert!(
            !perms.can(Permission::ResourcesView, &p),
            "not in the token's permissions"
        );
        assert!(
            !perms.can(Permission::CostsView, &project("q", "globex")),
            "outside the token's scope"
        );
        assert_eq!(
            perms.visible(Permission::CostsView),
            Visible::Some {
                clients: ["acme".to_owned()].into(),
                projects: BTreeSet::new()
            }
        );
    }

    #[test]
    fn visibility_collects_clients_and_single_projects() {
        let perms = Permissions {
            grants: vec![
                grant(Target::Client("acme".into()), &[Permission::ResourcesView]),
                grant(project("p", "globex"), &[Permission::ResourcesView]),
                grant(Target::Client("initech".into()), &[Permission::CostsView]),
            ],
            token: None,
        };
        let visible = perms.visible(Permission::ResourcesView);
        assert_eq!(
            visible.client_ids(),
            Some(["acme".to_owned(), "globex".to_owned()].into())
        );
        assert!(perms.visible(Permission::AuditView).is_nothing());
    }
}
