//! Service templates: the catalog a service is created from.
//!
//! A template is data, a folder holding `template.json` (the manifest: name, category, health
//! check, default resources, build arguments and a JSON Schema of the parameters) and
//! `files/`, the repository's first commit with `MiniJinja` placeholders. The built-in ones are
//! `crates/gmac-core/templates/*`, embedded in the binary; `templates/README.md` describes the
//! format. A template is checked whole when it is loaded (its schema compiles and uses only
//! what a form can draw, its Dockerfile is among its files, every placeholder names a
//! parameter or a built-in), so a service never fails halfway through rendering it.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::LazyLock;

use gmac_types::{FieldError, Template, TemplateCategory, TemplateHealth, TemplateResources};
use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde::Deserialize;
use serde_json::{Map, Value};

/// The values every template may use besides its parameters.
pub const BUILTIN_VARIABLES: [&str; 3] = ["service_name", "project", "client"];

/// The keywords a parameter's schema may use: the ones the SPA draws a form field from.
const PARAMETER_KEYWORDS: [&str; 10] = [
    "type",
    "title",
    "description",
    "default",
    "enum",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
];

static BUILTIN_DIR: include_dir::Dir<'static> =
    include_dir::include_dir!("$CARGO_MANIFEST_DIR/templates");

/// The built-in templates that load (a broken one is logged and left out; the tests load
/// every one).
static BUILTIN: LazyLock<Vec<LoadedTemplate>> = LazyLock::new(|| {
    BUILTIN_DIR
        .dirs()
        .filter_map(|dir| match load_builtin(dir) {
            Ok(template) => Some(template),
            Err(e) => {
                tracing::error!(template = %dir.path().display(), "a built-in template is broken: {e}");
                None
            }
        })
        .collect()
});

fn load_builtin(dir: &include_dir::Dir<'_>) -> Result<LoadedTemplate, String> {
    let files = every_file(dir)
        .map(|f| {
            let path = f.path().strip_prefix(dir.path()).unwrap_or(f.path());
            (path.to_string_lossy().into_owned(), f.contents().to_vec())
        })
        .collect();
    let template = LoadedTemplate::load("builtin", files)?;
    if dir.path().to_str() != Some(template.info.id.as_str()) {
        return Err("a built-in template's folder is named for its id".into());
    }
    Ok(template)
}

fn every_file<'a>(
    dir: &'a include_dir::Dir<'a>,
) -> Box<dyn Iterator<Item = &'a include_dir::File<'a>> + 'a> {
    Box::new(dir.files().chain(dir.dirs().flat_map(every_file)))
}

/// The built-in templates, sorted by id.
pub fn builtin() -> &'static [LoadedTemplate] {
    &BUILTIN
}

/// The built-in template `id`.
pub fn find(id: &str) -> Option<&'static LoadedTemplate> {
    builtin().iter().find(|t| t.info.id == id)
}

/// A template of the catalog: built in, or added from a template source.
#[derive(Debug)]
pub enum Found {
    /// One of [`builtin`].
    Builtin(&'static LoadedTemplate),
    /// Loaded from a source's stored files.
    Added(Box<LoadedTemplate>),
}

impl std::ops::Deref for Found {
    type Target = LoadedTemplate;

    fn deref(&self) -> &LoadedTemplate {
        match self {
            Found::Builtin(t) => t,
            Found::Added(t) => t,
        }
    }
}

/// `template.json`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    id: String,
    name: String,
    description: String,
    category: TemplateCategory,
    dockerfile: String,
    health: TemplateHealth,
    resources: TemplateResources,
    #[serde(default)]
    build_args: BTreeMap<String, String>,
    parameters: Value,
}

/// A template checked and ready to validate parameters and render files.
pub struct LoadedTemplate {
    info: Template,
    /// `files/…` paths (without `files/`) and their text.
    files: Vec<(String, String)>,
    validator: jsonschema::Validator,
}

