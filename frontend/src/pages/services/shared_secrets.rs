//! The secrets a project or a service shares with every environment it reaches, on the
//! service's page beside the shared variables: the project's (`#project-secrets`) with every
//! environment of each of its services, the service's (`#shared-secrets`) with its staging,
//! production and previews. Write-only as an environment's are, each listed by name and
//! version, set by name and value, deleted after a confirmation, and revealed behind a fresh
//! code of the authenticator app.

use gmac_client::Client;
use gmac_types::variables::{RevealedSecret, SecretInfo};
use gmac_types::{FieldError, PageQuery, Permission};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::describe;
use crate::components::error_banner::{ErrorBanner, NoticeBanner};
use crate::components::form_field::{FormErrors, FormField, SubmitButton};
use crate::components::modal::{Confirm, ConfirmDialog};
use crate::live::use_live;
use crate::pages::services::configuration::{
    Revealed, may_reveal, reveal_form, reveal_needs_mfa, secret_row, show_revealed,
};
use crate::state::use_auth;

/// Whose shared secrets a card holds: it chooses the calls, the ids and the words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Holder {
    /// A project's (its id), shared with every environment of each of its services.
    Project(String),
    /// A service's (its id), shared with every environment of it.
    Service(String),
}

impl Holder {
    /// What the card's ids begin with: `#{prefix}-secrets`, `#{prefix}-secret-{name}`,
    /// `#reveal-{prefix}-{name}`, `#{prefix}-secret-name`, `#save-{prefix}-secret`.
    const fn prefix(&self) -> &'static str {
        match self {
            Self::Project(_) => "project",
            Self::Service(_) => "shared",
        }
    }

    /// The ids of the form setting one: the form, its name and value fields, its button.
    const fn form_ids(&self) -> [&'static str; 4] {
        match self {
            Self::Project(_) => [
                "project-secret-form",
                "project-secret-name",
                "project-secret-value",
                "save-project-secret",
            ],
            Self::Service(_) => [
                "shared-secret-form",
                "shared-secret-name",
                "shared-secret-value",
                "save-shared-secret",
            ],
        }
    }

    /// The form's button: two cards share the page, so it says whose secret it saves.
    const fn save_label(&self) -> &'static str {
        match self {
            Self::Project(_) => "Save the project's secret",
            Self::Service(_) => "Save the service's secret",
        }
    }

    /// Whose secrets they are, in the buttons' labels.
    const fn whose(&self) -> &'static str {
        match self {
            Self::Project(_) => "the project",
            Self::Service(_) => "the service",
        }
    }

    /// The subject its events name (`kind/id`), and the events that change its secrets.
    fn subject(&self) -> (String, &'static [&'static str]) {
        match self {
            Self::Project(id) => (
                format!("project/{id}"),
                &["project.secret_set", "project.secret_delete"],
            ),
            Self::Service(id) => (
                format!("service/{id}"),
                &["service.secret_set", "service.secret_delete"],
            ),
        }
    }

    const fn title(&self) -> &'static str {
        match self {
            Self::Project(_) => "Project's shared secrets",
            Self::Service(_) => "Shared secrets",
        }
    }

    const fn intro(&self) -> &'static str {
        match self {
            Self::Project(_) => {
                "Secrets this project shares with every environment of its services. Each environment runs with the project's variables, then these secrets, then its service's groups', then the service's variables and secrets, then its own variables, then its own secrets: a later one of the same name wins. A name the project's variables use is refused. A change applies on each environment's next deploy."
            }
            Self::Service(_) => {
                "Shared with staging, production and previews. Each environment runs with the project's variables and secrets, then its groups', then the service's, then these secrets, then its own variables, then its own secrets: a later one of the same name wins. A change applies on each environment's next deploy."
            }
        }
    }

    const fn empty(&self) -> &'static str {
        match self {
            Self::Project(_) => "The project shares no secrets.",
            Self::Service(_) => "No shared secrets.",
        }
    }

    /// When a change applies.
    const fn applies(&self) -> &'static str {
        match self {
            Self::Project(_) => {
                "It applies on the next deploy of each environment of its services."
            }
            Self::Service(_) => "It applies on each environment's next deploy.",
        }
    }

    async fn list(&self, c: &Client) -> gmac_client::Result<Vec<SecretInfo>> {
        let page = PageQuery::after(100, None);
        let listed = match self {
            Self::Project(id) => c.list_project_secrets(id, &page).await,
            Self::Service(id) => c.list_service_secrets(id, &page).await,
        };
        listed.map(|page| page.items)
    }

    async fn set(&self, c: &Client, name: &str, value: &str) -> gmac_client::Result<SecretInfo> {
        match self {
            Self::Project(id) => c.set_project_secret(id, name, value).await,
            Self::Service(id) => c.set_service_secret(id, name, value).await,
        }
    }

    async fn delete(&self, c: &Client, name: &str) -> gmac_client::Result<()> {
        match self {
            Self::Project(id) => c.delete_project_secret(id, name).await,
            Self::Service(id) => c.delete_service_secret(id, name).await,
        }
    }

    async fn reveal(
        &self,
        c: &Client,
        name: &str,
        code: &str,
    ) -> gmac_client::Result<RevealedSecret> {
        match self {
            Self::Project(id) => c.reveal_project_secret(id, name, code).await,
            Self::Service(id) => c.reveal_service_secret(id, name, code).await,
        }
    }
}

