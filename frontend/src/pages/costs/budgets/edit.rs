//! Changing a budget on its page: its name, limit, thresholds and who is emailed, sent with the
//! version it was read at, so a change made meanwhile is not overwritten.

use gmac_types::{Budget, BudgetPatch, ErrorCode, FieldError};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::components::error_banner::ErrorBanner;
use crate::components::form_field::{FormErrors, FormField, SubmitButton};
use crate::pages::SubmittedForm;
use crate::pages::costs::budgets::form::{read_lists, refusal};
use crate::pages::costs::budgets::recipients::{EmailRow, RecipientList};
use crate::pages::costs::budgets::thresholds::{ThresholdList, ThresholdRow};
use crate::pages::costs::forms::parse_amount;
use crate::state::use_auth;

/// The edit form, `#edit-budget`, filled with `budget` as read.
#[component]
#[expect(
    clippy::too_many_lines,
    reason = "the fields, their lists and their checks share the form's state"
)]
pub fn EditBudgetForm(
    /// The budget as read (its version is sent with the change).
    budget: Budget,
    /// After the change was saved, with the budget as it is now.
    on_saved: Callback<Budget>,
    /// Closes the form without a change, and loads the budget again.
    on_cancel: Callback<()>,
) -> impl IntoView {
    let auth = use_auth();
    let Budget {
        id,
        name,
        amount,
        thresholds: held,
        notify,
        version,
        ..
    } = budget;
    let id = StoredValue::new(id);
    let name = RwSignal::new(name);
    let amount = RwSignal::new(amount.to_string());
    let next_key = StoredValue::new(0_usize);
    let new_key = move || {
        let key = next_key.get_value();
        next_key.set_value(key + 1);
        key
    };
    let threshold = move |percent: u32, basis| ThresholdRow {
        key: new_key(),
        percent: RwSignal::new(percent.to_string()),
        basis: RwSignal::new(basis),
    };
    let thresholds = RwSignal::new(
        held.iter()
            .map(|t| threshold(t.percent, t.basis))
            .collect::<Vec<_>>(),
    );
    let email_row = move |email: String| EmailRow {
        key: new_key(),
        email: RwSignal::new(email),
    };
    let emails = RwSignal::new(notify.into_iter().map(email_row).collect::<Vec<_>>());
    let errors = RwSignal::new(FormErrors::default());
    let busy = RwSignal::new(false);
    let banner = Signal::derive(move || errors.with(|e| e.banner.clone()));

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let submitted = SubmittedForm::of(&ev);
        if busy.get_untracked() {
            return;
        }
        let mut problems = Vec::new();
        let name_text = name.get_untracked().trim().to_owned();
        if name_text.is_empty() {
            problems.push(FieldError::new(
                "name",
                "required",
                "Give the budget a name.",
            ));
        }
        let limit = parse_amount(&amount.get_untracked())
            .map_err(|message| problems.push(FieldError::new("amount", "invalid", message)))
            .ok();
        let (picked, notify, sent_keys) = thresholds.with_untracked(|thresholds| {
            emails.with_untracked(|emails| read_lists(thresholds, emails, &mut problems))
        });
        let (Some(limit), true) = (limit, problems.is_empty()) else {
            errors.set(FormErrors::from_fields(problems));
            submitted.focus_first_invalid();
            return;
        };
        let patch = BudgetPatch {
            name: Some(name_text),
            amount: Some(limit),
            thresholds: Some(picked),
            notify: Some(notify),
        };
        errors.set(FormErrors::default());
        busy.set(true);
        spawn_local(async move {
            let result = auth
                .call(move |c| {
                    let patch = patch.clone();
                    async move {
                        c.update_budget(&id.get_value(), &patch, Some(version))
                            .await
                    }
                })
                .await;
            busy.set(false);
            match result {
                Ok(saved) => on_saved.run(saved),
                Err(err) if crate::api::is(&err, ErrorCode::PreconditionFailed) => {
                    errors.set(FormErrors::from_message(
                        "Someone else changed this budget while you were editing. Cancel to \
                         see their change, then make yours again.",
                    ));
                }
                Err(err) => {
                    errors.set(refusal(&err, &sent_keys));
                    submitted.focus_first_invalid();
                }
            }
        });
    };

    view! {
        <section class="card section-gap" id="edit-budget" aria-labelledby="edit-budget-title">
            <h2 id="edit-budget-title" class="card-title">
                "Change the budget"
            </h2>
            <form class="form card-body" novalidate=true on:submit=submit aria-labelledby="edit-budget-title">
                <p class="muted">
                    "What it covers, its period and currency stay. Alerts already sent stay sent; \
                     the next check uses the new limit and thresholds."
                </p>
                <ErrorBanner message=banner />
                <div class="field-row">
                    <FormField
                        id="edit-budget-name"
                        field="name"
                        label="Name"
                        autocomplete="off"
                        value=name
                        errors=errors
                        disabled=busy
                    />
                    <FormField
                        id="edit-budget-amount"
                        field="amount"
                        label="Limit per period"
                        autocomplete="off"
                        inputmode="decimal"
                        value=amount
                        errors=errors
                        hint="An exact amount; cents are kept."
                        disabled=busy
                    />
                </div>
                <ThresholdList
                    thresholds=thresholds
                    add=Callback::new(move |()| threshold(90, gmac_types::ThresholdBasis::Forecast))
                    errors=errors
                    busy=busy
                />
                <RecipientList
                    emails=emails
                    add=Callback::new(move |()| email_row(String::new()))
                    errors=errors
                    busy=busy
                />
                <div class="form-actions">
                    <button type="button" class="button" id="cancel-budget-edit" on:click=move |_| on_cancel.run(())>
                        "Cancel"
                    </button>
                    <SubmitButton id="save-budget" label="Save changes" busy_label="Saving…" busy=busy inline=true />
                </div>
            </form>
        </section>
    }
}
