//! Permissions and the built-in roles, as data. The server enforces them; the SPA reads the
//! same table to decide which pages to offer.

use serde::{Deserialize, Serialize};

macro_rules! permissions {
    ($($(#[doc = $doc:literal])* $variant:ident => $id:literal,)*) => {
        /// Something an actor may be allowed to do. Closed: a new permission is a code change.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum Permission {
            $($(#[doc = $doc])* #[serde(rename = $id)] $variant,)*
        }

        impl Permission {
            /// Every permission, in a stable order.
            pub const ALL: &'static [Permission] = &[$(Permission::$variant,)*];

            /// The wire id, e.g. `clients.manage`.
            pub const fn id(self) -> &'static str {
                match self { $(Permission::$variant => $id,)* }
            }

            /// Parses a wire id.
            pub fn from_id(id: &str) -> Option<Self> {
                match id { $($id => Some(Permission::$variant),)* _ => None }
            }

            /// What it allows, for a person.
            pub const fn description(self) -> &'static str {
                match self { $(Permission::$variant => concat!($($doc),*).trim_ascii(),)* }
            }
        }
    };
}

permissions! {
    /// Create, rename and delete clients.
    ClientsManage => "clients.manage",
    /// Create, rename and delete projects.
    ProjectsManage => "projects.manage",
    /// Create, invite, disable and edit users, manage teams and grant roles.
    UsersManage => "users.manage",
    /// Define custom roles.
    RolesManage => "roles.manage",
    /// See clients, projects and the resources in them.
    ResourcesView => "resources.view",
    /// Start and stop instances.
    Ec2StartStop => "ec2.start_stop",
    /// Delete resources.
    ResourcesDelete => "resources.delete",
    /// See costs.
    CostsView => "costs.view",
    /// Import cost data, connect cloud accounts and set how costs are allocated.
    CostsManage => "costs.manage",
    /// Create and change budgets.
    BudgetsManage => "budgets.manage",
    /// Reveal secret values.
    SecretsReveal => "secrets.reveal",
    /// Read the audit log.
    AuditView => "audit.view",
    /// See services, their templates, repositories and builds.
    ServicesView => "services.view",
    /// Create, change and delete services, and connect git hosts.
    ServicesManage => "services.manage",
    /// Start, retry and cancel builds.
    BuildsRun => "builds.run",
    /// Register, test and remove deploy targets (container hosts).
    TargetsManage => "targets.manage",
    /// Deploy and roll back staging environments.
    DeploysRun => "deploys.run",
    /// Deploy and roll back production environments.
    DeploysProduction => "deploys.production",
}

// Written by hand: the derive cannot see the wire ids through the macro above, and documented
// the variant names (`ClientsManage`) instead of what the server accepts (`clients.manage`).
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Permission {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::String))
            .description(Some(
                "Something an actor may be allowed to do, by its wire id. Closed: a new permission is a code change.",
            ))
            .enum_values(Some(Permission::ALL.iter().map(|p| p.id())))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Permission {}

impl std::fmt::Display for Permission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

/// A built-in role: fixed id, fixed grants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BuiltinRole {
    /// The stable id, e.g. `developer`.
    pub id: &'static str,
    /// The name shown to people.
    pub name: &'static str,
    /// What the role is for.
    pub description: &'static str,
    /// Granted wherever the role is bound.
    pub permissions: &'static [Permission],
    /// Granted only where the role is bound to a single project.
    pub project_permissions: &'static [Permission],
}

use Permission as P;

