//! Banners for errors and notices.

use leptos::prelude::*;

use crate::components::icon::{Icon, IconName};

/// An error message in a banner, announced when it appears. Renders nothing while `message`
/// is `None`, nor while it only says that the server cannot be reached and the shell's one
/// banner already says so.
#[component]
pub fn ErrorBanner(
    /// The message.
    #[prop(into)]
    message: Signal<Option<String>>,
) -> impl IntoView {
    let auth = use_context::<crate::state::Auth>();
    move || {
        let said_above = move || auth.is_some_and(crate::state::Auth::unreachable);
        message
            .get()
            .filter(|m| m != gmac_client::UNREACHABLE || !said_above())
            .map(|message| {
                view! {
                    <div class="banner error-banner" role="alert">
                        <Icon name=IconName::Alert />
                        <p>{message}</p>
                    </div>
                }
            })
    }
}

/// A neutral notice in a banner. Renders nothing while `message` is `None`.
#[component]
pub fn NoticeBanner(
    /// The message.
    #[prop(into)]
    message: Signal<Option<String>>,
) -> impl IntoView {
    move || {
        message.get().map(|message| {
            view! {
                <div class="banner notice-banner" role="status">
                    <Icon name=IconName::Info />
                    <p>{message}</p>
                </div>
            }
        })
    }
}
