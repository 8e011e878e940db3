//! The areas of the control panel: one table feeds the navigation, the home page's cards and
//! the placeholder pages, so adding an area is one entry here and one route.
//!
//! What a user is offered follows [`Reach`]: the permissions they hold somewhere (from
//! `/me`). The API enforces everything anyway; the app only leaves out what would fail.

use gmac_types::Permission;

use crate::components::icon::IconName;

/// What the signed-in user may reach, for deciding which entries to show.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reach {
    /// The permissions held somewhere.
    pub permissions: Vec<Permission>,
    /// How many teams they belong to (team leaders manage their own teams).
    pub teams: u64,
}

impl Reach {
    /// Whether `permission` is held somewhere.
    pub fn has(&self, permission: Permission) -> bool {
        self.permissions.contains(&permission)
    }
}

/// A page inside an area, e.g. Users inside Access control.
#[derive(Clone, Copy, Debug)]
pub struct Section {
    /// The name.
    pub label: &'static str,
    /// The route.
    pub path: &'static str,
    /// The icon.
    pub icon: IconName,
    /// One sentence on what it is for.
    pub summary: &'static str,
    /// Whether a user with this reach is offered it.
    pub visible: fn(&Reach) -> bool,
}

fn manages_users(reach: &Reach) -> bool {
    reach.has(Permission::UsersManage)
}

fn always(_: &Reach) -> bool {
    true
}

/// The sections of Access control.
pub const ACCESS_SECTIONS: [Section; 4] = [
    Section {
        label: "Users",
        path: "/access/users",
        icon: IconName::User,
        summary: "Create accounts, disable them, and grant roles.",
        visible: manages_users,
    },
    Section {
        label: "Roles",
        path: "/access/roles",
        icon: IconName::Shield,
        summary: "What each role allows, custom roles, and which roles require MFA.",
        visible: |r| r.has(Permission::UsersManage) || r.has(Permission::RolesManage),
    },
    Section {
        label: "Teams",
        path: "/access/teams",
        icon: IconName::Users,
        summary: "Groups of users that hold roles together.",
        visible: |r| r.has(Permission::UsersManage) || r.teams > 0,
    },
    Section {
        label: "Invitations",
        path: "/access/invitations",
        icon: IconName::Mail,
        summary: "Invite people by email to join with a role.",
        visible: manages_users,
    },
];

/// The sections of Settings.
pub const SETTINGS_SECTIONS: [Section; 2] = [
    Section {
        label: "Profile",
        path: "/settings/profile",
        icon: IconName::User,
        summary: "Your name, picture, time zone, theme and email notifications.",
        visible: always,
    },
    Section {
        label: "Security",
        path: "/settings/security",
        icon: IconName::Lock,
        summary: "Two-step verification, password, sessions and API tokens.",
        visible: always,
    },
];

fn sees_costs(reach: &Reach) -> bool {
    reach.has(Permission::CostsView)
}

/// The sections of Costs (the dashboard is the area's own page).
pub const COSTS_SECTIONS: [Section; 4] = [
    Section {
        label: "Budgets",
        path: "/costs/budgets",
        icon: IconName::Target,
        summary: "Limits per client, project, person or team, with alerts before they are reached.",
        visible: sees_costs,
    },
    Section {
        label: "Reports",
        path: "/costs/reports",
        icon: IconName::Mail,
        summary: "A month of costs per person, team or everything, as PDF or CSV or emailed on a schedule.",
        visible: sees_costs,
    },
    Section {
        label: "Allocation",
        path: "/costs/allocation",
        icon: IconName::Split,
        summary: "Rules that decide which person or team each cost belongs to.",
        visible: sees_costs,
    },
    Section {
        label: "Cloud accounts",
        path: "/costs/accounts",
        icon: IconName::Cloud,
        summary: "AWS accounts whose costs gmac fetches from Cost Explorer.",
        visible: sees_costs,
    },
];

/// An area of the control panel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Area {
    /// Containers and long-running services.
    Services,
    /// Serverless functions.
    Functions,
    /// Managed databases.
    Databases,
    /// Spend and budgets.
    Costs,
    /// Health, metrics and alerts.
    Monitoring,
    /// Long work as jobs, with live progress.
    Activity,
    /// Clients and their projects.
    Clients,
    /// Users, teams and roles.
    Access,
    /// The audit log.
    Audit,
    /// The user's own settings: profile and security.
    Settings,
}

/// A group of areas in the navigation.
#[derive(Clone, Copy, Debug)]
pub struct NavGroup {
    /// The group's heading.
    pub label: &'static str,
    /// Its areas, in order.
    pub areas: &'static [Area],
}

/// The navigation, in order (Home comes first, outside any group). A group shows when one
/// of its areas does.
pub const NAV: [NavGroup; 4] = [
    NavGroup {
        label: "Resources",
        areas: &[Area::Services, Area::Functions, Area::Databases],
    },
    NavGroup {
        label: "Operations",
        areas: &[Area::Costs, Area::Monitoring, Area::Activity],
    },
    NavGroup {
        label: "Administration",
        areas: &[Area::Clients, Area::Access, Area::Audit],
    },
    NavGroup {
        label: "Account",
        areas: &[Area::Settings],
    },
];

impl Area {
    /// Every area, in navigation order.
    pub const ALL: [Area; 10] = [
        Area::Services,
        Area::Functions,
        Area::Databases,
        Area::Costs,
        Area::Monitoring,
        Area::Activity,
        Area::Clients,
        Area::Access,
        Area::Audit,
        Area::Settings,
    ];

