//! An environment's configuration (issue 12, point 5): its variables, kept as numbered
//! versions (each change is a new version; any two can be compared; an old one can be brought
//! back), and its secrets, write-only and versioned too. A release records the versions it
//! runs with, so a rollback brings its configuration back with its image.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::secret::SecretText;

/// The most variables an environment holds.
pub const MAX_VARIABLES: usize = 200;
/// The longest value of a variable or a secret, in bytes.
pub const MAX_VALUE_BYTES: usize = 32 * 1024;
/// The longest name of a variable or a secret.
pub const MAX_NAME_LEN: usize = 128;

/// One version of an environment's variables.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VariableSet {
    /// The environment.
    pub environment_id: String,
    /// 1, 2, … (0: none were ever set).
    pub version: i64,
    /// The newest version, as the `ETag` says: send it in `If-Match` with a `PUT`, so a change
    /// made meanwhile is not overwritten (without it, the `PUT` replaces whatever is newest).
    pub latest_version: i64,
    /// Name to value.
    pub variables: BTreeMap<String, String>,
    /// Who made this version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// When.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    /// What the version was made by: `set`, `import` or `rollback to 3`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Whether the live release runs other variables or secrets than a deploy made now would
    /// (a change, a new secret version, a deleted secret, a change of the variables its project
    /// or service shares): a redeploy applies them.
    pub pending: bool,
    /// The variables the environment gets from its project and its service (their newest
    /// versions, as a deploy made now would), widest scope first, each saying which narrower
    /// scope overrides it, if one does.
    #[serde(default)]
    pub inherited: Vec<InheritedVariable>,
}

/// Where a variable an environment runs with is set. A narrower scope overrides a wider one
/// of the same name: project, then service, then the environment's own variables, then its
/// secrets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum VariableScope {
    /// Shared by every service of a project.
    Project,
    /// A project's group of variables, attached to the service (a later group overrides an
    /// earlier one).
    Group,
    /// Shared by every environment of a service.
    Service,
    /// The environment's own variables.
    Environment,
    /// The environment's secrets.
    Secret,
}

impl VariableScope {
    /// The scope's name, as the API spells it.
    pub fn id(self) -> &'static str {
        match self {
            Self::Project => "project",
            Self::Group => "group",
            Self::Service => "service",
            Self::Environment => "environment",
            Self::Secret => "secret",
        }
    }
}

/// A variable an environment gets from its project or its service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InheritedVariable {
    /// Its name.
    pub name: String,
    /// Its value in that scope.
    pub value: String,
    /// `project`, `group` or `service`.
    pub scope: VariableScope,
    /// The group's id, for `group`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
    /// The group's name, for `group`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_name: Option<String>,
    /// The version of that scope's variables it comes from.
    pub version: i64,
    /// The narrower scope that sets the same name and so wins (none: the environment runs
    /// this value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overridden_by: Option<VariableScope>,
    /// A secret the project or the service shares: `value` is empty (secrets are write-only)
    /// and `version` is the secret's own.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub secret: bool,
}

/// One version of the variables a project, a group or a service shares with its
/// environments.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SharedVariableSet {
    /// `project`, `group` or `service`.
    pub scope: VariableScope,
    /// The project's, the group's or the service's id.
    pub owner_id: String,
    /// 1, 2, … (0: none were ever set).
    pub version: i64,
    /// The newest version, as the `ETag` says: send it in `If-Match` with a `PUT`.
    pub latest_version: i64,
    /// Name to value.
    pub variables: BTreeMap<String, String>,
    /// Who made this version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// When.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    /// What the version was made by: `set` or `rollback to 3`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The variables of an environment as they should be: a new version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VariablesUpdate {
    /// Name (`^[A-Za-z_][A-Za-z0-9_]*$`, at most 128 characters, not `PORT` nor `GMAC_…`,
    /// which gmac sets) to value (at most 32 KiB); at most 200.
    pub variables: BTreeMap<String, String>,
}

/// How a variable differs between two versions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum VariableChangeKind {
    /// Only in the later version.
    Added,
    /// Only in the earlier version.
    Removed,
    /// In both, with other values.
    Changed,
}

/// One variable that differs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VariableChange {
    /// Its name.
    pub name: String,
    /// How it differs.
    pub change: VariableChangeKind,
    /// Its value in `from`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    /// Its value in `to`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}

/// What changed from one version to another, by name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VariablesDiff {
    /// The earlier version.
    pub from: i64,
    /// The later version.
    pub to: i64,
    /// The variables that differ, by name.
    pub changes: Vec<VariableChange>,
}

/// The two versions to compare.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct VariablesDiffQuery {
    /// The earlier version (0: none).
    #[cfg_attr(feature = "openapi", param(minimum = 0))]
    pub from: i64,
    /// The later version.
    #[cfg_attr(feature = "openapi", param(minimum = 0))]
    pub to: i64,
}

/// Which version to read.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct VariablesQuery {
    /// A version; the newest without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(minimum = 1))]
    pub version: Option<i64>,
}

