//! Creating a budget: its name, what it covers, its period and limit, the thresholds that
//! alert, and who is emailed.

use gmac_types::{
    Budget, BudgetPeriod, BudgetScope, BudgetThreshold, FieldError, NewBudget, SubjectKind,
    ThresholdBasis,
};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::components::error_banner::ErrorBanner;
use crate::components::form_field::{FieldMessages, FormErrors, FormField, SubmitButton};
use crate::components::mail_note::NoMailNote;
use crate::pages::SubmittedForm;
use crate::pages::costs::budgets::recipients::{EmailRow, RecipientList};
use crate::pages::costs::budgets::thresholds::{ThresholdList, ThresholdRow};
use crate::pages::costs::directory::CostDirectory;
use crate::pages::costs::forms::{Choice, ChoiceSelect, form_errors, parse_amount};
use crate::state::use_auth;

/// The fields of the form, as the server's pointers name them.
const FIELDS: [&str; 7] = [
    "name",
    "scope",
    "period",
    "amount",
    "currency",
    "thresholds",
    "notify",
];

/// The scope a kind and id stand for (`None` when the id is missing).
pub fn scope_of(kind: &str, id: String) -> Option<BudgetScope> {
    let id = Some(id).filter(|i| !i.is_empty());
    match kind {
        "global" => Some(BudgetScope::Global),
        "client" => id.map(|id| BudgetScope::Client { id }),
        "project" => id.map(|id| BudgetScope::Project { id }),
        "user" => id.map(|id| BudgetScope::User { id }),
        "team" => id.map(|id| BudgetScope::Team { id }),
        _ => None,
    }
}

/// The period a select's value stands for.
fn period_of(value: &str) -> BudgetPeriod {
    match value {
        "quarterly" => BudgetPeriod::Quarterly,
        "yearly" => BudgetPeriod::Yearly,
        _ => BudgetPeriod::Monthly,
    }
}

/// The thresholds and addresses of a budget form's lists, checked into `problems`: those to
/// send, and the row keys of the addresses sent (blank rows are left out).
pub(crate) fn read_lists(
    thresholds: &[ThresholdRow],
    emails: &[EmailRow],
    problems: &mut Vec<FieldError>,
) -> (Vec<BudgetThreshold>, Vec<String>, Vec<usize>) {
    let mut picked = Vec::new();
    for row in thresholds {
        match row.threshold() {
            Some(threshold) => picked.push(threshold),
            None => problems.push(FieldError {
                pointer: format!("/thresholds/{}", row.key),
                code: "invalid".into(),
                detail: String::new(),
            }),
        }
    }
    if picked.len() < thresholds.len() {
        problems.push(FieldError::new(
            "thresholds",
            "invalid",
            "Each threshold is a whole percentage from 1 to 1000.",
        ));
    }
    if thresholds.is_empty() {
        problems.push(FieldError::new(
            "thresholds",
            "required",
            "Add at least one threshold.",
        ));
    }
    let mut sent_keys = Vec::new();
    let mut notify = Vec::new();
    for row in emails {
        let email = row.email.get_untracked().trim().to_owned();
        if email.is_empty() {
            continue;
        }
        if !email.contains('@') || email.contains(char::is_whitespace) {
            problems.push(FieldError {
                pointer: format!("/notify/{}", row.key),
                code: "invalid".into(),
                detail: "Not an email address.".into(),
            });
        }
        sent_keys.push(row.key);
        notify.push(email);
    }
    (picked, notify, sent_keys)
}

/// A refused budget, for the form: `/notify/<i>` counts the addresses sent, which the rows
/// know by their own keys (`sent_keys`).
pub(crate) fn refusal(err: &gmac_client::ApiError, sent_keys: &[usize]) -> FormErrors {
    let mut found = form_errors(err, &FIELDS, &["notify"]);
    for error in &mut found.fields {
        let key = error
            .pointer
            .strip_prefix("/notify/")
            .and_then(|i| i.parse::<usize>().ok())
            .and_then(|i| sent_keys.get(i));
        if let Some(key) = key {
            error.pointer = format!("/notify/{key}");
        }
    }
    found
}