/// The five built-in roles, following the access matrix:
///
/// | Feature | Super Admin | Admin | Developer | Viewer | Billing |
/// |---|---|---|---|---|---|
/// | Add/Delete Clients | yes | yes | no | no | no |
/// | Manage Users | yes | yes | no | no | no |
/// | View Resources | yes | yes | yes | yes | no |
/// | Start/Stop instances | yes | yes | yes | no | no |
/// | View Costs | yes | yes | yes | yes | yes |
/// | Manage Budgets | yes | yes | no | no | yes |
/// | Delete Resources | yes | yes | only in projects where granted | no | no |
/// | View Services and builds | yes | yes | yes | yes | no |
/// | Manage Services, run builds | yes | yes | yes | no | no |
/// | Deploy to staging | yes | yes | yes | no | no |
/// | Deploy to production, manage targets | yes | yes | no | no | no |
pub const BUILTIN_ROLES: [BuiltinRole; 5] = [
    BuiltinRole {
        id: roles::SUPER_ADMIN,
        name: "Super Admin",
        description: "Everything, everywhere, including other Super Admins.",
        permissions: Permission::ALL,
        project_permissions: &[],
    },
    BuiltinRole {
        id: roles::ADMIN,
        name: "Admin",
        description: "Runs the installation: clients, users, budgets and resources; cannot demote a Super Admin.",
        permissions: &[
            P::ClientsManage,
            P::ProjectsManage,
            P::UsersManage,
            P::RolesManage,
            P::ResourcesView,
            P::Ec2StartStop,
            P::ResourcesDelete,
            P::CostsView,
            P::CostsManage,
            P::BudgetsManage,
            P::SecretsReveal,
            P::AuditView,
            P::ServicesView,
            P::ServicesManage,
            P::BuildsRun,
            P::TargetsManage,
            P::DeploysRun,
            P::DeploysProduction,
        ],
        project_permissions: &[],
    },
    BuiltinRole {
        id: roles::DEVELOPER,
        name: "Developer",
        description: "Works on resources and services, runs builds and sees their costs; deletes only in projects where granted.",
        permissions: &[
            P::ResourcesView,
            P::Ec2StartStop,
            P::CostsView,
            P::ServicesView,
            P::ServicesManage,
            P::BuildsRun,
            P::DeploysRun,
        ],
        project_permissions: &[P::ResourcesDelete],
    },
    BuiltinRole {
        id: roles::VIEWER,
        name: "Viewer",
        description: "Reads resources, services and costs.",
        permissions: &[P::ResourcesView, P::CostsView, P::ServicesView],
        project_permissions: &[],
    },
    BuiltinRole {
        id: roles::BILLING_MANAGER,
        name: "Billing Manager",
        description: "Sees costs, imports cost data and manages budgets, nothing else.",
        permissions: &[P::CostsView, P::CostsManage, P::BudgetsManage],
        project_permissions: &[],
    },
];

/// The ids of the built-in roles, for code that names one.
pub mod roles {
    /// Everything, everywhere.
    pub const SUPER_ADMIN: &str = "super_admin";
    /// Runs the installation; cannot demote a Super Admin.
    pub const ADMIN: &str = "admin";
    /// Works on resources; deletes only where granted.
    pub const DEVELOPER: &str = "developer";
    /// Reads resources and costs.
    pub const VIEWER: &str = "viewer";
    /// Sees costs and manages budgets, nothing else.
    pub const BILLING_MANAGER: &str = "billing_manager";
}

/// The built-in role with this id.
pub fn builtin_role(id: &str) -> Option<&'static BuiltinRole> {
    BUILTIN_ROLES.iter().find(|r| r.id == id)
}

/// A role as the API shows it (built-in or custom).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Role {
    /// `super_admin`, ... for built-in roles; a UUIDv7 for custom ones.
    pub id: String,
    /// The name shown to people.
    pub name: String,
    /// What the role is for.
    pub description: String,
    /// Whether gmac defines it (and it cannot be changed).
    pub builtin: bool,
    /// Granted wherever the role is bound.
    pub permissions: Vec<Permission>,
    /// Granted only where the role is bound to a single project.
    pub project_permissions: Vec<Permission>,
    /// Whether everyone holding the role must use MFA.
    pub mfa_required: bool,
    /// Bumped on every change of a custom role (always 1 for built-in ones).
    pub version: i64,
}

/// Creates a custom role.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewRole {
    /// 1 to 100 characters, unique.
    #[cfg_attr(feature = "openapi", schema(example = "Release manager"))]
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 100,
            pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
        )
    )]
    pub name: String,
    /// What the role is for.
    #[serde(default)]
    pub description: Option<String>,
    /// Granted wherever the role is bound.
    #[cfg_attr(feature = "openapi", schema(min_items = 1))]
    pub permissions: Vec<Permission>,
    /// Granted only where the role is bound to a single project.
    #[serde(default)]
    pub project_permissions: Vec<Permission>,
}

/// Changes a custom role; absent fields stay as they are. Holders see the change on their
/// next request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RolePatch {
    /// A new name.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 100,
            pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
        )
    )]
    pub name: Option<String>,
    /// A new description.
    #[serde(default)]
    pub description: Option<String>,
    /// New permissions.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(min_items = 1))]
    pub permissions: Option<Vec<Permission>>,
    /// New project-only permissions.
    #[serde(default)]
    pub project_permissions: Option<Vec<Permission>>,
}

/// A role's policy (built-in or custom).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RolePolicy {
    /// Everyone who holds the role must set up MFA before doing anything else.
    pub mfa_required: bool,
}

