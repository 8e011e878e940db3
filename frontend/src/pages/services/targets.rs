//! Deploy targets: the container hosts and Kubernetes clusters environments deploy to, each
//! with what its engine or API server said at the last test, and the form that registers one
//! (tested before it is saved; a cluster's kubeconfig, and the TLS client key or SSH private
//! key of a container host over the network, are sent once and never shown again).

use gmac_types::{NewTarget, PageQuery, Permission, Target, TargetKind, TargetQuery};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::account::use_account;
use crate::api::{PAGE_SIZE, non_blank};
use crate::components::error_banner::{ErrorBanner, NoticeBanner};
use crate::components::form_field::{FieldMessages, FormErrors, FormField, SubmitButton};
use crate::components::paging::{ListState, LoadMore, Paged};
use crate::format::date_time_label;
use crate::pages::SubmittedForm;
use crate::pages::costs::forms::{Choice, ChoiceSelect, form_errors};
use crate::pages::services::target_credentials::{
    CredentialFields, NESTED, SSH, SshInputs, TLS, TlsInputs, kept_label, ssh_for_new, tls_for_new,
};
use crate::pages::services::target_edit::{ADDRESS_HINT, EditTargetForm};
use crate::state::use_auth;

/// The fields of the form, as the server names them.
const FIELDS: [&str; 11] = [
    "name",
    "client_id",
    "kind",
    "address",
    "proxy_admin_url",
    "kubeconfig",
    "tls",
    "ssh",
    "cluster_issuer",
    "ingress_class",
    "ingress_address",
];

/// The test's badge: its class and word.
pub fn test_badge(target: &Target) -> (&'static str, &'static str) {
    match &target.last_test {
        Some(t) if t.ok => ("badge badge-success", "Answering"),
        Some(_) => ("badge badge-danger", "Not answering"),
        None => ("badge", "Not tested"),
    }
}

/// Tests (or, with `remove`, removes) `target`, saying how in the card's banners.
fn act_on(
    auth: crate::state::Auth,
    list: Paged<Target>,
    (notice, error): (RwSignal<Option<String>>, RwSignal<Option<String>>),
    target: Target,
    remove: bool,
) {
    notice.set(None);
    error.set(None);
    spawn_local(async move {
        let id = target.id.clone();
        if remove {
            let result = auth
                .call(move |c| {
                    let id = id.clone();
                    async move { c.delete_target(&id).await }
                })
                .await;
            match result {
                Ok(()) => {
                    notice.try_set(Some(format!("“{}” is removed.", target.name)));
                    list.remove(|t| t.id == target.id);
                }
                Err(err) => drop(error.try_set(Some(err.message()))),
            }
        } else {
            let result = auth
                .call(move |c| {
                    let id = id.clone();
                    async move { c.test_target(&id).await }
                })
                .await;
            match result {
                Ok(tested) => {
                    let said = tested
                        .last_test
                        .as_ref()
                        .map_or_else(String::new, |t| t.detail.clone());
                    notice.try_set(Some(format!("{}: {said}", tested.name)));
                    list.replace(|t| t.id == tested.id, &tested);
                }
                Err(err) => drop(error.try_set(Some(err.message()))),
            }
        }
    });
}

