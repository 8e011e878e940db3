//! The credentials a container host over the network is reached with, as the register and edit
//! forms take them: TLS client credentials for `tcp://` (three PEM fields under `tls`) and SSH
//! keys for `ssh://` (gmac's private key and the host's public key under `ssh`). Each group is
//! a fieldset, `#{prefix}-{group}`, with a textarea per field, `#{prefix}-{group}-{field}`,
//! its messages under it, and the messages about the group as a whole under the legend.

use gmac_types::{EngineSsh, EngineTls, FieldError, SecretText, Target, TargetKind};
use leptos::prelude::*;

use crate::components::form_field::FormErrors;
use crate::pages::costs::forms::messages_at;

/// The fields whose errors keep their whole pointer (`/tls/client_key`, `/ssh/host_key`).
pub const NESTED: [&str; 2] = ["tls", "ssh"];

/// One field of a group of credentials.
#[derive(Debug)]
pub struct CredentialField {
    /// Its name under the group, as the server names it.
    field: &'static str,
    /// What its input's id ends with.
    id: &'static str,
    label: &'static str,
    hint: &'static str,
    placeholder: &'static str,
    rows: &'static str,
}

/// The credentials one kind of engine address takes, and what the forms say of them.
#[derive(Debug)]
pub struct CredentialGroup {
    /// Its name, as the server names it (`tls`), and what its ids carry.
    pub name: &'static str,
    /// The addresses it is for: those that start with this.
    scheme: &'static str,
    /// Its fields, in the order they are shown (and typed).
    fields: &'static [CredentialField],
    /// The register form's legend.
    pub legend: &'static str,
    /// The line under the register form's legend.
    pub note: &'static str,
    /// The edit form's legend, and the line under it, when some are kept.
    replace_legend: &'static str,
    replace_note: &'static str,
    /// Under each field left empty when only some are typed to replace those kept.
    give_all: &'static str,
    /// The edit form's words for those kept once the address takes none.
    pub dropped: &'static str,
    /// The list's words for those kept.
    kept: &'static str,
}

impl CredentialGroup {
    /// Whether an engine at `address` is reached with these.
    pub fn reaches(&self, address: &str) -> bool {
        address.trim_start().starts_with(self.scheme)
    }

    /// Whether `target`, as saved, keeps these.
    pub fn kept_by(&self, target: &Target) -> bool {
        target.kind == TargetKind::ContainerHost
            && target.has_credentials
            && self.reaches(&target.address)
    }

    /// The edit form's legend and note: those kept are said to be (never shown).
    pub fn edit_words(&self, kept: bool) -> (&'static str, &'static str) {
        if kept {
            (self.replace_legend, self.replace_note)
        } else {
            (self.legend, self.note)
        }
    }
}

static TLS_FIELDS: [CredentialField; 3] = [
    CredentialField {
        field: "ca_certificate",
        id: "ca",
        label: "CA certificate",
        hint: "ca.pem: the authority that signed the engine's certificate.",
        placeholder: "-----BEGIN CERTIFICATE-----",
        rows: "4",
    },
    CredentialField {
        field: "client_certificate",
        id: "certificate",
        label: "Client certificate",
        hint: "cert.pem: gmac's certificate, signed by an authority the engine trusts.",
        placeholder: "-----BEGIN CERTIFICATE-----",
        rows: "4",
    },
    CredentialField {
        field: "client_key",
        id: "key",
        label: "Client key",
        hint: "key.pem: kept encrypted, never shown again.",
        placeholder: "-----BEGIN PRIVATE KEY-----",
        rows: "4",
    },
];

static SSH_FIELDS: [CredentialField; 2] = [
    CredentialField {
        field: "private_key",
        id: "key",
        label: "Private key",
        hint: "gmac's key as ssh-keygen writes it, without a passphrase; its public key goes in the user's ~/.ssh/authorized_keys. Kept encrypted, never shown again.",
        placeholder: "-----BEGIN OPENSSH PRIVATE KEY-----",
        rows: "4",
    },
    CredentialField {
        field: "host_key",
        id: "host-key",
        label: "Host key",
        hint: "A line of ssh-keyscan HOST, or the host's /etc/ssh/ssh_host_ed25519_key.pub: gmac accepts no other key from it.",
        placeholder: "ssh-ed25519 AAAA…",
        rows: "2",
    },
];

