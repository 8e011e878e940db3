//! How gmac reaches a container host's engine: the credentials a target keeps (TLS for
//! `tcp://`, SSH for `ssh://`, none for a socket on gmac's own host), checked when given,
//! sealed under the master key bound to the target's row, and opened for each call.

use base64::Engine as _;
use gmac_types::validation::FieldErrors;
use gmac_types::{EngineSsh, EngineTls, FieldError, TargetKind};

use crate::entities::target;
use crate::ports::Engine;
use crate::{Core, Error, Result};

/// Whether `target` is a cluster.
pub(crate) fn is_cluster(target: &target::Model) -> bool {
    target.kind == TargetKind::Kubernetes.id()
}

/// What a target's credentials are sealed for: its row.
pub(crate) fn credentials_binding(id: &str) -> String {
    format!("targets:{id}:credentials")
}

/// The most a PEM field of a container host's TLS credentials holds.
const MAX_PEM: usize = 65_536;

/// An engine at `tcp://` is reached over TLS with a client certificate, and no other address
/// takes one; the credentials given are PEM a TLS client can use.
pub(crate) fn check_tls(address: &str, tls: Option<&EngineTls>, errors: &mut FieldErrors) {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let Some(tls) = tls else {
        if address.starts_with("tcp://") {
            errors.push(FieldError::new(
                "tls",
                "required",
                "An engine over the network is reached only over TLS with a client certificate (Docker's --tlsverify): give the CA's certificate, gmac's client certificate and its key.",
            ));
        }
        return;
    };
    if !address.starts_with("tcp://") {
        errors.push(FieldError::new(
            "tls",
            "not_for_address",
            "Only a tcp://host:port engine is reached over TLS (a unix socket on gmac's own host takes no credentials, an ssh:// one takes ssh): leave tls out.",
        ));
        return;
    }
    let certificates = |pem: &str| {
        pem.len() <= MAX_PEM
            && CertificateDer::pem_slice_iter(pem.as_bytes())
                .collect::<std::result::Result<Vec<_>, _>>()
                .is_ok_and(|certs| !certs.is_empty())
    };
    if !certificates(&tls.ca_certificate) {
        errors.push(FieldError::at(
            &["tls", "ca_certificate"],
            "invalid",
            "The certificate of the authority that signed the engine's, in PEM (-----BEGIN CERTIFICATE-----), at most 64 KiB.",
        ));
    }
    if !certificates(&tls.client_certificate) {
        errors.push(FieldError::at(
            &["tls", "client_certificate"],
            "invalid",
            "gmac's client certificate in PEM (-----BEGIN CERTIFICATE-----), at most 64 KiB.",
        ));
    }
    let key = tls.client_key.expose();
    if key.len() > MAX_PEM || PrivateKeyDer::from_pem_slice(key.as_bytes()).is_err() {
        errors.push(FieldError::at(
            &["tls", "client_key"],
            "invalid",
            "The client certificate's private key in PEM (-----BEGIN PRIVATE KEY-----, or an RSA or EC key), without a passphrase.",
        ));
    }
}

/// An engine at `ssh://` is reached with gmac's key and the host's, and no other address takes
/// them; the key is one gmac can sign in with, the host key one SSH shows.
pub(crate) fn check_ssh(address: &str, ssh: Option<&EngineSsh>, errors: &mut FieldErrors) {
    let Some(ssh) = ssh else {
        if address.starts_with("ssh://") {
            errors.push(FieldError::new(
                "ssh",
                "required",
                "An engine over SSH is reached with gmac's private key and the host's public key (a line of ssh-keyscan): give both.",
            ));
        }
        return;
    };
    if !address.starts_with("ssh://") {
        errors.push(FieldError::new(
            "ssh",
            "not_for_address",
            "Only an ssh://user@host engine is reached over SSH: leave ssh out.",
        ));
        return;
    }
    if let Some(why) = private_key_problem(ssh.private_key.expose()) {
        errors.push(FieldError::at(&["ssh", "private_key"], "invalid", why));
    }
    if host_key(&ssh.host_key).is_none() {
        errors.push(FieldError::at(
            &["ssh", "host_key"],
            "invalid",
            "The host's public key: a line of ssh-keyscan (host ssh-ed25519 AAAA…) or of its /etc/ssh/ssh_host_ed25519_key.pub (ssh-ed25519 AAAA… comment).",
        ));
    }
}

