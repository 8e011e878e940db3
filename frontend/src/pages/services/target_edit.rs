//! A deploy target changed in place (`PATCH /targets/{id}`): its name, where it is reached (a
//! container host's engine address and Caddy admin API, a cluster's new kubeconfig), its
//! cluster issuer and its ingress address. gmac tests a new address, proxy or kubeconfig
//! before saving; a new proxy gets the live environments' routes at once.

use gmac_types::{SecretText, Target, TargetKind, TargetPatch};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::non_blank;
use crate::components::error_banner::ErrorBanner;
use crate::components::form_field::{FieldMessages, FormErrors, FormField, SubmitButton};
use crate::pages::SubmittedForm;
use crate::pages::costs::forms::form_errors;
use crate::state::use_auth;

/// The fields of the form, as the server names them.
const FIELDS: [&str; 7] = [
    "name",
    "address",
    "proxy_admin_url",
    "kubeconfig",
    "cluster_issuer",
    "ingress_class",
    "ingress_address",
];

/// What changed from `before`: only those fields are sent.
fn patch_of(before: &Target, given: [String; 7]) -> TargetPatch {
    let [name, address, proxy, kubeconfig, issuer, class, ingress] = given;
    let changed = |now: Option<String>, was: &Option<String>| (now != *was).then_some(now);
    let cluster = before.kind == TargetKind::Kubernetes;
    TargetPatch {
        name: (name.trim() != before.name).then(|| name.trim().to_owned()),
        address: (!cluster && address.trim() != before.address).then(|| address.trim().to_owned()),
        kubeconfig: (cluster && !kubeconfig.trim().is_empty()).then(|| SecretText::new(kubeconfig)),
        cluster_issuer: if cluster {
            changed(non_blank(&issuer), &before.cluster_issuer)
        } else {
            None
        },
        ingress_class: if cluster {
            changed(non_blank(&class), &before.ingress_class)
        } else {
            None
        },
        proxy_admin_url: if cluster {
            None
        } else {
            changed(non_blank(&proxy), &before.proxy_admin_url)
        },
        ingress_address: changed(non_blank(&ingress), &before.ingress_address),
    }
}

/// After a `412`: the target's version now, so that the next save goes over the target as it
/// is (what is typed stays), and a banner saying so.
async fn moved_on(
    auth: crate::state::Auth,
    id: String,
    version: RwSignal<i64>,
    errors: RwSignal<FormErrors>,
) {
    let now = auth
        .call(move |c| {
            let id = id.clone();
            async move { c.get_target(&id).await }
        })
        .await;
    let banner = match now {
        Ok(now) => {
            version.try_set(now.version);
            "The target changed since this form opened (a test, or someone else's change). What you typed is kept: save again to apply it.".to_owned()
        }
        Err(err) => format!(
            "The target changed since this form opened, and it could not be read again: {}",
            err.message()
        ),
    };
    errors.try_set(FormErrors {
        banner: Some(banner),
        ..FormErrors::default()
    });
}

