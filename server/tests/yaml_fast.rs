//! The fast YAML path must agree with the general parser on every file it accepts: the whole
//! corpus of real manifests and the yaml-test-suite inputs.

mod common;

use ambient_lsp::testing::yaml::{check_spans, compare};
use ambient_lsp::yaml::fast::parse_fast;
use ambient_lsp::yaml::{parse_stream_general, Limits};
use std::path::{Path, PathBuf};

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out);
        } else if p
            .extension()
            .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
        {
            out.push(p);
        }
    }
}

#[test]
fn fast_path_agrees_with_general_parser_on_the_corpus() {
    let corpus = common::corpus();
    let mut files = Vec::new();
    walk(&corpus, &mut files);
    let ysuite = corpus.join("yaml-test-suite/data");
    let mut suite = Vec::new();
    fn suite_walk(d: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                suite_walk(&p, out);
            } else if p.file_name().is_some_and(|n| n == "in.yaml") {
                out.push(p);
            }
        }
    }
    suite_walk(&ysuite, &mut suite);
    files.extend(suite);
    let limits = Limits::default();
    let mut accepted = 0;
    let mut failures = Vec::new();
    for f in &files {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        // every span of the general parser's result is inside the text (the fuzz target
        // `yaml` checks the same on random input)
        let general = parse_stream_general(&text, &limits);
        if let Err(e) = check_spans(&text, &general) {
            failures.push(format!("{}: {e}", f.display()));
        }
        if text.contains("{{") {
            continue;
        }
        let Some(fast) = parse_fast(&text, &limits) else {
            continue;
        };
        accepted += 1;
        if let Err(e) = check_spans(&text, &fast) {
            failures.push(format!("{} (fast path): {e}", f.display()));
        }
        if let Err(e) = compare(&f.display().to_string(), &fast, &general) {
            failures.push(e);
        }
    }
    eprintln!(
        "{} files, fast path accepted {}, {} disagreements",
        files.len(),
        accepted,
        failures.len()
    );
    assert!(
        accepted > 1000,
        "the fast path should take most real manifests"
    );
    assert!(
        failures.is_empty(),
        "{}",
        failures
            .iter()
            .take(10)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n\n")
    );
}