/// Why `pem` is not a private key gmac can sign in with, if it is not: an OpenSSH one, as
/// `ssh-keygen` writes it, without a passphrase (or a PKCS#8 or PKCS#1 one in PEM).
fn private_key_problem(pem: &str) -> Option<&'static str> {
    use rustls_pki_types::PrivateKeyDer;
    use rustls_pki_types::pem::PemObject;
    const NOT_A_KEY: &str = "gmac's private key as ssh-keygen writes it (-----BEGIN OPENSSH PRIVATE KEY-----), at most 64 KiB; its public key goes in the user's ~/.ssh/authorized_keys on the host.";
    if pem.len() > MAX_PEM {
        return Some(NOT_A_KEY);
    }
    let Some(body) = pem
        .trim()
        .strip_prefix("-----BEGIN OPENSSH PRIVATE KEY-----")
        .and_then(|rest| rest.strip_suffix("-----END OPENSSH PRIVATE KEY-----"))
    else {
        // PKCS#8 and PKCS#1 are read as they are; SEC1 (`BEGIN EC PRIVATE KEY`) is not.
        return match PrivateKeyDer::from_pem_slice(pem.as_bytes()) {
            Ok(PrivateKeyDer::Pkcs8(_) | PrivateKeyDer::Pkcs1(_)) => None,
            Ok(_) => Some(
                "An EC key in SEC1 form is not taken: ssh-keygen -p -N '' -f KEY rewrites a copy of it as an OpenSSH key.",
            ),
            Err(_) => Some(NOT_A_KEY),
        };
    };
    let body: String = body.split_whitespace().collect();
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(body) else {
        return Some(NOT_A_KEY);
    };
    // `openssh-key-v1\0`, then the cipher's name: `none` unless the key has a passphrase.
    let Some(rest) = bytes.strip_prefix(b"openssh-key-v1\0") else {
        return Some(NOT_A_KEY);
    };
    match ssh_string(rest) {
        Some((b"none", _)) => None,
        Some(_) => Some(
            "This key has a passphrase, which gmac could not type: give one without (ssh-keygen -p -N '' -f KEY removes it from a copy).",
        ),
        None => Some(NOT_A_KEY),
    }
}

/// The first SSH `string` (a big-endian u32 length, then the bytes) of `bytes`, and the rest.
fn ssh_string(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let length = u32::from_be_bytes(bytes.get(..4)?.try_into().ok()?);
    let end = 4usize.checked_add(usize::try_from(length).ok()?)?;
    Some((bytes.get(4..end)?, bytes.get(end..)?))
}

/// The key type and base64 key of a host key given as a line of `ssh-keyscan` (`host type
/// key`) or of a `.pub` file (`type key [comment]`), when the key says it is of that type.
pub fn host_key(line: &str) -> Option<(&str, &str)> {
    let line = line.trim();
    if line.len() > 16_384 || line.contains('\n') {
        return None;
    }
    let fields: Vec<&str> = line.split_whitespace().collect();
    // `type key …`, or `host type key` (a host may be named `ssh-gw`: both are tried).
    (0..2).find_map(|at| {
        let (kind, key) = (*fields.get(at)?, *fields.get(at + 1)?);
        let bytes = base64::engine::general_purpose::STANDARD.decode(key).ok()?;
        let (named, _) = ssh_string(&bytes)?;
        (named == kind.as_bytes()).then_some((kind, key))
    })
}