impl std::fmt::Debug for LoadedTemplate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedTemplate")
            .field("id", &self.info.id)
            .finish_non_exhaustive()
    }
}

/// What a service's files are rendered with besides its parameters.
#[derive(Clone, Copy, Debug)]
pub struct RenderContext<'a> {
    /// The service's DNS-safe name.
    pub service_name: &'a str,
    /// Its project's name.
    pub project: &'a str,
    /// Its client's name.
    pub client: &'a str,
}

/// One file of a service's first commit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenderedFile {
    /// The path in the repository.
    pub path: String,
    /// The text, placeholders filled.
    pub content: String,
}

impl LoadedTemplate {
    /// Checks and loads a template from its files (`template.json` and `files/…`, paths
    /// relative to the template's folder); `source` says where it comes from.
    pub fn load(source: &str, files: Vec<(String, Vec<u8>)>) -> Result<Self, String> {
        let mut manifest = None;
        let mut body = Vec::new();
        for (path, bytes) in files {
            let path = path.replace('\\', "/");
            if path == "template.json" {
                manifest = Some(
                    serde_json::from_slice::<Manifest>(&bytes)
                        .map_err(|e| format!("template.json: {e}"))?,
                );
            } else if let Some(inner) = path.strip_prefix("files/") {
                if !plain_path(inner) {
                    return Err(format!(
                        "{path} is not a plain relative path (no empty, ., .. or .git parts)"
                    ));
                }
                let text =
                    String::from_utf8(bytes).map_err(|_| format!("{path} is not UTF-8 text"))?;
                body.push((inner.to_owned(), text));
            }
        }
        let manifest = manifest.ok_or("template.json is missing")?;
        body.sort();
        if !is_dns_label(&manifest.id) {
            return Err(format!(
                "the id {:?} is not a DNS label (a-z, 0-9 and -, at most 63)",
                manifest.id
            ));
        }
        if manifest.health.port == 0 {
            return Err("health.port is 0".into());
        }
        if !body.iter().any(|(p, _)| *p == manifest.dockerfile) {
            return Err(format!(
                "the Dockerfile {:?} is not among the files",
                manifest.dockerfile
            ));
        }
        let properties = check_schema(&manifest.parameters)?;
        let validator = jsonschema::draft202012::new(&manifest.parameters)
            .map_err(|e| format!("the parameters' schema: {e}"))?;
        let known: HashSet<&str> = properties
            .iter()
            .map(String::as_str)
            .chain(BUILTIN_VARIABLES)
            .collect();
        let env = environment();
        for (path, text) in &body {
            let template = env
                .template_from_str(text)
                .map_err(|e| format!("files/{path}: {e}"))?;
            let unknown: BTreeSet<String> = template
                .undeclared_variables(false)
                .into_iter()
                .filter(|v| !known.contains(v.as_str()))
                .collect();
            if !unknown.is_empty() {
                return Err(format!(
                    "files/{path} uses {unknown:?}, which are neither parameters nor built-ins"
                ));
            }
        }
        let info = Template {
            id: manifest.id,
            name: manifest.name,
            description: manifest.description,
            category: manifest.category,
            dockerfile: manifest.dockerfile,
            health: manifest.health,
            resources: manifest.resources,
            build_args: manifest.build_args,
            parameters: manifest.parameters,
            files: body.iter().map(|(p, _)| p.clone()).collect(),
            source: source.to_owned(),
            source_id: None,
        };
        Ok(Self {
            info,
            files: body,
            validator,
        })
    }

    /// What the catalog shows.
    pub fn info(&self) -> &Template {
        &self.info
    }

    /// The template as added from the template source `id`.
    #[must_use]
    pub fn from_source(mut self, id: &str) -> Self {
        self.info.source_id = Some(id.to_owned());
        self
    }

