//! How a service builds (issue 11, points 5 and 7): its Dockerfile, build arguments, hooks,
//! the image its pre-build hooks run in, the cache, and its build secrets (sealed, bound to the
//! service, never shown). Read by the catalog (to show and change them) and by builds.

use std::collections::BTreeMap;

use gmac_types::validation::FieldErrors;
use gmac_types::{BuildSettings, BuildSettingsPatch, FieldError};

use crate::entities::service;
use crate::{Core, Result};

/// Hooks of each kind a service may have.
const MAX_HOOKS: usize = 10;
/// Build arguments a service may have.
const MAX_ARGS: usize = 50;
/// Build secrets a service may have.
const MAX_SECRETS: usize = 20;
/// The largest build secret, in bytes.
const MAX_SECRET_BYTES: usize = 64 * 1024;
/// The shortest build secret: logs mask values from this length (a shorter one would be
/// masked inside ordinary words, or not at all).
const MIN_SECRET_BYTES: usize = 4;

/// The settings as stored, with the defaults for what was never set.
pub fn settings(row: &service::Model) -> BuildSettings {
    serde_json::from_str(&row.build_settings).unwrap_or_default()
}

/// The settings stored as JSON.
pub(crate) fn to_column(settings: &BuildSettings) -> Result<String> {
    Ok(serde_json::to_string(settings).map_err(anyhow::Error::from)?)
}

/// What a service's build secrets are sealed for.
pub(crate) fn binding(id: &str) -> String {
    format!("service_build_secrets:{id}")
}

/// The service's build secrets by name (for a build only).
pub(crate) fn secrets(core: &Core, row: &service::Model) -> Result<BTreeMap<String, String>> {
    let Some(sealed) = &row.sealed_build_secrets else {
        return Ok(BTreeMap::new());
    };
    let plain = core.sealer.open(sealed, &binding(&row.id))?;
    Ok(serde_json::from_slice(&plain).map_err(anyhow::Error::from)?)
}

/// A C-style name: a letter or `_`, then letters, digits and `_`.
fn identifier_ok(name: &str, max: usize) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= max
}

/// A path inside the repository, without `..`.
fn relative_path_ok(path: &str) -> bool {
    !path.is_empty()
        && path.len() <= 200
        && !path.starts_with('/')
        && !path.contains('\\')
        && path.split('/').all(|part| !part.is_empty() && part != "..")
        && path.chars().all(|c| !c.is_control())
}

/// An image reference: registry, path, tag or digest characters only.
fn image_ok(image: &str) -> bool {
    !image.is_empty()
        && image.len() <= 300
        && !image.starts_with('-')
        && image
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "./:_@-".contains(c))
}

fn hooks(errors: &mut FieldErrors, field: &str, given: &[String]) -> Option<Vec<String>> {
    if given.len() > MAX_HOOKS {
        errors.push(FieldError::at(
            &["build", field],
            "too_long",
            format!("At most {MAX_HOOKS} hooks."),
        ));
        return None;
    }
    let mut ok = true;
    for (i, hook) in given.iter().enumerate() {
        if hook.trim().is_empty() || hook.len() > 2000 || hook.contains('\0') {
            errors.push(FieldError::at(
                &["build", field, &i.to_string()],
                "invalid",
                "A hook is a shell command of 1 to 2000 characters.",
            ));
            ok = false;
        }
    }
    ok.then(|| given.to_vec())
}

/// What a patch changes: the settings after it, and the secrets after it when they change.
pub(crate) struct Patched {
    /// The settings after the patch.
    pub settings: BuildSettings,
    /// The secrets after the patch, when it changes them.
    pub secrets: Option<BTreeMap<String, String>>,
}

