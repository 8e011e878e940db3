//! The System / Light / Dark switch.

use leptos::prelude::*;

use crate::account::Account;
use crate::components::icon::{Icon, IconName};
use crate::state::use_auth;
use crate::theme::{Theme, use_theme};

/// A compact select for the theme, `#theme-toggle`. Signed in, the choice is also saved to
/// the profile, so the profile page and other browsers follow it.
#[component]
pub fn ThemeToggle() -> impl IntoView {
    let theme = use_theme();
    let auth = use_auth();
    let account = use_context::<Account>();
    let choose = move |choice: Theme| {
        theme.set(choice);
        if let Some(account) = account {
            account.save_theme(auth, choice);
        }
    };
    let icon = move || {
        let name = match theme.get() {
            Theme::System => IconName::Monitor,
            Theme::Light => IconName::Sun,
            Theme::Dark => IconName::Moon,
        };
        view! { <Icon name=name /> }
    };
    view! {
        <div class="theme-toggle">
            {icon}
            <label for="theme-toggle" class="visually-hidden">
                "Theme"
            </label>
            <select
                id="theme-toggle"
                name="theme"
                title="Theme"
                on:change=move |ev| choose(Theme::parse(&event_target_value(&ev)))
            >
                {Theme::ALL
                    .into_iter()
                    .map(|choice| {
                        view! {
                            <option value=choice.as_str() prop:selected=move || theme.get() == choice>
                                {choice.label()}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </div>
    }
}
