//! The pages loaded when first visited.
//!
//! `cargo xtask spa` splits the module at every `#[lazy]` function (leptos' wasm-split): the
//! first page load fetches what signing in needs; the signed-in frame with the home page, each
//! cost page and each other area arrive once, when first needed. Code several of them share
//! goes into a part of its own, fetched with the first of them. The cost pages are split one
//! by one (the dashboard is the page most people open, and the largest); the other areas are
//! one split point each, which keeps the parts fewer (each is a request, and optimized on its
//! own at build time).

use leptos::lazy;
use leptos::prelude::*;
use leptos_router::LazyRoute;

use crate::areas::Area;
use crate::components::shell::SignInFirst;
use crate::pages::hub::{AreaGate, HubPage, SectionGate};
use crate::state::{Auth, AuthStatus, SignOutReason};

/// A route whose view comes from its part: `lazy_page!(Type, part_fn[, page])`. Signed out,
/// it fetches nothing (the frame sends the visitor to sign in), unless it is `public`.
macro_rules! lazy_page {
    ($(#[$doc:meta])* $name:ident, $part:ident $(, $page:expr)?) => {
        lazy_page!(@route $(#[$doc])* $name, true, $part $(, $page)?);
    };
    (public $(#[$doc:meta])* $name:ident, $part:ident $(, $page:expr)?) => {
        lazy_page!(@route $(#[$doc])* $name, false, $part $(, $page)?);
    };
    (@route $(#[$doc:meta])* $name:ident, $signed_in:literal, $part:ident $(, $page:expr)?) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name;

        impl LazyRoute for $name {
            fn data() -> Self {
                Self
            }

            async fn view(this: Self) -> AnyView {
                let $name = this;
                if $signed_in && signed_out().is_some() {
                    return ().into_any();
                }
                $part($($page)?).await
            }
        }
    };
}

/// The signed-in frame (navigation, user menu, alerts) and the pages every signed-in person
/// has: not needed to sign in, so the sign-in page loads without them.
#[derive(Clone, Copy, Debug)]
pub enum SignedInPage {
    Frame,
    Home,
    Placeholder(Area),
    NotFound,
}

#[lazy]
fn signed_in(page: SignedInPage) -> AnyView {
    match page {
        SignedInPage::Frame => view! { <crate::components::shell::Shell /> }.into_any(),
        SignedInPage::Home => view! { <crate::pages::home::HomePage /> }.into_any(),
        SignedInPage::Placeholder(area) => {
            view! { <crate::pages::placeholder::PlaceholderPage area=area /> }.into_any()
        }
        SignedInPage::NotFound => view! { <crate::pages::not_found::NotFoundPage /> }.into_any(),
    }
}

/// The frame around every signed-in page; a signed-out visitor is sent to sign in without
/// fetching it.
#[derive(Debug)]
pub struct ShellRoute;

impl LazyRoute for ShellRoute {
    fn data() -> Self {
        Self
    }

    async fn view(this: Self) -> AnyView {
        let Self = this;
        match signed_out() {
            Some(reason) => view! { <SignInFirst reason=reason /> }.into_any(),
            None => signed_in(SignedInPage::Frame).await,
        }
    }
}

/// Why the visitor is signed out, if they are (read when a route is chosen).
fn signed_out() -> Option<SignOutReason> {
    match use_context::<Auth>()?.status_untracked() {
        AuthStatus::SignedOut { reason, .. } => Some(reason),
        _ => None,
    }
}
lazy_page!(/** `/` */ HomeRoute, signed_in, SignedInPage::Home);
lazy_page!(/** `/services` */ ServicesRoute, services_pages, ServicesPage::Catalog);
lazy_page!(/** `/services/new` */ NewServiceRoute, services_pages, ServicesPage::New);
lazy_page!(/** `/services/:id` */ ServiceRoute, services_pages, ServicesPage::Detail);
lazy_page!(/** `/builds/:id` */ BuildRoute, services_pages, ServicesPage::Build);
lazy_page!(/** `/functions` */ FunctionsRoute, signed_in, SignedInPage::Placeholder(Area::Functions));
lazy_page!(/** `/databases` */ DatabasesRoute, signed_in, SignedInPage::Placeholder(Area::Databases));
lazy_page!(/** `/monitoring` */ MonitoringRoute, signed_in, SignedInPage::Placeholder(Area::Monitoring));
lazy_page!(/** Any other address under the frame. */ NotFoundRoute, signed_in, SignedInPage::NotFound);

/// The pages of the Services area: the catalog (with the templates and the git connections),
/// the new-service wizard and a service's page.
#[derive(Clone, Copy, Debug)]
pub enum ServicesPage {
    Catalog,
    New,
    Detail,
    Build,
}

#[lazy]
fn services_pages(page: ServicesPage) -> AnyView {
    use crate::pages::services;
    match page {
        ServicesPage::Catalog => {
            view! { <AreaGate area=Area::Services><services::ServicesPage /></AreaGate> }.into_any()
        }
        ServicesPage::New => {
            view! { <AreaGate area=Area::Services><services::new::NewServicePage /></AreaGate> }
                .into_any()
        }
        ServicesPage::Detail => view! { <services::detail::ServicePage /> }.into_any(),
        ServicesPage::Build => view! { <services::builds::BuildPage /> }.into_any(),
    }
}

// The cost pages are each a part of their own: the dashboard, the page most people open,
// is the largest, and the others (budgets, reports, allocation, accounts) need little of it.

#[lazy]
fn cost_dashboard() -> AnyView {
    view! { <AreaGate area=Area::Costs><crate::pages::costs::CostsPage /></AreaGate> }.into_any()
}

#[lazy]
fn cost_budgets() -> AnyView {
    view! { <AreaGate area=Area::Costs><crate::pages::costs::budgets::BudgetsPage /></AreaGate> }
        .into_any()
}

#[lazy]
fn cost_budget() -> AnyView {
    view! { <AreaGate area=Area::Costs><crate::pages::costs::budgets::detail::BudgetPage /></AreaGate> }.into_any()
}

#[lazy]
fn cost_reports() -> AnyView {
    view! { <AreaGate area=Area::Costs><crate::pages::costs::reports::ReportsPage /></AreaGate> }
        .into_any()
}

#[lazy]
fn cost_allocation() -> AnyView {
    view! { <AreaGate area=Area::Costs><crate::pages::costs::allocation::AllocationPage /></AreaGate> }.into_any()
}

#[lazy]
fn cost_accounts() -> AnyView {
    view! { <AreaGate area=Area::Costs><crate::pages::costs::accounts::CloudAccountsPage /></AreaGate> }.into_any()
}

lazy_page!(/** `/costs` */ CostsRoute, cost_dashboard);
lazy_page!(/** `/costs/budgets` */ BudgetsRoute, cost_budgets);
lazy_page!(/** `/costs/budgets/:id` */ BudgetRoute, cost_budget);
lazy_page!(/** `/costs/reports` */ ReportsRoute, cost_reports);
lazy_page!(/** `/costs/allocation` */ AllocationRoute, cost_allocation);
lazy_page!(/** `/costs/accounts` */ CloudAccountsRoute, cost_accounts);

/// The pages of the Access area.
#[derive(Clone, Copy, Debug)]
pub enum AccessPage {
    Hub,
    Users,
    User,
    Roles,
    Teams,
    Team,
    Invitations,
}

#[lazy]
fn access_pages(page: AccessPage) -> AnyView {
    use crate::pages::access;
    match page {
        AccessPage::Hub => view! { <HubPage area=Area::Access /> }.into_any(),
        AccessPage::Users => view! { <SectionGate path="/access/users"><access::users::list::UsersPage /></SectionGate> }.into_any(),
        AccessPage::User => view! { <access::users::detail::UserPage /> }.into_any(),
        AccessPage::Roles => view! { <SectionGate path="/access/roles"><access::roles::RolesPage /></SectionGate> }.into_any(),
        AccessPage::Teams => view! { <SectionGate path="/access/teams"><access::teams::list::TeamsPage /></SectionGate> }.into_any(),
        AccessPage::Team => view! { <access::teams::detail::TeamPage /> }.into_any(),
        AccessPage::Invitations => view! { <SectionGate path="/access/invitations"><access::invitations::InvitationsPage /></SectionGate> }.into_any(),
    }
}

lazy_page!(/** `/access` */ AccessRoute, access_pages, AccessPage::Hub);
lazy_page!(/** `/access/users` */ UsersRoute, access_pages, AccessPage::Users);
lazy_page!(/** `/access/users/:id` */ UserRoute, access_pages, AccessPage::User);
lazy_page!(/** `/access/roles` */ RolesRoute, access_pages, AccessPage::Roles);
lazy_page!(/** `/access/teams` */ TeamsRoute, access_pages, AccessPage::Teams);
lazy_page!(/** `/access/teams/:id` */ TeamRoute, access_pages, AccessPage::Team);
lazy_page!(/** `/access/invitations` */ InvitationsRoute, access_pages, AccessPage::Invitations);

/// The pages of the Clients area.
#[derive(Clone, Copy, Debug)]
pub enum ClientPage {
    List,
    Detail,
}

#[lazy]
fn client_pages(page: ClientPage) -> AnyView {
    use crate::pages::clients;
    match page {
        ClientPage::List => {
            view! { <AreaGate area=Area::Clients><clients::list::ClientsPage /></AreaGate> }
                .into_any()
        }
        ClientPage::Detail => view! { <clients::detail::ClientPage /> }.into_any(),
    }
}

lazy_page!(/** `/clients` */ ClientsRoute, client_pages, ClientPage::List);
lazy_page!(/** `/clients/:id` */ ClientRoute, client_pages, ClientPage::Detail);

/// The pages of the Settings area.
#[derive(Clone, Copy, Debug)]
pub enum SettingsPage {
    Hub,
    Profile,
    Security,
}

#[lazy]
fn settings_pages(page: SettingsPage) -> AnyView {
    match page {
        SettingsPage::Hub => view! { <HubPage area=Area::Settings /> }.into_any(),
        SettingsPage::Profile => {
            view! { <crate::pages::settings::profile::ProfilePage /> }.into_any()
        }
        SettingsPage::Security => view! { <crate::pages::security::SecurityPage /> }.into_any(),
    }
}

lazy_page!(/** `/settings` */ SettingsRoute, settings_pages, SettingsPage::Hub);
lazy_page!(/** `/settings/profile` */ ProfileRoute, settings_pages, SettingsPage::Profile);
lazy_page!(/** `/settings/security` */ SecurityRoute, settings_pages, SettingsPage::Security);

#[lazy]
fn audit_page() -> AnyView {
    view! { <AreaGate area=Area::Audit><crate::pages::audit::AuditPage /></AreaGate> }.into_any()
}

#[lazy]
fn activity_page() -> AnyView {
    view! { <crate::pages::activity::ActivityPage /> }.into_any()
}

#[lazy]
fn invite_page() -> AnyView {
    view! { <crate::pages::invite::InvitePage /> }.into_any()
}

lazy_page!(/** `/audit` */ AuditRoute, audit_page);
lazy_page!(/** `/activity` */ ActivityRoute, activity_page);
lazy_page!(public /** `/invite`: an invited person's first visit, signed out. */ InviteRoute, invite_page);

/// The home page's summary of costs (spend, forecast, budgets, alerts), for people who see
/// costs: its code arrives beside the home page rather than with the first load, so the
/// sign-in page and the homes of people who do not see costs load without it.
#[lazy]
pub fn home_summary() -> AnyView {
    view! { <crate::pages::home_summary::HomeSummary /> }.into_any()
}
