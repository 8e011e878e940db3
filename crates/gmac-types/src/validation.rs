//! Domain newtypes shared by the server and the SPA: parse once at the boundary, then trust the type.
//!
//! The SPA uses the same rules to show a field's error before the request is sent; the server is
//! the one that enforces them.

use crate::problem::FieldError;

/// A normalized (trimmed, lower-cased) email address.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// The longest address SMTP can carry (RFC 5321 §4.5.3.1.3).
    pub const MAX_LEN: usize = 254;

    /// Parses `raw` as an email address for the field `field`.
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let value = raw.trim().to_lowercase();
        let invalid = |detail: &str| Err(FieldError::new(field, "invalid_email", detail));
        if value.is_empty() {
            return Err(FieldError::new(
                field,
                "required",
                "An email address is required.",
            ));
        }
        if value.len() > Self::MAX_LEN {
            return invalid("An email address has at most 254 characters.");
        }
        let Some((local, domain)) = value.rsplit_once('@') else {
            return invalid("An email address looks like name@example.com.");
        };
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
        // A deliverable domain has a dot and a top-level label that is not a number
        // (`ada@localhost` and `ada@10.0.0` reach nobody).
        let top_ok = domain
            .rsplit_once('.')
            .is_some_and(|(_, top)| !top.chars().all(|c| c.is_ascii_digit()));
        let domain_ok = top_ok
            && domain.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        if !local_ok || !domain_ok {
            return invalid("An email address looks like name@example.com.");
        }
        Ok(Self(value))
    }

    /// The normalized address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The normalized address, owned.
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl std::fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A password that meets the policy (NIST SP 800-63B: length, not composition rules).
///
/// `Debug` never shows the value.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl NewPassword {
    /// The shortest password accepted.
    pub const MIN_CHARS: usize = 12;
    /// The longest password accepted (bounds the hashing work an attacker can ask for).
    pub const MAX_BYTES: usize = 1024;

    /// Checks `raw` against the policy for the field `field`.
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        if raw.is_empty() {
            return Err(FieldError::new(
                field,
                "required",
                "A password is required.",
            ));
        }
        if raw.chars().count() < Self::MIN_CHARS {
            return Err(FieldError::new(
                field,
                "too_short",
                format!("A password has at least {} characters.", Self::MIN_CHARS),
            ));
        }
        if raw.len() > Self::MAX_BYTES {
            return Err(FieldError::new(
                field,
                "too_long",
                format!("A password has at most {} bytes.", Self::MAX_BYTES),
            ));
        }
        if raw.trim().is_empty() {
            return Err(FieldError::new(
                field,
                "blank",
                "A password cannot be only spaces.",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The password, for hashing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(\"[redacted]\")")
    }
}

/// A person's display name: trimmed, 1 to 100 characters, no control characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    /// The longest display name accepted, in characters.
    pub const MAX_CHARS: usize = 100;

    /// Parses `raw` as a display name for the field `field`.
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let value = raw.trim();
        if value.is_empty() {
            return Err(FieldError::new(
                field,
                "required",
                "A display name is required.",
            ));
        }
        if value.chars().count() > Self::MAX_CHARS {
            return Err(FieldError::new(
                field,
                "too_long",
                format!("A display name has at most {} characters.", Self::MAX_CHARS),
            ));
        }
        if value.chars().any(char::is_control) {
            return Err(FieldError::new(
                field,
                "invalid_characters",
                "A display name cannot contain control characters.",
            ));
        }
        Ok(Self(value.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name, owned.
    pub fn into_inner(self) -> String {
        self.0
    }
}

/// The name of a client, project, team or role: trimmed, 1 to 100 characters, no control
/// characters. Uniqueness is case-insensitive ([`Name::key`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Name(String);

impl Name {
    /// The longest name accepted, in characters.
    pub const MAX_CHARS: usize = 100;

    /// Parses `raw` as a name for the field `field`.
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let value = raw.trim();
        if value.is_empty() {
            return Err(FieldError::new(field, "required", "A name is required."));
        }
        // Counted as sent, as the API document's `maxLength` counts: spaces around a name are
        // trimmed, but they do not make room for more.
        if raw.chars().count() > Self::MAX_CHARS {
            return Err(FieldError::new(
                field,
                "too_long",
                format!("A name has at most {} characters.", Self::MAX_CHARS),
            ));
        }
        if value.chars().any(char::is_control) {
            return Err(FieldError::new(
                field,
                "invalid_characters",
                "A name cannot contain control characters.",
            ));
        }
        Ok(Self(value.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key names are compared by: lower-case.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

/// Free text of at most 2000 characters, trimmed.
pub fn parse_description(field: &str, raw: Option<&str>) -> Result<String, FieldError> {
    let value = raw.unwrap_or_default().trim();
    if value.chars().count() > 2000 {
        return Err(FieldError::new(
            field,
            "too_long",
            "A description has at most 2000 characters.",
        ));
    }
    Ok(value.to_owned())
}

/// Collects the results of parsing several fields, keeping every error rather than the first.
#[derive(Debug, Default)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    /// An empty collector.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records `result`'s error, if any, and returns its value.
    pub fn check<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        result.map_err(|e| self.0.push(e)).ok()
    }

    /// Records an error directly.
    pub fn push(&mut self, error: FieldError) {
        self.0.push(error);
    }

    /// The errors collected so far, or `Ok` when there are none.
    pub fn finish(self) -> Result<(), Vec<FieldError>> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self.0)
        }
    }
}

