//! The root component: session and theme state, the startup gate and the routes.

use gmac_client::Client;
use leptos::prelude::*;
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::path;

use crate::account::Account;
use crate::areas::Area;
use crate::components::error_banner::ErrorBanner;
use crate::components::icon::{Icon, IconName};
use crate::components::shell::Shell;
use crate::components::spinner::Loading;
use crate::pages::access::invitations::InvitationsPage;
use crate::pages::access::roles::RolesPage;
use crate::pages::access::teams::detail::TeamPage;
use crate::pages::access::teams::list::TeamsPage;
use crate::pages::access::users::detail::UserPage;
use crate::pages::access::users::list::UsersPage;
use crate::pages::audit::AuditPage;
use crate::pages::clients::detail::ClientPage;
use crate::pages::clients::list::ClientsPage;
use crate::pages::costs::CostsPage;
use crate::pages::costs::accounts::CloudAccountsPage;
use crate::pages::costs::allocation::AllocationPage;
use crate::pages::costs::budgets::BudgetsPage;
use crate::pages::costs::budgets::detail::BudgetPage;
use crate::pages::costs::reports::ReportsPage;
use crate::pages::home::HomePage;
use crate::pages::hub::{AreaGate, HubPage, SectionGate};
use crate::pages::invite::InvitePage;
use crate::pages::login::LoginPage;
use crate::pages::not_found::NotFoundPage;
use crate::pages::placeholder::PlaceholderPage;
use crate::pages::security::SecurityPage;
use crate::pages::settings::profile::ProfilePage;
use crate::state::{Auth, AuthStatus, use_auth};
use crate::theme::ThemeState;

/// The app: provides the theme and the session, restores the session, then routes.
#[component]
pub fn App() -> impl IntoView {
    ThemeState::provide();
    Account::provide();
    // The browser needs an absolute URL; the API is on the page's own origin.
    let origin = web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default();
    match Client::new(origin) {
        Ok(client) => {
            Auth::provide(client).restore();
            view! { <Startup /> }.into_any()
        }
        Err(err) => {
            let message = Signal::stored(Some(err.message()));
            view! {
                <div class="auth-page">
                    <main class="auth-main">
                        <ErrorBanner message=message />
                    </main>
                </div>
            }
            .into_any()
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Phase {
    Loading,
    Unavailable(String),
    Ready,
}

/// Holds the routes back until the session is known, so a signed-in reload never flashes the
/// sign-in form.
#[component]
fn Startup() -> impl IntoView {
    let auth = use_auth();
    let phase = Memo::new(move |_| match auth.status() {
        AuthStatus::Restoring => Phase::Loading,
        AuthStatus::Unavailable(message) => Phase::Unavailable(message),
        AuthStatus::SignedOut { .. } | AuthStatus::SignedIn => Phase::Ready,
    });
    move || match phase.get() {
        Phase::Loading => view! { <Loading label="Loading gmac…" full_page=true /> }.into_any(),
        Phase::Unavailable(message) => view! { <Unavailable message=message /> }.into_any(),
        Phase::Ready => view! { <AppRoutes /> }.into_any(),
    }
}

/// Startup could not reach the server: says why and offers to try again.
#[component]
fn Unavailable(message: String) -> impl IntoView {
    let auth = use_auth();
    let message = Signal::stored(Some(message));
    view! {
        <div class="auth-page">
            <main class="auth-main">
                <div class="auth-brand">
                    <span class="brand-mark">
                        <Icon name=IconName::Logo />
                    </span>
                    <span class="brand-name">"gmac"</span>
                </div>
                <section class="auth-card" aria-labelledby="unavailable-title">
                    <h1 id="unavailable-title">"gmac is not reachable"</h1>
                    <ErrorBanner message=message />
                    <button
                        type="button"
                        id="retry"
                        class="button button-primary button-block"
                        on:click=move |_| auth.restore()
                    >
                        <Icon name=IconName::Refresh />
                        <span>"Try again"</span>
                    </button>
                </section>
            </main>
        </div>
    }
}

/// The routes. Everything but `/login` is inside [`Shell`], which requires a session.
#[component]
fn AppRoutes() -> impl IntoView {
    view! {
        <Router>
            <Routes fallback=|| view! { <NotFoundPage /> }>
                <Route path=path!("/login") view=LoginPage />
                <Route path=path!("/invite") view=InvitePage />
                <ParentRoute path=path!("") view=Shell>
                    <Route path=path!("") view=HomePage />
                    <Route path=path!("services") view=|| area(Area::Services) />
                    <Route path=path!("functions") view=|| area(Area::Functions) />
                    <Route path=path!("databases") view=|| area(Area::Databases) />
                    <Route
                        path=path!("costs")
                        view=|| view! { <AreaGate area=Area::Costs><CostsPage /></AreaGate> }
                    />
                    <Route
                        path=path!("costs/budgets")
                        view=|| view! { <AreaGate area=Area::Costs><BudgetsPage /></AreaGate> }
                    />
                    <Route
                        path=path!("costs/budgets/:id")
                        view=|| view! { <AreaGate area=Area::Costs><BudgetPage /></AreaGate> }
                    />
                    <Route
                        path=path!("costs/reports")
                        view=|| view! { <AreaGate area=Area::Costs><ReportsPage /></AreaGate> }
                    />
                    <Route
                        path=path!("costs/allocation")
                        view=|| view! { <AreaGate area=Area::Costs><AllocationPage /></AreaGate> }
                    />
                    <Route
                        path=path!("costs/accounts")
                        view=|| view! { <AreaGate area=Area::Costs><CloudAccountsPage /></AreaGate> }
                    />
                    <Route path=path!("monitoring") view=|| area(Area::Monitoring) />
                    <Route path=path!("activity") view=crate::pages::activity::ActivityPage />
                    <Route path=path!("access") view=|| view! { <HubPage area=Area::Access /> } />
                    <Route
                        path=path!("access/users")
                        view=|| view! { <SectionGate path="/access/users"><UsersPage /></SectionGate> }
                    />
                    <Route path=path!("access/users/:id") view=UserPage />
                    <Route
                        path=path!("access/roles")
                        view=|| view! { <SectionGate path="/access/roles"><RolesPage /></SectionGate> }
                    />
                    <Route
                        path=path!("access/teams")
                        view=|| view! { <SectionGate path="/access/teams"><TeamsPage /></SectionGate> }
                    />
                    <Route path=path!("access/teams/:id") view=TeamPage />
                    <Route
                        path=path!("access/invitations")
                        view=|| view! { <SectionGate path="/access/invitations"><InvitationsPage /></SectionGate> }
                    />
                    <Route
                        path=path!("clients")
                        view=|| view! { <AreaGate area=Area::Clients><ClientsPage /></AreaGate> }
                    />
                    <Route path=path!("clients/:id") view=ClientPage />
                    <Route
                        path=path!("audit")
                        view=|| view! { <AreaGate area=Area::Audit><AuditPage /></AreaGate> }
                    />
                    <Route path=path!("settings") view=|| view! { <HubPage area=Area::Settings /> } />
                    <Route path=path!("settings/profile") view=ProfilePage />
                    <Route path=path!("settings/security") view=SecurityPage />
                    <Route path=path!("*any") view=NotFoundPage />
                </ParentRoute>
            </Routes>
        </Router>
    }
}

fn area(area: Area) -> impl IntoView {
    view! { <PlaceholderPage area=area /> }
}
