//! The signed-in user's menu: who they are, their roles, and "Sign out".

use leptos::ev::KeyboardEvent;
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;

use leptos_router::components::A;

use crate::account::use_account;
use crate::components::avatar::Avatar;
use crate::components::icon::{Icon, IconName};
use crate::components::spinner::Spinner;
use crate::format::grant_label;
use crate::state::{Auth, use_auth};

/// The user button (`#user-menu`) and the menu it opens.
#[component]
pub fn UserMenu() -> impl IntoView {
    let auth = use_auth();
    let account = use_account();
    let open = RwSignal::new(false);
    let button = NodeRef::<html::Button>::new();
    let name = move || display_name(auth);

    let on_keydown = move |ev: KeyboardEvent| {
        if ev.key() == "Escape" && open.get_untracked() {
            ev.prevent_default();
            open.set(false);
            // Keyboard users continue from where the menu was opened.
            if let Some(button) = button.get_untracked()
                && button.focus().is_err()
            {
                leptos::logging::warn!("could not return focus to the user menu");
            }
        }
    };

    view! {
        <div class="user-menu" on:keydown=on_keydown>
            <button
                id="user-menu"
                type="button"
                class="user-button"
                node_ref=button
                aria-haspopup="true"
                aria-expanded=move || if open.get() { "true" } else { "false" }
                aria-controls="user-menu-panel"
                on:click=move |_| open.update(|o| *o = !*o)
            >
                <Avatar name=Signal::derive(name) url=Signal::derive(move || account.avatar()) />
                <span class="user-name">{name}</span>
                <Icon name=IconName::ChevronDown class="chevron" />
            </button>
            <Show when=move || open.get()>
                <div class="menu-backdrop" on:click=move |_| open.set(false)></div>
                <MenuPanel open=open />
            </Show>
        </div>
    }
}

fn display_name(auth: Auth) -> String {
    auth.with_me(|me| me.map(|m| m.display_name.clone()).unwrap_or_default())
}

/// The open menu: name, email, roles, the way to the profile and security settings, and
/// "Sign out" (`#sign-out`).
#[component]
fn MenuPanel(open: RwSignal<bool>) -> impl IntoView {
    let auth = use_auth();
    let enrolling = move || auth.mfa_enrollment_required();
    let signing_out = RwSignal::new(false);
    let email = move || auth.with_me(|me| me.map(|m| m.email.clone()).unwrap_or_default());
    let grants = move || {
        auth.with_me(|me| me.map(|m| m.roles.iter().map(grant_label).collect::<Vec<_>>()))
            .unwrap_or_default()
    };
    let sign_out = move |_| {
        signing_out.set(true);
        spawn_local(async move { auth.sign_out().await });
    };

    view! {
        <div class="menu" id="user-menu-panel" role="region" aria-label="Account">
            <div class="menu-header">
                <p class="menu-name">{move || display_name(auth)}</p>
                <p class="menu-email" id="user-menu-email">
                    {email}
                </p>
            </div>
            <div class="menu-section">
                <p class="menu-label">"Roles"</p>
                <ul class="role-list" id="user-menu-roles">
                    {move || role_items(grants())}
                </ul>
            </div>
            <div class="menu-section">
                <Show when=move || !enrolling()>
                    <A href="/settings/profile" attr:class="menu-item" attr:id="menu-profile" on:click=move |_| open.set(false)>
                        <Icon name=IconName::User />
                        <span>"Profile"</span>
                    </A>
                </Show>
                <A href="/settings/security" attr:class="menu-item" attr:id="menu-security" on:click=move |_| open.set(false)>
                    <Icon name=IconName::Lock />
                    <span>"Security"</span>
                </A>
                // The server's page, not a route of this app: `rel="external"` keeps the
                // router from taking it.
                <a
                    href="/api/docs/"
                    class="menu-item"
                    id="menu-api-docs"
                    rel="external"
                    target="_blank"
                    on:click=move |_| open.set(false)
                >
                    <Icon name=IconName::Compass />
                    <span>"API reference"</span>
                </a>
            </div>
            <div class="menu-section">
                <button
                    id="sign-out"
                    type="button"
                    class="menu-item"
                    disabled=move || signing_out.get()
                    aria-busy=move || if signing_out.get() { "true" } else { "false" }
                    on:click=sign_out
                >
                    {move || {
                        if signing_out.get() {
                            view! {
                                <Spinner />
                                <span>"Signing out…"</span>
                            }
                                .into_any()
                        } else {
                            view! {
                                <Icon name=IconName::SignOut />
                                <span>"Sign out"</span>
                            }
                                .into_any()
                        }
                    }}
                </button>
            </div>
        </div>
    }
}

/// List items for role grants, or a note when there are none.
pub fn role_items(grants: Vec<String>) -> AnyView {
    if grants.is_empty() {
        view! { <li class="muted">"No roles yet"</li> }.into_any()
    } else {
        grants
            .into_iter()
            .map(|g| view! { <li class="role-chip">{g}</li> })
            .collect_view()
            .into_any()
    }
}