/// A container host's engine as gmac reaches it, its credentials opened.
pub(crate) fn engine_of(core: &Core, row: &target::Model) -> Result<Engine> {
    let mut engine = Engine::local(row.address.clone());
    if let Some(sealed) = row.credentials.as_deref().filter(|_| !is_cluster(row)) {
        let bytes = core.sealer.open(sealed, &credentials_binding(&row.id))?;
        if row.address.starts_with("ssh://") {
            engine.ssh = Some(serde_json::from_slice(&bytes).map_err(anyhow::Error::from)?);
        } else {
            engine.tls = Some(serde_json::from_slice(&bytes).map_err(anyhow::Error::from)?);
        }
    }
    Ok(engine)
}

/// The credentials `engine` is reached with, sealed for the target `id` (none for a socket).
pub(crate) fn sealed(core: &Core, id: &str, engine: &Engine) -> Result<Option<String>> {
    let json = match (&engine.ssh, &engine.tls) {
        (Some(ssh), _) => serde_json::to_vec(ssh),
        (None, Some(tls)) => serde_json::to_vec(tls),
        (None, None) => return Ok(None),
    }
    .map_err(anyhow::Error::from)?;
    Ok(Some(core.sealer.seal(&json, &credentials_binding(id))?))
}

/// A refusal through new credentials (`tls` or `ssh`) names them, not the address that kept
/// its place.
pub(crate) fn blame(error: Error, new: Option<&str>) -> Error {
    match (error, new) {
        (Error::Validation(mut errors), Some(field)) => {
            for e in &mut errors {
                if e.pointer == "/address" {
                    e.pointer = format!("/{field}");
                }
            }
            Error::Validation(errors)
        }
        (other, _) => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_key_is_taken_from_a_keyscan_line_or_a_pub_file_and_must_say_its_own_type() {
        let key = "AAAAC3NzaC1lZDI1NTE5AAAAID35qF982yFdEme4XGUfEMPe2s6aHPECPErzZQWsGvKB";
        let scanned = format!("[10.0.0.5]:2222 ssh-ed25519 {key}");
        assert_eq!(host_key(&scanned), Some(("ssh-ed25519", key)));
        let file = format!("ssh-ed25519 {key} root@web-1\n");
        assert_eq!(host_key(&file), Some(("ssh-ed25519", key)));
        assert_eq!(host_key(&format!("ssh-rsa {key}")), None);
        assert_eq!(host_key("ssh-ed25519 not-base64!"), None);
        let named_like_a_type = format!("ssh-gw.example.com ssh-ed25519 {key}");
        assert_eq!(host_key(&named_like_a_type), Some(("ssh-ed25519", key)));
        assert_eq!(host_key(&format!("{scanned}\n{scanned}")), None);
    }

    #[test]
    fn an_openssh_key_with_a_passphrase_or_none_at_all_is_named_as_such() {
        let armour = |bytes: &[u8]| {
            format!(
                "-----BEGIN OPENSSH PRIVATE KEY-----\n{}\n-----END OPENSSH PRIVATE KEY-----\n",
                base64::engine::general_purpose::STANDARD.encode(bytes)
            )
        };
        let with_cipher = |cipher: &[u8]| {
            let mut bytes = b"openssh-key-v1\0".to_vec();
            bytes.extend_from_slice(&u32::try_from(cipher.len()).unwrap_or(0).to_be_bytes());
            bytes.extend_from_slice(cipher);
            armour(&bytes)
        };
        assert_eq!(private_key_problem(&with_cipher(b"none")), None);
        assert!(
            private_key_problem(&with_cipher(b"aes256-ctr"))
                .is_some_and(|w| w.contains("passphrase"))
        );
        assert!(private_key_problem(&armour(b"not a key")).is_some());
        assert!(private_key_problem("ssh-ed25519 AAAA").is_some());
    }
}
