//! A deploy target changed in place (`PATCH /targets/{id}`): its name, where it is reached (a
//! container host's engine address, TLS client credentials or SSH keys and Caddy admin API, a
//! cluster's new kubeconfig), its cluster issuer and its ingress address. gmac tests a new
//! address, proxy, credentials or kubeconfig before saving; a new proxy gets the live
//! environments' routes at once.

use gmac_types::{EngineSsh, EngineTls, SecretText, Target, TargetKind, TargetPatch};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::non_blank;
use crate::components::error_banner::ErrorBanner;
use crate::components::form_field::{FieldMessages, FormErrors, FormField, SubmitButton};
use crate::pages::SubmittedForm;
use crate::pages::costs::forms::form_errors;
use crate::pages::services::target_credentials::{
    CredentialFields, CredentialGroup, NESTED, SSH, SshInputs, TLS, TlsInputs, replacements,
};
use crate::state::use_auth;

/// The fields of the form, as the server names them.
const FIELDS: [&str; 9] = [
    "name",
    "address",
    "proxy_admin_url",
    "kubeconfig",
    "tls",
    "ssh",
    "cluster_issuer",
    "ingress_class",
    "ingress_address",
];

/// The engine address's hint.
pub const ADDRESS_HINT: &str = "The Docker Engine API: unix:///path/to/the.sock, tcp://host:port over TLS with a client certificate, or ssh://user@host/path/to/engine.sock over SSH.";