/// Bring an earlier version back, as a new version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VariablesRollback {
    /// The version to bring back (`3` and `3.0` are the same).
    #[serde(deserialize_with = "crate::whole::u32")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub version: u32,
}

/// A secret's name and version; its value is never returned, except by a reveal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SecretInfo {
    /// Its name, as the container's environment has it.
    pub name: String,
    /// 1, 2, … (each write is a new version).
    pub version: i64,
    /// Who wrote this version.
    pub updated_by: String,
    /// When.
    pub updated_at: DateTime<Utc>,
    /// Whether the live release runs an older version of it (or none).
    pub pending: bool,
}

/// A secret's new value. Write-only: no answer ever holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SecretWrite {
    /// The value (at most 32 KiB).
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = String, format = Password, min_length = 1, max_length = 32768)
    )]
    pub value: SecretText,
}

/// A fresh second factor, to reveal a secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SecretReveal {
    /// A current code of the caller's authenticator app (each code is accepted once).
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = String, format = Password, example = "123456")
    )]
    pub code: SecretText,
}

/// A revealed secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevealedSecret {
    /// Its name.
    pub name: String,
    /// Its version.
    pub version: i64,
    /// Its value.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Password))]
    pub value: SecretText,
}

/// The configuration a release runs with.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReleaseConfig {
    /// The version of the environment's variables (0: none).
    pub variables_version: i64,
    /// Each secret's version.
    pub secrets: BTreeMap<String, i64>,
    /// The version of the variables its project shares (0: none).
    #[serde(default)]
    pub project_variables_version: i64,
    /// The version of the variables its service shares (0: none).
    #[serde(default)]
    pub service_variables_version: i64,
    /// The groups its service had attached, in order, and their versions.
    #[serde(default)]
    pub groups: Vec<GroupVersion>,
    /// Each secret its service shares, and its version.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub service_secrets: BTreeMap<String, i64>,
    /// Each secret its project shares, and its version.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub project_secrets: BTreeMap<String, i64>,
}

/// A group of variables and the version a release runs with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GroupVersion {
    /// The group.
    pub group_id: String,
    /// Its version (0: none).
    pub version: i64,
}

/// The most groups attached to a service.
pub const MAX_GROUPS_PER_SERVICE: usize = 10;

/// A project's group of variables, shared by the services it is attached to (Render's
/// environment groups).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VariableGroup {
    /// Its id.
    pub id: String,
    /// Its project.
    pub project_id: String,
    /// Unique within the project.
    pub name: String,
    /// Its newest version (0: none yet); `GET|PUT /variable-groups/{id}/variables` reads and
    /// sets them.
    pub latest_version: i64,
    /// The newest version's variables.
    pub variables: BTreeMap<String, String>,
    /// The services it is attached to.
    pub service_ids: Vec<String>,
    /// Who made it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// A new group of variables in a project.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewVariableGroup {
    /// 1 to 64 letters, digits, `-`, `_`, `.` or spaces, starting with a letter or digit;
    /// unique within the project.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 64, example = "observability")
    )]
    pub name: String,
    /// Its first version's variables (none: it starts empty).
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
}

/// The groups attached to a service, in order: a later one overrides an earlier one, and the
/// service's own variables override them all.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ServiceVariableGroups {
    /// Groups of the service's project, by id, at most 10, each once.
    pub group_ids: Vec<String>,
}

/// The groups attached to a service, in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttachedGroups {
    /// In order of override (a later one wins).
    pub groups: Vec<VariableGroup>,
}

/// Why a group name is refused, or `None` when it is fine.
pub fn group_name_problem(name: &str) -> Option<&'static str> {
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ' '));
    if name.is_empty() || name.chars().count() > 64 {
        Some("a group's name has 1 to 64 characters")
    } else if !ok_chars || !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        Some(
            "a group's name has letters, digits, '-', '_', '.' or spaces, and starts with a letter or digit",
        )
    } else {
        None
    }
}

/// Why a variable or secret name is refused, or `None` when it is fine.
pub fn name_problem(name: &str) -> Option<&'static str> {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if !first_ok || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Some("a name is letters, digits and _, and does not start with a digit");
    }
    if name.len() > MAX_NAME_LEN {
        return Some("a name has at most 128 characters");
    }
    if name == "PORT" || name.to_ascii_uppercase().starts_with("GMAC_") {
        return Some("PORT and names starting with GMAC_ are set by gmac");
    }
    None
}

/// The changes from `before` to `after`, by name.
pub fn diff(
    before: &BTreeMap<String, String>,
    after: &BTreeMap<String, String>,
) -> Vec<VariableChange> {
    let mut changes = Vec::new();
    for (name, old) in before {
        match after.get(name) {
            None => changes.push(VariableChange {
                name: name.clone(),
                change: VariableChangeKind::Removed,
                before: Some(old.clone()),
                after: None,
            }),
            Some(new) if new != old => changes.push(VariableChange {
                name: name.clone(),
                change: VariableChangeKind::Changed,
                before: Some(old.clone()),
                after: Some(new.clone()),
            }),
            Some(_) => {}
        }
    }
    for (name, new) in after {
        if !before.contains_key(name) {
            changes.push(VariableChange {
                name: name.clone(),
                change: VariableChangeKind::Added,
                before: None,
                after: Some(new.clone()),
            });
        }
    }
    changes.sort_by(|a, b| a.name.cmp(&b.name));
    changes
}