    /// Checks a service's parameters against the schema; answers them with the defaults of
    /// those left out, or every rule they break, each pointing at its field
    /// (`/parameters/<name>`).
    pub fn validate(&self, parameters: &Value) -> Result<Map<String, Value>, Vec<FieldError>> {
        let mut given = match parameters {
            Value::Object(map) => map.clone(),
            Value::Null => Map::new(),
            _ => {
                return Err(vec![FieldError::new(
                    "parameters",
                    "type",
                    "The parameters are an object of names and values.",
                )]);
            }
        };
        let properties = self.properties();
        for (name, schema) in properties {
            if let Some(default) = schema.get("default") {
                given.entry(name.clone()).or_insert_with(|| default.clone());
            }
        }
        let instance = Value::Object(given);
        let mut errors: Vec<FieldError> = self
            .validator
            .iter_errors(&instance)
            .map(|e| describe(&e, properties))
            .collect();
        if errors.is_empty() {
            let Value::Object(map) = instance else {
                unreachable!("built as an object above")
            };
            return Ok(map);
        }
        errors.sort_by(|a, b| a.pointer.cmp(&b.pointer));
        errors.dedup_by(|a, b| a.pointer == b.pointer);
        Err(errors)
    }

    /// The first commit's files for a service with these (validated) parameters.
    pub fn render(
        &self,
        context: RenderContext<'_>,
        parameters: &Map<String, Value>,
    ) -> Result<Vec<RenderedFile>, String> {
        let mut values = parameters.clone();
        values.insert("service_name".into(), context.service_name.into());
        values.insert("project".into(), context.project.into());
        values.insert("client".into(), context.client.into());
        let values = Value::Object(values);
        let env = environment();
        self.files
            .iter()
            .map(|(path, text)| {
                let content = env
                    .render_str(text, &values)
                    .map_err(|e| format!("files/{path}: {e}"))?;
                Ok(RenderedFile {
                    path: path.clone(),
                    content,
                })
            })
            .collect()
    }

    fn properties(&self) -> &Map<String, Value> {
        static EMPTY: LazyLock<Map<String, Value>> = LazyLock::new(Map::new);
        self.info
            .parameters
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&EMPTY)
    }
}

/// Placeholders fill in text as written: no HTML escaping, and a missing value is an error,
/// never an empty string.
fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.set_keep_trailing_newline(true);
    env
}

/// Checks that the parameters' schema is an object of simple fields a form can draw;
/// answers the parameters' names.
fn check_schema(schema: &Value) -> Result<Vec<String>, String> {
    let bad = |what: String| Err(format!("the parameters' schema: {what}"));
    if schema.get("type") != Some(&Value::from("object")) {
        return bad("its type is not \"object\"".into());
    }
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return bad("it has no properties".into());
    };
    let mut names = Vec::new();
    for (name, property) in properties {
        if BUILTIN_VARIABLES.contains(&name.as_str()) {
            return bad(format!("{name} is a built-in value, not a parameter"));
        }
        if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return bad(format!(
                "{name:?} is not a placeholder name (letters, digits, _)"
            ));
        }
        let Some(property) = property.as_object() else {
            return bad(format!("{name} is not an object"));
        };
        if let Some(keyword) = property
            .keys()
            .find(|k| !PARAMETER_KEYWORDS.contains(&k.as_str()))
        {
            return bad(format!("{name} uses {keyword}, which a form cannot draw"));
        }
        let kind = property.get("type").and_then(Value::as_str);
        if !matches!(kind, Some("string" | "integer" | "boolean")) {
            return bad(format!("{name}'s type is not string, integer or boolean"));
        }
        if property.get("title").and_then(Value::as_str).is_none() {
            return bad(format!("{name} has no title"));
        }
        if let Some(default) = property.get("default") {
            let field = jsonschema::draft202012::new(&Value::Object(property.clone()))
                .map_err(|e| format!("the parameters' schema: {name}: {e}"))?;
            if !field.is_valid(default) {
                return bad(format!("{name}'s default breaks its own rules"));
            }
        }
        names.push(name.clone());
    }
    Ok(names)
}

