//! `/services/new`: the new-service wizard. Choose a template, then fill in the form its
//! schema draws (the server checks the same schema), the project, the name and where the
//! repository goes; the service page then follows its creation live.

use gmac_types::{
    FieldError, GitConnection, NewService, NewServiceRepository, PageQuery, Template,
};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::NavigateOptions;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;
use serde_json::{Map, Value};

use crate::api::non_blank;
use crate::components::copy::CopyButton;
use crate::components::error_banner::ErrorBanner;
use crate::components::form_field::{FormErrors, FormField, SubmitButton};
use crate::components::icon::{Icon, IconName};
use crate::pages::SubmittedForm;
use crate::pages::costs::forms::{Choice, ChoiceSelect, messages_at};
use crate::pages::services::{health_label, resources_label};
use crate::pages::set_title;
use crate::state::use_auth;

/// One input the schema asks for.
#[derive(Clone, Debug, PartialEq)]
pub struct ParameterInput {
    /// The parameter's name.
    pub name: String,
    /// Its label.
    pub title: String,
    /// Its help text.
    pub description: Option<String>,
    /// How it is entered.
    pub kind: InputKind,
    /// Whether a value must be given.
    pub required: bool,
    /// Its default, if the schema gives one.
    pub default: Option<Value>,
}

impl ParameterInput {
    /// The text its input starts with: its default, else nothing (a switch off, a choice's
    /// first option).
    pub fn initial(&self) -> String {
        match &self.default {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Bool(b)) => b.to_string(),
            Some(Value::Null) | None => match &self.kind {
                InputKind::Switch => "false".to_owned(),
                InputKind::Choice(options) => options.first().cloned().unwrap_or_default(),
                _ => String::new(),
            },
            Some(other) => other.to_string(),
        }
    }
}

/// How a parameter is entered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputKind {
    /// A line of text, at most this long.
    Text(Option<i64>),
    /// A whole number between the bounds.
    Number(Option<i64>, Option<i64>),
    /// Yes or no.
    Switch,
    /// One of these.
    Choice(Vec<String>),
}

/// The inputs a template's schema asks for, in its order, each starting at its default.
pub fn inputs(schema: &Value) -> Vec<ParameterInput> {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return Vec::new();
    };
    properties
        .iter()
        .map(|(name, p)| {
            let number = |key: &str| p.get(key).and_then(Value::as_i64);
            let kind = match (
                p.get("type").and_then(Value::as_str),
                p.get("enum").and_then(Value::as_array),
            ) {
                (Some("integer"), _) => InputKind::Number(number("minimum"), number("maximum")),
                (Some("boolean"), _) => InputKind::Switch,
                (_, Some(options)) => InputKind::Choice(
                    options
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect(),
                ),
                _ => InputKind::Text(number("maxLength")),
            };
            ParameterInput {
                name: name.clone(),
                title: p
                    .get("title")
                    .and_then(Value::as_str)
                    .unwrap_or(name)
                    .to_owned(),
                description: p
                    .get("description")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                required: required.contains(&name.as_str()) && p.get("default").is_none(),
                kind,
                default: p.get("default").cloned(),
            }
        })
        .collect()
}