/// The edit form, `#edit-target-form`, for `target`.
#[component]
pub fn EditTargetForm(
    target: Target,
    on_saved: Callback<Target>,
    on_cancel: Callback<()>,
) -> impl IntoView {
    let auth = use_auth();
    let cluster = target.kind == TargetKind::Kubernetes;
    let text = |v: Option<&String>| RwSignal::new(v.cloned().unwrap_or_default());
    let name = RwSignal::new(target.name.clone());
    let address = RwSignal::new(target.address.clone());
    let proxy = text(target.proxy_admin_url.as_ref());
    let kubeconfig = RwSignal::new(String::new());
    let issuer = text(target.cluster_issuer.as_ref());
    let class = text(target.ingress_class.as_ref());
    let ingress = text(target.ingress_address.as_ref());
    let errors = RwSignal::new(FormErrors::default());
    let busy = RwSignal::new(false);
    let banner = Signal::derive(move || errors.with(|e| e.banner.clone()));
    let title = format!("Change {}", target.name);
    // The version saved against: a test of the target, or someone's change, moves it on.
    let version = RwSignal::new(target.version);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let submitted = SubmittedForm::of(&ev);
        if busy.get_untracked() {
            return;
        }
        let patch = patch_of(
            &target,
            [name, address, proxy, kubeconfig, issuer, class, ingress].map(|s| s.get_untracked()),
        );
        if patch == TargetPatch::default() {
            on_cancel.run(());
            return;
        }
        let (id, expected) = (target.id.clone(), version.get_untracked());
        let target_id = target.id.clone();
        errors.set(FormErrors::default());
        busy.set(true);
        spawn_local(async move {
            let result = auth
                .call(move |c| {
                    let (id, patch) = (id.clone(), patch.clone());
                    async move { c.update_target(&id, &patch, Some(expected)).await }
                })
                .await;
            busy.try_set(false);
            match result {
                Err(err) if crate::api::is(&err, gmac_types::ErrorCode::PreconditionFailed) => {
                    moved_on(auth, target_id, version, errors).await;
                }
                Ok(saved) => {
                    kubeconfig.try_set(String::new());
                    let _ = on_saved.try_run(saved);
                }
                Err(err) => {
                    errors.try_set(form_errors(&err, &FIELDS, &[]));
                    submitted.focus_first_invalid();
                }
            }
        });
    };
    view! {
        <section class="card section-gap" id="edit-target-form" aria-labelledby="edit-target-title">
            <h2 id="edit-target-title" class="card-title">{title}</h2>
            <form class="form card-body" novalidate=true on:submit=submit aria-labelledby="edit-target-title">
                <p class="muted">"A new address, proxy or kubeconfig is tested before it is saved; a new proxy gets the routes of the environments serving there at once."</p>
                <ErrorBanner message=banner />
                <FormField id="edit-target-name" field="name" label="Name" autocomplete="off" value=name errors=errors disabled=busy />
                {if cluster {
                    view! {
                        <div class="field" class:field-invalid=move || errors.with(|e| e.has("kubeconfig"))>
                            <label for="edit-target-kubeconfig">"New kubeconfig (optional)"</label>
                            <textarea id="edit-target-kubeconfig" name="kubeconfig" class="input mono" rows="6"
                                spellcheck="false" autocomplete="off" aria-describedby="edit-target-kubeconfig-error"
                                disabled=move || busy.get() bind:value=kubeconfig></textarea>
                            <FieldMessages id="edit-target-kubeconfig-error" field="kubeconfig" errors=errors />
                        </div>
                        <FormField id="edit-target-issuer" field="cluster_issuer" label="cert-manager cluster issuer (optional)"
                            autocomplete="off" mono=true optional=true value=issuer errors=errors disabled=busy />
                        <FormField id="edit-target-ingress-class" field="ingress_class" label="Ingress class (optional)"
                            autocomplete="off" mono=true optional=true value=class errors=errors disabled=busy />
                    }
                    .into_any()
                } else {
                    view! {
                        <FormField id="edit-target-address" field="address" label="Engine address" autocomplete="off"
                            mono=true value=address errors=errors disabled=busy />
                        <FormField id="edit-target-proxy" field="proxy_admin_url" label="Caddy admin API (optional)"
                            input_type="url" autocomplete="off" mono=true optional=true value=proxy errors=errors disabled=busy />
                    }
                    .into_any()
                }}
                <FormField id="edit-target-ingress" field="ingress_address" label="Ingress address (optional)"
                    autocomplete="off" mono=true optional=true value=ingress errors=errors disabled=busy />
                <div class="form-actions">
                    <SubmitButton id="save-target" label="Test and save" busy_label="Asking the target…" busy=busy inline=true />
                    <button type="button" class="button" on:click=move |_| on_cancel.run(())>"Cancel"</button>
                </div>
            </form>
        </section>
    }
}
