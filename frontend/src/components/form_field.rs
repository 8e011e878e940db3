//! A labelled input with its error messages, and the errors of a whole form.

use gmac_client::ApiError;
use gmac_types::FieldError;
use gmac_types::problem::escape_pointer_token;
use leptos::prelude::*;

use crate::components::spinner::Spinner;

/// What is wrong with a form: a message for the banner and messages for single fields
/// (matched by JSON Pointer, as the server's `errors[].pointer`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FormErrors {
    /// A message about the form as a whole.
    pub banner: Option<String>,
    /// Messages for single fields.
    pub fields: Vec<FieldError>,
}

impl FormErrors {
    /// Errors for single fields only, e.g. from checks before sending.
    pub fn from_fields(fields: Vec<FieldError>) -> Self {
        Self {
            banner: None,
            fields,
        }
    }

    /// A message for the banner only.
    pub fn from_message(message: impl Into<String>) -> Self {
        Self {
            banner: Some(message.into()),
            fields: Vec::new(),
        }
    }

    /// The errors of a failed request to a form with the fields `known`. Field errors go
    /// under their inputs; any the form has no input for, and every other failure, go to the
    /// banner.
    pub fn from_api(err: &ApiError, known: &[&str]) -> Self {
        let Some(problem) = err.problem().filter(|p| !p.errors.is_empty()) else {
            return Self::from_message(err.message());
        };
        let unmatched: Vec<&str> = problem
            .errors
            .iter()
            .filter(|e| !known.iter().any(|field| e.pointer == pointer(field)))
            .map(|e| e.detail.as_str())
            .collect();
        Self {
            banner: (!unmatched.is_empty()).then(|| unmatched.join(" ")),
            fields: problem.errors.clone(),
        }
    }

    /// Whether nothing is wrong.
    pub fn is_empty(&self) -> bool {
        self.banner.is_none() && self.fields.is_empty()
    }

    /// The messages for `field`.
    pub fn messages(&self, field: &str) -> Vec<String> {
        let pointer = pointer(field);
        self.fields
            .iter()
            .filter(|e| e.pointer == pointer)
            .map(|e| e.detail.clone())
            .collect()
    }

    /// Whether `field` has a message.
    pub fn has(&self, field: &str) -> bool {
        let pointer = pointer(field);
        self.fields.iter().any(|e| e.pointer == pointer)
    }

    /// Drops the messages for `field`.
    pub fn clear_field(&mut self, field: &str) {
        let pointer = pointer(field);
        self.fields.retain(|e| e.pointer != pointer);
    }

    /// Replaces the messages for the field `error` points at with `error`.
    pub fn set_field(&mut self, error: FieldError) {
        self.fields.retain(|e| e.pointer != error.pointer);
        self.fields.push(error);
    }
}

fn pointer(field: &str) -> String {
    format!("/{}", escape_pointer_token(field))
}

/// A labelled input bound to `value`, with its messages from `errors` underneath.
///
/// Editing the input clears its messages; leaving it runs `check` (when the input is not
/// empty), so a mistake shows before the form is sent.
#[component]
pub fn FormField(
    /// The input's `id`.
    id: &'static str,
    /// The field's name: the input's `name` and the JSON Pointer its errors come with.
    field: &'static str,
    /// The visible label.
    label: &'static str,
    /// The input's `type`.
    #[prop(default = "text")]
    input_type: &'static str,
    /// The input's `autocomplete`.
    autocomplete: &'static str,
    /// The value.
    value: RwSignal<String>,
    /// The form's errors.
    errors: RwSignal<FormErrors>,
    /// A check run when the input loses focus: `Some(message)` when the value is wrong.
    #[prop(optional)]
    check: Option<Callback<String, Option<String>>>,
    /// Help text under the input.
    #[prop(optional)]
    hint: Option<&'static str>,
    /// Focus the input when the page opens.
    #[prop(optional)]
    autofocus: bool,
    /// Show the value in a monospace font, without spelling help (tokens, codes).
    #[prop(optional)]
    mono: bool,
    /// Disable the input (while the form is being sent).
    #[prop(optional, into)]
    disabled: Signal<bool>,
    /// The input's `inputmode`, e.g. `numeric` for one-time codes.
    #[prop(optional)]
    inputmode: Option<&'static str>,
    /// Whether the field may be left empty (drops `required`).
    #[prop(optional)]
    optional: bool,
    /// The `id` of a `<datalist>` of suggestions.
    #[prop(optional)]
    list: Option<&'static str>,
    /// Shown in the empty input.
    #[prop(optional, into)]
    placeholder: Option<String>,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described_by = match hint {
        Some(_) => format!("{hint_id} {error_id}"),
        None => error_id.clone(),
    };
    let literal = mono || input_type == "email";
    let invalid = move || errors.with(|e| e.has(field));

    let on_input = move |_| {
        if errors.with_untracked(|e| e.has(field)) {
            errors.update(|e| e.clear_field(field));
        }
    };
    let on_blur = move |_| {
        let Some(check) = check else { return };
        let current = value.get_untracked();
        if current.is_empty() {
            return;
        }
        match check.run(current) {
            Some(message) => {
                errors.update(|e| e.set_field(FieldError::new(field, "invalid", message)));
            }
            None if errors.with_untracked(|e| e.has(field)) => {
                errors.update(|e| e.clear_field(field));
            }
            None => {}
        }
    };

    view! {
        <div class="field" class:field-invalid=invalid>
            <label for=id>{label}</label>
            <input
                id=id
                name=field
                type=input_type
                autocomplete=autocomplete
                class:mono=mono
                autocapitalize=literal.then_some("none")
                spellcheck=literal.then_some("false")
                required=!optional
                inputmode=inputmode
                list=list
                placeholder=placeholder
                autofocus=autofocus
                aria-invalid=move || if invalid() { "true" } else { "false" }
                aria-describedby=described_by
                disabled=move || disabled.get()
                bind:value=value
                on:input=on_input
                on:blur=on_blur
            />
            {hint.map(|text| view! { <p class="field-hint" id=hint_id>{text}</p> })}
            <div id=error_id class="field-errors">
                {move || {
                    errors
                        .with(|e| e.messages(field))
                        .into_iter()
                        .map(|message| view! { <p class="field-error">{message}</p> })
                        .collect_view()
                }}
            </div>
        </div>
    }
}

