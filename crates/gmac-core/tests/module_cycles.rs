//! The modules of `gmac-core` import each other without cycles (issue 9), read from the
//! source: a module's imports are the `crate::…` paths, `use crate::x::{a, b}` groups and
//! `super::…` paths in its file. The platform (jobs, worker, events, paging, audit and the
//! like) imports no area; areas import the platform.
//!
//! The costs area reads through one module at its bottom (`services::cost_query`), and owned
//! rows go with their owner by foreign key instead of a module listing them, which broke the
//! ring costs, allocation, budgets, clients, cost lines, insights and reports once formed.

#![expect(clippy::unwrap_used, reason = "a test")]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Every module under `src`, by path (`services::costs`), with its source.
fn modules() -> BTreeMap<String, String> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, root, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(root).unwrap().with_extension("");
                let full = rel.to_string_lossy().replace('/', "::");
                let name = full.strip_suffix("::mod").unwrap_or(&full).to_owned();
                if name != "lib" {
                    out.insert(name, std::fs::read_to_string(&path).unwrap());
                }
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = BTreeMap::new();
    walk(&root, &root, &mut out);
    out
}

/// The words of a path that starts at `text` (`a::b::c`), stopping at anything else.
fn path_at(text: &str) -> Vec<&str> {
    let end = text
        .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == ':'))
        .unwrap_or(text.len());
    text[..end]
        .split("::")
        .take_while(|w| !w.is_empty())
        .collect()
}

/// The longest module that `words` names, if any.
fn resolve(names: &BTreeSet<String>, words: &[&str]) -> Option<String> {
    (1..=words.len())
        .rev()
        .map(|k| words[..k].join("::"))
        .find(|candidate| names.contains(candidate))
}

/// Who imports whom (entities, plain tables, are left out).
fn imports(modules: &BTreeMap<String, String>) -> BTreeMap<String, BTreeSet<String>> {
    let names: BTreeSet<String> = modules.keys().cloned().collect();
    let mut edges = BTreeMap::new();
    for (name, source) in modules {
        if name.starts_with("entities") {
            continue;
        }
        let code: String = source
            .lines()
            .map(|l| l.split("//").next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join("\n");
        let mut targets = BTreeSet::new();
        for (at, _) in code.match_indices("crate::") {
            let rest = &code[at + "crate::".len()..];
            let words = path_at(rest);
            if let Some(target) = resolve(&names, &words) {
                targets.insert(target);
            }
            // `crate::a::{b, c}`: each item may be a module.
            let base = words.join("::");
            if let Some(group) = rest
                .strip_prefix(base.as_str())
                .and_then(|r| r.strip_prefix("::{"))
                .and_then(|r| r.split_once('}'))
                .map(|(g, _)| g)
            {
                for item in group.split(',') {
                    let item = item.trim().split([' ', ':']).next().unwrap_or("");
                    if let Some(target) = resolve(&names, &[base.as_str(), item]) {
                        targets.insert(target);
                    }
                }
            }
        }
        let parent = name.rsplit_once("::").map_or("", |(p, _)| p);
        for (at, _) in code.match_indices("super::") {
            let words = path_at(&code[at + "super::".len()..]);
            let full: Vec<&str> = parent
                .split("::")
                .filter(|w| !w.is_empty())
                .chain(words)
                .collect();
            if let Some(target) = resolve(&names, &full) {
                targets.insert(target);
            }
        }
        targets.remove(name);
        targets.retain(|t| !t.starts_with("entities"));
        edges.insert(name.clone(), targets);
    }
    edges
}

/// The strongly connected components of more than one module (Tarjan).
fn cycles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<BTreeSet<String>> {
    struct State<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on: BTreeSet<&'a str>,
        next: usize,
        out: Vec<BTreeSet<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        s.index.insert(v, s.next);
        s.low.insert(v, s.next);
        s.next += 1;
        s.stack.push(v);
        s.on.insert(v);
        for w in s.edges.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !s.index.contains_key(w) {
                visit(s, w);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v, low);
            } else if s.on.contains(w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = BTreeSet::new();
            while let Some(w) = s.stack.pop() {
                s.on.remove(w);
                component.insert(w.to_owned());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                s.out.push(component);
            }
        }
    }
    let mut state = State {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in edges.keys() {
        if !state.index.contains_key(v.as_str()) {
            visit(&mut state, v);
        }
    }
    state.out
}

#[test]
fn no_module_imports_itself_through_others() {
    let edges = imports(&modules());
    // The check sees imports at all: known ones are found, by path and through a `use` list.
    assert!(
        edges["services::costs"].contains("platform::paging"),
        "{:?}",
        edges["services::costs"]
    );
    assert!(
        edges["services::reports"].contains("services::cost_query"),
        "{:?}",
        edges["services::reports"]
    );
    let cycles = cycles(&edges);
    assert!(
        cycles.is_empty(),
        "import cycles: {:?}",
        cycles
            .iter()
            .map(|component| component
                .iter()
                .map(|m| (m, edges[m].intersection(component).collect::<Vec<_>>()))
                .collect::<Vec<_>>())
            .collect::<Vec<_>>()
    );
}

#[test]
fn the_platform_imports_no_area() {
    let edges = imports(&modules());
    for (module, targets) in &edges {
        let platform = module.starts_with("platform")
            || [
                "audit", "access", "crypto", "keys", "money", "ids", "clock", "db", "error",
            ]
            .contains(&module.as_str());
        if platform {
            let areas: Vec<_> = targets
                .iter()
                .filter(|t| t.starts_with("services"))
                .collect();
            assert!(areas.is_empty(), "{module} imports {areas:?}");
        }
    }
}

#[test]
fn a_cycle_is_found_where_there_is_one() {
    let mut edges = BTreeMap::new();
    edges.insert("a".to_owned(), BTreeSet::from(["b".to_owned()]));
    edges.insert("b".to_owned(), BTreeSet::from(["c".to_owned()]));
    edges.insert("c".to_owned(), BTreeSet::from(["a".to_owned()]));
    edges.insert("d".to_owned(), BTreeSet::from(["a".to_owned()]));
    let found = cycles(&edges);
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0],
        BTreeSet::from(["a".to_owned(), "b".to_owned(), "c".to_owned()])
    );
}