/// The create form, `#new-budget`.
#[component]
#[expect(
    clippy::too_many_lines,
    reason = "the fields, their lists and their checks share the form's state"
)]
pub fn NewBudgetForm(
    /// The clients, projects, users and teams to choose from.
    directory: Signal<CostDirectory>,
    /// After a budget was created.
    on_created: Callback<Budget>,
    /// When the form is sent (to clear the page's messages).
    on_start: Callback<()>,
) -> impl IntoView {
    let auth = use_auth();
    let name = RwSignal::new(String::new());
    let scope_kind = RwSignal::new("client".to_owned());
    let scope_id = RwSignal::new(String::new());
    let period = RwSignal::new("monthly".to_owned());
    let amount = RwSignal::new(String::new());
    let currency = RwSignal::new("USD".to_owned());
    let next_key = StoredValue::new(0_usize);
    let new_key = move || {
        let key = next_key.get_value();
        next_key.set_value(key + 1);
        key
    };
    let threshold = move |percent: u32, basis: ThresholdBasis| ThresholdRow {
        key: new_key(),
        percent: RwSignal::new(percent.to_string()),
        basis: RwSignal::new(basis),
    };
    let defaults = move || {
        vec![
            threshold(80, ThresholdBasis::Actual),
            threshold(100, ThresholdBasis::Actual),
            threshold(100, ThresholdBasis::Forecast),
        ]
    };
    let thresholds = RwSignal::new(defaults());
    let my_email = StoredValue::new(
        auth.with_me_untracked(|me| me.map(|m| m.email.clone()).unwrap_or_default()),
    );
    let email_row = move |email: String| EmailRow {
        key: new_key(),
        email: RwSignal::new(email),
    };
    let emails = RwSignal::new(vec![email_row(my_email.get_value())]);
    let errors = RwSignal::new(FormErrors::default());
    let busy = RwSignal::new(false);
    let banner = Signal::derive(move || errors.with(|e| e.banner.clone()));

    // Another kind of scope needs another choice; with one client, it is chosen already.
    Effect::new(move |before: Option<String>| {
        let kind = scope_kind.get();
        if before.is_some_and(|b| b != kind) {
            scope_id.set(String::new());
        }
        directory.with(|d| {
            if let [only] = d.clients.as_slice()
                && kind == "client"
                && scope_id.with_untracked(String::is_empty)
            {
                scope_id.set(only.id.clone());
            }
        });
        kind
    });
    let scope_choices = Signal::derive(move || {
        let kind = scope_kind.get();
        directory.with(|d| match kind.as_str() {
            "client" => d.client_choices(),
            "project" => d.project_choices(),
            "user" => d.subject_choices(SubjectKind::User),
            "team" => d.subject_choices(SubjectKind::Team),
            _ => Vec::new(),
        })
    });
    let scope_label = move || match scope_kind.get().as_str() {
        "project" => "Project",
        "user" => "User",
        "team" => "Team",
        _ => "Client",
    };

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let submitted = SubmittedForm::of(&ev);
        if busy.get_untracked() {
            return;
        }
        on_start.run(());
        let mut problems = Vec::new();
        let name_text = name.get_untracked().trim().to_owned();
        if name_text.is_empty() {
            problems.push(FieldError::new(
                "name",
                "required",
                "Give the budget a name.",
            ));
        }
        let scope = scope_of(&scope_kind.get_untracked(), scope_id.get_untracked());
        if scope.is_none() {
            problems.push(FieldError::new(
                "scope",
                "required",
                "Choose what the budget covers.",
            ));
        }
        let limit = match parse_amount(&amount.get_untracked()) {
            Ok(limit) => Some(limit),
            Err(message) => {
                problems.push(FieldError::new("amount", "invalid", message));
                None
            }
        };
        let (picked, notify, sent_keys) = thresholds.with_untracked(|thresholds| {
            emails.with_untracked(|emails| read_lists(thresholds, emails, &mut problems))
        });
        let (Some(scope), Some(limit), true) = (scope, limit, problems.is_empty()) else {
            errors.set(FormErrors::from_fields(problems));
            submitted.focus_first_invalid();
            return;
        };
        let input = NewBudget {
            name: name_text,
            scope,
            period: period_of(&period.get_untracked()),
            amount: limit,
            currency: crate::api::non_blank(&currency.get_untracked()),
            thresholds: Some(picked),
            notify: Some(notify),
        };
        errors.set(FormErrors::default());
        busy.set(true);
        spawn_local(async move {
            let result = auth
                .call(move |c| {
                    let input = input.clone();
                    async move { c.create_budget(&input).await }
                })
                .await;
            busy.set(false);
            match result {
                Ok(budget) => {
                    name.set(String::new());
                    amount.set(String::new());
                    thresholds.set(defaults());
                    emails.set(vec![email_row(my_email.get_value())]);
                    on_created.run(budget);
                }
                Err(err) => {
                    errors.set(refusal(&err, &sent_keys));
                    submitted.focus_first_invalid();
                }
            }
        });
    };

    let kinds = Signal::derive(|| {
        vec![
            Choice::new("global", "Everything (every client)"),
            Choice::new("client", "A client"),
            Choice::new("project", "A project"),
            Choice::new("user", "A user (allocated costs)"),
            Choice::new("team", "A team (allocated costs)"),
        ]
    });
    let periods = Signal::derive(|| {
        vec![
            Choice::new("monthly", "Monthly"),
            Choice::new("quarterly", "Quarterly"),
            Choice::new("yearly", "Yearly"),
        ]
    });

    view! {
        <section class="card section-gap" id="new-budget" aria-labelledby="new-budget-title">
            <h2 id="new-budget-title" class="card-title">
                "New budget"
            </h2>
            <form class="form card-body" novalidate=true on:submit=submit aria-labelledby="new-budget-title">
                <ErrorBanner message=banner />
                <div class="field-row">
                    <FormField
                        id="new-budget-name"
                        field="name"
                        label="Name"
                        autocomplete="off"
                        value=name
                        errors=errors
                        placeholder="e.g. Platform team, monthly"
                        disabled=busy
                    />
                    <ChoiceSelect
                        id="new-budget-period"
                        field="period"
                        label="Period"
                        value=period
                        choices=periods
                        errors=errors
                        hint="Calendar months, quarters or years."
                        disabled=busy
                    />
                </div>
                <div class="field-row">
                    <ChoiceSelect
                        id="new-budget-scope-kind"
                        field="scope_kind"
                        label="Covers"
                        value=scope_kind
                        choices=kinds
                        errors=errors
                        disabled=busy
                    />
                    <Show when=move || scope_kind.with(|k| k != "global")>
                        <div class="field" class:field-invalid=move || errors.with(|e| e.has("scope"))>
                            <label for="new-budget-scope">{scope_label}</label>
                            <select
                                id="new-budget-scope"
                                name="scope"
                                class="select"
                                aria-describedby="new-budget-scope-error"
                                aria-invalid=move || if errors.with(|e| e.has("scope")) { "true" } else { "false" }
                                disabled=move || busy.get()
                                on:change=move |ev| {
                                    scope_id.set(event_target_value(&ev));
                                    errors.update(|e| e.clear_field("scope"));
                                }
                            >
                                <option value="" prop:selected=move || scope_id.with(String::is_empty)>
                                    "Choose…"
                                </option>
                                {move || {
                                    scope_choices
                                        .get()
                                        .into_iter()
                                        .map(|choice| {
                                            let mine = choice.value.clone();
                                            view! {
                                                <option value=choice.value prop:selected=move || scope_id.with(|v| *v == mine)>
                                                    {choice.label}
                                                </option>
                                            }
                                        })
                                        .collect_view()
                                }}
                            </select>
                            <FieldMessages id="new-budget-scope-error" field="scope" errors=errors />
                        </div>
                    </Show>
                </div>
                <div class="field-row">
                    <FormField
                        id="new-budget-amount"
                        field="amount"
                        label="Limit per period"
                        autocomplete="off"
                        inputmode="decimal"
                        value=amount
                        errors=errors
                        placeholder="e.g. 1000.00"
                        hint="An exact amount; cents are kept."
                        disabled=busy
                    />
                    <FormField
                        id="new-budget-currency"
                        field="currency"
                        label="Currency"
                        autocomplete="off"
                        mono=true
                        value=currency
                        errors=errors
                        hint="ISO 4217, e.g. USD: the costs counted are in this currency."
                        disabled=busy
                    />
                </div>
                <ThresholdList
                    thresholds=thresholds
                    add=Callback::new(move |()| threshold(90, ThresholdBasis::Forecast))
                    errors=errors
                    busy=busy
                />
                <NoMailNote
                    id="budget-no-mail"
                    what="This gmac has no mail server (smtp_url), so alerts show in gmac's bell only; the addresses below are emailed once one is set."
                />
                <RecipientList
                    emails=emails
                    add=Callback::new(move |()| email_row(String::new()))
                    errors=errors
                    busy=busy
                />
                <div class="form-actions">
                    <SubmitButton id="create-budget" label="Create budget" busy_label="Creating…" busy=busy inline=true />
                </div>
            </form>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_need_an_id_except_everything() {
        assert_eq!(scope_of("global", String::new()), Some(BudgetScope::Global));
        assert_eq!(scope_of("client", String::new()), None);
        assert_eq!(
            scope_of("team", "t1".into()),
            Some(BudgetScope::Team { id: "t1".into() })
        );
        assert_eq!(scope_of("other", "x".into()), None);
    }
}
