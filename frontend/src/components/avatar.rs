//! A person's picture: their uploaded avatar, or their initials.

use leptos::prelude::*;

use crate::format::initials;

/// An avatar of `name`: the image at `url` (a `blob:` URL) when there is one, else initials.
#[component]
pub fn Avatar(
    /// The person's name, for the initials and the image's description.
    #[prop(into)]
    name: Signal<String>,
    /// The image's `blob:` URL.
    #[prop(into)]
    url: Signal<Option<String>>,
    /// Use the large size (profile page).
    #[prop(optional)]
    large: bool,
) -> impl IntoView {
    move || match url.get() {
        Some(src) => view! {
            <img class="avatar avatar-image" class:avatar-large=large src=src alt="" />
        }
        .into_any(),
        None => view! {
            <span class="avatar" class:avatar-large=large aria-hidden="true">
                {initials(&name.get())}
            </span>
        }
        .into_any(),
    }
}
