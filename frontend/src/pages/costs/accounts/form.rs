//! Connecting an AWS account: the client, a name, the access key (write-only), optionally a
//! role to assume, the region or an endpoint, the second grouping and how many days each
//! sync re-reads.

use gmac_types::{CloudAccount, FieldError, NewCloudAccount, SecretText};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::non_blank;
use crate::components::error_banner::ErrorBanner;
use crate::components::form_field::{FormErrors, FormField, SubmitButton};
use crate::pages::SubmittedForm;
use crate::pages::costs::directory::CostDirectory;
use crate::pages::costs::forms::{Choice, ChoiceSelect, form_errors};
use crate::state::use_auth;

/// The fields of the form, as the server names them.
const FIELDS: [&str; 10] = [
    "client_id",
    "name",
    "access_key_id",
    "secret_access_key",
    "role_arn",
    "external_id",
    "region",
    "endpoint_url",
    "group_by",
    "resync_days",
];

/// The days each sync re-reads unless told otherwise (the API's default).
const DEFAULT_RESYNC_DAYS: &str = "14";

/// The `group_by` for a choice and a tag key: `LINKED_ACCOUNT` or `TAG:<key>`.
pub fn group_by(choice: &str, tag_key: &str) -> Result<String, &'static str> {
    if choice == "tag" {
        let key = tag_key.trim();
        if key.is_empty() {
            Err("Enter the tag key to group by.")
        } else {
            Ok(format!("TAG:{key}"))
        }
    } else {
        Ok("LINKED_ACCOUNT".to_owned())
    }
}