/// The card: the holder's shared secrets, and a form to set one for whoever may deploy to
/// production.
#[component]
pub fn SharedSecretsCard(
    /// Whose secrets: the project's or the service's.
    holder: Holder,
) -> impl IntoView {
    let auth = use_auth();
    // The server decides where; the form shows for whoever holds it anywhere.
    let may_change = auth.can_untracked(Permission::DeploysProduction);
    let reveals = may_reveal(auth);
    let notice = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let revealing = RwSignal::new(None::<String>);
    let revealed = RwSignal::new(None::<(String, i64, String)>);
    let code = RwSignal::new(String::new());
    let reads = RwSignal::new(0_u32);
    let confirm = RwSignal::new(None::<Confirm>);
    if let Some(live) = use_live() {
        // An event names its subject as `kind/id`.
        let (own, events) = holder.subject();
        live.on(events, move |event| {
            if event.subject.as_deref() == Some(own.as_str()) {
                reads.update(|v| *v += 1);
            }
        });
    }
    let for_list = holder.clone();
    let listed = LocalResource::new(move || {
        reads.track();
        let holder = for_list.clone();
        async move {
            auth.call(move |c| {
                let holder = holder.clone();
                async move { holder.list(&c).await }
            })
            .await
            .map_err(|err| describe(&err))
        }
    });
    let reveal = revealer(holder.clone(), (revealing, revealed), code, error);
    let delete = deleter(holder.clone(), confirm, (notice, error), revealed, reads);
    let who = if may_change {
        "Whoever may deploy to production may set or delete them; a value is never shown again once saved."
    } else {
        "Only whoever may deploy to production may set or delete them."
    };
    let (prefix, whose, empty) = (holder.prefix(), holder.whose(), holder.empty());
    let (title, intro) = (holder.title(), holder.intro());
    let form = may_change.then(|| {
        view! { <SetSecretForm holder notice error revealed reads /> }
    });
    view! {
        <section class="card section-gap" id=format!("{prefix}-secrets") aria-labelledby=format!("{prefix}-secrets-title")>
            <h2 id=format!("{prefix}-secrets-title") class="card-title">{title}</h2>
            <div class="card-body">
                <p class="muted">{intro}</p>
                <p class="muted" id=format!("{prefix}-secrets-who")>{who}</p>
                <NoticeBanner message=notice />
                <ErrorBanner message=error />
                {move || listed.get().map(|listed| match listed {
                    Err(message) => view! { <p class="field-error">{message}</p> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="muted">{empty}</p> }.into_any(),
                    Ok(list) => view! {
                        <ul class="plain-list secret-list" id=format!("{prefix}-secret-list")>
                            {list.iter().map(|s| secret_row(s, (prefix, whose), reveals, may_change, revealing, revealed, delete)).collect_view()}
                        </ul>
                    }.into_any(),
                })}
                {move || revealing.get().map(|key| reveal_form(&key, (prefix, whose), code, revealing, reveal.clone()))}
                {reveal_needs_mfa(auth, reveals)}
                {form}
            </div>
            <ConfirmDialog request=confirm />
        </section>
    }
}

