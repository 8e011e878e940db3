//! What the cost forms (budgets, allocation rules, cloud accounts) share: field errors whose
//! pointers go deeper than one field (`/scope/id`, `/notify/2`), a labelled select of choices,
//! and reading an amount of money as typed.

use gmac_client::ApiError;
use gmac_types::FieldError;
use leptos::prelude::*;
use rust_decimal::Decimal;

use crate::components::form_field::FormErrors;

/// The errors of a failed request to a form with the fields `fields`. A pointer into a field
/// (`/scope/id`) is shown under that field (`/scope`), except for the fields in `nested`,
/// which draw their parts themselves (`/notify/2` under the third email). Everything else
/// goes to the banner.
pub fn form_errors(err: &ApiError, fields: &[&str], nested: &[&str]) -> FormErrors {
    let Some(problem) = err.problem().filter(|p| !p.errors.is_empty()) else {
        return FormErrors::from_message(err.message());
    };
    let mut banner = Vec::new();
    let mut matched = Vec::new();
    for error in &problem.errors {
        let field = fields.iter().find(|f| {
            let top = format!("/{f}");
            error.pointer == top || error.pointer.starts_with(&format!("{top}/"))
        });
        match field {
            Some(f) if nested.contains(f) => matched.push(error.clone()),
            Some(f) => matched.push(FieldError {
                pointer: format!("/{f}"),
                ..error.clone()
            }),
            None => banner.push(error.detail.clone()),
        }
    }
    FormErrors {
        banner: (!banner.is_empty()).then(|| banner.join(" ")),
        fields: matched,
    }
}

/// The messages at exactly `pointer` (e.g. `/notify/2`).
pub fn messages_at(errors: &FormErrors, pointer: &str) -> Vec<String> {
    errors
        .fields
        .iter()
        .filter(|e| e.pointer == pointer)
        .map(|e| e.detail.clone())
        .collect()
}

/// An amount of money as typed (`1250`, `1,250.50`, `$ 99`): a positive exact decimal, or
/// why not.
pub fn parse_amount(text: &str) -> Result<Decimal, &'static str> {
    let cleaned: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ',' && *c != '$')
        .collect();
    if cleaned.is_empty() {
        return Err("Enter an amount, e.g. 1000 or 1250.50.");
    }
    match cleaned.parse::<Decimal>() {
        Ok(amount) if amount > Decimal::ZERO => Ok(amount.normalize()),
        Ok(_) => Err("Enter an amount above zero."),
        Err(_) => Err("Enter a number, e.g. 1000 or 1250.50."),
    }
}

/// One choice of a [`ChoiceSelect`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    /// The value sent.
    pub value: String,
    /// What people read.
    pub label: String,
}

impl Choice {
    /// A choice.
    pub fn new(value: impl Into<String>, label: impl Into<String>) -> Self {
        Self {
            value: value.into(),
            label: label.into(),
        }
    }
}

/// A labelled select bound to `value`, with the messages for `field` under it.
#[component]
pub fn ChoiceSelect(
    /// The select's `id`.
    id: &'static str,
    /// The field its errors point at.
    field: &'static str,
    /// The visible label.
    label: &'static str,
    /// The chosen value (`""`: none yet).
    value: RwSignal<String>,
    /// What can be chosen.
    #[prop(into)]
    choices: Signal<Vec<Choice>>,
    /// The label of the empty choice, e.g. "Choose a client…"; without it there is none.
    #[prop(optional)]
    placeholder: Option<&'static str>,
    /// The form's errors.
    errors: RwSignal<FormErrors>,
    /// Help under the select.
    #[prop(optional)]
    hint: Option<&'static str>,
    /// Disable the select.
    #[prop(optional, into)]
    disabled: Signal<bool>,
) -> impl IntoView {
    let invalid = move || errors.with(|e| e.has(field));
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described_by = if hint.is_some() {
        format!("{hint_id} {error_id}")
    } else {
        error_id.clone()
    };
    view! {
        <div class="field" class:field-invalid=invalid>
            <label for=id>{label}</label>
            <select
                id=id
                name=field
                class="select"
                aria-invalid=move || if invalid() { "true" } else { "false" }
                aria-describedby=described_by
                disabled=move || disabled.get()
                on:change=move |ev| {
                    value.set(event_target_value(&ev));
                    errors.update(|e| e.clear_field(field));
                }
            >
                {placeholder
                    .map(|text| {
                        view! {
                            <option value="" prop:selected=move || value.with(String::is_empty)>
                                {text}
                            </option>
                        }
                    })}
                {move || {
                    choices
                        .get()
                        .into_iter()
                        .map(|choice| {
                            let mine = choice.value.clone();
                            view! {
                                <option value=choice.value prop:selected=move || value.with(|v| *v == mine)>
                                    {choice.label}
                                </option>
                            }
                        })
                        .collect_view()
                }}
            </select>
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

#[cfg(test)]
mod tests {
    use gmac_types::{ErrorCode, ProblemDetails};

    use super::*;

    #[test]
    fn deep_pointers_land_under_their_field() {
        let mut problem = ProblemDetails::new(ErrorCode::ValidationFailed);
        for pointer in ["/scope/id", "/notify/1", "/amount", "/elsewhere"] {
            problem.errors.push(FieldError {
                pointer: pointer.into(),
                code: "x".into(),
                detail: format!("bad {pointer}"),
            });
        }
        let errors = form_errors(
            &ApiError::Problem(Box::new(problem)),
            &["scope", "notify", "amount"],
            &["notify"],
        );
        assert!(errors.has("scope"));
        assert!(errors.has("amount"));
        assert_eq!(messages_at(&errors, "/notify/1"), ["bad /notify/1"]);
        assert_eq!(errors.banner.as_deref(), Some("bad /elsewhere"));
    }

    #[test]
    fn amounts_are_read_exactly() {
        let d = |s: &str| s.parse::<Decimal>().unwrap_or_default();
        assert_eq!(parse_amount("1,250.50"), Ok(d("1250.5")));
        assert_eq!(parse_amount(" $ 99 "), Ok(d("99")));
        assert!(parse_amount("0").is_err());
        assert!(parse_amount("ten").is_err());
        assert!(parse_amount("").is_err());
    }
}