/// Checks `patch` against the settings of `row`; problems go to `errors` (pointers under
/// `/build`).
pub(crate) fn patch(
    core: &Core,
    row: &service::Model,
    patch: &BuildSettingsPatch,
    errors: &mut FieldErrors,
) -> Result<Patched> {
    let mut settings = settings(row);
    if let Some(path) = &patch.dockerfile {
        if relative_path_ok(path) {
            settings.dockerfile.clone_from(path);
        } else {
            errors.push(FieldError::at(
                &["build", "dockerfile"],
                "invalid",
                "The Dockerfile is a path inside the repository (no leading /, no ..), at most 200 characters.",
            ));
        }
    }
    if let Some(args) = &patch.build_args {
        if args.len() > MAX_ARGS {
            errors.push(FieldError::at(
                &["build", "build_args"],
                "too_long",
                format!("At most {MAX_ARGS} build arguments."),
            ));
        }
        let mut ok = args.len() <= MAX_ARGS;
        for (name, value) in args {
            if !identifier_ok(name, 100) || value.len() > 4000 || value.contains('\0') {
                errors.push(FieldError::at(
                    &["build", "build_args", name],
                    "invalid",
                    "A build argument's name is letters, digits and _ (not starting with a digit), its value at most 4000 characters.",
                ));
                ok = false;
            }
        }
        if ok {
            settings.build_args.clone_from(args);
        }
    }
    if let Some(given) = &patch.pre_build
        && let Some(list) = hooks(errors, "pre_build", given)
    {
        settings.pre_build = list;
    }
    if let Some(given) = &patch.post_build
        && let Some(list) = hooks(errors, "post_build", given)
    {
        settings.post_build = list;
    }
    if let Some(image) = &patch.hook_image {
        if image_ok(image) {
            settings.hook_image.clone_from(image);
        } else {
            errors.push(FieldError::at(
                &["build", "hook_image"],
                "invalid",
                "An image reference such as docker.io/library/busybox:stable.",
            ));
        }
    }
    if let Some(cache) = patch.cache {
        settings.cache = cache;
    }
    let mut secrets = None;
    if let Some(changes) = &patch.secrets {
        let mut current = self::secrets(core, row)?;
        for (name, value) in changes {
            match value {
                None => {
                    current.remove(name);
                }
                Some(value)
                    if identifier_ok(name, 64)
                        && (MIN_SECRET_BYTES..=MAX_SECRET_BYTES).contains(&value.len()) =>
                {
                    current.insert(name.clone(), value.clone());
                }
                Some(_) => errors.push(FieldError::at(
                    &["build", "secrets", name],
                    "invalid",
                    "A build secret's name is letters, digits and _ (at most 64), its value 4 bytes to 64 KiB.",
                )),
            }
        }
        if current.len() > MAX_SECRETS {
            errors.push(FieldError::at(
                &["build", "secrets"],
                "too_long",
                format!("At most {MAX_SECRETS} build secrets."),
            ));
        }
        settings.secret_names = current.keys().cloned().collect();
        secrets = Some(current);
    }
    Ok(Patched { settings, secrets })
}

/// `secrets` sealed for the row, or `None` when there are none.
pub(crate) fn seal(
    core: &Core,
    id: &str,
    secrets: &BTreeMap<String, String>,
) -> Result<Option<String>> {
    if secrets.is_empty() {
        return Ok(None);
    }
    let plain = serde_json::to_vec(secrets).map_err(anyhow::Error::from)?;
    Ok(Some(core.sealer.seal(&plain, &binding(id))?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_paths_and_images_follow_their_rules() {
        for ok in ["NODE_ENV", "_x", "a1"] {
            assert!(identifier_ok(ok, 100), "{ok}");
        }
        for bad in ["", "1a", "a-b", "a b", "é"] {
            assert!(!identifier_ok(bad, 100), "{bad}");
        }
        for ok in ["Dockerfile", "docker/web.Dockerfile", "a/b/c"] {
            assert!(relative_path_ok(ok), "{ok}");
        }
        for bad in ["", "/etc/passwd", "../x", "a/../b", "a//b", "a\\b"] {
            assert!(!relative_path_ok(bad), "{bad}");
        }
        for ok in [
            "busybox",
            "docker.io/library/node:22",
            "localhost:5000/x@sha256:ab",
        ] {
            assert!(image_ok(ok), "{ok}");
        }
        for bad in ["", "-rm", "a b", "x;y"] {
            assert!(!image_ok(bad), "{bad}");
        }
    }
}