/// What changed from `before`: only those fields are sent, with new TLS credentials `tls` or
/// SSH keys `ssh`.
fn patch_of(
    before: &Target,
    given: [String; 7],
    (tls, ssh): (Option<EngineTls>, Option<EngineSsh>),
) -> TargetPatch {
    let [name, address, proxy, kubeconfig, issuer, class, ingress] = given;
    let changed = |now: Option<String>, was: &Option<String>| (now != *was).then_some(now);
    let cluster = before.kind == TargetKind::Kubernetes;
    TargetPatch {
        name: (name.trim() != before.name).then(|| name.trim().to_owned()),
        address: (!cluster && address.trim() != before.address).then(|| address.trim().to_owned()),
        kubeconfig: (cluster && !kubeconfig.trim().is_empty()).then(|| SecretText::new(kubeconfig)),
        tls: tls.filter(|_| !cluster),
        ssh: ssh.filter(|_| !cluster),
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

/// A container host's credentials of `group` on the edit form, `#edit-target-{group}`: those
/// kept are said to be (never shown); the fields to replace them show while `address` takes
/// them. Once it is a socket (it takes none), those kept are said to be dropped.
#[component]
fn EditCredentials(
    /// The engine address as typed.
    address: RwSignal<String>,
    /// Which credentials.
    group: &'static CredentialGroup,
    /// Whether the target keeps some of `group`.
    kept: bool,
    /// The fields' values, in the group's order.
    #[prop(into)]
    values: Vec<RwSignal<String>>,
    /// The form's errors.
    errors: RwSignal<FormErrors>,
    /// Whether the form is being sent.
    busy: RwSignal<bool>,
) -> impl IntoView {
    let (legend, note) = group.edit_words(kept);
    let kept_id = format!("edit-target-{}-kept", group.name);
    // Over the other scheme, the other group's fields show instead (and what is typed there
    // replaces these): these are said to be dropped only once the address takes none.
    let socket = move || !TLS.reaches(&address.get()) && !SSH.reaches(&address.get());
    let dropped = move || {
        (kept && socket())
            .then(|| view! { <p class="muted" id=kept_id.clone()>{group.dropped}</p> })
    };
    view! {
        <Show when=move || group.reaches(&address.get()) fallback=move || dropped.clone()>
            <CredentialFields prefix="edit-target" group=group legend=legend note=note
                values=values.clone() errors=errors disabled=busy />
        </Show>
    }
}

/// A cluster's fields on the edit form: a new kubeconfig, its cluster issuer and ingress class.
fn cluster_fields(
    [kubeconfig, issuer, class]: [RwSignal<String>; 3],
    errors: RwSignal<FormErrors>,
    busy: RwSignal<bool>,
) -> impl IntoView {
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
}

/// A container host's fields on the edit form: its engine address, the credentials it is
/// reached with (those `target` keeps said to be) and its Caddy admin API.
fn host_fields(
    target: &Target,
    [address, proxy]: [RwSignal<String>; 2],
    (tls, ssh): (TlsInputs, SshInputs),
    errors: RwSignal<FormErrors>,
    busy: RwSignal<bool>,
) -> impl IntoView {
    let (tls_kept, ssh_kept) = (TLS.kept_by(target), SSH.kept_by(target));
    view! {
        <FormField id="edit-target-address" field="address" label="Engine address" autocomplete="off"
            mono=true value=address errors=errors disabled=busy hint=ADDRESS_HINT />
        <EditCredentials address=address group=&TLS kept=tls_kept values=tls errors=errors busy=busy />
        <EditCredentials address=address group=&SSH kept=ssh_kept values=ssh errors=errors busy=busy />
        <FormField id="edit-target-proxy" field="proxy_admin_url" label="Caddy admin API (optional)"
            input_type="url" autocomplete="off" mono=true optional=true value=proxy errors=errors disabled=busy />
    }
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
    let (tls, ssh) = (TlsInputs::default(), SshInputs::default());
    let errors = RwSignal::new(FormErrors::default());
    let busy = RwSignal::new(false);
    let banner = Signal::derive(move || errors.with(|e| e.banner.clone()));
    let title = format!("Change {}", target.name);
    // The version saved against: a test of the target, or someone's change, moves it on.
    let version = RwSignal::new(target.version);
    let reach = if cluster {
        cluster_fields([kubeconfig, issuer, class], errors, busy).into_any()
    } else {
        host_fields(&target, [address, proxy], (tls, ssh), errors, busy).into_any()
    };
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let submitted = SubmittedForm::of(&ev);
        if busy.get_untracked() {
            return;
        }
        let credentials = match replacements(&address.get_untracked(), tls.typed(), ssh.typed()) {
            Ok(credentials) => credentials,
            Err(missing) => {
                errors.set(FormErrors::from_fields(missing));
                submitted.focus_first_invalid();
                return;
            }
        };
        let patch = patch_of(
            &target,
            [name, address, proxy, kubeconfig, issuer, class, ingress].map(|s| s.get_untracked()),
            credentials,
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
                    tls.clear();
                    ssh.clear();
                    let _ = on_saved.try_run(saved);
                }
                Err(err) => {
                    errors.try_set(form_errors(&err, &FIELDS, &NESTED));
                    submitted.focus_first_invalid();
                }
            }
        });
    };
    view! {
        <section class="card section-gap" id="edit-target-form" aria-labelledby="edit-target-title">
            <h2 id="edit-target-title" class="card-title">{title}</h2>
            <form class="form card-body" novalidate=true on:submit=submit aria-labelledby="edit-target-title">
                <p class="muted">"A new address, proxy, TLS credentials, SSH keys or kubeconfig are tested before they are saved; a new proxy gets the routes of the environments serving there at once."</p>
                <ErrorBanner message=banner />
                <FormField id="edit-target-name" field="name" label="Name" autocomplete="off" value=name errors=errors disabled=busy />
                {reach}
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pages::costs::forms::messages_at;
    use crate::pages::services::target_credentials::{
        invalid, kept_label, replacement_tls, ssh_for_new, tls_for_new,
    };
    use gmac_types::FieldError;

    const SSH_AT: &str = "ssh://deploy@10.0.0.5/run/podman/podman.sock";

    const PEM: [&str; 3] = [
        "-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n",
        "-----BEGIN CERTIFICATE-----\ncert\n-----END CERTIFICATE-----\n",
        "-----BEGIN PRIVATE KEY-----\nkey\n-----END PRIVATE KEY-----\n",
    ];

    fn typed(given: [bool; 3]) -> [String; 3] {
        [0, 1, 2].map(|i| {
            if given[i] {
                PEM[i].to_owned()
            } else {
                "  ".to_owned()
            }
        })
    }

    fn host(address: &str, has_credentials: bool) -> Target {
        Target {
            id: "t".into(),
            name: "web-1".into(),
            client_id: "c".into(),
            project_id: None,
            kind: TargetKind::ContainerHost,
            address: address.into(),
            has_credentials,
            cluster_issuer: None,
            ingress_class: None,
            ingress_address: None,
            proxy_admin_url: None,
            engine: None,
            last_test: None,
            created_by: "u".into(),
            created_at: chrono::DateTime::UNIX_EPOCH,
            version: 1,
        }
    }

    /// The edit form's fields as `before` has them, with `address`.
    fn unchanged(before: &Target, address: &str) -> [String; 7] {
        [
            before.name.clone(),
            address.to_owned(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ]
    }

    #[test]
    fn a_new_host_over_the_network_is_sent_with_what_is_typed_and_a_socket_without() {
        let all = tls_for_new(" tcp://10.0.0.5:2376", typed([true; 3])).unwrap();
        assert_eq!(all.ca_certificate, PEM[0]);
        assert_eq!(all.client_certificate, PEM[1]);
        assert_eq!(all.client_key.expose(), PEM[2]);
        // Nothing typed: none, and the server says beside the fields that they are needed.
        assert!(tls_for_new("tcp://10.0.0.5:2376", typed([false; 3])).is_none());
        // Some typed: sent, and the server says which it cannot read.
        let some = tls_for_new("tcp://10.0.0.5:2376", typed([true, false, false])).unwrap();
        assert_eq!(some.client_certificate.trim(), "");
        assert!(tls_for_new("unix:///run/podman/podman.sock", typed([true; 3])).is_none());
    }

    #[test]
    fn credentials_are_replaced_only_with_all_three_and_only_over_the_network() {
        let before = host("tcp://10.0.0.5:2376", true);
        let at = |address: &str, given| {
            replacement_tls(address, typed(given))
                .map(|tls| patch_of(&before, unchanged(&before, address), (tls, None)))
        };
        // Nothing typed: the kept credentials stay, and nothing is sent.
        assert_eq!(
            at("tcp://10.0.0.5:2376", [false; 3]),
            Ok(TargetPatch::default())
        );
        let replaced = at("tcp://10.0.0.5:2376", [true; 3]).unwrap();
        assert_eq!(replaced.tls.unwrap().client_key.expose(), PEM[2]);
        let missing = at("tcp://10.0.0.5:2376", [true, false, true]).unwrap_err();
        let pointers: Vec<&str> = missing.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(pointers, ["/tls/client_certificate"]);
        // Moved to a socket: the fields are hidden, and what they held is not sent.
        let moved = at("unix:///run/podman/podman.sock", [true; 3]).unwrap();
        assert_eq!(
            moved.address.as_deref(),
            Some("unix:///run/podman/podman.sock")
        );
        assert!(moved.tls.is_none());
    }

    #[test]
    fn a_clusters_patch_never_carries_tls() {
        let mut cluster = host("https://10.0.0.9:6443", true);
        cluster.kind = TargetKind::Kubernetes;
        let tls = tls_for_new("tcp://x:1", typed([true; 3]));
        let ssh = ssh_for_new(
            "ssh://u@x",
            ["key".to_owned(), "ssh-ed25519 AAAA".to_owned()],
        );
        let patch = patch_of(&cluster, unchanged(&cluster, &cluster.address), (tls, ssh));
        assert_eq!(patch, TargetPatch::default());
    }

    #[test]
    fn ssh_keys_are_sent_with_both_and_what_the_hidden_tls_fields_hold_is_not() {
        let before = host(SSH_AT, true);
        let keys = |key: &str| [key.to_owned(), "ssh-ed25519 AAAA".to_owned()];
        let patch = |address: &str, key: &str| {
            replacements(address, typed([true; 3]), keys(key))
                .map(|given| patch_of(&before, unchanged(&before, address), given))
        };
        let both = patch(SSH_AT, "key").unwrap();
        assert_eq!(both.ssh.unwrap().private_key.expose(), "key");
        assert!(both.tls.is_none() && both.address.is_none());
        let missing = patch(SSH_AT, " ").unwrap_err();
        assert_eq!(missing[0].pointer, "/ssh/private_key");
        // Moved to a socket: neither group is sent.
        let moved = patch("unix:///run/podman/podman.sock", "key").unwrap();
        assert!(moved.ssh.is_none() && moved.tls.is_none());
    }

    #[test]
    fn the_servers_messages_about_the_credentials_land_beside_their_fields() {
        let problem = gmac_types::ProblemDetails::new(gmac_types::ErrorCode::ValidationFailed)
            .with_errors(vec![
                FieldError::new("tls", "required", "Needed."),
                FieldError::at(&["tls", "client_key"], "invalid", "Not PEM."),
            ]);
        let err = gmac_client::ApiError::Problem(Box::new(problem));
        let errors = form_errors(&err, &FIELDS, &NESTED);
        assert!(errors.banner.is_none());
        assert_eq!(messages_at(&errors, "/tls"), ["Needed."]);
        assert_eq!(messages_at(&errors, "/tls/client_key"), ["Not PEM."]);
        // A message about them as a whole marks each field; one about a field, that field.
        assert!(invalid(&errors, "/tls", "/tls/ca_certificate"));
        let one = FormErrors::from_fields(errors.fields[1..].to_vec());
        assert!(invalid(&one, "/tls", "/tls/client_key"));
        assert!(!invalid(&one, "/tls", "/tls/ca_certificate"));
        // The SSH keys' likewise; a message about one group marks no field of the other.
        let problem = gmac_types::ProblemDetails::new(gmac_types::ErrorCode::ValidationFailed)
            .with_errors(vec![
                FieldError::new("ssh", "required", "Give both."),
                FieldError::at(&["ssh", "host_key"], "invalid", "Not a host key."),
            ]);
        let err = gmac_client::ApiError::Problem(Box::new(problem));
        let errors = form_errors(&err, &FIELDS, &NESTED);
        assert_eq!(messages_at(&errors, "/ssh/host_key"), ["Not a host key."]);
        assert!(invalid(&errors, "/ssh", "/ssh/private_key"));
        assert!(!invalid(&errors, "/tls", "/tls/client_key"));
        let one = FormErrors::from_fields(errors.fields[1..].to_vec());
        assert!(!invalid(&one, "/ssh", "/ssh/private_key"));
    }

    #[test]
    fn credentials_kept_are_said_to_be_only_by_the_group_the_saved_address_takes() {
        let over_ssh = host(SSH_AT, true);
        let over_tls = host("tcp://10.0.0.5:2376", true);
        assert!(SSH.kept_by(&over_ssh) && !TLS.kept_by(&over_ssh));
        assert!(TLS.kept_by(&over_tls) && !SSH.kept_by(&over_tls));
        assert!(!SSH.kept_by(&host(SSH_AT, false)));
        let mut cluster = host("https://10.0.0.9:6443", true);
        cluster.kind = TargetKind::Kubernetes;
        assert!(!TLS.kept_by(&cluster) && kept_label(&cluster).is_none());

        assert_eq!(kept_label(&over_ssh), Some("SSH keys kept"));
        assert_eq!(kept_label(&over_tls), Some("TLS client certificate kept"));
        assert_eq!(kept_label(&host(SSH_AT, false)), None);

        let (legend, note) = SSH.edit_words(SSH.kept_by(&over_ssh));
        assert_eq!(legend, "Replace the SSH keys (optional)");
        assert!(note.starts_with("SSH keys kept (never shown)"), "{note}");
        assert_eq!(SSH.edit_words(false), (SSH.legend, SSH.note));
        let (_, note) = TLS.edit_words(TLS.kept_by(&over_ssh));
        assert!(!note.contains("kept"), "{note}");
    }
}