/// An email address, as the API documents one (for lists of addresses).
#[cfg(feature = "openapi")]
#[derive(Debug)]
pub struct EmailSchema;

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for EmailSchema {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Email)))
            .max_length(Some(EmailAddress::MAX_LEN))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for EmailSchema {}

/// An RFC 3339 time or a `YYYY-MM-DD` day, as the audit log's `from` and `to` take them (empty:
/// not given).
#[cfg(feature = "openapi")]
pub fn date_or_time() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{AnyOfBuilder, KnownFormat, ObjectBuilder, SchemaFormat, Type};
    let of = |format| {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(format)))
    };
    AnyOfBuilder::new()
        .item(of(KnownFormat::DateTime))
        .item(of(KnownFormat::Date))
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .max_length(Some(0)),
        )
        .into()
}

/// A branch name gmac accepts: `git check-ref-format` rules, kept to a safe alphabet.
pub fn branch_ok(text: &str) -> bool {
    (1..=100).contains(&text.len())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/'))
        && !text.starts_with(['-', '/', '.'])
        && !text.ends_with(['/', '.'])
        && !std::path::Path::new(text)
            .extension()
            .is_some_and(|ext| ext.eq_ignore_ascii_case("lock"))
        && !text.contains("..")
        && !text.contains("//")
        && !text.contains("/.")
}

/// A ref a build may name: a branch or tag (git's rules) or a commit id.
pub fn ref_ok(git_ref: &str) -> bool {
    let name = git_ref
        .strip_prefix("refs/heads/")
        .or_else(|| git_ref.strip_prefix("refs/tags/"))
        .unwrap_or(git_ref);
    name.len() <= 200 && branch_ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_at_most_100_characters_as_sent() {
        let hundred = "x".repeat(100);
        assert_eq!(
            Name::parse("name", &hundred).map(|n| n.as_str().len()),
            Ok(100)
        );
        assert_eq!(
            Name::parse("name", " Acme ").map(|n| n.as_str().to_owned()),
            Ok("Acme".to_owned())
        );
        // The schema's maxLength counts what is sent: surrounding spaces make no room.
        let padded = format!("\u{a0}{hundred}");
        assert_eq!(
            Name::parse("name", &padded).map_err(|e| e.code),
            Err("too_long".to_owned())
        );
    }

    #[test]
    fn email_addresses_are_normalized() {
        let email = EmailAddress::parse("email", "  Ada.Lovelace@Example.COM ");
        assert_eq!(
            email.map(EmailAddress::into_inner),
            Ok("ada.lovelace@example.com".into())
        );
    }

    #[test]
    fn malformed_email_addresses_are_refused() {
        for raw in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "a..b@example.com",
            "ada@exa mple.com",
            "ada@-x.com",
            "x@y",
            "ada@localhost",
            "ada@10.0.0.1",
            "ada@example.",
        ] {
            assert!(
                EmailAddress::parse("email", raw).is_err(),
                "{raw:?} was accepted"
            );
        }
    }

    #[test]
    fn short_passwords_are_refused_with_a_field_pointer() {
        let err = NewPassword::parse("password", "short").err();
        assert_eq!(
            err.map(|e| (e.pointer, e.code)),
            Some(("/password".into(), "too_short".into()))
        );
    }

    #[test]
    fn a_password_never_shows_in_debug_output() {
        let password = NewPassword::parse("password", "correct horse battery");
        assert!(!format!("{password:?}").contains("horse"));
    }

    #[test]
    fn display_names_are_trimmed_and_bounded() {
        assert_eq!(
            DisplayName::parse("n", "  Ada ").map(DisplayName::into_inner),
            Ok("Ada".into())
        );
        assert!(DisplayName::parse("n", &"x".repeat(101)).is_err());
        assert!(DisplayName::parse("n", "a\u{7}b").is_err());
    }

    #[test]
    fn the_collector_keeps_every_error() {
        let mut errors = FieldErrors::new();
        errors.check(EmailAddress::parse("email", "nope"));
        errors.check(NewPassword::parse("password", "x"));
        assert_eq!(errors.finish().err().map(|e| e.len()), Some(2));
    }
}