/// The messages for `field` from `errors`, for inputs that are not a [`FormField`] (selects,
/// checkboxes). Give it the `id` the input's `aria-describedby` names.
#[component]
pub fn FieldMessages(
    /// The container's `id`.
    id: &'static str,
    /// The field's name, as the server's pointer names it.
    field: &'static str,
    /// The form's errors.
    errors: RwSignal<FormErrors>,
) -> impl IntoView {
    view! {
        <div id=id class="field-errors">
            {move || {
                errors
                    .with(|e| e.messages(field))
                    .into_iter()
                    .map(|message| view! { <p class="field-error">{message}</p> })
                    .collect_view()
            }}
        </div>
    }
}

/// A form's submit button, which shows a spinner and `busy_label` while the form is sent.
#[component]
pub fn SubmitButton(
    /// The button's `id`.
    id: &'static str,
    /// The label.
    label: &'static str,
    /// The label while busy, e.g. "Signing in…".
    busy_label: &'static str,
    /// Whether the form is being sent.
    #[prop(into)]
    busy: Signal<bool>,
    /// As wide as its content rather than the form (forms on pages, not sign-in cards).
    #[prop(optional)]
    inline: bool,
) -> impl IntoView {
    let class = if inline {
        "button button-primary"
    } else {
        "button button-primary button-block"
    };
    view! {
        <button
            id=id
            type="submit"
            class=class
            disabled=move || busy.get()
            aria-busy=move || if busy.get() { "true" } else { "false" }
        >
            {move || {
                if busy.get() {
                    view! {
                        <Spinner />
                        <span>{busy_label}</span>
                    }
                        .into_any()
                } else {
                    view! { <span>{label}</span> }.into_any()
                }
            }}
        </button>
    }
}

#[cfg(test)]
mod tests {
    use gmac_client::ApiError;
    use gmac_types::{ErrorCode, FieldError, ProblemDetails};

    use super::FormErrors;

    #[test]
    fn field_errors_go_under_their_inputs_and_the_rest_to_the_banner() {
        let problem = ProblemDetails::new(ErrorCode::ValidationFailed).with_errors(vec![
            FieldError::new("email", "invalid_email", "Not an address."),
            FieldError::new("colour", "unknown", "No such field here."),
        ]);
        let errors = FormErrors::from_api(&ApiError::Problem(Box::new(problem)), &["email"]);
        assert_eq!(errors.messages("email"), vec!["Not an address.".to_owned()]);
        assert_eq!(errors.banner.as_deref(), Some("No such field here."));
    }

    #[test]
    fn other_failures_go_to_the_banner() {
        let problem = ProblemDetails::new(ErrorCode::InvalidCredentials).with_detail("Wrong.");
        let errors = FormErrors::from_api(&ApiError::Problem(Box::new(problem)), &["email"]);
        assert_eq!(errors.banner.as_deref(), Some("Wrong."));
        assert!(errors.fields.is_empty());
        let offline = FormErrors::from_api(&ApiError::Network("refused".to_owned()), &[]);
        assert!(
            offline
                .banner
                .is_some_and(|m| m.contains("cannot be reached"))
        );
    }
}
