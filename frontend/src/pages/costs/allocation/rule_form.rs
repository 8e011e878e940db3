//! Creating an allocation rule: its name, client and position, what it matches, and what
//! happens to the costs it matches.

use chrono::Days;
use gmac_types::{AllocationRule, CostQuery, FieldError, NewAllocationRule};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::non_blank;
use crate::components::error_banner::ErrorBanner;
use crate::components::form_field::{FieldMessages, FormErrors, FormField, SubmitButton};
use crate::pages::SubmittedForm;
use crate::pages::costs::allocation::outcome::{Outcome, OutcomeFields};
use crate::pages::costs::directory::CostDirectory;
use crate::pages::costs::forms::{Choice, ChoiceSelect, form_errors};
use crate::state::{Auth, use_auth};

/// The fields of the form, as the server's pointers name them.
const FIELDS: [&str; 8] = [
    "name",
    "client_id",
    "position",
    "tag_key",
    "tag_value",
    "account",
    "service",
    "allocation",
];

/// How far back costs are read to suggest services and accounts.
const SUGGEST_DAYS: u64 = 90;

/// The services and accounts with costs lately, to suggest.
async fn suggestions(auth: Auth) -> (Vec<String>, Vec<String>) {
    let today = crate::js::now().date_naive();
    let from = today
        .checked_sub_days(Days::new(SUGGEST_DAYS))
        .unwrap_or(today);
    let keys = |group: &'static str| async move {
        let query = CostQuery {
            from,
            to: today,
            group_by: Some(group.to_owned()),
            ..CostQuery::default()
        };
        auth.call(move |c| {
            let query = query.clone();
            async move { c.costs(&query).await }
        })
        .await
        .map(|r| {
            r.groups
                .into_iter()
                .map(|g| g.key)
                .filter(|k| k != "(none)")
                .collect()
        })
        .unwrap_or_default()
    };
    (keys("service").await, keys("account").await)
}

/// The ids of one form's parts: a new rule's (`#new-rule`) or a changed one's (`#edit-rule`).
#[derive(Debug)]
pub struct RuleIds {
    section: &'static str,
    title: &'static str,
    name: &'static str,
    client: &'static str,
    position: &'static str,
    position_hint: &'static str,
    position_error: &'static str,
    described: &'static str,
    tag_key: &'static str,
    tag_value: &'static str,
    account: &'static str,
    service: &'static str,
    submit: &'static str,
}

/// A new rule's form.
const NEW_IDS: RuleIds = RuleIds {
    section: "new-rule",
    title: "new-rule-title",
    name: "new-rule-name",
    client: "new-rule-client",
    position: "new-rule-position",
    position_hint: "new-rule-position-hint",
    position_error: "new-rule-position-error",
    described: "new-rule-position-hint new-rule-position-error",
    tag_key: "new-rule-tag-key",
    tag_value: "new-rule-tag-value",
    account: "new-rule-account",
    service: "new-rule-service",
    submit: "create-rule",
};

/// A changed rule's form.
const EDIT_IDS: RuleIds = RuleIds {
    section: "edit-rule",
    title: "edit-rule-title",
    name: "edit-rule-name",
    client: "edit-rule-client",
    position: "edit-rule-position",
    position_hint: "edit-rule-position-hint",
    position_error: "edit-rule-position-error",
    described: "edit-rule-position-hint edit-rule-position-error",
    tag_key: "edit-rule-tag-key",
    tag_value: "edit-rule-tag-value",
    account: "edit-rule-account",
    service: "edit-rule-service",
    submit: "save-rule",
};