impl From<&BuiltinRole> for Role {
    fn from(role: &BuiltinRole) -> Self {
        Self {
            id: role.id.to_owned(),
            name: role.name.to_owned(),
            description: role.description.to_owned(),
            builtin: true,
            permissions: role.permissions.to_vec(),
            project_permissions: role.project_permissions.to_vec(),
            mfa_required: false,
            version: 1,
        }
    }
}

/// A permission as the API lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PermissionInfo {
    /// The permission.
    pub id: Permission,
    /// What it allows.
    pub description: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grants(role: &str, permission: Permission) -> (bool, bool) {
        let role = builtin_role(role).map_or_else(|| panic!("{role}"), |r| *r);
        (
            role.permissions.contains(&permission),
            role.project_permissions.contains(&permission),
        )
    }

    /// The matrix of the access-control issue, row by row: (anywhere, only in granted projects).
    #[test]
    fn the_builtin_roles_follow_the_access_matrix_exactly() {
        let yes = (true, false);
        let no = (false, false);
        let project = (false, true);
        let rows = [
            (P::ClientsManage, [yes, yes, no, no, no]),
            (P::UsersManage, [yes, yes, no, no, no]),
            (P::ResourcesView, [yes, yes, yes, yes, no]),
            (P::Ec2StartStop, [yes, yes, yes, no, no]),
            (P::CostsView, [yes, yes, yes, yes, yes]),
            (P::BudgetsManage, [yes, yes, no, no, yes]),
            (P::CostsManage, [yes, yes, no, no, yes]),
            (P::ResourcesDelete, [yes, yes, project, no, no]),
            (P::ServicesView, [yes, yes, yes, yes, no]),
            (P::ServicesManage, [yes, yes, yes, no, no]),
            (P::BuildsRun, [yes, yes, yes, no, no]),
            (P::TargetsManage, [yes, yes, no, no, no]),
        ];
        let roles = [
            "super_admin",
            "admin",
            "developer",
            "viewer",
            "billing_manager",
        ];
        for (permission, expected) in rows {
            for (role, want) in roles.iter().zip(expected) {
                assert_eq!(grants(role, permission), want, "{role} / {permission}");
            }
        }
    }

    #[test]
    fn a_billing_manager_holds_nothing_but_costs_and_budgets() {
        let role = builtin_role("billing_manager").map(|r| r.permissions.to_vec());
        assert_eq!(
            role,
            Some(vec![P::CostsView, P::CostsManage, P::BudgetsManage])
        );
    }

    #[test]
    fn permission_ids_round_trip_and_are_described() {
        for p in Permission::ALL {
            assert_eq!(Permission::from_id(p.id()), Some(*p));
            assert_eq!(
                serde_json::to_value(p).ok(),
                Some(serde_json::json!(p.id()))
            );
            assert!(!p.description().is_empty());
        }
    }
}

/// Who a role binding is for.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Subject {
    /// `user` or `team`.
    #[serde(rename = "type")]
    pub kind: SubjectKind,
    /// The user's or team's id.
    pub id: String,
}

/// The kind of a role-binding subject.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    /// A user.
    User,
    /// A team (every member holds the role).
    Team,
}

impl SubjectKind {
    /// The stored form.
    pub const fn as_str(self) -> &'static str {
        match self {
            SubjectKind::User => "user",
            SubjectKind::Team => "team",
        }
    }
}

/// Grants a role to a user or team at a scope.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewRoleBinding {
    /// Who.
    pub subject: Subject,
    /// A built-in role id (`super_admin`, `admin`, `developer`, `viewer`, `billing_manager`) or a
    /// custom role's id.
    pub role: String,
    /// Where.
    pub scope: crate::Scope,
}

/// A role held by a user or team at a scope.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoleBinding {
    /// A `UUIDv7`.
    pub id: String,
    /// Who.
    pub subject: Subject,
    /// The role id.
    pub role: String,
    /// Where.
    pub scope: crate::Scope,
    /// When it was granted.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Who granted it (absent for setup and the command line).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
}

/// `?subject_type=&subject_id=&scope_type=&scope_id=&role=` of the binding list.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct RoleBindingQuery {
    /// `user` or `team`.
    #[serde(default)]
    pub subject_type: Option<SubjectKind>,
    /// The user's or team's id.
    #[serde(default)]
    pub subject_id: Option<String>,
    /// Only bindings of this role.
    #[serde(default)]
    pub role: Option<String>,
}