/// Reveals the secret whose reveal form is open with the code typed there.
fn revealer(
    holder: Holder,
    (revealing, revealed): (RwSignal<Option<String>>, Revealed),
    code: RwSignal<String>,
    error: RwSignal<Option<String>>,
) -> impl Fn(SubmitEvent) + Clone + 'static {
    let auth = use_auth();
    move |ev: SubmitEvent| {
        ev.prevent_default();
        let Some(key) = revealing.get_untracked() else {
            return;
        };
        let typed = code.get_untracked().trim().to_owned();
        let holder = holder.clone();
        error.set(None);
        spawn_local(async move {
            let result = auth
                .call(move |c| {
                    let (holder, key, typed) = (holder.clone(), key.clone(), typed.clone());
                    async move { holder.reveal(&c, &key, &typed).await }
                })
                .await;
            code.try_set(String::new());
            match result {
                Ok(secret) => show_revealed((revealing, revealed), secret),
                Err(err) => drop(error.try_set(Some(err.message()))),
            }
        });
    }
}

/// Asks to confirm, then deletes the shared secret named by its argument.
fn deleter(
    holder: Holder,
    confirm: RwSignal<Option<Confirm>>,
    (notice, error): (RwSignal<Option<String>>, RwSignal<Option<String>>),
    revealed: Revealed,
    reads: RwSignal<u32>,
) -> Callback<String> {
    let auth = use_auth();
    Callback::new(move |key: String| {
        let holder = holder.clone();
        let (title, without) = match holder {
            Holder::Project(_) => (
                format!("Delete the project's shared secret {key}?"),
                "The next deploy of each environment of its services runs without it.",
            ),
            Holder::Service(_) => (
                format!("Delete shared secret {key}?"),
                "Each environment's next deploy runs without it.",
            ),
        };
        confirm.set(Some(Confirm::danger(
            title,
            format!("{without} Releases that ran it keep their version, so a rollback to one brings it back."),
            "Delete",
            move || {
                let (holder, key) = (holder.clone(), key.clone());
                error.set(None);
                spawn_local(async move {
                    let (said, applies) = (key.clone(), holder.applies());
                    let result = auth
                        .call(move |c| {
                            let (holder, key) = (holder.clone(), key.clone());
                            async move { holder.delete(&c, &key).await }
                        })
                        .await;
                    match result {
                        Ok(()) => {
                            revealed.try_set(None);
                            notice.try_set(Some(format!("Shared secret {said} deleted. {applies}")));
                            reads.try_update(|v| *v += 1);
                        }
                        Err(err) => drop(error.try_set(Some(err.message()))),
                    }
                });
            },
        )));
    })
}

/// What is missing from a secret about to be set, as field errors.
fn missing(name: &str, value: &str) -> Vec<FieldError> {
    let mut found = Vec::new();
    if name.is_empty() {
        found.push(FieldError::new(
            "name",
            "required",
            "Give the secret a name.",
        ));
    }
    if value.is_empty() {
        found.push(FieldError::new("value", "required", "Give it a value."));
    }
    found
}