/// The rule form: a new rule (`#new-rule`), or, with `editing`, a change to that rule sent
/// with the version it was read at (`#edit-rule`).
#[component]
#[expect(
    clippy::too_many_lines,
    reason = "the criteria, the allocation and their checks share the form's state"
)]
pub fn NewRuleForm(
    /// Clients, users and teams to choose from.
    directory: Signal<CostDirectory>,
    /// How many rules there are (the default position is after them).
    count: Signal<usize>,
    /// After a rule was created or changed.
    on_created: Callback<AllocationRule>,
    /// When the form is sent.
    on_start: Callback<()>,
    /// The rule being changed, if any.
    #[prop(optional)]
    editing: Option<AllocationRule>,
    /// Closes the change without sending it.
    #[prop(optional)]
    on_cancel: Option<Callback<()>>,
) -> impl IntoView {
    let auth = use_auth();
    let ids = if editing.is_some() {
        &EDIT_IDS
    } else {
        &NEW_IDS
    };
    let text = |value: Option<&String>| value.cloned().unwrap_or_default();
    let name = RwSignal::new(text(editing.as_ref().map(|r| &r.name)));
    let client = RwSignal::new(text(editing.as_ref().and_then(|r| r.client_id.as_ref())));
    let position = RwSignal::new(
        editing
            .as_ref()
            .map(|r| r.position.to_string())
            .unwrap_or_default(),
    );
    let tag_key = RwSignal::new(text(editing.as_ref().and_then(|r| r.tag_key.as_ref())));
    let tag_value = RwSignal::new(text(editing.as_ref().and_then(|r| r.tag_value.as_ref())));
    let account = RwSignal::new(text(editing.as_ref().and_then(|r| r.account.as_ref())));
    let service = RwSignal::new(text(editing.as_ref().and_then(|r| r.service.as_ref())));
    let outcome = Outcome::new();
    if let Some(rule) = &editing {
        outcome.load(&rule.allocation);
    }
    let editing = StoredValue::new(editing.map(|r| (r.id, r.version, r.name, r.position)));
    let errors = RwSignal::new(FormErrors::default());
    let busy = RwSignal::new(false);
    let banner = Signal::derive(move || errors.with(|e| e.banner.clone()));
    let suggest = LocalResource::new(move || suggestions(auth));

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let submitted = SubmittedForm::of(&ev);
        if busy.get_untracked() {
            return;
        }
        on_start.run(());
        let mut problems = Vec::new();
        let rule_name = name.get_untracked().trim().to_owned();
        if rule_name.is_empty() {
            problems.push(FieldError::new("name", "required", "Give the rule a name."));
        }
        let position_text = position.get_untracked();
        let at = match non_blank(&position_text).map(|p| p.parse::<u32>()) {
            None => None,
            Some(Ok(p)) if p >= 1 => Some(p),
            Some(_) => {
                problems.push(FieldError::new(
                    "position",
                    "invalid",
                    "A whole number from 1, or empty for last.",
                ));
                None
            }
        };
        let (key, value) = (
            non_blank(&tag_key.get_untracked()),
            non_blank(&tag_value.get_untracked()),
        );
        let (acct, svc) = (
            non_blank(&account.get_untracked()),
            non_blank(&service.get_untracked()),
        );
        if key.is_none() && acct.is_none() && svc.is_none() {
            problems.push(FieldError::new(
                "tag_key",
                "no_criterion",
                "Match on a tag, an account or a service.",
            ));
        }
        if value.is_some() && key.is_none() {
            problems.push(FieldError::new(
                "tag_value",
                "needs_tag_key",
                "A tag value needs a tag key.",
            ));
        }
        let allocation = outcome.allocation(key.as_ref(), value.as_ref(), &mut problems);
        let (Some(allocation), true) = (allocation, problems.is_empty()) else {
            errors.set(FormErrors::from_fields(problems));
            submitted.focus_first_invalid();
            return;
        };
        let input = NewAllocationRule {
            client_id: non_blank(&client.get_untracked()),
            name: rule_name,
            position: at,
            tag_key: key,
            tag_value: value,
            account: acct,
            service: svc,
            allocation,
        };
        errors.set(FormErrors::default());
        busy.set(true);
        let changing = editing.get_value();
        spawn_local(async move {
            let result = auth
                .call(move |c| {
                    let input = input.clone();
                    let changing = changing.clone();
                    async move {
                        match changing {
                            Some((id, version, _, was)) => {
                                let change = gmac_types::AllocationRuleChange {
                                    name: input.name,
                                    // Its place is sent only when moved here: rules added or
                                    // deleted meanwhile shift it without a new version.
                                    position: input.position.filter(|p| *p != was),
                                    tag_key: input.tag_key,
                                    tag_value: input.tag_value,
                                    account: input.account,
                                    service: input.service,
                                    allocation: input.allocation,
                                };
                                c.update_allocation_rule(&id, &change, Some(version)).await
                            }
                            None => c.create_allocation_rule(&input).await,
                        }
                    }
                })
                .await;
            busy.set(false);
            match result {
                Err(err) if crate::api::is(&err, gmac_types::ErrorCode::PreconditionFailed) => {
                    errors.set(FormErrors::from_message(
                        "Someone else changed this rule while you were editing. Cancel to see \
                         their change, then make yours again.",
                    ));
                }
                Ok(rule) => {
                    for field in [name, position, tag_key, tag_value, account, service] {
                        field.set(String::new());
                    }
                    outcome.reset();
                    on_created.run(rule);
                }
                Err(err) => {
                    errors.set(form_errors(&err, &FIELDS, &[]));
                    submitted.focus_first_invalid();
                }
            }
        });
    };

    let clients = Signal::derive(move || {
        let mut choices = vec![Choice::new("", "Every client")];
        choices.extend(directory.with(CostDirectory::client_choices));
        choices
    });
    let position_hint = Signal::derive(move || {
        if editing.with_value(Option::is_some) {
            "1 is tried first. Empty: where it is.".to_owned()
        } else {
            format!(
                "1 is tried first. Empty: last, after the {} rules.",
                count.get()
            )
        }
    });
    let heading = editing.with_value(|e| {
        e.as_ref().map_or_else(
            || "New rule".to_owned(),
            |(_, _, name, _)| format!("Change rule “{name}”"),
        )
    });
    let changing = editing.with_value(Option::is_some);
    view! {
        <section class="card section-gap" id=ids.section aria-labelledby=ids.title>
            <h2 id=ids.title class="card-title">
                {heading}
            </h2>
            <form class="form card-body" novalidate=true on:submit=submit aria-labelledby=ids.title>
                <ErrorBanner message=banner />
                <div class="field-row">
                    <FormField
                        id=ids.name
                        field="name"
                        label="Name"
                        autocomplete="off"
                        value=name
                        errors=errors
                        placeholder="e.g. Owner tag"
                        disabled=busy
                    />
                    <ChoiceSelect
                        id=ids.client
                        field="client_id"
                        label="Applies to"
                        value=client
                        choices=clients
                        errors=errors
                        hint="Every client needs costs.manage everywhere. A rule keeps its client."
                        disabled=Signal::derive(move || busy.get() || changing)
                    />
                    <div class="field" class:field-invalid=move || errors.with(|e| e.has("position"))>
                        <label for=ids.position>"Position"</label>
                        <input
                            id=ids.position
                            name="position"
                            class="input"
                            type="number"
                            min="1"
                            step="1"
                            inputmode="numeric"
                            placeholder="Last"
                            aria-describedby=ids.described
                            aria-invalid=move || if errors.with(|e| e.has("position")) { "true" } else { "false" }
                            disabled=move || busy.get()
                            bind:value=position
                            on:input=move |_| errors.update(|e| e.clear_field("position"))
                        />
                        <p class="field-hint" id=ids.position_hint>{position_hint}</p>
                        <FieldMessages id=ids.position_error field="position" errors=errors />
                    </div>
                </div>
                <fieldset class="fieldset">
                    <legend>"Match costs with"</legend>
                    <p class="field-hint">"Every criterion given must match. Give at least one."</p>
                    <div class="field-row">
                        <FormField
                            id=ids.tag_key
                            field="tag_key"
                            label="Tag key"
                            autocomplete="off"
                            mono=true
                            optional=true
                            value=tag_key
                            errors=errors
                            placeholder="e.g. owner"
                            disabled=busy
                        />
                        <FormField
                            id=ids.tag_value
                            field="tag_value"
                            label="Tag value"
                            autocomplete="off"
                            mono=true
                            optional=true
                            value=tag_value
                            errors=errors
                            placeholder="Any value"
                            disabled=busy
                        />
                        <FormField
                            id=ids.account
                            field="account"
                            label="Account"
                            autocomplete="off"
                            mono=true
                            optional=true
                            list="rule-accounts"
                            value=account
                            errors=errors
                            placeholder="Any account"
                            disabled=busy
                        />
                        <FormField
                            id=ids.service
                            field="service"
                            label="Service"
                            autocomplete="off"
                            optional=true
                            list="rule-services"
                            value=service
                            errors=errors
                            placeholder="Any service"
                            disabled=busy
                        />
                    </div>
                    <datalist id="rule-services">
                        {move || {
                            suggest
                                .get()
                                .map(|(services, _)| {
                                    services.into_iter().map(|s| view! { <option value=s></option> }).collect_view()
                                })
                        }}
                    </datalist>
                    <datalist id="rule-accounts">
                        {move || {
                            suggest
                                .get()
                                .map(|(_, accounts)| {
                                    accounts.into_iter().map(|s| view! { <option value=s></option> }).collect_view()
                                })
                        }}
                    </datalist>
                </fieldset>
                <OutcomeFields outcome=outcome directory=directory errors=errors busy=busy />
                <div class="form-actions">
                    {on_cancel
                        .map(|cancel| {
                            view! {
                                <button type="button" class="button" id="cancel-rule-edit" on:click=move |_| cancel.run(())>
                                    "Cancel"
                                </button>
                            }
                        })}
                    <SubmitButton
                        id=ids.submit
                        label=if changing { "Save rule" } else { "Create rule" }
                        busy_label="Saving…"
                        busy=busy
                        inline=true
                    />
                </div>
            </form>
        </section>
    }
}
