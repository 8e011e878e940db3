//! The signed-in frame around every page: sidebar, header and content, and the gate that
//! sends signed-out visitors to sign-in.

use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::components::{A, Outlet, Redirect};
use leptos_router::hooks::{use_location, use_navigate};
use leptos_router::location::Url;

use crate::account::use_account;
use crate::components::alerts_bell::AlertsBell;
use crate::components::icon::{Icon, IconName};
use crate::components::nav::MainNav;
use crate::components::spinner::Loading;
use crate::components::theme_toggle::ThemeToggle;
use crate::components::user_menu::UserMenu;
use crate::state::{AuthStatus, SignOutReason, use_auth};

/// What the gate lets through, so the frame is built once rather than on every status change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Gate {
    Wait,
    Open,
    Closed(SignOutReason),
}

/// The route wrapper for every signed-in page: the frame with the page in it when signed in,
/// otherwise a redirect to `/login` that remembers where the visitor was going.
#[component]
pub fn Shell() -> impl IntoView {
    let auth = use_auth();
    let gate = Memo::new(move |_| match auth.status() {
        AuthStatus::SignedIn => Gate::Open,
        AuthStatus::SignedOut { reason, .. } => Gate::Closed(reason),
        AuthStatus::Restoring | AuthStatus::Unavailable(_) => Gate::Wait,
    });
    move || match gate.get() {
        Gate::Open => view! { <Frame /> }.into_any(),
        Gate::Closed(reason) => view! { <SignInFirst reason=reason /> }.into_any(),
        Gate::Wait => view! { <Loading label="Loading…" full_page=true /> }.into_any(),
    }
}

/// Sends a signed-out visitor to `/login`, remembering where they were going unless they
/// signed out themselves.
#[component]
pub fn SignInFirst(reason: SignOutReason) -> impl IntoView {
    let location = use_location();
    let target = if reason == SignOutReason::SignedOut {
        "/login".to_owned()
    } else {
        let here = format!(
            "{}{}",
            location.pathname.get_untracked(),
            location.search.get_untracked()
        );
        if here == "/" {
            "/login".to_owned()
        } else {
            format!("/login?next={}", Url::escape(&here))
        }
    };
    let options = NavigateOptions {
        replace: true,
        ..NavigateOptions::default()
    };
    view! { <Redirect path=target options=options /> }
}

/// Where a user who must set up MFA is sent, whatever they asked for.
pub const ENROLMENT_PATH: &str = "/settings/security";

/// The frame: sidebar with the navigation (a drawer behind a menu button on narrow screens),
/// header with the theme switch and the user menu, and the page.
///
/// While a role the user holds requires MFA that is not set up, the API refuses everything
/// else, so the frame offers nothing else: every route leads to the security page.
#[component]
fn Frame() -> impl IntoView {
    let auth = use_auth();
    let account = use_account();
    account.load(auth);
    on_cleanup(move || account.clear());
    // One live stream of events for every page of the frame.
    crate::live::Live::provide(auth);
    let nav_open = RwSignal::new(false);
    let location = use_location();
    let enrolling = Memo::new(move |_| auth.mfa_enrollment_required());
    let navigate = use_navigate();
    Effect::new(move |_| {
        if enrolling.get() && location.pathname.get() != ENROLMENT_PATH {
            let options = NavigateOptions {
                replace: true,
                ..NavigateOptions::default()
            };
            navigate(ENROLMENT_PATH, options);
        }
    });
    // The drawer closes when a link in it is followed.
    Effect::new(move |_| {
        // Read, not just tracked: a memo only recomputes (and notifies) when read.
        location.pathname.with(|_| ());
        nav_open.set(false);
    });
    let version = concat!("v", env!("CARGO_PKG_VERSION"));

    view! {
        <a class="skip-link" href="#content">
            "Skip to content"
        </a>
        <div class="shell" class:nav-open=move || nav_open.get()>
            <aside class="sidebar">
                <A href="/" attr:class="brand">
                    <span class="brand-mark">
                        <Icon name=IconName::Logo />
                    </span>
                    <span class="brand-name">"gmac"</span>
                </A>
                {move || {
                    if enrolling.get() {
                        view! {
                            <p class="sidebar-note muted">
                                "Set up two-step verification to continue. The rest of gmac opens \
                                 once it is on."
                            </p>
                        }
                            .into_any()
                    } else {
                        view! { <MainNav /> }.into_any()
                    }
                }}
                <p class="sidebar-footer">"gmac " {version}</p>
            </aside>
            <div class="nav-backdrop" on:click=move |_| nav_open.set(false)></div>
            <div class="main">
                <header class="topbar">
                    <button
                        type="button"
                        class="icon-button nav-toggle"
                        id="nav-toggle"
                        aria-controls="main-nav"
                        aria-expanded=move || if nav_open.get() { "true" } else { "false" }
                        aria-label=move || {
                            if nav_open.get() { "Close navigation" } else { "Open navigation" }
                        }
                        on:click=move |_| nav_open.update(|o| *o = !*o)
                    >
                        {move || {
                            let name = if nav_open.get() { IconName::Close } else { IconName::Menu };
                            view! { <Icon name=name /> }
                        }}
                    </button>
                    <A href="/" attr:class="brand brand-compact">
                        <span class="brand-mark">
                            <Icon name=IconName::Logo />
                        </span>
                        <span class="brand-name">"gmac"</span>
                    </A>
                    <div class="topbar-spacer"></div>
                    <Show when=move || !enrolling.get()>
                        <AlertsBell />
                    </Show>
                    <ThemeToggle />
                    <UserMenu />
                </header>
                <main class="content" id="content" tabindex="-1">
                    <Show when=move || auth.unreachable()>
                        <div class="banner error-banner" id="server-unreachable" role="alert">
                            <Icon name=IconName::Alert />
                            <p>
                                "The gmac server cannot be reached. Check your connection: what \
                                 did not load loads again when the server is back."
                            </p>
                            <button
                                type="button"
                                class="button button-small"
                                on:click=move |_| auth.probe_now()
                            >
                                <Icon name=IconName::Refresh />
                                <span>"Try again"</span>
                            </button>
                        </div>
                    </Show>
                    <Outlet />
                </main>
            </div>
        </div>
    }
}