/// An engine over the network (`tcp://`): TLS, as Docker's `--tlsverify`.
pub static TLS: CredentialGroup = CredentialGroup {
    name: "tls",
    scheme: "tcp://",
    fields: &TLS_FIELDS,
    legend: "TLS client certificate",
    note: "As Docker's --tlsverify: gmac checks the engine's certificate against the authority's and presents its own client certificate.",
    replace_legend: "Replace the TLS credentials (optional)",
    replace_note: "TLS client certificate kept (never shown). To replace it, e.g. once renewed, give all three: they are tested before they are kept.",
    give_all: "Give all three to replace the credentials.",
    dropped: "TLS client certificate kept (never shown); it is dropped once the engine is a unix socket.",
    kept: "TLS client certificate kept",
};

/// An engine over SSH (`ssh://`): gmac's key and the host's, as `podman system connection`.
pub static SSH: CredentialGroup = CredentialGroup {
    name: "ssh",
    scheme: "ssh://",
    fields: &SSH_FIELDS,
    legend: "SSH keys",
    note: "As podman system connection: gmac signs in with its key and accepts the host only if it shows the key given; it forwards to the engine's socket there, nothing is run on the host.",
    replace_legend: "Replace the SSH keys (optional)",
    replace_note: "SSH keys kept (never shown). To replace them, give both: they are tested before they are kept.",
    give_all: "Give both to replace the keys.",
    dropped: "SSH keys kept (never shown); they are dropped once the engine is a unix socket.",
    kept: "SSH keys kept",
};

/// What the list says of a target's credentials kept, if it keeps a container host's.
pub fn kept_label(target: &Target) -> Option<&'static str> {
    let kept = target.kind == TargetKind::ContainerHost && target.has_credentials;
    kept.then(|| {
        if SSH.reaches(&target.address) {
            SSH.kept
        } else {
            TLS.kept
        }
    })
}

/// A group's fields as typed, in its fields' order.
#[derive(Clone, Copy, Debug)]
pub struct CredentialInputs<const N: usize>([RwSignal<String>; N]);

/// The TLS credentials as typed: the authority's certificate, the client certificate and its
/// key (PEM each).
pub type TlsInputs = CredentialInputs<3>;

/// The SSH keys as typed: gmac's private key and the host's public key.
pub type SshInputs = CredentialInputs<2>;

impl<const N: usize> Default for CredentialInputs<N> {
    fn default() -> Self {
        Self(std::array::from_fn(|_| RwSignal::new(String::new())))
    }
}

impl<const N: usize> CredentialInputs<N> {
    /// What is typed.
    pub fn typed(self) -> [String; N] {
        self.0.map(|s| s.get_untracked())
    }

    /// Empties the fields: a key is not kept in the page once it is sent.
    pub fn clear(self) {
        for field in self.0 {
            field.try_set(String::new());
        }
    }
}

impl<const N: usize> From<CredentialInputs<N>> for Vec<RwSignal<String>> {
    fn from(inputs: CredentialInputs<N>) -> Self {
        inputs.0.to_vec()
    }
}

/// What a new container host at `address` is registered with from `group`: nothing unless
/// `group` is for `address`; then what is typed, unless nothing is (the server then says
/// beside the fields that they are needed, and each one it cannot read).
fn for_new<const N: usize>(
    group: &CredentialGroup,
    address: &str,
    typed: [String; N],
) -> Option<[String; N]> {
    (group.reaches(address) && typed.iter().any(|t| !t.trim().is_empty())).then_some(typed)
}

/// New credentials from `group` for a container host now at `address`: none when `group` is
/// not for it or none are typed; all when all are typed. Some but not all: a message for each
/// one missing.
fn replacement<const N: usize>(
    group: &CredentialGroup,
    address: &str,
    typed: [String; N],
) -> Result<Option<[String; N]>, Vec<FieldError>> {
    let given = typed.iter().filter(|t| !t.trim().is_empty()).count();
    if !group.reaches(address) || given == 0 {
        return Ok(None);
    }
    if given == N {
        return Ok(Some(typed));
    }
    Err(group
        .fields
        .iter()
        .zip(&typed)
        .filter(|(_, t)| t.trim().is_empty())
        .map(|(f, _)| FieldError::at(&[group.name, f.field], "required", group.give_all))
        .collect())
}