/// The deploy targets card, `#deploy-targets`, and the form for those who manage targets.
#[component]
pub fn DeployTargets() -> impl IntoView {
    let auth = use_auth();
    let manages = move || auth.can(Permission::TargetsManage);
    let notice = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let editing = RwSignal::new(None::<Target>);
    let list = Paged::new(move |cursor| async move {
        let page = PageQuery::after(PAGE_SIZE, cursor);
        auth.call(move |c| {
            let page = page.clone();
            async move { c.list_targets(&TargetQuery::default(), &page).await }
        })
        .await
    });
    let act =
        move |target: Target, remove: bool| act_on(auth, list, (notice, error), target, remove);
    let empty = Signal::derive(move || {
        if manages() {
            "No deploy target yet. Register a container host below.".to_owned()
        } else {
            "No deploy target yet.".to_owned()
        }
    });
    view! {
        <section class="card section-gap" aria-labelledby="deploy-targets-title">
            <header class="card-header">
                <h2 id="deploy-targets-title">"Deploy targets"</h2>
            </header>
            <p class="muted card-body">
                "Where environments deploy: a container host's Docker Engine API (Docker or Podman), with the Caddy admin API that routes its domains."
            </p>
            <NoticeBanner message=notice />
            <ErrorBanner message=error />
            <ListState list=list loading="Loading deploy targets…" empty=empty />
            <Show when=move || !list.with_items(<[Target]>::is_empty)>
                <div class="table-wrap">
                    <table class="table table-stack" id="deploy-targets">
                        <thead>
                            <tr>
                                <th scope="col">"Target"</th>
                                <th scope="col">"Engine"</th>
                                <th scope="col">"Last test"</th>
                                <th scope="col">
                                    <span class="visually-hidden">"Actions"</span>
                                </th>
                            </tr>
                        </thead>
                        <tbody>
                            {move || list.items().into_iter().map(|t| view! { <TargetRow target=t manages=Signal::derive(manages) act=Callback::new(move |(t, remove)| act(t, remove)) edit=Callback::new(move |t| editing.set(Some(t))) /> }).collect_view()}
                        </tbody>
                    </table>
                </div>
            </Show>
            <LoadMore list=list />
        </section>
        {move || editing.get().map(|t| view! {
            <EditTargetForm
                target=t
                on_saved=Callback::new(move |saved: Target| {
                    error.set(None);
                    notice.set(Some(format!("“{}” is saved.", saved.name)));
                    list.replace(|t| t.id == saved.id, &saved);
                    editing.set(None);
                })
                on_cancel=Callback::new(move |()| editing.set(None))
            />
        })}
        <Show when=manages>
            <RegisterTargetForm on_created=Callback::new(move |created: Target| {
                error.set(None);
                notice.set(Some(format!("“{}” is registered: {}", created.name, created.engine.clone().unwrap_or_default())));
                list.prepend(created);
            }) />
        </Show>
    }
}

/// One target's row.
#[component]
fn TargetRow(
    target: Target,
    manages: Signal<bool>,
    act: Callback<(Target, bool)>,
    edit: Callback<Target>,
) -> impl IntoView {
    let account = use_account();
    let (class, word) = test_badge(&target);
    let tested = target.last_test.as_ref().map(|t| {
        format!(
            "{} · {}",
            date_time_label(&t.tested_at, account.time_zone().as_deref()),
            t.detail
        )
    });
    let test_target = target.clone();
    let remove_target = target.clone();
    let edit_target = target.clone();
    view! {
        <tr data-target-name=target.name.clone()>
            <td data-label="Target">
                <span class="cell-title">{target.name.clone()}</span>
                <span class="cell-sub">{target.kind.label()}</span>
                <span class="cell-sub mono">{target.address.clone()}</span>
                {kept_label(&target).map(|kept| view! { <span class="cell-sub">{kept}</span> })}
                {target.proxy_admin_url.clone().map(|u| view! { <span class="cell-sub mono">{format!("proxy {u}")}</span> })}
                {target.cluster_issuer.clone().map(|i| view! { <span class="cell-sub">{format!("TLS from {i}")}</span> })}
                {target.ingress_class.clone().map(|c| view! { <span class="cell-sub mono">{format!("ingress class {c}")}</span> })}
                {target.ingress_address.clone().map(|a| view! { <span class="cell-sub mono">{format!("domains point at {a}")}</span> })}
            </td>
            <td class="cell-wrap" data-label="Engine">{target.engine.clone().unwrap_or_else(|| "Unknown".to_owned())}</td>
            <td class="cell-wrap" data-label="Last test">
                <span class=class>{word}</span>
                {tested.map(|t| view! { <span class="cell-sub">{t}</span> })}
            </td>
            <td class="cell-actions">
                <Show when=move || manages.get()>
                    <button
                        type="button"
                        class="button button-small"
                        aria-label=format!("Test {}", test_target.name)
                        on:click={
                            let t = test_target.clone();
                            move |_| act.run((t.clone(), false))
                        }
                    >
                        "Test"
                    </button>
                    <button
                        type="button"
                        class="button button-small"
                        aria-label=format!("Change {}", edit_target.name)
                        on:click={
                            let t = edit_target.clone();
                            move |_| edit.run(t.clone())
                        }
                    >
                        "Change"
                    </button>
                    <button
                        type="button"
                        class="button button-small button-danger"
                        aria-label=format!("Remove {}", remove_target.name)
                        on:click={
                            let t = remove_target.clone();
                            move |_| act.run((t.clone(), true))
                        }
                    >
                        "Remove"
                    </button>
                </Show>
            </td>
        </tr>
    }
}