    /// The area's route.
    pub const fn path(self) -> &'static str {
        match self {
            Area::Services => "/services",
            Area::Functions => "/functions",
            Area::Databases => "/databases",
            Area::Costs => "/costs",
            Area::Monitoring => "/monitoring",
            Area::Activity => "/activity",
            Area::Clients => "/clients",
            Area::Access => "/access",
            Area::Audit => "/audit",
            Area::Settings => "/settings",
        }
    }

    /// The area's name.
    pub const fn label(self) -> &'static str {
        match self {
            Area::Services => "Services",
            Area::Functions => "Functions",
            Area::Databases => "Databases",
            Area::Costs => "Costs",
            Area::Monitoring => "Monitoring",
            Area::Activity => "Activity",
            Area::Clients => "Clients",
            Area::Access => "Access control",
            Area::Audit => "Audit log",
            Area::Settings => "Settings",
        }
    }

    /// The area's icon.
    pub const fn icon(self) -> IconName {
        match self {
            Area::Services => IconName::Server,
            Area::Functions => IconName::Bolt,
            Area::Databases => IconName::Database,
            Area::Costs => IconName::Coins,
            Area::Monitoring => IconName::Activity,
            Area::Activity => IconName::Compass,
            Area::Clients => IconName::Building,
            Area::Access => IconName::Shield,
            Area::Audit => IconName::List,
            Area::Settings => IconName::Sliders,
        }
    }

    /// One sentence on what the area is for.
    pub const fn summary(self) -> &'static str {
        match self {
            Area::Services => "Services made from templates, with their repositories and pushes.",
            Area::Functions => {
                "Run code on demand, triggered by HTTP requests, schedules and events."
            }
            Area::Databases => "Create and operate managed databases, with backups.",
            Area::Costs => "See what every client and project costs, and keep it within budget.",
            Area::Monitoring => "Watch health and metrics, and get alerted when something breaks.",
            Area::Activity => "Follow imports, syncs and other long work as it runs.",
            Area::Clients => "The clients you work for, and the projects inside them.",
            Area::Access => "Manage users, teams and the roles they hold.",
            Area::Audit => "Review who did what, and when.",
            Area::Settings => "Your profile, sign-in security, sessions and API tokens.",
        }
    }

    /// What the area will offer once it is built.
    pub const fn upcoming(self) -> &'static [&'static str] {
        match self {
            Area::Functions => &[
                "A list of functions with their runtime and last invocation",
                "HTTP, schedule and event triggers",
                "Invocation logs and metrics",
            ],
            Area::Databases => &[
                "Database instances with their size and version",
                "Backups and restores",
                "Connection details and credentials",
            ],
            Area::Monitoring => &[
                "Uptime and health checks",
                "Metrics dashboards",
                "Alert rules and notifications",
            ],
            Area::Services
            | Area::Costs
            | Area::Activity
            | Area::Clients
            | Area::Access
            | Area::Audit
            | Area::Settings => &[],
        }
    }

    /// Whether the area has its pages (the others show what they will offer).
    pub const fn built(self) -> bool {
        matches!(
            self,
            Area::Services
                | Area::Costs
                | Area::Activity
                | Area::Clients
                | Area::Access
                | Area::Audit
                | Area::Settings
        )
    }

    /// The area's sections, shown under it in the navigation.
    pub const fn sections(self) -> &'static [Section] {
        match self {
            Area::Access => &ACCESS_SECTIONS,
            Area::Settings => &SETTINGS_SECTIONS,
            Area::Costs => &COSTS_SECTIONS,
            _ => &[],
        }
    }

    /// Whether a user with this reach is offered the area.
    pub fn visible(self, reach: &Reach) -> bool {
        match self {
            Area::Clients | Area::Activity => !reach.permissions.is_empty(),
            Area::Access => ACCESS_SECTIONS.iter().any(|s| (s.visible)(reach)),
            Area::Audit => reach.has(Permission::AuditView),
            Area::Costs => reach.has(Permission::CostsView),
            Area::Services => reach.has(Permission::ServicesView),
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn administration_shows_only_what_is_permitted() {
        let viewer = Reach {
            permissions: vec![Permission::ResourcesView, Permission::CostsView],
            teams: 0,
        };
        assert!(Area::Clients.visible(&viewer));
        assert!(!Area::Access.visible(&viewer));
        assert!(!Area::Audit.visible(&viewer));
        assert!(Area::Costs.visible(&viewer));

        let leader = Reach {
            teams: 1,
            ..viewer.clone()
        };
        let sections: Vec<&str> = ACCESS_SECTIONS
            .iter()
            .filter(|s| (s.visible)(&leader))
            .map(|s| s.label)
            .collect();
        assert_eq!(sections, ["Teams"]);

        let admin = Reach {
            permissions: Permission::ALL.to_vec(),
            teams: 0,
        };
        assert!(ACCESS_SECTIONS.iter().all(|s| (s.visible)(&admin)));
        assert!(Area::Audit.visible(&admin));
        assert!(!Area::Clients.visible(&Reach::default()));
        assert!(!Area::Costs.visible(&Reach::default()));

        // Billing managers see costs, not services.
        let billing = Reach {
            permissions: vec![Permission::CostsView, Permission::BudgetsManage],
            teams: 0,
        };
        assert!(!Area::Services.visible(&billing));
        assert!(Area::Services.visible(&Reach {
            permissions: vec![Permission::ServicesView],
            teams: 0,
        }));
    }
}