fn tls_of([ca, certificate, key]: [String; 3]) -> EngineTls {
    EngineTls {
        ca_certificate: ca,
        client_certificate: certificate,
        client_key: SecretText::new(key),
    }
}

fn ssh_of([private_key, host_key]: [String; 2]) -> EngineSsh {
    EngineSsh {
        private_key: SecretText::new(private_key),
        host_key,
    }
}

/// The TLS credentials a new container host at `address` is registered with.
pub fn tls_for_new(address: &str, typed: [String; 3]) -> Option<EngineTls> {
    for_new(&TLS, address, typed).map(tls_of)
}

/// The SSH keys a new container host at `address` is registered with.
pub fn ssh_for_new(address: &str, typed: [String; 2]) -> Option<EngineSsh> {
    for_new(&SSH, address, typed).map(ssh_of)
}

/// New TLS credentials for a container host now at `address`: all three, or none.
pub fn replacement_tls(
    address: &str,
    typed: [String; 3],
) -> Result<Option<EngineTls>, Vec<FieldError>> {
    replacement(&TLS, address, typed).map(|t| t.map(tls_of))
}

/// New SSH keys for a container host now at `address`: both, or none.
pub fn replacement_ssh(
    address: &str,
    typed: [String; 2],
) -> Result<Option<EngineSsh>, Vec<FieldError>> {
    replacement(&SSH, address, typed).map(|t| t.map(ssh_of))
}

/// New credentials for a container host now at `address`, from what is typed in each group:
/// of the group its address takes, all or none (a message for each one missing).
pub fn replacements(
    address: &str,
    tls: [String; 3],
    ssh: [String; 2],
) -> Result<(Option<EngineTls>, Option<EngineSsh>), Vec<FieldError>> {
    match (replacement_tls(address, tls), replacement_ssh(address, ssh)) {
        (Ok(tls), Ok(ssh)) => Ok((tls, ssh)),
        (tls, ssh) => Err(tls.err().into_iter().chain(ssh.err()).flatten().collect()),
    }
}

/// Whether the messages in `errors` are about the field at `pointer`, or about its whole
/// group at `group`.
pub(super) fn invalid(errors: &FormErrors, group: &str, pointer: &str) -> bool {
    errors
        .fields
        .iter()
        .any(|e| e.pointer == pointer || e.pointer == group)
}

