//! Dialogs: a modal frame, and the confirmation every destructive action asks for.

use leptos::ev::KeyboardEvent;
use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// A modal dialog over the page (`role="dialog"`, titled `#modal-title`). Escape and a click
/// outside close it; the first field (or the element marked `data-autofocus`) gets focus.
#[component]
pub fn Modal(
    /// The heading.
    #[prop(into)]
    title: String,
    /// Closes the dialog.
    on_close: Callback<()>,
    /// Use the wide layout (forms with several fields).
    #[prop(optional)]
    wide: bool,
    /// The body.
    children: Children,
) -> impl IntoView {
    let dialog = NodeRef::<html::Div>::new();
    Effect::new(move |_| {
        let Some(dialog) = dialog.get() else { return };
        request_animation_frame(move || {
            let target = dialog
                .query_selector("[data-autofocus]")
                .ok()
                .flatten()
                .or_else(|| {
                    dialog
                        .query_selector("input, select, textarea, button")
                        .ok()
                        .flatten()
                })
                .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
            if let Some(target) = target
                && target.focus().is_err()
            {
                leptos::logging::warn!("could not focus the dialog");
            }
        });
    });
    let on_keydown = move |ev: KeyboardEvent| {
        if ev.key() == "Escape" {
            ev.prevent_default();
            on_close.run(());
        }
    };
    view! {
        <div class="modal-layer" on:keydown=on_keydown>
            <div class="modal-backdrop" on:click=move |_| on_close.run(())></div>
            <div
                class="modal"
                class:modal-wide=wide
                role="dialog"
                aria-modal="true"
                aria-labelledby="modal-title"
                node_ref=dialog
            >
                <h2 id="modal-title" class="modal-title">
                    {title}
                </h2>
                {children()}
            </div>
        </div>
    }
}

/// A request to confirm an action, shown by [`ConfirmDialog`].
#[derive(Clone, Debug)]
pub struct Confirm {
    /// The question, e.g. "Delete client Acme?".
    pub title: String,
    /// What happens, in a sentence or two.
    pub message: String,
    /// The confirming button's label, e.g. "Delete client".
    pub confirm_label: String,
    /// Whether the action destroys something (a red button).
    pub danger: bool,
    /// Runs when confirmed; the dialog closes first.
    pub action: Callback<()>,
    /// Runs when the dialog is dismissed instead (e.g. to undo a toggle that asked).
    pub cancel: Option<Callback<()>>,
}

impl Confirm {
    /// A destructive action's confirmation.
    pub fn danger(
        title: impl Into<String>,
        message: impl Into<String>,
        confirm_label: impl Into<String>,
        action: impl Fn() + Send + Sync + 'static,
    ) -> Self {
        Self {
            title: title.into(),
            message: message.into(),
            confirm_label: confirm_label.into(),
            danger: true,
            action: Callback::new(move |()| action()),
            cancel: None,
        }
    }
}

/// Shows the confirmation in `request` while there is one. Cancel is focused, so Enter does
/// not destroy anything by accident.
#[component]
pub fn ConfirmDialog(
    /// The pending confirmation; set it to ask, it is cleared on either answer.
    request: RwSignal<Option<Confirm>>,
) -> impl IntoView {
    let dismiss = move || {
        let cancel = request.try_get_untracked().flatten().and_then(|c| c.cancel);
        request.set(None);
        if let Some(cancel) = cancel {
            cancel.run(());
        }
    };
    let close = Callback::new(move |()| dismiss());
    move || {
        request.get().map(|confirm| {
            let action = confirm.action;
            let class = if confirm.danger {
                "button button-danger"
            } else {
                "button button-primary"
            };
            view! {
                <Modal title=confirm.title on_close=close>
                    <p class="modal-message">{confirm.message}</p>
                    <div class="modal-actions">
                        <button
                            type="button"
                            class="button"
                            id="confirm-cancel"
                            data-autofocus="true"
                            on:click=move |_| dismiss()
                        >
                            "Cancel"
                        </button>
                        <button
                            type="button"
                            class=class
                            id="confirm-ok"
                            on:click=move |_| {
                                request.set(None);
                                action.run(());
                            }
                        >
                            {confirm.confirm_label}
                        </button>
                    </div>
                </Modal>
            }
        })
    }
}
