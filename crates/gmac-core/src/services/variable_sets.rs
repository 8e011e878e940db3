//! What every set of variables shares, whoever owns it (an environment, a project, a group or
//! a service): the rules a set keeps, and how two of its versions compare.

use std::collections::BTreeMap;

use gmac_types::FieldError;
use gmac_types::variables::{MAX_VALUE_BYTES, MAX_VARIABLES, VariablesDiff, diff, name_problem};

use crate::{Error, Result};

/// The most bytes a set of variables holds in all (names and values): a container's whole
/// environment must stay well under the kernel's limit for a program's arguments and
/// environment.
const MAX_TOTAL_BYTES: usize = 512 * 1024;

/// Checks a set of variables: names, sizes and count.
pub(crate) fn validate(variables: &BTreeMap<String, String>) -> Result<()> {
    let mut errors = Vec::new();
    if variables.len() > MAX_VARIABLES {
        errors.push(FieldError::new(
            "variables",
            "too_many",
            format!("A set of variables has at most {MAX_VARIABLES} of them."),
        ));
    }
    let total: usize = variables.iter().map(|(k, v)| k.len() + v.len()).sum();
    if total > MAX_TOTAL_BYTES {
        errors.push(FieldError::new(
            "variables",
            "too_large",
            "A set of variables holds at most 512 KiB in all.",
        ));
    }
    for (name, value) in variables {
        if let Some(problem) = name_problem(name) {
            errors.push(FieldError::at(
                &["variables", name],
                "invalid",
                format!("{name}: {problem}."),
            ));
        } else if value.len() > MAX_VALUE_BYTES || value.contains('\0') {
            errors.push(FieldError::at(
                &["variables", name],
                "invalid",
                format!("{name}: a value has at most 32 KiB and no NUL character."),
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Validation(errors))
    }
}

/// What changed in a set of variables from version `from` to `to`, each read by `read` (0 is
/// the empty start; a version it does not find is a 404).
pub(crate) async fn compare_versions<F, Fut>(from: i64, to: i64, read: F) -> Result<VariablesDiff>
where
    F: Fn(i64) -> Fut,
    Fut: std::future::Future<Output = Result<Option<BTreeMap<String, String>>>>,
{
    let values = async |version: i64| {
        if version == 0 {
            return Ok(BTreeMap::new());
        }
        read(version).await?.ok_or(Error::NotFound)
    };
    let before = values(from).await?;
    let after = values(to).await?;
    Ok(VariablesDiff {
        from,
        to,
        changes: diff(&before, &after),
    })
}

/// A `?version=` asked for: versions are numbered from 1 (0 is only "none yet").
pub(crate) fn version_asked(version: Option<i64>) -> Result<()> {
    match version {
        Some(v) if v < 1 => Err(Error::BadRequest(
            "version: versions are numbered from 1.".to_owned(),
        )),
        _ => Ok(()),
    }
}

/// A secret's name and value as written: the name as a variable's, the value 1 byte to 32 KiB
/// without NUL characters.
pub(crate) fn check_secret(name: &str, value: &str) -> Result<()> {
    if let Some(problem) = name_problem(name) {
        return Err(Error::invalid(FieldError::new(
            "name",
            "invalid",
            format!("{problem}."),
        )));
    }
    if value.is_empty() || value.len() > MAX_VALUE_BYTES || value.contains('\0') {
        return Err(Error::invalid(FieldError::new(
            "value",
            "invalid",
            "A secret's value has 1 byte to 32 KiB and no NUL character.",
        )));
    }
    Ok(())
}

/// Each name's newest row, kept when it has a value (`live`): rows oldest first.
pub(crate) fn newest_live<T>(
    rows: Vec<T>,
    name: impl Fn(&T) -> &str,
    live: impl Fn(&T) -> bool,
) -> BTreeMap<String, T> {
    let mut newest: BTreeMap<String, T> = BTreeMap::new();
    for row in rows {
        newest.insert(name(&row).to_owned(), row);
    }
    newest.retain(|_, row| live(row));
    newest
}