/// One textarea of [`CredentialFields`], `#{prefix}-{group}-{id}`, its messages under it.
fn credential_input(
    prefix: &'static str,
    group: &'static CredentialGroup,
    spec: &'static CredentialField,
    value: RwSignal<String>,
    errors: RwSignal<FormErrors>,
    disabled: Signal<bool>,
) -> impl IntoView {
    let id = format!("{prefix}-{}-{}", group.name, spec.id);
    let (hint_id, error_id) = (format!("{id}-hint"), format!("{id}-error"));
    let described_by = format!("{hint_id} {error_id} {prefix}-{}-error", group.name);
    let whole = format!("/{}", group.name);
    let pointer = format!("{whole}/{}", spec.field);
    let invalid = {
        let (whole, pointer) = (whole.clone(), pointer.clone());
        Memo::new(move |_| errors.with(|e| invalid(e, &whole, &pointer)))
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
    // Typing answers the messages about this field and about the group as a whole.
    let clear = move |_| {
        if invalid.get_untracked() {
            let stale = |f: &FieldError| f.pointer == pointer || f.pointer == whole;
            errors.update(|e| e.fields.retain(|f| !stale(f)));
        }
    };
    // A row each: the fieldset spaces its rows, and PEM's lines want the width.
    view! {
        <div class="field-row">
        <div class="field" class:field-invalid=move || invalid.get()>
            <label for=id.clone()>{spec.label}</label>
            <textarea
                id=id
                name=spec.field
                class="input mono"
                rows=spec.rows
                spellcheck="false"
                autocomplete="off"
                placeholder=spec.placeholder
                aria-invalid=move || if invalid.get() { "true" } else { "false" }
                aria-describedby=described_by
                disabled=move || disabled.get()
                bind:value=value
                on:input=clear
            ></textarea>
            <p class="field-hint" id=hint_id>{spec.hint}</p>
            <div id=error_id class="field-errors">{messages}</div>
        </div>
        </div>
    }
}

/// A container host's credentials of `group`, `#{prefix}-{group}`: a textarea per field, each
/// with its messages under it, and the messages about them as a whole (`/tls`, e.g. that they
/// are needed) under the legend, `#{prefix}-{group}-error`.
#[component]
pub fn CredentialFields(
    /// What the ids start with: `target` gives `#target-tls`, `#target-tls-ca`, …
    prefix: &'static str,
    /// Which credentials.
    group: &'static CredentialGroup,
    /// The group's legend.
    legend: &'static str,
    /// A line under the legend.
    note: &'static str,
    /// The fields' values, in the group's order.
    #[prop(into)]
    values: Vec<RwSignal<String>>,
    /// The form's errors.
    errors: RwSignal<FormErrors>,
    /// Disable the fields (while the form is sent).
    #[prop(into)]
    disabled: Signal<bool>,
) -> impl IntoView {
    let whole = format!("/{}", group.name);
    view! {
        <fieldset class="fieldset" id=format!("{prefix}-{}", group.name)>
            <legend>{legend}</legend>
            <p class="field-hint">{note}</p>
            <div id=format!("{prefix}-{}-error", group.name) class="field-errors">
                {move || {
                    errors
                        .with(|e| messages_at(e, &whole))
                        .into_iter()
                        .map(|m| view! { <p class="field-error">{m}</p> })
                        .collect_view()
                }}
            </div>
            {group
                .fields
                .iter()
                .zip(values)
                .map(|(spec, value)| credential_input(prefix, group, spec, value, errors, disabled))
                .collect_view()}
        </fieldset>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE=\n-----END OPENSSH PRIVATE KEY-----\n";
    const HOST_KEY: &str = "[10.0.0.5]:22 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAID35";
    const AT: &str = "ssh://deploy@10.0.0.5/run/podman/podman.sock";

    fn keys(given: [bool; 2]) -> [String; 2] {
        let mut typed = [KEY, HOST_KEY].map(str::to_owned);
        for (t, given) in typed.iter_mut().zip(given) {
            if !given {
                " \n".clone_into(t);
            }
        }
        typed
    }

    #[test]
    fn each_group_has_a_field_for_each_value_typed() {
        assert_eq!(TLS.fields.len(), 3);
        assert_eq!(SSH.fields.len(), 2);
        assert!(NESTED.contains(&TLS.name) && NESTED.contains(&SSH.name));
    }

    #[test]
    fn a_new_host_over_ssh_is_sent_with_the_keys_typed_and_any_other_without() {
        let both = ssh_for_new(&format!(" {AT}"), keys([true; 2])).unwrap();
        assert_eq!(both.private_key.expose(), KEY);
        assert_eq!(both.host_key, HOST_KEY);
        // Nothing typed: none, and the server says beside the fields that they are needed.
        assert!(ssh_for_new(AT, keys([false; 2])).is_none());
        // One typed: sent, and the server says which it cannot read.
        let one = ssh_for_new(AT, keys([false, true])).unwrap();
        assert_eq!(one.private_key.expose().trim(), "");
        assert!(ssh_for_new("tcp://10.0.0.5:2376", keys([true; 2])).is_none());
        assert!(ssh_for_new("unix:///run/podman/podman.sock", keys([true; 2])).is_none());
        assert!(tls_for_new(AT, [KEY, KEY, KEY].map(str::to_owned)).is_none());
    }

    #[test]
    fn ssh_keys_are_replaced_only_with_both_and_only_over_ssh() {
        assert!(replacement_ssh(AT, keys([false; 2])).unwrap().is_none());
        let both = replacement_ssh(AT, keys([true; 2])).unwrap().unwrap();
        assert_eq!(both.private_key.expose(), KEY);
        let missing = replacement_ssh(AT, keys([false, true])).unwrap_err();
        let pointers: Vec<&str> = missing.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(pointers, ["/ssh/private_key"]);
        assert_eq!(missing[0].detail, "Give both to replace the keys.");
        let missing = replacement_ssh(AT, keys([true, false])).unwrap_err();
        assert_eq!(missing[0].pointer, "/ssh/host_key");
        // Moved to a socket: the fields are hidden, and what they held is not sent.
        let moved = replacement_ssh("unix:///run/podman/podman.sock", keys([true, false]));
        assert!(moved.unwrap().is_none());
    }
}