/// The connect form, `#connect-form`.
#[component]
#[expect(
    clippy::too_many_lines,
    reason = "ten fields with their checks share the form's state"
)]
pub fn ConnectForm(
    /// The clients accounts can belong to.
    directory: Signal<CostDirectory>,
    /// After an account was connected.
    on_created: Callback<CloudAccount>,
    /// When the form is sent.
    on_start: Callback<()>,
) -> impl IntoView {
    let auth = use_auth();
    let client = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let key_id = RwSignal::new(String::new());
    let secret = RwSignal::new(String::new());
    let role = RwSignal::new(String::new());
    let external = RwSignal::new(String::new());
    let region = RwSignal::new("us-east-1".to_owned());
    let endpoint = RwSignal::new(String::new());
    let grouping = RwSignal::new("account".to_owned());
    let tag_key = RwSignal::new(String::new());
    let resync = RwSignal::new(DEFAULT_RESYNC_DAYS.to_owned());
    let errors = RwSignal::new(FormErrors::default());
    let busy = RwSignal::new(false);
    let test_first = RwSignal::new(true);
    let banner = Signal::derive(move || errors.with(|e| e.banner.clone()));
    Effect::new(move |_| {
        directory.with(|d| {
            if let [only] = d.clients.as_slice()
                && client.with_untracked(String::is_empty)
            {
                client.set(only.id.clone());
            }
        });
    });

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let submitted = SubmittedForm::of(&ev);
        if busy.get_untracked() {
            return;
        }
        on_start.run(());
        let mut problems = Vec::new();
        let client_id = client.get_untracked();
        if client_id.is_empty() {
            problems.push(FieldError::new(
                "client_id",
                "required",
                "Choose the client whose costs these are.",
            ));
        }
        let label = name.get_untracked().trim().to_owned();
        if label.is_empty() {
            problems.push(FieldError::new(
                "name",
                "required",
                "Give the account a name.",
            ));
        }
        let access_key_id = non_blank(&key_id.get_untracked());
        if access_key_id.is_none() {
            problems.push(FieldError::new(
                "access_key_id",
                "required",
                "An access key id is required (also to assume a role).",
            ));
        }
        let secret_text = secret.get_untracked();
        if secret_text.trim().is_empty() {
            problems.push(FieldError::new(
                "secret_access_key",
                "required",
                "The access key's secret is required.",
            ));
        }
        let group = match group_by(&grouping.get_untracked(), &tag_key.get_untracked()) {
            Ok(group) => Some(group),
            Err(message) => {
                problems.push(FieldError::new("group_by", "required", message));
                None
            }
        };
        let days = match non_blank(&resync.get_untracked()).map(|d| d.parse::<u32>()) {
            None => None,
            Some(Ok(d)) if (1..=90).contains(&d) => Some(d),
            Some(_) => {
                problems.push(FieldError::new(
                    "resync_days",
                    "out_of_range",
                    "1 to 90 days.",
                ));
                None
            }
        };
        if !problems.is_empty() {
            errors.set(FormErrors::from_fields(problems));
            submitted.focus_first_invalid();
            return;
        }
        let input = NewCloudAccount {
            client_id,
            name: label,
            access_key_id,
            secret_access_key: Some(SecretText::new(secret_text.trim())),
            role_arn: non_blank(&role.get_untracked()),
            external_id: non_blank(&external.get_untracked()).map(SecretText::new),
            region: non_blank(&region.get_untracked()),
            endpoint_url: non_blank(&endpoint.get_untracked()),
            group_by: group,
            resync_days: days,
            test: Some(test_first.get_untracked()),
        };
        errors.set(FormErrors::default());
        busy.set(true);
        spawn_local(async move {
            let result = auth
                .call(move |c| {
                    let input = input.clone();
                    async move { c.create_cloud_account(&input).await }
                })
                .await;
            busy.set(false);
            // The secrets are not kept in the page, whatever the answer.
            secret.set(String::new());
            external.set(String::new());
            match result {
                Ok(created) => {
                    for field in [name, key_id, role, endpoint, tag_key] {
                        field.set(String::new());
                    }
                    on_created.run(created);
                }
                Err(err) => {
                    let mut found = form_errors(&err, &FIELDS, &[]);
                    if !found.has("secret_access_key") {
                        found.fields.push(FieldError::new(
                            "secret_access_key",
                            "re_enter",
                            "Enter the secret again: it is not kept in the page.",
                        ));
                    }
                    errors.set(found);
                    submitted.focus_first_invalid();
                }
            }
        });
    };
    let clients = Signal::derive(move || directory.with(CostDirectory::client_choices));
    let groupings = Signal::derive(|| {
        vec![
            Choice::new("account", "Linked account"),
            Choice::new("tag", "A tag"),
        ]
    });
    view! {
        <section class="card section-gap" id="connect-form" aria-labelledby="connect-title">
            <h2 id="connect-title" class="card-title">
                "Connect an AWS account"
            </h2>
            <form class="form card-body" novalidate=true on:submit=submit aria-labelledby="connect-title">
                <p class="muted">
                    "gmac calls Cost Explorer with an access key allowed "
                    <code>"ce:GetCostAndUsage"</code>
                    ", or with a role it assumes with that key. The credentials are encrypted at rest \
                     and never shown again."
                </p>
                <ErrorBanner message=banner />
                <div class="field-row">
                    <ChoiceSelect
                        id="connect-client"
                        field="client_id"
                        label="Client"
                        value=client
                        choices=clients
                        placeholder="Choose a client…"
                        errors=errors
                        disabled=busy
                    />
                    <FormField
                        id="connect-name"
                        field="name"
                        label="Name"
                        autocomplete="off"
                        value=name
                        errors=errors
                        placeholder="e.g. Production payer"
                        disabled=busy
                    />
                </div>
                <fieldset class="fieldset">
                    <legend>"Credentials"</legend>
                    <div class="field-row">
                        <FormField
                            id="connect-key-id"
                            field="access_key_id"
                            label="Access key id"
                            autocomplete="off"
                            mono=true
                            value=key_id
                            errors=errors
                            placeholder="AKIA…"
                            disabled=busy
                        />
                        <FormField
                            id="connect-secret"
                            field="secret_access_key"
                            label="Secret access key"
                            input_type="password"
                            autocomplete="new-password"
                            mono=true
                            value=secret
                            errors=errors
                            hint="Write-only: gmac never shows it again."
                            disabled=busy
                        />
                    </div>
                    <div class="field-row">
                        <FormField
                            id="connect-role"
                            field="role_arn"
                            label="Role to assume (optional)"
                            autocomplete="off"
                            mono=true
                            optional=true
                            value=role
                            errors=errors
                            placeholder="arn:aws:iam::123456789012:role/gmac"
                            disabled=busy
                        />
                        <FormField
                            id="connect-external-id"
                            field="external_id"
                            label="External id (optional)"
                            input_type="password"
                            autocomplete="new-password"
                            mono=true
                            optional=true
                            value=external
                            errors=errors
                            hint="If the role's trust policy requires one."
                            disabled=busy
                        />
                    </div>
                </fieldset>
                <fieldset class="fieldset">
                    <legend>"Where and how"</legend>
                    <div class="field-row">
                        <FormField
                            id="connect-region"
                            field="region"
                            label="Region"
                            autocomplete="off"
                            mono=true
                            optional=true
                            value=region
                            errors=errors
                            hint="Cost Explorer lives in us-east-1."
                            disabled=busy
                        />
                        <FormField
                            id="connect-endpoint"
                            field="endpoint_url"
                            label="Endpoint URL (optional)"
                            input_type="url"
                            autocomplete="off"
                            mono=true
                            optional=true
                            value=endpoint
                            errors=errors
                            hint="Only for an emulator or a private endpoint."
                            disabled=busy
                        />
                    </div>
                    <div class="field-row">
                        <ChoiceSelect
                            id="connect-group-by"
                            field="group_kind"
                            label="Group costs by service and"
                            value=grouping
                            choices=groupings
                            errors=errors
                            disabled=busy
                        />
                        <Show when=move || grouping.with(|g| g == "tag")>
                            <FormField
                                id="connect-tag-key"
                                field="group_by"
                                label="Tag key"
                                autocomplete="off"
                                mono=true
                                value=tag_key
                                errors=errors
                                placeholder="e.g. team"
                                disabled=busy
                            />
                        </Show>
                        <FormField
                            id="connect-resync-days"
                            field="resync_days"
                            label="Days re-read by each sync"
                            input_type="number"
                            inputmode="numeric"
                            autocomplete="off"
                            value=resync
                            errors=errors
                            hint="1 to 90; AWS restates recent days."
                            disabled=busy
                        />
                    </div>
                </fieldset>
                <label class="check" for="connect-test">
                    <input id="connect-test" type="checkbox" bind:checked=test_first disabled=move || busy.get() />
                    <span>
                        <span class="check-label">"Test the connection first"</span>
                        <span class="check-hint">
                            "Ask Cost Explorer with these credentials before saving; if it does not answer, nothing is saved. Untick to connect an account that cannot be reached yet."
                        </span>
                    </span>
                </label>
                <div class="form-actions">
                    <SubmitButton id="connect-account" label="Connect account" busy_label="Testing and connecting…" busy=busy inline=true />
                </div>
            </form>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::group_by;

    #[test]
    fn the_grouping_is_an_account_or_a_tag() {
        assert_eq!(group_by("account", "x").as_deref(), Ok("LINKED_ACCOUNT"));
        assert_eq!(group_by("tag", " team ").as_deref(), Ok("TAG:team"));
        assert!(group_by("tag", "").is_err());
    }
}
