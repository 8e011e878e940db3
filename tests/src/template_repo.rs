//! A repository of service templates, as a platform team would keep one: pushed to the fake's
//! real git server for template sources to read.

use std::path::Path;

use serde_json::json;

use crate::fake_git_hosts::{FakeGitHosts, developer_git as git};

/// A template folder's manifest: a one-line `heading` parameter and a port.
pub fn manifest(id: &str, name: &str) -> serde_json::Value {
    json!({
        "id": id, "name": name, "description": "A page added from the platform team's repository.",
        "category": "web", "dockerfile": "Dockerfile",
        "health": {"path": "/", "port": 8080},
        "resources": {"cpu_millicores": 50, "memory_mib": 32},
        "parameters": {
            "type": "object", "additionalProperties": false, "required": ["heading"],
            "properties": {
                "heading": {"type": "string", "title": "Heading", "minLength": 1, "maxLength": 40},
                "port": {"type": "integer", "title": "Port", "default": 8080, "minimum": 1024, "maximum": 65535},
            }
        }
    })
}

/// Writes `text` to `path` under `root`, making its folders.
pub fn write(root: &Path, path: &str, text: &str) {
    let at = root.join(path);
    if let Some(parent) = at.parent() {
        std::fs::create_dir_all(parent).expect("making the folder");
    }
    std::fs::write(at, text).expect("writing the template");
}

/// Writes the templates repository's working tree: one good template, one whose file names
/// a placeholder no parameter declares, and one that takes a built-in template's id.
pub fn templates_tree(root: &Path) {
    write(
        root,
        "templates/docs-page/template.json",
        &manifest("docs-page", "Docs page").to_string(),
    );
    write(
        root,
        "templates/docs-page/files/Dockerfile",
        "FROM scratch\nCOPY index.html /\nEXPOSE {{ port }}\n",
    );
    write(
        root,
        "templates/docs-page/files/index.html",
        "<h1>{{ heading }}</h1>\n<p>{{ service_name }} of {{ project }}</p>\n",
    );
    write(
        root,
        "templates/colour-card/template.json",
        &manifest("colour-card", "Colour card").to_string(),
    );
    write(
        root,
        "templates/colour-card/files/Dockerfile",
        "FROM scratch\nLABEL colour={{ colour }}\n",
    );
    write(
        root,
        "templates/static-site/template.json",
        &manifest("static-site", "Shadow").to_string(),
    );
    write(
        root,
        "templates/static-site/files/Dockerfile",
        "FROM scratch\n",
    );
    write(root, "README.md", "# Our templates\n");
}

/// Makes `owner/name` on the fake's git server holding [`templates_tree`] on `main`; answers
/// its clone URL, the developer's working copy and the commit.
pub async fn publish(
    fake: &FakeGitHosts,
    owner: &str,
    name: &str,
) -> (String, tempfile::TempDir, String) {
    fake.create_bare(owner, name);
    let url = format!("{}/{owner}/{name}.git", fake.git());
    let work = tempfile::tempdir().expect("a work folder");
    git(work.path(), &["clone", "-q", &url, "."]).await;
    git(work.path(), &["checkout", "-q", "-b", "main"]).await;
    templates_tree(work.path());
    git(work.path(), &["add", "-A"]).await;
    git(work.path(), &["commit", "-q", "-m", "Templates"]).await;
    let commit = git(work.path(), &["rev-parse", "HEAD"]).await;
    git(work.path(), &["push", "-q", "origin", "main"]).await;
    (url, work, commit)
}