/// A schema error as a person reads it, on the field it concerns.
fn describe(
    error: &jsonschema::ValidationError<'_>,
    properties: &Map<String, Value>,
) -> FieldError {
    use jsonschema::error::ValidationErrorKind as Kind;
    let at = error.instance_path().to_string();
    let mut name = at.trim_start_matches('/').to_owned();
    let title = |name: &str| {
        properties
            .get(name)
            .and_then(|p| p.get("title"))
            .and_then(Value::as_str)
            .unwrap_or(name)
            .to_owned()
    };
    let (code, detail) = match error.kind() {
        Kind::Required { property } => {
            property.as_str().unwrap_or_default().clone_into(&mut name);
            ("required", format!("{} is required.", title(&name)))
        }
        Kind::AdditionalProperties { unexpected } => {
            name = unexpected.first().cloned().unwrap_or_default();
            (
                "unknown",
                format!("This template has no parameter named {name:?}."),
            )
        }
        Kind::Type { .. } => {
            let kind = properties
                .get(&name)
                .and_then(|p| p.get("type"))
                .and_then(Value::as_str);
            let expected = match kind {
                Some("integer") => "a whole number",
                Some("boolean") => "true or false",
                _ => "text",
            };
            ("type", format!("{} is {expected}.", title(&name)))
        }
        Kind::MinLength { limit } => (
            "too_short",
            format!("{} has at least {limit} characters.", title(&name)),
        ),
        Kind::MaxLength { limit } => (
            "too_long",
            format!("{} has at most {limit} characters.", title(&name)),
        ),
        Kind::Minimum { limit } => (
            "too_small",
            format!("{} is at least {limit}.", title(&name)),
        ),
        Kind::Maximum { limit } => ("too_large", format!("{} is at most {limit}.", title(&name))),
        Kind::Enum { options } => {
            let choices = options
                .as_array()
                .map(|o| {
                    o.iter()
                        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            (
                "not_allowed",
                format!("{} is one of: {choices}.", title(&name)),
            )
        }
        Kind::Pattern { pattern } => {
            let hint = properties
                .get(&name)
                .and_then(|p| p.get("description"))
                .and_then(Value::as_str)
                .map_or_else(|| format!("it must match {pattern}"), str::to_owned);
            ("invalid", format!("{} is not valid: {hint}", title(&name)))
        }
        _ => ("invalid", format!("{}: {error}", title(&name))),
    };
    if name.is_empty() {
        FieldError::new("parameters", code, detail)
    } else {
        FieldError::at(&["parameters", &name], code, detail)
    }
}

/// Whether `path` is relative and made of plain names only: no empty, `.`, `..` or `.git`
/// part, no backslash or NUL. A template's files are written into a repository's work tree by
/// these paths, so one from a repository must stay inside it and out of `.git`.
pub fn plain_path(path: &str) -> bool {
    !path.is_empty()
        && path.split('/').all(|part| {
            !part.is_empty()
                && part != "."
                && part != ".."
                && !part.eq_ignore_ascii_case(".git")
                && !part.contains(['\\', '\0'])
        })
}

/// The largest file a template may hold.
pub const MAX_FILE_BYTES: usize = 1 << 20;

/// The largest template (its files together).
pub const MAX_TEMPLATE_BYTES: usize = 5 << 20;

/// The most templates one source may add.
pub const MAX_TEMPLATES: usize = 100;

/// A folder of a repository that holds a `template.json`: a template to load, or why it
/// cannot be one.
#[derive(Debug)]
pub struct Folder {
    /// Its path in the repository (`.` for the root).
    pub folder: String,
    /// `template.json` and `files/…`, relative to the folder.
    pub files: Vec<(String, Vec<u8>)>,
    /// Why its files cannot make a template (too large, a link).
    pub problem: Option<String>,
}

/// The template folders of a checkout (a tar archive of a repository's tree) under `path`:
/// `path` itself when it holds a `template.json`, else each folder right under it that does.
/// Only `template.json` and what is under `files/` are kept; a folder with a file over
/// [`MAX_FILE_BYTES`], over [`MAX_TEMPLATE_BYTES`] in all, or with a link under `files/` has
/// its problem said.
pub fn folders_in_archive(archive: &[u8], path: &str) -> Result<Vec<Folder>, String> {
    let base = path.trim_matches('/');
    let entries = entries_under(archive, base)?;
    let root = entries.iter().any(|(p, _)| p == "template.json");
    let mut folders: Vec<String> = if root {
        vec![String::new()]
    } else {
        entries
            .iter()
            .filter_map(|(p, _)| p.strip_suffix("/template.json"))
            .filter(|dir| !dir.contains('/'))
            .map(str::to_owned)
            .collect()
    };
    folders.sort();
    folders.dedup();
    Ok(folders
        .into_iter()
        .map(|dir| folder_of(&entries, base, dir))
        .collect())
}

/// An archive's entry: its path under the folder looked at, and its bytes or why they are
/// not kept.
type Entry = (String, Result<Vec<u8>, String>);

/// The files of `archive` under `base`, by their path relative to it.
fn entries_under(archive: &[u8], base: &str) -> Result<Vec<Entry>, String> {
    use std::io::Read;
    let unreadable = |e: std::io::Error| format!("the checkout cannot be read: {e}");
    let mut entries = Vec::new();
    let mut reader = tar::Archive::new(archive);
    for entry in reader.entries().map_err(unreadable)? {
        let mut entry = entry.map_err(unreadable)?;
        let name = entry
            .path()
            .map_err(unreadable)?
            .to_string_lossy()
            .trim_start_matches("./")
            .to_owned();
        let relative = if base.is_empty() {
            name.as_str()
        } else {
            match name.strip_prefix(base).and_then(|r| r.strip_prefix('/')) {
                Some(r) => r,
                None => continue,
            }
        }
        .to_owned();
        let kind = entry.header().entry_type();
        if kind.is_dir() || relative.is_empty() {
            continue;
        }
        let size = usize::try_from(entry.size()).unwrap_or(usize::MAX);
        let content = if !kind.is_file() {
            Err(format!(
                "{relative} is a link or a special file, not a file"
            ))
        } else if size > MAX_FILE_BYTES {
            Err(format!(
                "{relative} is {} KiB, over the {} KiB a template's file may be",
                size / 1024,
                MAX_FILE_BYTES / 1024
            ))
        } else {
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).map_err(unreadable)?;
            Ok(bytes)
        };
        entries.push((relative, content));
    }
    Ok(entries)
}

/// The template folder `dir` (relative to `base`) of `entries`: its manifest and `files/…`.
fn folder_of(entries: &[Entry], base: &str, dir: String) -> Folder {
    let prefix = if dir.is_empty() {
        String::new()
    } else {
        format!("{dir}/")
    };
    let mut files = Vec::new();
    let mut problem = None;
    let mut total = 0usize;
    for (p, content) in entries {
        let Some(inner) = p.strip_prefix(&prefix) else {
            continue;
        };
        if inner != "template.json" && !inner.starts_with("files/") {
            continue;
        }
        match content {
            Ok(bytes) => {
                total += bytes.len();
                files.push((inner.to_owned(), bytes.clone()));
            }
            Err(why) => {
                problem.get_or_insert_with(|| why.clone());
            }
        }
    }
    if total > MAX_TEMPLATE_BYTES {
        problem.get_or_insert_with(|| {
            format!(
                "its files are {} KiB, over the {} KiB a template may be",
                total / 1024,
                MAX_TEMPLATE_BYTES / 1024
            )
        });
    }
    let folder = match (base.is_empty(), dir.is_empty()) {
        (true, true) => ".".to_owned(),
        (true, false) => dir,
        (false, true) => base.to_owned(),
        (false, false) => format!("{base}/{dir}"),
    };
    Folder {
        folder,
        files,
        problem,
    }
}

/// Whether `s` is a DNS label gmac names things with: `a-z` first, then `a-z`, `0-9` and `-`, not
/// ending with `-`, at most 63 characters.
pub fn is_dns_label(s: &str) -> bool {
    (1..=63).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && !s.ends_with('-')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn context() -> RenderContext<'static> {
        RenderContext {
            service_name: "docs-site",
            project: "Website",
            client: "Acme",
        }
    }

    fn template_with(manifest: &Value, files: &[(&str, &str)]) -> Result<LoadedTemplate, String> {
        let mut all = vec![(
            "template.json".to_owned(),
            manifest.to_string().into_bytes(),
        )];
        all.extend(
            files
                .iter()
                .map(|(p, t)| (format!("files/{p}"), t.as_bytes().to_vec())),
        );
        LoadedTemplate::load("test", all)
    }

    fn manifest(parameters: &Value) -> Value {
        json!({
            "id": "tiny", "name": "Tiny", "description": "A test template.",
            "category": "web", "dockerfile": "Dockerfile",
            "health": {"path": "/", "port": 8080},
            "resources": {"cpu_millicores": 100, "memory_mib": 64},
            "build_args": {},
            "parameters": parameters,
        })
    }

    fn simple_schema() -> Value {
        json!({
            "type": "object", "additionalProperties": false, "required": ["title"],
            "properties": {
                "title": {"type": "string", "title": "Title", "maxLength": 10},
                "port": {"type": "integer", "title": "Port", "minimum": 1024, "maximum": 65535, "default": 8080},
            }
        })
    }

    #[test]
    fn the_five_built_in_templates_load_with_what_their_cards_show() {
        let ids: Vec<&str> = builtin().iter().map(|t| t.info().id.as_str()).collect();
        assert_eq!(
            ids,
            ["go-api", "nextjs-app", "postgres", "static-site", "worker"]
        );
        for template in builtin() {
            let info = template.info();
            assert!(!info.name.is_empty() && !info.description.is_empty());
            assert!(info.files.contains(&info.dockerfile), "{}", info.id);
            assert_eq!(info.source, "builtin");
        }
    }

    #[test]
    fn every_built_in_template_renders_with_its_defaults_into_a_dockerfile_that_starts_from_an_image()
     {
        for template in builtin() {
            let properties = template.properties();
            // Required strings without a default get a value a person could type.
            let mut given = Map::new();
            for (name, schema) in properties {
                if schema.get("default").is_none() && schema["type"] == "string" {
                    let value = match schema.get("enum").and_then(Value::as_array) {
                        Some(options) => options[0].clone(),
                        None if name.contains("module") => json!("example.com/acme/api"),
                        None => json!("acme_value"),
                    };
                    given.insert(name.clone(), value);
                }
            }
            let parameters = template
                .validate(&Value::Object(given))
                .unwrap_or_else(|e| panic!("{}: {e:?}", template.info().id));
            let files = template.render(context(), &parameters).unwrap();
            let dockerfile = files
                .iter()
                .find(|f| f.path == template.info().dockerfile)
                .unwrap();
            let instructions: Vec<&str> = dockerfile
                .content
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .filter_map(|l| l.split_whitespace().next())
                .collect();
            assert!(
                instructions
                    .iter()
                    .find(|i| !i.eq_ignore_ascii_case("ARG"))
                    .is_some_and(|i| i.eq_ignore_ascii_case("FROM")),
                "{}: {instructions:?}",
                template.info().id
            );
            assert!(files.iter().all(|f| !f.content.contains("{{")));
        }
    }

    #[test]
    fn the_static_site_is_rendered_with_the_parameters_a_person_gave() {
        let template = find("static-site").unwrap();
        let parameters = template
            .validate(&json!({"title": "Acme docs <beta>", "port": 9000}))
            .unwrap();
        let files = template.render(context(), &parameters).unwrap();
        let text = |path: &str| {
            files
                .iter()
                .find(|f| f.path == path)
                .unwrap_or_else(|| panic!("{path} in {files:?}"))
                .content
                .clone()
        };
        // Escaped where it is HTML, as written elsewhere.
        assert!(text("site/index.html").contains("<h1>Acme docs &lt;beta&gt;</h1>"));
        assert!(text("README.md").starts_with("# Acme docs <beta>\n"));
        let dockerfile = text("Dockerfile");
        assert!(dockerfile.contains("ARG BASE_IMAGE"));
        assert!(dockerfile.contains("9000"), "{dockerfile}");
        assert_eq!(
            template
                .info()
                .build_args
                .get("BASE_IMAGE")
                .map(String::as_str),
            Some("docker.io/library/busybox:1.36")
        );
    }

    #[test]
    fn text_with_quotes_lands_in_the_next_js_app_as_a_valid_js_string() {
        let template = find("nextjs-app").unwrap();
        let title = r#"Say "hi" \ <bye>"#;
        let parameters = template.validate(&json!({"app_title": title})).unwrap();
        let files = template.render(context(), &parameters).unwrap();
        let site = &files
            .iter()
            .find(|f| f.path == "app/site.js")
            .unwrap()
            .content;
        let literal = site
            .lines()
            .find_map(|l| l.trim().strip_prefix("title: "))
            .and_then(|l| l.strip_suffix(','))
            .unwrap();
        // A JSON string is a JS string literal: it reads back as typed.
        assert_eq!(serde_json::from_str::<String>(literal).unwrap(), title);
        assert!(site.contains(r#"tagline: "","#), "{site}");
    }

    #[test]
    fn parameters_get_their_defaults_and_each_broken_rule_names_its_field() {
        let template = template_with(
            &manifest(&simple_schema()),
            &[("Dockerfile", "FROM scratch\n")],
        )
        .unwrap();
        let ok = template.validate(&json!({"title": "Docs"})).unwrap();
        assert_eq!(ok["port"], 8080);

        let errors = template.validate(&json!({})).unwrap_err();
        assert_eq!(errors[0].pointer, "/parameters/title");
        assert_eq!(errors[0].detail, "Title is required.");

        let errors = template
            .validate(&json!({"title": "far too long a title", "port": 80, "colour": "red"}))
            .unwrap_err();
        let fields: Vec<(&str, &str)> = errors
            .iter()
            .map(|e| (e.pointer.as_str(), e.detail.as_str()))
            .collect();
        assert_eq!(
            fields,
            [
                (
                    "/parameters/colour",
                    "This template has no parameter named \"colour\"."
                ),
                ("/parameters/port", "Port is at least 1024."),
                ("/parameters/title", "Title has at most 10 characters."),
            ]
        );
        let errors = template.validate(&json!({"title": 3})).unwrap_err();
        assert_eq!(errors[0].detail, "Title is text.");
        let errors = template.validate(&json!(["title"])).unwrap_err();
        assert_eq!(errors[0].pointer, "/parameters");
    }

    #[test]
    fn a_template_is_refused_whole_when_a_placeholder_names_nothing_or_a_form_could_not_draw_it() {
        let unknown = template_with(
            &manifest(&simple_schema()),
            &[("Dockerfile", "FROM scratch\nLABEL x={{ colour }}\n")],
        )
        .unwrap_err();
        assert!(unknown.contains("colour"), "{unknown}");

        let mut nested = simple_schema();
        nested["properties"]["extra"] = json!({"type": "object", "title": "Extra"});
        let err =
            template_with(&manifest(&nested), &[("Dockerfile", "FROM scratch\n")]).unwrap_err();
        assert!(err.contains("extra"), "{err}");

        let mut bad_default = simple_schema();
        bad_default["properties"]["port"]["default"] = json!(80);
        let err = template_with(&manifest(&bad_default), &[("Dockerfile", "FROM scratch\n")])
            .unwrap_err();
        assert!(err.contains("default"), "{err}");

        let err = template_with(&manifest(&simple_schema()), &[("app.txt", "hi\n")]).unwrap_err();
        assert!(err.contains("Dockerfile"), "{err}");

        let mut shadow = simple_schema();
        shadow["properties"]["service_name"] = json!({"type": "string", "title": "Name"});
        assert!(template_with(&manifest(&shadow), &[("Dockerfile", "FROM scratch\n")]).is_err());

        let mut bad_id = manifest(&simple_schema());
        bad_id["id"] = json!("Tiny Site");
        assert!(template_with(&bad_id, &[("Dockerfile", "FROM scratch\n")]).is_err());
    }

    fn archive(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = tar::Builder::new(Vec::new());
        for (path, bytes) in entries {
            let mut header = tar::Header::new_gnu();
            header.set_size(bytes.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            out.append_data(&mut header, path, *bytes).unwrap();
        }
        out.into_inner().unwrap()
    }

    #[test]
    fn a_repositorys_template_folders_are_found_under_its_path_with_only_their_files() {
        let manifest = manifest(&simple_schema()).to_string();
        let big = vec![b'x'; MAX_FILE_BYTES + 1];
        let tar = archive(&[
            ("README.md", b"templates\n"),
            ("templates/docs/template.json", manifest.as_bytes()),
            ("templates/docs/files/Dockerfile", b"FROM scratch\n"),
            ("templates/docs/notes.txt", b"not part of it\n"),
            ("templates/huge/template.json", manifest.as_bytes()),
            ("templates/huge/files/blob", &big),
            ("templates/deep/inner/template.json", manifest.as_bytes()),
            ("other/template.json", manifest.as_bytes()),
        ]);
        let found = folders_in_archive(&tar, "templates/").unwrap();
        let names: Vec<&str> = found.iter().map(|f| f.folder.as_str()).collect();
        assert_eq!(names, ["templates/docs", "templates/huge"]);
        let docs = &found[0];
        assert!(docs.problem.is_none());
        let paths: Vec<&str> = docs.files.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, ["template.json", "files/Dockerfile"]);
        let loaded = LoadedTemplate::load("https://git.example/t.git", docs.files.clone()).unwrap();
        assert_eq!(loaded.info().files, ["Dockerfile"]);
        assert!(
            found[1]
                .problem
                .as_deref()
                .unwrap()
                .contains("over the 1024 KiB")
        );

        // A path that is itself a template is the one template.
        let found = folders_in_archive(&tar, "templates/docs").unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].folder, "templates/docs");
        // The root holds none: only its first-level folders are looked at.
        let found = folders_in_archive(&tar, "").unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].folder, "other");
    }

    #[test]
    fn a_templates_file_may_not_climb_out_of_the_repository_nor_into_its_git_folder() {
        for bad in [
            "../x",
            "a/../../x",
            ".git/config",
            "src/.GIT/hooks/pre-commit",
            "a//b",
            "./a",
            "",
        ] {
            assert!(!plain_path(bad), "{bad:?}");
            let err = template_with(
                &manifest(&simple_schema()),
                &[("Dockerfile", "FROM scratch\n"), (bad, "x")],
            )
            .unwrap_err();
            assert!(err.contains("plain relative path"), "{bad:?}: {err}");
        }
        assert!(!plain_path("a\\b") && !plain_path("a\0b"));
        assert!(plain_path("site/.well-known/security.txt"));
        assert!(plain_path(".dockerignore"));
    }

    #[test]
    fn the_built_in_values_fill_their_placeholders() {
        let template = template_with(
            &manifest(&simple_schema()),
            &[(
                "Dockerfile",
                "FROM scratch\nLABEL gmac.io/service={{ service_name }} project=\"{{ project }}\" client={{ client }} title={{ title }}\n",
            )],
        )
        .unwrap();
        let parameters = template.validate(&json!({"title": "Docs"})).unwrap();
        let files = template.render(context(), &parameters).unwrap();
        assert_eq!(
            files[0].content,
            "FROM scratch\nLABEL gmac.io/service=docs-site project=\"Website\" client=Acme title=Docs\n"
        );
    }
}