/// Reads a `.env` file: `NAME=value` lines, `export ` before a name allowed, `#` comments and
/// blank lines skipped, a value in single quotes taken as it is, one in double quotes with
/// `\n`, `\"` and `\\` read. The error names the first line that does not read.
pub fn parse_dotenv(text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
        let Some((name, value)) = line.split_once('=') else {
            return Err(format!("line {}: expected NAME=value", index + 1));
        };
        let name = name.trim();
        if let Some(problem) = name_problem(name) {
            return Err(format!("line {}: {problem}", index + 1));
        }
        let value = read_value(value.trim()).map_err(|e| format!("line {}: {e}", index + 1))?;
        out.insert(name.to_owned(), value);
    }
    Ok(out)
}

/// One value of a `.env` line: quoted (then only a comment may follow) or plain (ending where
/// ` #` starts a comment).
fn read_value(value: &str) -> Result<String, String> {
    let tail_ok = |tail: &str| {
        let tail = tail.trim();
        tail.is_empty() || tail.starts_with('#')
    };
    if let Some(rest) = value.strip_prefix('\'') {
        let end = rest.find('\'').ok_or("a quote is not closed")?;
        if !tail_ok(&rest[end + 1..]) {
            return Err("only a comment may follow a quoted value".to_owned());
        }
        return Ok(rest[..end].to_owned());
    }
    if let Some(rest) = value.strip_prefix('"') {
        let mut read = String::new();
        let mut escaped = false;
        for (at, c) in rest.char_indices() {
            if escaped {
                read.push(if c == 'n' { '\n' } else { c });
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                if !tail_ok(&rest[at + 1..]) {
                    return Err("only a comment may follow a quoted value".to_owned());
                }
                return Ok(read);
            } else {
                read.push(c);
            }
        }
        return Err("a quote is not closed".to_owned());
    }
    let mut previous_blank = false;
    for (at, c) in value.char_indices() {
        if c == '#' && previous_blank {
            return Ok(value[..at].trim_end().to_owned());
        }
        previous_blank = c.is_whitespace();
    }
    Ok(value.to_owned())
}

/// Writes variables as a `.env` file that [`parse_dotenv`] reads back the same.
pub fn to_dotenv(variables: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    for (name, value) in variables {
        let plain = !value.is_empty()
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-.,/:@+=".contains(c));
        if plain {
            let _ = writeln!(out, "{name}={value}");
        } else {
            let escaped = value
                .replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\n', "\\n");
            let _ = writeln!(out, "{name}=\"{escaped}\"");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn names_are_shell_names_and_gmacs_own_are_refused() {
        for good in ["DATABASE_URL", "_x", "a1"] {
            assert_eq!(name_problem(good), None, "{good}");
        }
        for bad in ["", "1A", "A-B", "A B", "PORT", "GMAC_X", "gmac_x", "É"] {
            assert!(name_problem(bad).is_some(), "{bad}");
        }
        assert!(name_problem(&"A".repeat(129)).is_some());
    }

    #[test]
    fn a_diff_names_what_was_added_removed_and_changed() {
        let before = map(&[("A", "1"), ("B", "2"), ("C", "3")]);
        let after = map(&[("A", "1"), ("B", "two"), ("D", "4")]);
        let changes = diff(&before, &after);
        let kinds: Vec<_> = changes
            .iter()
            .map(|c| (c.name.as_str(), c.change))
            .collect();
        assert_eq!(
            kinds,
            [
                ("B", VariableChangeKind::Changed),
                ("C", VariableChangeKind::Removed),
                ("D", VariableChangeKind::Added)
            ]
        );
        assert!(diff(&after, &after).is_empty());
    }

    #[test]
    fn a_dotenv_file_reads_back_what_was_written() {
        let values = map(&[
            ("PLAIN", "abc-1.2"),
            ("SPACED", "hello world # not a comment"),
            ("QUOTED", "say \"hi\"\\ now"),
            ("LINES", "one\ntwo"),
            ("EMPTY", ""),
        ]);
        assert_eq!(parse_dotenv(&to_dotenv(&values)), Ok(values));
    }

    #[test]
    fn a_dotenv_file_from_elsewhere_reads() {
        let text = "# settings\nexport A=1\nB = two # comment\nC='x # y'\n\nD=\"a\\nb\"\n";
        assert_eq!(
            parse_dotenv(text),
            Ok(map(&[
                ("A", "1"),
                ("B", "two"),
                ("C", "x # y"),
                ("D", "a\nb")
            ]))
        );
        assert_eq!(
            parse_dotenv("A=1\nnot a line\n"),
            Err("line 2: expected NAME=value".to_owned())
        );
    }
}
