//! Connecting a git host: the kind, its address, a token (write-only), and whose it is.

use gmac_types::{FieldError, GitConnection, GitProvider, ListQuery, NewGitConnection, SecretText};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::non_blank;
use crate::components::error_banner::ErrorBanner;
use crate::components::form_field::{FormErrors, FormField, SubmitButton};
use crate::pages::SubmittedForm;
use crate::pages::costs::forms::{Choice, ChoiceSelect, form_errors};
use crate::state::use_auth;

/// The fields of the form, as the server names them.
const FIELDS: [&str; 5] = ["provider", "base_url", "token", "client_id", "name"];

/// The address each kind of host is reached at, as a hint.
pub fn address_hint(provider: &str) -> &'static str {
    match provider {
        "github" => {
            "GitHub's API: https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise."
        }
        "git" => "The prefix the repositories live under, e.g. https://git.example.com/git.",
        _ => "The Gitea (or Forgejo) site, e.g. https://gitea.example.com.",
    }
}

/// The connect form, `#connect-git-form`.
#[component]
#[expect(
    clippy::too_many_lines,
    reason = "five fields with their checks share the form's state"
)]
pub fn ConnectGitForm(
    /// After a host was connected.
    on_created: Callback<GitConnection>,
    /// When the form is sent.
    on_start: Callback<()>,
) -> impl IntoView {
    let auth = use_auth();
    let provider = RwSignal::new("gitea".to_owned());
    let base_url = RwSignal::new(String::new());
    let token = RwSignal::new(String::new());
    let client = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let errors = RwSignal::new(FormErrors::default());
    let busy = RwSignal::new(false);
    let banner = Signal::derive(move || errors.with(|e| e.banner.clone()));
    let clients = LocalResource::new(move || async move {
        auth.call(|c| async move {
            c.list_clients(&ListQuery {
                limit: Some(200),
                ..ListQuery::default()
            })
            .await
        })
        .await
        .map(|page| page.items)
        .unwrap_or_default()
    });
    let client_choices = Signal::derive(move || {
        let mut choices = vec![Choice::new("", "The whole installation")];
        if let Some(list) = clients.get() {
            choices.extend(list.into_iter().map(|c| Choice::new(c.id, c.name)));
        }
        choices
    });
    let providers = Signal::derive(|| {
        [GitProvider::Gitea, GitProvider::Github, GitProvider::Git]
            .into_iter()
            .map(|p| Choice::new(p.id(), p.label()))
            .collect::<Vec<_>>()
    });

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let submitted = SubmittedForm::of(&ev);
        if busy.get_untracked() {
            return;
        }
        on_start.run(());
        let kind = GitProvider::from_id(&provider.get_untracked()).unwrap_or(GitProvider::Gitea);
        let mut problems = Vec::new();
        let address = base_url.get_untracked().trim().to_owned();
        if !(address.starts_with("https://") || address.starts_with("http://")) {
            problems.push(FieldError::new(
                "base_url",
                "invalid_url",
                "Enter the address, starting with https:// (or http://).",
            ));
        }
        let secret = non_blank(&token.get_untracked());
        if secret.is_none() && kind != GitProvider::Git {
            problems.push(FieldError::new(
                "token",
                "required",
                format!(
                    "{} needs an access token that may create repositories and webhooks.",
                    kind.label()
                ),
            ));
        }
        if !problems.is_empty() {
            errors.set(FormErrors::from_fields(problems));
            submitted.focus_first_invalid();
            return;
        }
        let input = NewGitConnection {
            provider: kind,
            base_url: address,
            token: secret.map(SecretText::new),
            client_id: non_blank(&client.get_untracked()),
            name: non_blank(&name.get_untracked()),
        };
        errors.set(FormErrors::default());
        busy.set(true);
        spawn_local(async move {
            let result = auth
                .call(move |c| {
                    let input = input.clone();
                    async move { c.create_git_connection(&input).await }
                })
                .await;
            busy.set(false);
            // The token is not kept in the page, whatever the answer.
            token.set(String::new());
            match result {
                Ok(created) => {
                    base_url.set(String::new());
                    name.set(String::new());
                    on_created.run(created);
                }
                Err(err) => {
                    let mut found = form_errors(&err, &FIELDS, &[]);
                    if kind != GitProvider::Git && !found.has("token") {
                        found.fields.push(FieldError::new(
                            "token",
                            "re_enter",
                            "Enter the token again: it is not kept in the page.",
                        ));
                    }
                    errors.set(found);
                    submitted.focus_first_invalid();
                }
            }
        });
    };
    let hint = Signal::derive(move || provider.with(|p| address_hint(p)));
    view! {
        <section class="card section-gap" id="connect-git-form" aria-labelledby="connect-git-title">
            <h2 id="connect-git-title" class="card-title">"Connect a git host"</h2>
            <form class="form card-body" novalidate=true on:submit=submit aria-labelledby="connect-git-title">
                <p class="muted">
                    "For Gitea and GitHub, gmac asks the host who the token signs in as before saving: if the host refuses it, nothing is saved."
                </p>
                <ErrorBanner message=banner />
                <div class="field-row">
                    <ChoiceSelect
                        id="git-provider"
                        field="provider"
                        label="Host"
                        value=provider
                        choices=providers
                        errors=errors
                        disabled=busy
                    />
                    <ChoiceSelect
                        id="git-client"
                        field="client_id"
                        label="Used by"
                        value=client
                        choices=client_choices
                        errors=errors
                        disabled=busy
                    />
                </div>
                <div class="field-row">
                    <FormField
                        id="git-base-url"
                        field="base_url"
                        label="Address"
                        input_type="url"
                        autocomplete="off"
                        mono=true
                        value=base_url
                        errors=errors
                        placeholder="https://gitea.example.com"
                        disabled=busy
                    />
                    <FormField
                        id="git-token"
                        field="token"
                        label="Access token"
                        input_type="password"
                        autocomplete="new-password"
                        mono=true
                        value=token
                        errors=errors
                        hint="Write-only: gmac never shows it again. Optional for a git remote."
                        disabled=busy
                    />
                </div>
                <p class="field-hint muted" id="git-base-url-about">{hint}</p>
                <FormField
                    id="git-name"
                    field="name"
                    label="Name (optional)"
                    autocomplete="off"
                    optional=true
                    value=name
                    errors=errors
                    placeholder="The host's name"
                    disabled=busy
                />
                <div class="form-actions">
                    <SubmitButton id="connect-git" label="Connect" busy_label="Asking the host…" busy=busy inline=true />
                </div>
            </form>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::address_hint;

    #[test]
    fn each_host_says_which_address_it_wants() {
        assert!(address_hint("github").contains("api.github.com"));
        assert!(address_hint("git").contains("prefix"));
        assert!(address_hint("gitea").contains("Gitea"));
    }
}
