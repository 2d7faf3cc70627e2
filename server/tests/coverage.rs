//! Every rule of the registry has a positive and a negative test, and is documented.

mod common;

use std::collections::BTreeSet;

fn scan() -> (BTreeSet<String>, BTreeSet<String>) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut fires = BTreeSet::new();
    let mut not = BTreeSet::new();
    let ids = |line: &str| -> Vec<String> {
        let mut out = Vec::new();
        let mut rest = line;
        while let Some(i) = rest.find('"') {
            let after = &rest[i + 1..];
            let Some(j) = after.find('"') else { break };
            let lit = &after[..j];
            if ambient_lsp::rules::by_id(lit).is_some() {
                out.push(lit.to_string());
            }
            rest = &after[j + 1..];
        }
        out
    };
    for entry in std::fs::read_dir(&dir).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&p).unwrap();
        // calls, possibly spread over lines by rustfmt: `assert_fires(&r, "W001")`
        for (call, set) in [
            ("assert_fires(", &mut fires),
            ("assert_not_fires(", &mut not),
        ] {
            for (i, _) in text.match_indices(call) {
                let args = &text[i..];
                let args = &args[..args.find(");").unwrap_or(args.len()).min(400)];
                set.extend(ids(args));
            }
        }
        // loops: `for rule in ["A", "B"] { assert_not_fires(&r, rule) }`
        for (i, _) in text.match_indices("for rule in [") {
            let rest = &text[i..];
            let close = rest.find(']').unwrap_or(rest.len());
            let list = &rest[..close];
            let body = &rest[close..(close + 300).min(rest.len())];
            if body.contains("assert_fires(") {
                fires.extend(ids(list));
            }
            if body.contains("assert_not_fires(") {
                not.extend(ids(list));
            }
        }
    }
    (fires, not)
}

#[test]
fn every_rule_has_a_positive_and_a_negative_test() {
    let (fires, not) = scan();
    let mut missing = Vec::new();
    for r in ambient_lsp::rules::ids() {
        if !fires.contains(r.id) {
            missing.push(format!("{}: no assert_fires", r.id));
        }
        if !not.contains(r.id) {
            missing.push(format!("{}: no assert_not_fires", r.id));
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
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