/// The form setting a shared secret (`#{prefix}-secret-name`, `#{prefix}-secret-value`): the
/// value leaves the form once stored; a refusal shows under its field.
#[component]
fn SetSecretForm(
    holder: Holder,
    notice: RwSignal<Option<String>>,
    error: RwSignal<Option<String>>,
    revealed: Revealed,
    reads: RwSignal<u32>,
) -> impl IntoView {
    let auth = use_auth();
    let name = RwSignal::new(String::new());
    let value = RwSignal::new(String::new());
    let errors = RwSignal::new(FormErrors::default());
    let saving = RwSignal::new(false);
    let [form_id, name_id, value_id, save_id] = holder.form_ids();
    let save_label = holder.save_label();
    let save = move |ev: SubmitEvent| {
        ev.prevent_default();
        if saving.get_untracked() {
            return;
        }
        let (key, secret) = (
            name.get_untracked().trim().to_owned(),
            value.get_untracked(),
        );
        let found = missing(&key, &secret);
        errors.set(FormErrors::from_fields(found));
        error.set(None);
        if errors.with_untracked(|e| !e.is_empty()) {
            return;
        }
        let holder = holder.clone();
        let applies = holder.applies();
        saving.set(true);
        spawn_local(async move {
            let result = auth
                .call(move |c| {
                    let (holder, key, secret) = (holder.clone(), key.clone(), secret.clone());
                    async move { holder.set(&c, &key, &secret).await }
                })
                .await;
            saving.try_set(false);
            match result {
                Ok(info) => {
                    // The value leaves the page as soon as it is stored.
                    value.try_set(String::new());
                    name.try_set(String::new());
                    revealed.try_set(None);
                    notice.try_set(Some(format!(
                        "Shared secret {} saved as version {}. {applies}",
                        info.name, info.version
                    )));
                    reads.try_update(|v| *v += 1);
                }
                Err(err) => {
                    let mut found = FormErrors::from_api(&err, &["name", "value"]);
                    error.try_set(found.banner.take());
                    errors.try_set(found);
                }
            }
        });
    };
    view! {
        <form class="form" id=form_id novalidate=true on:submit=save>
            <div class="field-row">
                <FormField id=name_id field="name" label="Name" autocomplete="off" mono=true
                    placeholder="NAME" value=name errors=errors disabled=saving />
                <FormField id=value_id field="value" label="Value" input_type="password"
                    autocomplete="new-password" value=value errors=errors disabled=saving />
            </div>
            <div class="form-actions">
                <SubmitButton id=save_id label=save_label busy_label="Saving…" busy=saving inline=true />
            </div>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::{Holder, missing};

    #[test]
    fn a_secret_needs_a_name_and_a_value_before_it_is_sent() {
        let pointers = |name, value| {
            missing(name, value)
                .into_iter()
                .map(|e| e.pointer)
                .collect::<Vec<_>>()
        };
        assert_eq!(pointers("", ""), ["/name", "/value"]);
        assert_eq!(pointers("API_TOKEN", ""), ["/value"]);
        assert!(pointers("API_TOKEN", "s3cret").is_empty());
    }

    #[test]
    fn a_projects_card_and_a_services_card_keep_apart_in_ids_labels_and_events() {
        let project = Holder::Project("p1".to_owned());
        let service = Holder::Service("s1".to_owned());
        assert_eq!((project.prefix(), service.prefix()), ("project", "shared"));
        for (holder, prefix) in [(&project, "project"), (&service, "shared")] {
            let [form, name, value, save] = holder.form_ids();
            assert_eq!(form, format!("{prefix}-secret-form"));
            assert_eq!(name, format!("{prefix}-secret-name"));
            assert_eq!(value, format!("{prefix}-secret-value"));
            assert_eq!(save, format!("save-{prefix}-secret"));
        }
        assert_eq!(
            (project.whose(), service.whose()),
            ("the project", "the service")
        );
        let (own, events) = project.subject();
        assert_eq!(own, "project/p1");
        assert!(events.iter().all(|e| e.starts_with("project.secret_")));
        let (own, events) = service.subject();
        assert_eq!(own, "service/s1");
        assert!(events.iter().all(|e| e.starts_with("service.secret_")));
    }
}
