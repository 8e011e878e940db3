//! The form that creates an API token: a name, the permissions it carries (at most the
//! user's own), how long it lives, and optionally one client or project it is limited to.

use gmac_types::validation::Name;
use gmac_types::{CreatedApiToken, FieldError, NewApiToken, Permission};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::components::error_banner::ErrorBanner;
use crate::components::form_field::{FieldMessages, FormErrors, FormField, SubmitButton};
use crate::components::scope::{Directory, ScopeSelect, parse_scope};
use crate::pages::SubmittedForm;
use crate::state::use_auth;

/// The fields, as the server names them.
const FIELDS: [&str; 4] = ["name", "scopes", "expires_in_days", "scope"];

/// The lifetime offered first, in days.
pub const DEFAULT_DAYS: u32 = 90;

/// Parses the lifetime field: whole days from 1 to 365.
pub fn parse_days(raw: &str) -> Result<u32, &'static str> {
    match raw.trim().parse::<u32>() {
        Ok(days) if (1..=365).contains(&days) => Ok(days),
        _ => Err("Enter a number of days from 1 to 365."),
    }
}

/// The permissions ticked at first: the read-only ones the user holds (a token should carry
/// no more than it needs), or all of theirs when they hold none of those.
pub fn default_permissions(held: &[Permission]) -> Vec<Permission> {
    let reading: Vec<Permission> = held
        .iter()
        .copied()
        .filter(|p| p.id().rsplit('.').next() == Some("view"))
        .collect();
    if reading.is_empty() {
        held.to_vec()
    } else {
        reading
    }
}

/// Checks the form; returns the request to send.
fn validate(
    name: &str,
    scopes: &[Permission],
    days: &str,
    scope: &str,
) -> Result<NewApiToken, Vec<FieldError>> {
    let mut problems = Vec::new();
    let name = Name::parse("name", name).map_err(|e| problems.push(e)).ok();
    if scopes.is_empty() {
        problems.push(FieldError::new(
            "scopes",
            "required",
            "Choose at least one permission.",
        ));
    }
    let days = parse_days(days)
        .map_err(|m| problems.push(FieldError::new("expires_in_days", "out_of_range", m)))
        .ok();
    match (name, days) {
        (Some(name), Some(days)) if problems.is_empty() => Ok(NewApiToken {
            name: name.as_str().to_owned(),
            scopes: scopes.to_vec(),
            expires_in_days: days,
            scope: parse_scope(scope),
        }),
        _ => Err(problems),
    }
}

