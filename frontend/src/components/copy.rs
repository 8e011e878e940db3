//! Secrets shown once: a box with the value and a Copy button, and a Download button for
//! lists such as recovery codes.

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::components::icon::{Icon, IconName};
use crate::js;

/// How long "Copied" shows before the button reads "Copy" again.
const COPIED_FOR: Duration = Duration::from_secs(2);

/// A button that copies `text` to the clipboard and says whether it worked.
#[component]
pub fn CopyButton(
    /// What to copy.
    text: String,
    /// The label, e.g. "Copy".
    #[prop(default = "Copy")]
    label: &'static str,
    /// The button's `id`.
    #[prop(optional)]
    id: Option<&'static str>,
) -> impl IntoView {
    let text = StoredValue::new(text);
    // None: idle; Some(true): copied; Some(false): the browser refused.
    let copied = RwSignal::new(None::<bool>);
    let copy = move |_| {
        let value = text.get_value();
        spawn_local(async move {
            let ok = js::copy_text(&value).await;
            copied.set(Some(ok));
            set_timeout(move || copied.set(None), COPIED_FOR);
        });
    };
    view! {
        <button type="button" class="button button-small" id=id on:click=copy>
            {move || match copied.get() {
                Some(true) => {
                    view! {
                        <Icon name=IconName::Check />
                        <span>"Copied"</span>
                    }
                        .into_any()
                }
                Some(false) => view! { <span>"Select and copy by hand"</span> }.into_any(),
                None => {
                    view! {
                        <Icon name=IconName::Copy />
                        <span>{label}</span>
                    }
                        .into_any()
                }
            }}
        </button>
    }
}

/// A button that saves `text` as a text file named `file_name`.
#[component]
pub fn DownloadButton(
    /// The file's content.
    text: String,
    /// The file's name, e.g. `gmac-recovery-codes.txt`.
    file_name: &'static str,
    /// The label.
    #[prop(default = "Download")]
    label: &'static str,
) -> impl IntoView {
    let text = StoredValue::new(text);
    let failed = RwSignal::new(false);
    let save = move |_| {
        let ok =
            text.with_value(|t| js::download(t.as_bytes(), "text/plain;charset=utf-8", file_name));
        failed.set(!ok);
    };
    view! {
        <button type="button" class="button button-small" on:click=save>
            <Icon name=IconName::Download />
            <span>{move || if failed.get() { "Download failed" } else { label }}</span>
        </button>
    }
}

/// A secret shown once, e.g. a new API token: the value (`id` on its `<code>`), a Copy
/// button and the warning that it will not be shown again.
#[component]
pub fn SecretBox(
    /// The `id` of the element holding the value.
    id: &'static str,
    /// The secret.
    value: String,
    /// What it is, e.g. "API token".
    what: &'static str,
) -> impl IntoView {
    view! {
        <div class="secret-box" role="status">
            <p class="secret-warning">
                <Icon name=IconName::Alert />
                <span>
                    "Copy this " {what}
                    " now and keep it somewhere safe. It is shown only this once: gmac stores \
                     only a fingerprint of it."
                </span>
            </p>
            <div class="secret-row">
                <code id=id class="secret-value">
                    {value.clone()}
                </code>
                <CopyButton text=value id="copy-secret" />
            </div>
        </div>
    }
}
