//! Who a new budget emails, edited as a list; the server's `/notify/<i>` errors are shown
//! under the row they are about (`/notify/<key>`).

use leptos::prelude::*;

use crate::components::form_field::FormErrors;
use crate::components::icon::{Icon, IconName};
use crate::pages::costs::forms::messages_at;

/// An email being edited; `key` tells rows apart.
#[derive(Clone, Copy, Debug)]
pub struct EmailRow {
    /// The row's key.
    pub key: usize,
    /// The address, as typed.
    pub email: RwSignal<String>,
}

/// The recipients fieldset, `#new-budget-notify`.
#[component]
pub fn RecipientList(
    /// The rows.
    emails: RwSignal<Vec<EmailRow>>,
    /// A new, empty row.
    add: Callback<(), EmailRow>,
    /// The form's errors.
    errors: RwSignal<FormErrors>,
    /// Whether the form is being sent.
    busy: RwSignal<bool>,
) -> impl IntoView {
    let email_row_view = move |row: EmailRow| {
        let pointer = format!("/notify/{}", row.key);
        let input_id = format!("notify-{}", row.key);
        let error_id = format!("notify-{}-error", row.key);
        let messages = {
            let pointer = pointer.clone();
            move || errors.with(|e| messages_at(e, &pointer))
        };
        let invalid = {
            let messages = messages.clone();
            move || !messages().is_empty()
        };
        let invalid_class = invalid.clone();
        view! {
            <li class="list-row" data-email=row.key>
                <div class="field field-grow" class:field-invalid=invalid_class>
                    <label for=input_id.clone() class="visually-hidden">
                        "Email"
                    </label>
                    <input
                        id=input_id
                        class="input"
                        type="email"
                        autocomplete="off"
                        autocapitalize="none"
                        spellcheck="false"
                        placeholder="name@example.com"
                        aria-invalid=move || if invalid() { "true" } else { "false" }
                        aria-describedby=error_id.clone()
                        disabled=move || busy.get()
                        bind:value=row.email
                        on:input=move |_| errors.update(|e| e.fields.retain(|f| f.pointer != pointer))
                    />
                    <div id=error_id class="field-errors">
                        {move || {
                            messages()
                                .into_iter()
                                .map(|m| view! { <p class="field-error">{m}</p> })
                                .collect_view()
                        }}
                    </div>
                </div>
                <button
                    type="button"
                    class="icon-button icon-button-small"
                    aria-label="Remove this email"
                    disabled=move || busy.get()
                    on:click=move |_| emails.update(|list| list.retain(|r| r.key != row.key))
                >
                    <Icon name=IconName::Trash />
                </button>
            </li>
        }
    };
    view! {
        <fieldset class="fieldset" aria-describedby="notify-hint">
            <legend>"Email alerts to"</legend>
            <p class="field-hint" id="notify-hint">
                {move || {
                    if emails.with(|e| e.iter().all(|r| r.email.with(|m| m.trim().is_empty()))) {
                        "Nobody is emailed: alerts show only in gmac."
                    } else {
                        "Alerts also show in gmac, under the bell."
                    }
                }}
            </p>
            <ul class="edit-list" id="new-budget-notify">
                <For each=move || emails.get() key=|row| row.key children=email_row_view />
            </ul>
            <button
                type="button"
                class="button button-small"
                id="add-email"
                disabled=move || busy.get()
                on:click=move |_| emails.update(|list| list.push(add.run(())))
            >
                <Icon name=IconName::Plus />
                <span>"Add email"</span>
            </button>
        </fieldset>
    }
}
