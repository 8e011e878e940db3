//! Dialogs: a modal frame, and the confirmation every destructive action asks for.

use leptos::ev::KeyboardEvent;
use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// A modal dialog over the page (`role="dialog"`, titled `#modal-title`). Escape (anywhere
/// in the document) and a click outside close it; the first field (or the element marked
/// `data-autofocus`) gets focus, Tab stays inside the dialog, and focus returns to where it
/// was when the dialog closes.
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
    let before = StoredValue::new_local(
        web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.active_element())
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()),
    );
    Effect::new(move |_| {
        let Some(dialog) = dialog.get() else { return };
        request_animation_frame(move || {
            let target = dialog
                .query_selector("[data-autofocus]")
                .ok()
                .flatten()
                .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
                .or_else(|| focusable(&dialog).into_iter().next());
            if let Some(target) = target
                && target.focus().is_err()
            {
                leptos::logging::warn!("could not focus the dialog");
            }
        });
    });
    let keys = window_event_listener(leptos::ev::keydown, move |ev: KeyboardEvent| {
        let Some(dialog) = dialog.get_untracked() else {
            return;
        };
        if !is_topmost(&dialog) {
            return;
        }
        match ev.key().as_str() {
            "Escape" => {
                ev.prevent_default();
                on_close.run(());
            }
            "Tab" => trap_tab(&dialog, &ev),
            _ => {}
        }
    });
    on_cleanup(move || {
        keys.remove();
        // Back to the button that opened the dialog, if it is still on the page.
        if let Some(Some(element)) = before.try_get_value()
            && element.is_connected()
            && element.focus().is_err()
        {
            leptos::logging::warn!("could not restore focus");
        }
    });
    view! {
        <div class="modal-layer">
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

/// What Tab can reach inside `root`, in document order.
fn focusable(root: &web_sys::HtmlDivElement) -> Vec<web_sys::HtmlElement> {
    let selector = "a[href], button:not([disabled]), input:not([disabled]):not([type=\"hidden\"]), \
                    select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex=\"-1\"])";
    let Ok(list) = root.query_selector_all(selector) else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|node| node.dyn_into::<web_sys::HtmlElement>().ok())
        // Hidden elements have no layout box.
        .filter(|e| e.offset_parent().is_some())
        .collect()
}

/// Whether `dialog` is the last (uppermost) dialog on the page, the one keys are for.
fn is_topmost(dialog: &web_sys::HtmlDivElement) -> bool {
    let last = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector_all(".modal").ok())
        .and_then(|all| all.length().checked_sub(1).and_then(|i| all.item(i)));
    last.is_some_and(|node| node.is_same_node(Some(dialog)))
}

/// Keeps Tab and Shift+Tab cycling through the dialog's own controls.
fn trap_tab(dialog: &web_sys::HtmlDivElement, ev: &KeyboardEvent) {
    let items = focusable(dialog);
    let (Some(first), Some(last)) = (items.first(), items.last()) else {
        ev.prevent_default();
        return;
    };
    let active = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.active_element());
    let inside = active
        .as_ref()
        .is_some_and(|a| dialog.contains(Some(a.unchecked_ref())));
    let at = |e: &web_sys::HtmlElement| {
        active
            .as_ref()
            .is_some_and(|a| a.is_same_node(Some(e.unchecked_ref())))
    };
    let target = if !inside {
        Some(if ev.shift_key() { last } else { first })
    } else if ev.shift_key() && at(first) {
        Some(last)
    } else if !ev.shift_key() && at(last) {
        Some(first)
    } else {
        None
    };
    if let Some(target) = target {
        ev.prevent_default();
        if target.focus().is_err() {
            leptos::logging::warn!("could not move focus in the dialog");
        }
    }
}

/// What a confirmation runs. Not an arena-held `Callback`: the view that asked may be drawn
/// anew (and its callbacks disposed) while the dialog is open, and the answer must still run.
#[derive(Clone)]
pub struct ConfirmAction(std::sync::Arc<dyn Fn() + Send + Sync>);

impl ConfirmAction {
    /// Wraps `run`.
    pub fn new(run: impl Fn() + Send + Sync + 'static) -> Self {
        Self(std::sync::Arc::new(run))
    }

    /// Runs it.
    pub fn run(&self) {
        (self.0)();
    }
}

impl std::fmt::Debug for ConfirmAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ConfirmAction")
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
    pub action: ConfirmAction,
    /// Runs when the dialog is dismissed instead (e.g. to undo a toggle that asked).
    pub cancel: Option<ConfirmAction>,
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
            action: ConfirmAction::new(action),
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
            cancel.run();
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
                                action.run();
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