/// The parameters as the API takes them: numbers and switches typed, an empty optional text
/// left out (so its default applies); or the inputs that are not numbers.
pub fn values(inputs: &[(ParameterInput, String)]) -> Result<Map<String, Value>, Vec<FieldError>> {
    let mut out = Map::new();
    let mut problems = Vec::new();
    for (input, raw) in inputs {
        let text = raw.trim();
        match &input.kind {
            InputKind::Number(..) if text.is_empty() => {}
            InputKind::Number(..) => match text.parse::<i64>() {
                Ok(n) => {
                    out.insert(input.name.clone(), Value::from(n));
                }
                Err(_) => problems.push(FieldError::at(
                    &["parameters", &input.name],
                    "type",
                    "Enter a whole number.",
                )),
            },
            InputKind::Switch => {
                out.insert(input.name.clone(), Value::Bool(text == "true"));
            }
            _ if raw.is_empty() && !input.required => {}
            _ => {
                out.insert(input.name.clone(), Value::String(raw.clone()));
            }
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// Where the API's pointers land in this form: the repository's fields have inputs of their
/// own; parameters keep their pointers (`/parameters/<name>`).
fn place(errors: Vec<FieldError>) -> FormErrors {
    let mut banner = Vec::new();
    let mut fields = Vec::new();
    for error in errors {
        let pointer = match error.pointer.as_str() {
            "/git/connection_id" => "/connection_id".to_owned(),
            "/git/owner" => "/repo_owner".to_owned(),
            "/git/name" => "/repo_name".to_owned(),
            p if p.starts_with("/parameters/")
                || [
                    "/project_id",
                    "/name",
                    "/description",
                    "/template",
                    "/owner_team_id",
                ]
                .contains(&p) =>
            {
                p.to_owned()
            }
            _ => {
                banner.push(error.detail.clone());
                continue;
            }
        };
        fields.push(FieldError { pointer, ..error });
    }
    FormErrors {
        banner: (!banner.is_empty()).then(|| banner.join(" ")),
        fields,
    }
}

/// The wizard.
#[component]
pub fn NewServicePage() -> impl IntoView {
    set_title("New service");
    let auth = use_auth();
    let templates = LocalResource::new(move || async move {
        auth.call(|c| async move { c.list_templates().await })
            .await
            .map_err(|e| e.message())
    });
    let chosen = RwSignal::new(None::<Template>);
    view! {
        <nav class="breadcrumbs" aria-label="Breadcrumbs">
            <A href="/services">
                <Icon name=IconName::ChevronLeft />
                <span>"Services"</span>
            </A>
        </nav>
        <header class="page-header">
            <h1>"New service"</h1>
            <p class="muted">
                "gmac creates its repository, pushes the first commit from the template, makes a branch per environment and registers the push webhook, each step shown as it runs."
            </p>
        </header>
        <section class="card" aria-labelledby="wizard-template-title">
            <h2 id="wizard-template-title" class="card-title">"1. Template"</h2>
            <div class="card-body">
                {move || match templates.get() {
                    None => view! { <p class="loading">"Loading templates…"</p> }.into_any(),
                    Some(Err(message)) => {
                        let message = RwSignal::new(Some(message));
                        view! { <ErrorBanner message=message /> }.into_any()
                    }
                    Some(Ok(list)) => {
                        view! {
                            <div class="template-choices" role="radiogroup" aria-labelledby="wizard-template-title">
                                {list
                                    .into_iter()
                                    .map(|t| {
                                        let id = format!("choose-{}", t.id);
                                        let picked = t.clone();
                                        let selected = {
                                            let id = t.id.clone();
                                            Memo::new(move |_| chosen.with(|c| c.as_ref().is_some_and(|c| c.id == id)))
                                        };
                                        let label_for = id.clone();
                                        view! {
                                            <label class="template-choice" class:selected=selected for=label_for>
                                                <input
                                                    type="radio"
                                                    name="template"
                                                    id=id
                                                    value=t.id.clone()
                                                    prop:checked=selected
                                                    on:change=move |_| chosen.set(Some(picked.clone()))
                                                />
                                                <span class="cell-title">{t.name.clone()}</span>
                                                <span class="badge">{t.category.label()}</span>
                                                <span class="cell-sub">{t.description.clone()}</span>
                                                <span class="cell-sub">{format!("{} · {}", health_label(&t), resources_label(&t))}</span>
                                            </label>
                                        }
                                    })
                                    .collect_view()}
                            </div>
                        }
                            .into_any()
                    }
                }}
            </div>
        </section>
        {move || chosen.get().map(|template| view! { <ServiceForm template=template /> })}
    }
}

/// The form of the chosen template.
#[component]
fn ServiceForm(template: Template) -> impl IntoView {
    let auth = use_auth();
    let navigate = use_navigate();
    let project = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let owner_team = RwSignal::new(String::new());
    let connection = RwSignal::new(String::new());
    let repo_owner = RwSignal::new(String::new());
    let repo_name = RwSignal::new(String::new());
    let errors = RwSignal::new(FormErrors::default());
    let busy = RwSignal::new(false);
    let installed = RwSignal::new(None::<(String, String)>);
    let banner = Signal::derive(move || errors.with(|e| e.banner.clone()));
    let fields: Vec<(ParameterInput, RwSignal<String>)> = inputs(&template.parameters)
        .into_iter()
        .map(|input| {
            let value = RwSignal::new(input.initial());
            (input, value)
        })
        .collect();
    let projects = super::all_projects();
    let connections = LocalResource::new(move || async move {
        auth.call(|c| async move { c.list_git_connections(None, &PageQuery::first(200)).await })
            .await
            .map(|p| p.items)
            .unwrap_or_default()
    });
    // A connection's account is the natural owner: fill it in when one is chosen.
    Effect::new(move |_| {
        let id = connection.get();
        let account = connections.with(|list| {
            list.as_ref()
                .and_then(|l| l.iter().find(|c: &&GitConnection| c.id == id))
                .and_then(|c| c.account.clone())
        });
        if let Some(account) = account
            && repo_owner.with_untracked(String::is_empty)
        {
            repo_owner.set(account);
        }
    });
    let teams = super::all_teams();
    let team_choices = Signal::derive(move || {
        teams
            .get()
            .unwrap_or_default()
            .into_iter()
            .map(|t| Choice::new(t.id, t.name))
            .collect::<Vec<_>>()
    });
    let project_choices = Signal::derive(move || {
        projects
            .get()
            .unwrap_or_default()
            .into_iter()
            .map(|p| Choice::new(p.id, p.name))
            .collect::<Vec<_>>()
    });
    let connection_choices = Signal::derive(move || {
        connections
            .get()
            .unwrap_or_default()
            .into_iter()
            .map(|c| Choice::new(c.id, format!("{} — {}", c.name, c.provider.label())))
            .collect::<Vec<_>>()
    });
    let template_id = template.id.clone();
    let submit_fields = fields.clone();
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let submitted = SubmittedForm::of(&ev);
        if busy.get_untracked() {
            return;
        }
        let mut problems = Vec::new();
        for (field, value, what) in [
            ("project_id", project, "Choose the project it belongs to."),
            (
                "connection_id",
                connection,
                "Choose the git host its repository goes to.",
            ),
        ] {
            if value.with_untracked(String::is_empty) {
                problems.push(FieldError::new(field, "required", what));
            }
        }
        if name.with_untracked(|n| n.trim().is_empty()) {
            problems.push(FieldError::new("name", "required", "Name the service."));
        }
        let typed: Vec<(ParameterInput, String)> = submit_fields
            .iter()
            .map(|(input, value)| (input.clone(), value.get_untracked()))
            .collect();
        let parameters = match values(&typed) {
            Ok(values) => values,
            Err(more) => {
                problems.extend(more);
                Map::new()
            }
        };
        if !problems.is_empty() {
            errors.set(FormErrors::from_fields(problems));
            submitted.focus_first_invalid();
            return;
        }
        let service_name = name.get_untracked().trim().to_owned();
        let input = NewService {
            project_id: project.get_untracked(),
            name: service_name.clone(),
            template: template_id.clone(),
            parameters,
            git: NewServiceRepository {
                connection_id: connection.get_untracked(),
                owner: repo_owner.get_untracked().trim().to_owned(),
                name: non_blank(&repo_name.get_untracked()).unwrap_or(service_name),
            },
            description: non_blank(&description.get_untracked()),
            owner_team_id: non_blank(&owner_team.get_untracked()),
        };
        errors.set(FormErrors::default());
        busy.set(true);
        let navigate = navigate.clone();
        spawn_local(async move {
            let result = auth
                .call(move |c| {
                    let input = input.clone();
                    async move { c.create_service(&input).await }
                })
                .await;
            busy.set(false);
            match result {
                // A plain git remote's hook holds the webhook secret and is shown only now.
                Ok(created) => match created.post_receive_hook {
                    Some(hook) => installed.set(Some((created.service.id, hook))),
                    None => navigate(
                        &format!("/services/{}", created.service.id),
                        NavigateOptions::default(),
                    ),
                },
                Err(err) => {
                    let found = match err.problem().filter(|p| !p.errors.is_empty()) {
                        Some(problem) => place(problem.errors.clone()),
                        None => FormErrors::from_message(err.message()),
                    };
                    errors.set(found);
                    submitted.focus_first_invalid();
                }
            }
        });
    };
    let parameter_views = fields
        .into_iter()
        .map(|(input, value)| parameter_field(input, value, errors, busy))
        .collect_view();
    let hook_card = move || {
        installed.get().map(|(id, hook)| {
            view! {
                <section class="card section-gap" id="post-receive-hook" aria-labelledby="hook-title">
                    <h2 id="hook-title" class="card-title">"Install the push hook"</h2>
                    <div class="card-body">
                        <p class="muted">
                            "A plain git remote has no webhooks: install this as hooks/post-receive (executable) in the repository on the git server, and each push reaches gmac, signed. It holds the service's webhook secret and is shown only now."
                        </p>
                        <pre class="job-log" id="post-receive-script">{hook.clone()}</pre>
                        <div class="form-actions">
                            <CopyButton text=hook label="Copy the hook" />
                            <A href=format!("/services/{id}") attr:class="button button-primary" attr:id="go-to-service">
                                "Go to the service"
                            </A>
                        </div>
                    </div>
                </section>
            }
        })
    };
    view! {
        {hook_card}
        <section class="card section-gap" aria-labelledby="wizard-form-title" hidden=move || installed.with(Option::is_some)>
            <h2 id="wizard-form-title" class="card-title">{format!("2. {}", template.name)}</h2>
            <form class="form card-body" id="new-service-form" novalidate=true on:submit=submit aria-labelledby="wizard-form-title">
                <ErrorBanner message=banner />
                <div class="field-row">
                    <ChoiceSelect
                        id="service-project-id"
                        field="project_id"
                        label="Project"
                        value=project
                        choices=project_choices
                        placeholder="Choose a project…"
                        errors=errors
                        disabled=busy
                    />
                    <FormField
                        id="service-name"
                        field="name"
                        label="Name"
                        autocomplete="off"
                        mono=true
                        value=name
                        errors=errors
                        hint="A DNS label: a-z, 0-9 and -, starting with a letter."
                        disabled=busy
                    />
                </div>
                <FormField
                    id="service-description"
                    field="description"
                    label="Description (optional)"
                    autocomplete="off"
                    optional=true
                    value=description
                    errors=errors
                    disabled=busy
                />
                <ChoiceSelect
                    id="service-owner-team"
                    field="owner_team_id"
                    label="Owning team (optional)"
                    value=owner_team
                    choices=team_choices
                    placeholder="No team"
                    errors=errors
                    disabled=busy
                />
                <fieldset class="fieldset">
                    <legend>"Repository"</legend>
                    <ChoiceSelect
                        id="service-connection"
                        field="connection_id"
                        label="Git host"
                        value=connection
                        choices=connection_choices
                        placeholder="Choose a git connection…"
                        errors=errors
                        disabled=busy
                    />
                    <div class="field-row">
                        <FormField
                            id="service-repo-owner"
                            field="repo_owner"
                            label="Owner"
                            autocomplete="off"
                            mono=true
                            value=repo_owner
                            errors=errors
                            hint="The account or organisation (a folder on a plain git remote)."
                            disabled=busy
                        />
                        <FormField
                            id="service-repo-name"
                            field="repo_name"
                            label="Repository name (optional)"
                            autocomplete="off"
                            mono=true
                            optional=true
                            value=repo_name
                            errors=errors
                            placeholder="The service's name"
                            disabled=busy
                        />
                    </div>
                </fieldset>
                <fieldset class="fieldset" id="service-parameters">
                    <legend>"Parameters"</legend>
                    {parameter_views}
                </fieldset>
                <div class="form-actions">
                    <SubmitButton id="create-service" label="Create service" busy_label="Creating…" busy=busy inline=true />
                </div>
            </form>
        </section>
    }
}

/// One parameter's input, its messages under it.
#[expect(
    clippy::too_many_lines,
    reason = "one arm per kind of input, each with the same accessibility attributes"
)]
fn parameter_field(
    input: ParameterInput,
    value: RwSignal<String>,
    errors: RwSignal<FormErrors>,
    busy: RwSignal<bool>,
) -> impl IntoView {
    let id = format!("param-{}", input.name);
    let error_id = format!("{id}-error");
    let pointer = FieldError::at(&["parameters", &input.name], "", "").pointer;
    let invalid = {
        let pointer = pointer.clone();
        Memo::new(move |_| errors.with(|e| e.fields.iter().any(|f| f.pointer == pointer)))
    };
    let messages = {
        let pointer = pointer.clone();
        move || {
            errors
                .with(|e| messages_at(e, &pointer))
                .into_iter()
                .map(|m| view! { <p class="field-error">{m}</p> })
                .collect_view()
        }
    };
    let clear = {
        let pointer = pointer.clone();
        move |_| {
            let pointer = pointer.clone();
            errors.update(|e| e.fields.retain(|f| f.pointer != pointer));
        }
    };
    let label = if input.required {
        input.title.clone()
    } else {
        format!("{} (optional)", input.title)
    };
    let control = match input.kind.clone() {
        InputKind::Switch => view! {
            <input
                id=id.clone()
                type="checkbox"
                name=input.name.clone()
                prop:checked=move || value.get() == "true"
                on:change=move |ev| value.set(event_target_checked(&ev).to_string())
                disabled=move || busy.get()
            />
        }
        .into_any(),
        InputKind::Choice(options) => view! {
            <select
                id=id.clone()
                class="select"
                name=input.name.clone()
                aria-describedby=error_id.clone()
                disabled=move || busy.get()
                on:change=move |ev| value.set(event_target_value(&ev))
            >
                {options
                    .into_iter()
                    .map(|o| {
                        let selected = value.get_untracked() == o;
                        view! { <option value=o.clone() selected=selected>{o.clone()}</option> }
                    })
                    .collect_view()}
            </select>
        }
        .into_any(),
        InputKind::Number(min, max) => view! {
            <input
                id=id.clone()
                type="number"
                class="mono"
                name=input.name.clone()
                min=min
                max=max
                step="1"
                required=input.required
                aria-invalid=move || if invalid.get() { "true" } else { "false" }
                aria-describedby=error_id.clone()
                disabled=move || busy.get()
                bind:value=value
                on:input=clear.clone()
            />
        }
        .into_any(),
        InputKind::Text(max) => view! {
            <input
                id=id.clone()
                type="text"
                name=input.name.clone()
                maxlength=max
                autocomplete="off"
                required=input.required
                aria-invalid=move || if invalid.get() { "true" } else { "false" }
                aria-describedby=error_id.clone()
                disabled=move || busy.get()
                bind:value=value
                on:input=clear
            />
        }
        .into_any(),
    };
    view! {
        <div class="field" class:field-invalid=invalid data-parameter=input.name.clone()>
            <label for=id>{label}</label>
            {control}
            {input.description.map(|d| view! { <p class="field-hint">{d}</p> })}
            <div id=error_id class="field-errors">{messages}</div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_form_is_drawn_from_the_schema_and_sends_typed_values() {
        let schema = json!({
            "type": "object", "required": ["title", "port"],
            "properties": {
                "title": {"type": "string", "title": "Site title", "maxLength": 80},
                "tagline": {"type": "string", "default": ""},
                "port": {"type": "integer", "minimum": 1024, "maximum": 65535, "default": 8080},
                "version": {"type": "string", "enum": ["16", "17"], "default": "17"},
                "telemetry": {"type": "boolean", "default": false},
            }
        });
        let fields = inputs(&schema);
        let by = |name: &str| fields.iter().find(|f| f.name == name).cloned().unwrap();
        assert_eq!(by("title").kind, InputKind::Text(Some(80)));
        assert!(by("title").required);
        assert_eq!(by("port").kind, InputKind::Number(Some(1024), Some(65535)));
        assert_eq!(by("port").initial(), "8080");
        assert!(!by("port").required, "a default makes it optional");
        assert_eq!(
            by("version").kind,
            InputKind::Choice(vec!["16".into(), "17".into()])
        );
        assert_eq!(by("version").initial(), "17");
        assert_eq!(by("telemetry").initial(), "false");

        let typed = |pairs: &[(&str, &str)]| -> Vec<(ParameterInput, String)> {
            pairs
                .iter()
                .map(|(n, v)| (by(n), (*v).to_owned()))
                .collect()
        };
        let sent = values(&typed(&[
            ("title", "Docs"),
            ("tagline", ""),
            ("port", " 8081 "),
            ("telemetry", "true"),
        ]))
        .unwrap();
        assert_eq!(
            Value::Object(sent),
            json!({"title": "Docs", "port": 8081, "telemetry": true}),
            "an empty optional text is left to its default"
        );
        let wrong = values(&typed(&[("port", "80.5")])).unwrap_err();
        assert_eq!(wrong[0].pointer, "/parameters/port");
    }

    #[test]
    fn the_apis_pointers_land_on_the_forms_inputs() {
        let placed = place(vec![
            FieldError::at(&["git", "owner"], "invalid", "bad owner"),
            FieldError::at(&["parameters", "title"], "too_long", "too long"),
            FieldError::new("name", "invalid", "bad name"),
            FieldError::new("owner_team_id", "unknown", "no team"),
            FieldError::new("other", "invalid", "something else"),
        ]);
        assert!(placed.has("repo_owner") && placed.has("name") && placed.has("owner_team_id"));
        assert_eq!(messages_at(&placed, "/parameters/title"), ["too long"]);
        assert_eq!(placed.banner.as_deref(), Some("something else"));
    }
}
