//! Banners for errors and notices.

use leptos::prelude::*;

use crate::components::icon::{Icon, IconName};

/// An error message in a banner, announced when it appears. Renders nothing while `message`
/// is `None`.
#[component]
pub fn ErrorBanner(
    /// The message.
    #[prop(into)]
    message: Signal<Option<String>>,
) -> impl IntoView {
    move || {
        message.get().map(|message| {
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
