//! The home page: for people who see costs, this month's spend, the forecast, budgets and
//! alerts at a glance; then who is signed in, and (for the others) the way to every area.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::areas::Area;
use crate::components::error_banner::ErrorBanner;
use crate::components::icon::{Icon, IconName};
use crate::components::nav::use_reach;
use crate::components::scope::use_grant_labels;
use crate::components::user_menu::role_items;
use crate::format::{auth_method_label, date_label};
use crate::pages::set_title;
use crate::state::use_auth;

/// Greets the user and shows their account, then one card per area.
#[component]
pub fn HomePage() -> impl IntoView {
    set_title("Home");
    let auth = use_auth();
    let reach = use_reach();
    // The page shows the user loaded at sign-in at once, and reloads it in the background
    // (roles may have changed since).
    let reload = LocalResource::new(move || auth.reload_me());
    let reload_error = Signal::derive(move || {
        reload
            .get()
            .and_then(Result::err)
            .map(|message| format!("Your account could not be reloaded: {message}"))
    });

    let name = move || auth.with_me(|me| me.map(|m| m.display_name.clone()).unwrap_or_default());
    let email = move || auth.with_me(|me| me.map(|m| m.email.clone()).unwrap_or_default());
    let method = move || auth.with_me(|me| me.map(|m| auth_method_label(m.authenticated_via)));
    let since = move || auth.with_me(|me| me.map(|m| date_label(&m.created_at)));
    let grants = use_grant_labels(auth);

    let sees_costs = move || reach.with(|r| Area::Costs.visible(r));
    view! {
        <header class="page-header">
            <h1 id="home-greeting">"Welcome, " {name}</h1>
            <p class="muted">
                {move || {
                    if sees_costs() {
                        "Here is where this month's costs stand, and your account."
                    } else {
                        "Here is your account, and where to go from here."
                    }
                }}
            </p>
        </header>
        <ErrorBanner message=reload_error />
        <Show when=sees_costs>
            <Suspense fallback=|| ()>{Suspend::new(crate::routes::home_summary())}</Suspense>
        </Show>
        <section class="card account-card" aria-labelledby="account-title">
            <h2 id="account-title" class="card-title">
                "Your account"
            </h2>
            <dl class="details">
                <div>
                    <dt>"Email"</dt>
                    <dd id="home-email">{email}</dd>
                </div>
                <div>
                    <dt>"Roles"</dt>
                    <dd>
                        <ul class="role-list" id="home-roles">
                            {move || role_items(grants.get())}
                        </ul>
                    </dd>
                </div>
                <div>
                    <dt>"Session"</dt>
                    <dd id="home-auth-method">
                        {move || method().map(|m| format!("Signed in via {m}"))}
                    </dd>
                </div>
                <div>
                    <dt>"Member since"</dt>
                    <dd>{since}</dd>
                </div>
            </dl>
        </section>
        <section aria-labelledby="areas-title" hidden=sees_costs>
            <h2 id="areas-title" class="section-title">
                "Areas"
            </h2>
            <ul class="card-grid">
                {move || {
                    let reach = reach.get();
                    Area::ALL
                    .into_iter()
                    .filter(|area| area.visible(&reach))
                    .map(|area| {
                        view! {
                            <li>
                                <A href=area.path() attr:class="card area-card">
                                    <span class="area-icon">
                                        <Icon name=area.icon() />
                                    </span>
                                    <span class="area-title">
                                        {area.label()}
                                        <Icon name=IconName::ArrowRight class="area-arrow" />
                                    </span>
                                    <span class="area-summary">{area.summary()}</span>
                                    {(!area.built()).then(|| view! { <span class="badge">"Coming soon"</span> })}
                                </A>
                            </li>
                        }
                    })
                    .collect_view()
                }}
            </ul>
        </section>
    }
}
