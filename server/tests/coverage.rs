//! Every rule of the registry has its fixture folder with a case where it fires and a case
//! where it stays silent, every variant is produced by some case, and every rule is
//! documented in `docs/rules.md`. Read from the fixtures and the docs (not from test code).

mod common;
use common::fixture;

use std::collections::{BTreeMap, BTreeSet};

/// Per rule id: (cases of its own folder where it fires, where it is silent).
fn own_cases() -> BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)> {
    let mut out: BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)> = BTreeMap::new();
    for dir in fixture::all_cases() {
        let case = fixture::load(&dir).unwrap();
        let e = out.entry(case.rule.clone()).or_default();
        if case.spec.fires.contains(&case.rule) {
            e.0.insert(case.name.clone());
        }
        if case.spec.silent.contains(&case.rule) {
            e.1.insert(case.name.clone());
        }
    }
    out
}

#[test]
fn every_rule_has_its_fixture_folder_with_a_positive_and_a_negative_case() {
    let cases = own_cases();
    let mut missing = Vec::new();
    for r in ambient_lsp::rules::ids() {
        match cases.get(r.id) {
            None => missing.push(format!("{}: no folder tests/fixtures/rules/{}", r.id, r.id)),
            Some((fires, silent)) => {
                if fires.is_empty() {
                    missing.push(format!(
                        "{}: no case of its folder lists it in `fires`",
                        r.id
                    ));
                }
                if silent.is_empty() {
                    missing.push(format!(
                        "{}: no case of its folder lists it in `silent`",
                        r.id
                    ));
                }
            }
        }
    }
    for folder in cases.keys() {
        if ambient_lsp::rules::by_id(folder).is_none() {
            missing.push(format!("tests/fixtures/rules/{folder}: not a rule id"));
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn every_variant_is_produced_by_some_case() {
    let mut seen: BTreeSet<*const ambient_lsp::rules::Rule> = BTreeSet::new();
    for dir in fixture::all_cases() {
        let case = fixture::load(&dir).unwrap();
        for f in case.analysis.findings(&case.index) {
            seen.insert(f.rule as *const _);
        }
    }
    let missing: Vec<String> = ambient_lsp::rules::all()
        .filter(|r| !seen.contains(&(*r as *const _)))
        .map(|r| format!("{} ({})", r.id, r.variant.unwrap_or("the rule itself")))
        .collect();
    assert!(
        missing.is_empty(),
        "never produced by a fixture:\n{}",
        missing.join("\n")
    );
}

#[test]
fn every_rule_is_documented() {
    let doc =
        std::fs::read_to_string(common::repo_root().join("docs/rules.md")).expect("docs/rules.md");
    let mut missing = Vec::new();
    for r in ambient_lsp::rules::ids() {
        let heading = format!("### {}", r.id);
        let Some(at) = doc.find(&heading) else {
            missing.push(format!("{}: no heading", r.id));
            continue;
        };
        // each entry has an example block
        let section = &doc[at..];
        let end = section[heading.len()..]
            .find("\n### ")
            .map(|e| e + heading.len())
            .unwrap_or(section.len());
        if !section[..end].contains("```") {
            missing.push(format!("{}: no example", r.id));
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}
