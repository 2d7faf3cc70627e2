//! yaml-test-suite (data-2022-01-17): every case must be accepted or rejected as the suite
//! says, and accepted cases must load to the JSON the suite gives.

mod common;

use ambient_lsp::yaml::{parse_stream, Limits, ProblemKind};
use std::path::Path;

fn cases(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    if dir.join("in.yaml").is_file() {
        out.push(dir.to_path_buf());
        return;
    }
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for e in entries {
        if e.is_dir() {
            cases(&e, out);
        }
    }
}

#[test]
fn yaml_test_suite() {
    let root = common::corpus().join("yaml-test-suite/data");
    let mut all = Vec::new();
    cases(&root, &mut all);
    assert!(all.len() > 300, "found only {} cases", all.len());
    let mut failures = Vec::new();
    let mut json_checked = 0;
    for case in &all {
        let text = std::fs::read_to_string(case.join("in.yaml")).unwrap();
        let expect_error = case.join("error").exists();
        let parsed = parse_stream(&text, &Limits::default());
        let errored = parsed.template.is_some()
            || parsed.docs.iter().any(|d| {
                d.problems
                    .iter()
                    .any(|p| matches!(p.kind, ProblemKind::Syntax | ProblemKind::Limit))
            });
        let id = case.strip_prefix(&root).unwrap().display().to_string();
        if expect_error != errored {
            failures.push(format!(
                "{id}: expected error={expect_error}, got {errored}"
            ));
            continue;
        }
        if expect_error {
            continue;
        }
        let Ok(json) = std::fs::read_to_string(case.join("in.json")) else {
            continue;
        };
        let expected: Vec<serde_json::Value> = serde_json::Deserializer::from_str(&json)
            .into_iter::<serde_json::Value>()
            .map(|v| v.unwrap())
            .collect();
        let got: Vec<serde_json::Value> = parsed
            .docs
            .iter()
            .map(|d| {
                d.root
                    .as_ref()
                    .map(|r| r.to_json())
                    .unwrap_or(serde_json::Value::Null)
            })
            .collect();
        json_checked += 1;
        if !json_eq(&expected, &got) {
            failures.push(format!("{id}: loaded {got:?}, expected {expected:?}"));
        }
    }
    eprintln!(
        "{} cases, {} compared with in.json, {} failures",
        all.len(),
        json_checked,
        failures.len()
    );
    // Known deviations, each explained:
    let allowed: &[&str] = &[];
    let unexpected: Vec<_> = failures
        .iter()
        .filter(|f| !allowed.iter().any(|a| f.starts_with(a)))
        .collect();
    assert!(
        unexpected.is_empty(),
        "{} failures:\n{}",
        unexpected.len(),
        unexpected
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

fn json_eq(a: &[serde_json::Value], b: &[serde_json::Value]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| val_eq(x, y))
}

fn val_eq(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value::*;
    match (a, b) {
        (Number(x), Number(y)) => x.as_f64() == y.as_f64(),
        (Array(x), Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| val_eq(p, q)),
        (Object(x), Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| val_eq(v, w)))
        }
        _ => a == b,
    }
}