/// The register form, `#register-target-form`.
#[component]
fn RegisterTargetForm(on_created: Callback<Target>) -> impl IntoView {
    let auth = use_auth();
    let name = RwSignal::new(String::new());
    let client = RwSignal::new(String::new());
    let address = RwSignal::new(String::new());
    let proxy = RwSignal::new(String::new());
    let kind = RwSignal::new(TargetKind::ContainerHost.id().to_owned());
    let kubeconfig = RwSignal::new(String::new());
    let issuer = RwSignal::new(String::new());
    let class = RwSignal::new(String::new());
    let ingress = RwSignal::new(String::new());
    let (tls, ssh) = (TlsInputs::default(), SshInputs::default());
    let cluster = move || kind.get() == TargetKind::Kubernetes.id();
    let kind_choices = Signal::derive(|| {
        [TargetKind::ContainerHost, TargetKind::Kubernetes]
            .into_iter()
            .map(|k| Choice::new(k.id(), k.label()))
            .collect::<Vec<_>>()
    });
    let errors = RwSignal::new(FormErrors::default());
    let busy = RwSignal::new(false);
    let banner = Signal::derive(move || errors.with(|e| e.banner.clone()));
    let clients = super::all_clients();
    let client_choices = Signal::derive(move || {
        let mut choices = vec![Choice::new("", "Choose a client")];
        if let Some(list) = clients.get() {
            choices.extend(list.into_iter().map(|c| Choice::new(c.id, c.name)));
        }
        choices
    });
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let submitted = SubmittedForm::of(&ev);
        if busy.get_untracked() {
            return;
        }
        let input = if kind.get_untracked() == TargetKind::Kubernetes.id() {
            NewTarget {
                name: name.get_untracked().trim().to_owned(),
                client_id: client.get_untracked(),
                project_id: None,
                kind: TargetKind::Kubernetes,
                address: String::new(),
                proxy_admin_url: None,
                kubeconfig: Some(kubeconfig.get_untracked().into()),
                tls: None,
                ssh: None,
                cluster_issuer: non_blank(&issuer.get_untracked()),
                ingress_class: non_blank(&class.get_untracked()),
                ingress_address: non_blank(&ingress.get_untracked()),
            }
        } else {
            let address = address.get_untracked().trim().to_owned();
            NewTarget {
                name: name.get_untracked().trim().to_owned(),
                client_id: client.get_untracked(),
                project_id: None,
                kind: TargetKind::ContainerHost,
                tls: tls_for_new(&address, tls.typed()),
                ssh: ssh_for_new(&address, ssh.typed()),
                address,
                proxy_admin_url: non_blank(&proxy.get_untracked()),
                kubeconfig: None,
                cluster_issuer: None,
                ingress_class: None,
                ingress_address: non_blank(&ingress.get_untracked()),
            }
        };
        errors.set(FormErrors::default());
        busy.set(true);
        spawn_local(async move {
            let result = auth
                .call(move |c| {
                    let input = input.clone();
                    async move { c.create_target(&input).await }
                })
                .await;
            busy.try_set(false);
            match result {
                Ok(created) => {
                    name.try_set(String::new());
                    address.try_set(String::new());
                    proxy.try_set(String::new());
                    // The kubeconfig and the TLS or SSH key are not kept in the page once saved.
                    kubeconfig.try_set(String::new());
                    tls.clear();
                    ssh.clear();
                    issuer.try_set(String::new());
                    ingress.try_set(String::new());
                    let _ = on_created.try_run(created);
                }
                Err(err) => {
                    errors.try_set(form_errors(&err, &FIELDS, &NESTED));
                    submitted.focus_first_invalid();
                }
            }
        });
    };
    view! {
        <section class="card section-gap" id="register-target-form" aria-labelledby="register-target-title">
            <h2 id="register-target-title" class="card-title">"Register a target"</h2>
            <form class="form card-body" novalidate=true on:submit=submit aria-labelledby="register-target-title">
                <p class="muted">"gmac asks the engine (or the cluster's API server) to describe itself, and the proxy's admin API to answer, before saving: if either does not, nothing is saved."</p>
                <ErrorBanner message=banner />
                <div class="field-row">
                    <FormField id="target-name" field="name" label="Name" autocomplete="off" value=name errors=errors placeholder="web-1" disabled=busy />
                    <ChoiceSelect id="target-client" field="client_id" label="Client" value=client choices=client_choices errors=errors disabled=busy />
                    <ChoiceSelect id="target-kind" field="kind" label="Kind" value=kind choices=kind_choices errors=errors disabled=busy />
                </div>
                <Show
                    when=cluster
                    fallback=move || view! {
                        <FormField
                            id="target-address"
                            field="address"
                            label="Engine address"
                            autocomplete="off"
                            mono=true
                            value=address
                            errors=errors
                            placeholder="unix:///run/podman/podman.sock"
                            hint=ADDRESS_HINT
                            disabled=busy
                        />
                        <Show when=move || TLS.reaches(&address.get())>
                            <CredentialFields prefix="target" group=&TLS legend=TLS.legend note=TLS.note values=tls errors=errors disabled=busy />
                        </Show>
                        <Show when=move || SSH.reaches(&address.get())>
                            <CredentialFields prefix="target" group=&SSH legend=SSH.legend note=SSH.note values=ssh errors=errors disabled=busy />
                        </Show>
                        <FormField
                            id="target-proxy"
                            field="proxy_admin_url"
                            label="Caddy admin API (optional)"
                            input_type="url"
                            autocomplete="off"
                            mono=true
                            optional=true
                            value=proxy
                            errors=errors
                            placeholder="http://127.0.0.1:2019"
                            disabled=busy
                        />
                    }
                >
                    <div class="field" class:field-invalid=move || errors.with(|e| e.has("kubeconfig"))>
                        <label for="target-kubeconfig">"Kubeconfig"</label>
                        <textarea
                            id="target-kubeconfig"
                            name="kubeconfig"
                            class="input mono"
                            rows="8"
                            spellcheck="false"
                            autocomplete="off"
                            aria-describedby="target-kubeconfig-hint target-kubeconfig-error"
                            disabled=move || busy.get()
                            bind:value=kubeconfig
                        ></textarea>
                        <p class="field-hint" id="target-kubeconfig-hint">
                            "With its credentials inline (a token, or a client certificate and key): no exec plugin, file path or proxy. Kept encrypted and never shown again; each environment gets a namespace of its own."
                        </p>
                        <FieldMessages id="target-kubeconfig-error" field="kubeconfig" errors=errors />
                    </div>
                    <FormField
                        id="target-issuer"
                        field="cluster_issuer"
                        label="cert-manager cluster issuer (optional)"
                        autocomplete="off"
                        mono=true
                        optional=true
                        value=issuer
                        errors=errors
                        placeholder="letsencrypt"
                        hint="Asked for each environment's TLS certificate through its Ingress."
                        disabled=busy
                    />
                    <FormField
                        id="target-ingress-class"
                        field="ingress_class"
                        label="Ingress class (optional)"
                        autocomplete="off"
                        mono=true
                        optional=true
                        value=class
                        errors=errors
                        placeholder="nginx"
                        hint="The IngressClass each environment's Ingress names; empty: the cluster's default."
                        disabled=busy
                    />
                </Show>
                <FormField
                    id="target-ingress"
                    field="ingress_address"
                    label="Ingress address (optional)"
                    autocomplete="off"
                    mono=true
                    optional=true
                    value=ingress
                    errors=errors
                    placeholder="203.0.113.10"
                    hint="Where its traffic comes in, which custom domains point at: an IP address (an A record) or a host name (a CNAME), with :port when HTTPS is not on 443."
                    disabled=busy
                />
                <div class="form-actions">
                    <SubmitButton id="register-target" label="Test and register" busy_label="Asking the engine…" busy=busy inline=true />
                </div>
            </form>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_targets_badge_says_whether_it_answered_at_its_last_test() {
        let mut target = Target {
            id: "t".into(),
            name: "web-1".into(),
            client_id: "c".into(),
            project_id: None,
            kind: TargetKind::ContainerHost,
            address: "unix:///run/podman/podman.sock".into(),
            has_credentials: false,
            cluster_issuer: None,
            ingress_class: None,
            ingress_address: None,
            proxy_admin_url: None,
            engine: None,
            last_test: None,
            created_by: "u".into(),
            created_at: chrono::DateTime::UNIX_EPOCH,
            version: 1,
        };
        assert_eq!(test_badge(&target).1, "Not tested");
        target.last_test = Some(gmac_types::TargetTest {
            tested_at: chrono::DateTime::UNIX_EPOCH,
            ok: false,
            detail: "refused".into(),
        });
        assert_eq!(test_badge(&target), ("badge badge-danger", "Not answering"));
    }
}