/// The create form.
#[component]
#[expect(
    clippy::too_many_lines,
    reason = "one form: its fields read best together, in order"
)]
pub fn TokenForm(
    /// The clients and projects, for the scope select.
    directory: Signal<Directory>,
    /// Receives the new token (with its secret).
    on_created: Callback<CreatedApiToken>,
    /// Runs when the form is sent, e.g. to clear the card's earlier messages.
    on_start: Callback<()>,
) -> impl IntoView {
    let auth = use_auth();
    let name = RwSignal::new(String::new());
    let initial = auth
        .with_me_untracked(|me| me.map(|m| default_permissions(&m.permissions)))
        .unwrap_or_default();
    let chosen = RwSignal::new(initial);
    let days = RwSignal::new(DEFAULT_DAYS.to_string());
    let scope = RwSignal::new(String::new());
    let errors = RwSignal::new(FormErrors::default());
    let busy = RwSignal::new(false);
    let banner = Signal::derive(move || errors.with(|e| e.banner.clone()));
    let mine = move || {
        auth.with_me(|me| me.map(|m| m.permissions.clone()))
            .unwrap_or_default()
    };

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let submitted = SubmittedForm::of(&ev);
        if busy.get_untracked() {
            return;
        }
        on_start.run(());
        let request = match validate(
            &name.get_untracked(),
            &chosen.get_untracked(),
            &days.get_untracked(),
            &scope.get_untracked(),
        ) {
            Ok(request) => request,
            Err(problems) => {
                errors.set(FormErrors::from_fields(problems));
                submitted.focus_first_invalid();
                return;
            }
        };
        errors.set(FormErrors::default());
        busy.set(true);
        spawn_local(async move {
            let result = auth
                .call(move |c| {
                    let request = request.clone();
                    async move { c.create_token(&request).await }
                })
                .await;
            busy.set(false);
            match result {
                Ok(created) => {
                    name.set(String::new());
                    on_created.run(created);
                }
                Err(err) => {
                    errors.set(FormErrors::from_api(&err, &FIELDS));
                    submitted.focus_first_invalid();
                }
            }
        });
    };

    view! {
        <form class="form subpanel" novalidate=true on:submit=submit aria-labelledby="new-token-title">
            <h3 class="subpanel-title" id="new-token-title">"New token"</h3>
            <ErrorBanner message=banner />
            <FormField
                id="new-token-name"
                field="name"
                label="Name"
                autocomplete="off"
                value=name
                errors=errors
                hint="What uses it, e.g. ci-deploy."
                disabled=busy
            />
            <fieldset class="fieldset" disabled=move || busy.get()>
                <legend>"Permissions"</legend>
                <p class="field-hint">"A token can do only what you can; pick what it needs."</p>
                <div class="check-grid">
                    {move || {
                        mine()
                            .into_iter()
                            .map(|permission| {
                                let id = format!("token-perm-{}", permission.id().replace('.', "-"));
                                let label_for = id.clone();
                                view! {
                                    <label class="check" for=label_for>
                                        <input
                                            id=id
                                            type="checkbox"
                                            value=permission.id()
                                            prop:checked=move || chosen.with(|c| c.contains(&permission))
                                            on:change=move |ev| {
                                                let on = event_target_checked(&ev);
                                                chosen.update(|c| {
                                                    c.retain(|p| *p != permission);
                                                    if on {
                                                        c.push(permission);
                                                    }
                                                });
                                                errors.update(|e| e.clear_field("scopes"));
                                            }
                                        />
                                        <span>
                                            <span class="check-label mono">{permission.id()}</span>
                                            <span class="check-hint">{permission.description()}</span>
                                        </span>
                                    </label>
                                }
                            })
                            .collect_view()
                    }}
                </div>
                <FieldMessages id="new-token-scopes-error" field="scopes" errors=errors />
            </fieldset>
            <div class="field-row">
                <FormField
                    id="new-token-expiry"
                    field="expires_in_days"
                    label="Expires after (days)"
                    input_type="number"
                    autocomplete="off"
                    value=days
                    errors=errors
                    hint="1 to 365."
                    inputmode="numeric"
                    disabled=busy
                />
                <div class="field">
                    <label for="new-token-scope">"Limited to"</label>
                    <ScopeSelect
                        id="new-token-scope"
                        value=scope
                        directory=directory
                        global=false
                        none_label="Wherever my roles reach"
                        disabled=busy
                    />
                    <FieldMessages id="new-token-scope-error" field="scope" errors=errors />
                </div>
            </div>
            <div class="form-actions">
                <SubmitButton
                    id="create-token"
                    label="Create token"
                    busy_label="Creating…"
                    busy=busy
                    inline=true
                />
            </div>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use gmac_types::{Permission, Scope};

    use super::{default_permissions, parse_days, validate};

    #[test]
    fn a_new_token_starts_with_reading_only() {
        let admin = [
            Permission::ClientsManage,
            Permission::ResourcesView,
            Permission::AuditView,
        ];
        assert_eq!(
            default_permissions(&admin),
            [Permission::ResourcesView, Permission::AuditView]
        );
        let billing = [Permission::BudgetsManage];
        assert_eq!(default_permissions(&billing), [Permission::BudgetsManage]);
    }

    #[test]
    fn the_lifetime_is_one_to_365_days() {
        assert_eq!(parse_days("90"), Ok(90));
        assert_eq!(parse_days(" 1 "), Ok(1));
        assert!(parse_days("0").is_err());
        assert!(parse_days("366").is_err());
        assert!(parse_days("ninety").is_err());
    }

    #[test]
    fn a_token_needs_a_name_and_a_permission() {
        let ok = validate("ci", &[Permission::ResourcesView], "30", "client:c1");
        assert_eq!(
            ok.map(|t| (t.expires_in_days, t.scope)),
            Ok((30, Some(Scope::Client { id: "c1".into() })))
        );
        let bad = validate(" ", &[], "0", "").err().unwrap_or_default();
        let pointers: Vec<&str> = bad.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(pointers, ["/name", "/scopes", "/expires_in_days"]);
    }
}
