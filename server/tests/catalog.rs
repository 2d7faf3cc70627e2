//! Every rule id of the catalogs in `../shared/design/` is a rule of the registry or is listed
//! in the "Not built" table of `docs/rules.md` with a reason; every registry rule beyond the
//! catalogs is listed in its "Beyond the catalog" table. Read from the catalog files, the
//! registry and the docs, so a rule added to either side without the other fails here.

mod common;

use std::collections::{BTreeMap, BTreeSet};

/// The rule ids the catalogs define: the first cell of a table row in
/// `rules-prereqs-setup.md` (`| PR-VER-007 | …`, `| PR-CNI-013 AKS | …`) and the bold rule
/// headings of `rules-waypoints-policies.md` (`**W001 · deploy-waypoints · …**`). Mentions in
/// prose (`see PR-VER-005`, `W008 is intentionally unused`) do not define a rule.
fn catalog_ids() -> BTreeSet<String> {
    let design = common::repo_root().join("../shared/design");
    let read = |name: &str| {
        std::fs::read_to_string(design.join(name)).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (the catalogs live in ../shared/design beside the repository)",
                design.join(name).display()
            )
        })
    };
    let table_row = regex::Regex::new(r"(?m)^\|\s*((?:PR|CS)-[A-Z]+-\d{3})\b").unwrap();
    let heading = regex::Regex::new(r"(?m)^\*\*([A-Z]\d{3}) ·").unwrap();
    let mut ids = BTreeSet::new();
    let prereqs = read("rules-prereqs-setup.md");
    ids.extend(table_row.captures_iter(&prereqs).map(|c| c[1].to_string()));
    let waypoints = read("rules-waypoints-policies.md");
    ids.extend(heading.captures_iter(&waypoints).map(|c| c[1].to_string()));
    ids
}

/// The rows (`| id | reason |`) of the table under `### <title>` in `docs/rules.md`.
fn docs_table(title: &str) -> BTreeMap<String, String> {
    let doc = std::fs::read_to_string(common::repo_root().join("docs/rules.md")).unwrap();
    let heading = format!("\n### {title}\n");
    let at = doc
        .find(&heading)
        .unwrap_or_else(|| panic!("docs/rules.md has no \"### {title}\" section"))
        + heading.len();
    let mut rows = BTreeMap::new();
    for line in doc[at..].lines() {
        if line.starts_with('#') {
            break;
        }
        let Some(inner) = line.trim().strip_prefix('|') else {
            continue;
        };
        let cells: Vec<&str> = inner.split('|').map(str::trim).collect();
        let (Some(id), Some(reason)) = (cells.first(), cells.get(1)) else {
            continue;
        };
        if *id == "id" || id.starts_with("---") {
            continue;
        }
        assert!(
            rows.insert(id.to_string(), reason.to_string()).is_none(),
            "\"### {title}\" lists {id} twice"
        );
    }
    rows
}

#[test]
fn every_catalog_rule_is_built_or_declined_with_a_reason() {
    let catalog = catalog_ids();
    // the catalogs define 143 rules: far fewer means their format changed under this test
    assert!(
        catalog.len() >= 140,
        "only {} rule ids read from the catalogs: {catalog:?}",
        catalog.len()
    );
    let registry: BTreeSet<String> = ambient_lsp::rules::ids()
        .map(|r| r.id.to_string())
        .collect();
    let not_built = docs_table("Not built");
    let beyond = docs_table("Beyond the catalog");
    let mut problems = Vec::new();
    for id in &catalog {
        if !registry.contains(id) && !not_built.contains_key(id) {
            problems.push(format!(
                "{id}: in the catalog, not in the registry and not in \"Not built\""
            ));
        }
    }
    for (id, reason) in &not_built {
        if registry.contains(id) {
            problems.push(format!(
                "{id}: listed as not built, but the registry has it (remove the row)"
            ));
        }
        if !catalog.contains(id) {
            problems.push(format!("{id}: listed as not built, but not a catalog rule"));
        }
        if reason.split_whitespace().count() < 3 {
            problems.push(format!("{id}: not built without a reason (\"{reason}\")"));
        }
    }
    for id in registry.difference(&catalog) {
        if !beyond.contains_key(id) {
            problems.push(format!(
                "{id}: a registry rule beyond the catalog, not in \"Beyond the catalog\""
            ));
        }
    }
    for (id, why) in &beyond {
        if catalog.contains(id) || !registry.contains(id) {
            problems.push(format!(
                "{id}: listed beyond the catalog, but it is a catalog id or not a registry rule"
            ));
        }
        if why.split_whitespace().count() < 3 {
            problems.push(format!("{id}: beyond the catalog without a reason"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
