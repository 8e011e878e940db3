//! The root component: session and theme state, the startup gate and the routes.

use gmac_client::Client;
use leptos::prelude::*;
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{Lazy, path};

use crate::account::Account;
use crate::components::error_banner::ErrorBanner;
use crate::components::icon::{Icon, IconName};
use crate::components::spinner::Loading;
use crate::pages::login::LoginPage;
use crate::pages::not_found::NotFoundPage;
use crate::routes as r;
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
                <Route path=path!("/invite") view={Lazy::<r::InviteRoute>::new()} />
                <ParentRoute path=path!("") view={Lazy::<r::ShellRoute>::new()}>
                    <Route path=path!("") view={Lazy::<r::HomeRoute>::new()} />
                    <Route path=path!("services") view={Lazy::<r::ServicesRoute>::new()} />
                    <Route path=path!("services/new") view={Lazy::<r::NewServiceRoute>::new()} />
                    <Route path=path!("services/:id") view={Lazy::<r::ServiceRoute>::new()} />
                    <Route path=path!("builds/:id") view={Lazy::<r::BuildRoute>::new()} />
                    <Route path=path!("functions") view={Lazy::<r::FunctionsRoute>::new()} />
                    <Route path=path!("databases") view={Lazy::<r::DatabasesRoute>::new()} />
                    <Route path=path!("costs") view={Lazy::<r::CostsRoute>::new()} />
                    <Route path=path!("costs/budgets") view={Lazy::<r::BudgetsRoute>::new()} />
                    <Route path=path!("costs/budgets/:id") view={Lazy::<r::BudgetRoute>::new()} />
                    <Route path=path!("costs/reports") view={Lazy::<r::ReportsRoute>::new()} />
                    <Route path=path!("costs/allocation") view={Lazy::<r::AllocationRoute>::new()} />
                    <Route path=path!("costs/accounts") view={Lazy::<r::CloudAccountsRoute>::new()} />
                    <Route path=path!("monitoring") view={Lazy::<r::MonitoringRoute>::new()} />
                    <Route path=path!("activity") view={Lazy::<r::ActivityRoute>::new()} />
                    <Route path=path!("access") view={Lazy::<r::AccessRoute>::new()} />
                    <Route path=path!("access/users") view={Lazy::<r::UsersRoute>::new()} />
                    <Route path=path!("access/users/:id") view={Lazy::<r::UserRoute>::new()} />
                    <Route path=path!("access/roles") view={Lazy::<r::RolesRoute>::new()} />
                    <Route path=path!("access/teams") view={Lazy::<r::TeamsRoute>::new()} />
                    <Route path=path!("access/teams/:id") view={Lazy::<r::TeamRoute>::new()} />
                    <Route path=path!("access/invitations") view={Lazy::<r::InvitationsRoute>::new()} />
                    <Route path=path!("clients") view={Lazy::<r::ClientsRoute>::new()} />
                    <Route path=path!("clients/:id") view={Lazy::<r::ClientRoute>::new()} />
                    <Route path=path!("audit") view={Lazy::<r::AuditRoute>::new()} />
                    <Route path=path!("settings") view={Lazy::<r::SettingsRoute>::new()} />
                    <Route path=path!("settings/profile") view={Lazy::<r::ProfileRoute>::new()} />
                    <Route path=path!("settings/security") view={Lazy::<r::SecurityRoute>::new()} />
                    <Route path=path!("*any") view={Lazy::<r::NotFoundRoute>::new()} />
                </ParentRoute>
            </Routes>
        </Router>
    }
}
