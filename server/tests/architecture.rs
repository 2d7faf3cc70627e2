//! The shape docs/architecture.md describes, kept true: the layers depend only downwards (no
//! module cycles), phases never import each other, every rule is made in one file of its phase,
//! and the renderers and the language server never special-case a rule id. With coverage.rs
//! (fixtures and docs) this is the test of the "How to add a rule" recipe.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The top-level modules of the crate, bottom layer first: a module may use only modules of
/// lower layers.
const LAYERS: &[&[&str]] = &[
    &["yaml"],
    &["model"],
    &["rules"],
    &["finding"],
    &["index", "edit"],
    &["fixes"],
    &["analysis"],
    &["routes"],
    &["phases"],
    &["engine"],
    &["report"],
    &["output", "sources", "cluster"],
    &["cli", "lsp", "detect", "testing"],
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
    entries.sort_by_key(|e| e.path());
    for e in entries {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Every source file with its path relative to `src/` and its text, without its unit tests
/// (the `#[cfg(test)]` module at the end of a file).
fn sources() -> Vec<(String, String)> {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    files
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(src()).unwrap().to_string_lossy().to_string();
            let text = std::fs::read_to_string(&p).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            (rel, code.to_string())
        })
        .collect()
}

/// The top-level module a file belongs to (`phases/pre_reqs/cni.rs` → `phases`).
fn module_of(rel: &str) -> &str {
    rel.split('/').next().unwrap().trim_end_matches(".rs")
}

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// Words after `crate::` in a text.
fn crate_paths(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in text.match_indices("crate::") {
        let rest = &text[i + 7..];
        let word: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !word.is_empty() {
            out.insert(word);
        }
    }
    out
}

#[test]
fn layers_depend_only_downwards() {
    let mut wrong = Vec::new();
    for (rel, text) in sources() {
        let module = module_of(&rel);
        if matches!(module, "lib" | "main") {
            continue;
        }
        let Some(layer) = layer_of(module) else {
            wrong.push(format!(
                "{rel}: module {module} is in no layer of this test"
            ));
            continue;
        };
        for dep in crate_paths(&text) {
            if dep == module {
                continue;
            }
            match layer_of(&dep) {
                Some(l) if l < layer => {}
                _ => wrong.push(format!("{rel}: {module} uses crate::{dep}")),
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn phases_do_not_import_each_other() {
    let mut wrong = Vec::new();
    for (rel, text) in sources() {
        let parts: Vec<&str> = rel.split('/').collect();
        if parts.len() < 3 || parts[0] != "phases" {
            continue;
        }
        if text.contains("crate::phases") || text.contains("super::super") {
            wrong.push(rel);
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Registry constant → rule id (variants map to their rule's id).
fn registry_constants() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(src().join("rules/registry.rs")).unwrap();
    let mut out = BTreeMap::new();
    for line in text.lines().map(str::trim) {
        let Some((name, rest)) = line.split_once(" = ") else {
            continue;
        };
        if !name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        {
            continue;
        }
        let id = if let Some(quoted) = rest.strip_prefix('"') {
            quoted.split('"').next().unwrap().to_string()
        } else {
            let base = rest.split(',').next().unwrap();
            match out.get(base) {
                Some(id) => String::clone(id),
                None => continue,
            }
        };
        if ambient_lsp::rules::by_id(&id).is_some() {
            out.insert(name.to_string(), id);
        }
    }
    out
}

/// Where each rule id is made: the files that name one of its constants (`rules::W001`, not
/// `rules::W001.id`).
fn makers() -> BTreeMap<String, BTreeSet<String>> {
    let consts = registry_constants();
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (rel, text) in sources() {
        if rel.starts_with("rules/") {
            continue;
        }
        for (i, _) in text.match_indices("rules::") {
            let rest = &text[i + 7..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                .collect();
            let Some(id) = consts.get(&name) else {
                continue;
            };
            if rest[name.len()..].starts_with(".id") {
                continue;
            }
            out.entry(id.clone()).or_default().insert(rel.clone());
        }
    }
    out
}

#[test]
fn every_rule_is_made_in_one_file_of_its_phase() {
    let makers = makers();
    let mut wrong = Vec::new();
    for r in ambient_lsp::rules::ids() {
        let files = makers.get(r.id).cloned().unwrap_or_default();
        if files.is_empty() {
            wrong.push(format!("{}: made nowhere", r.id));
            continue;
        }
        if r.phase() == ambient_lsp::rules::Phase::Input {
            // found while reading and parsing files (index.rs, sources.rs) or in phases/input
            continue;
        }
        let folder = format!("phases/{}/", r.phase().id().replace('-', "_"));
        if files.len() != 1 || !files.iter().all(|f| f.starts_with(&folder)) {
            wrong.push(format!(
                "{}: made in {files:?}, not in one file of {folder}",
                r.id
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// A rule id in quotes (`"W001"`, `"PR-VER-004"`).
fn quoted_rule_ids(text: &str) -> Vec<String> {
    text.split('"')
        .skip(1)
        .step_by(2)
        .filter(|s| ambient_lsp::rules::by_id(s).is_some())
        .map(str::to_string)
        .collect()
}

#[test]
fn renderers_and_the_server_do_not_special_case_rules() {
    let mut wrong = Vec::new();
    for (rel, text) in sources() {
        if !(rel.starts_with("report/") || rel.starts_with("lsp/") || rel == "cli.rs") {
            continue;
        }
        for id in quoted_rule_ids(&text) {
            wrong.push(format!("{rel}: \"{id}\""));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
