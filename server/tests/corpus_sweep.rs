//! Every file of `../shared/corpus` (Istio samples and analyzer test data, Gateway API examples,
//! real apps, yaml-test-suite, Helm templates, injected pods…) goes through reading, parsing,
//! extraction, the seven phases and every report format without a panic, and every file that
//! cannot be analysed says why.

mod common;
use common::*;

use ambient_lsp::analysis::Options;
use ambient_lsp::engine::Analysis;
use ambient_lsp::index::{FileData, Index};
use ambient_lsp::report::{self, text, ReportOptions};
use ambient_lsp::sources::read_manifest;
use ambient_lsp::yaml::Limits;
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

fn all_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
    entries.sort_by_key(|e| e.path());
    for e in entries {
        let p = e.path();
        if p.is_dir() {
            all_files(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn analyse(index: &Index) -> (usize, usize) {
    let analysis = Analysis::run(index, &Options::default());
    let opts = ReportOptions {
        ignore_failures: true,
        up_to: None,
        sources: vec!["corpus".into()],
    };
    let rep = report::build(index, &analysis, &opts);
    let t = text::render(&rep, &text::ASCII, &text::Outputs::default(), true);
    let j = report::json::render(&rep, &[]);
    // the streaming writer of the CLI produces the same document
    let mut streamed = Vec::new();
    report::json::write(&mut streamed, &rep, &[]).unwrap();
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&streamed).unwrap(),
        j
    );
    let s = report::sarif::render(&rep);
    let mut streamed = Vec::new();
    report::sarif::write(&mut streamed, &rep).unwrap();
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&streamed).unwrap(),
        s
    );
    assert!(t.contains("Starting phase remove-sidecars"));
    assert_eq!(j["phases"].as_array().unwrap().len(), 7);
    assert!(s["runs"][0]["results"].is_array());
    (analysis.findings(index).len(), t.len())
}

#[test]
fn every_corpus_file_is_read_parsed_and_analysed_without_panic() {
    let root = corpus();
    let mut files = Vec::new();
    all_files(&root, &mut files);
    assert!(
        files.len() > 3000,
        "corpus looks incomplete: {} files",
        files.len()
    );

    let limits = Limits::default();
    let mut whole = Index::new();
    let mut by_dir: BTreeMap<String, Index> = BTreeMap::new();
    let mut unreadable = 0;
    let mut with_problems = 0;
    let mut resources = 0;
    for p in &files {
        let rel = p.strip_prefix(&root).unwrap().to_string_lossy().to_string();
        let text = match read_manifest(p, 8 * 1024 * 1024) {
            Ok(t) => t,
            Err(e) => {
                // must be explained, never silently skipped
                assert!(!e.message().is_empty(), "{rel}");
                unreadable += 1;
                continue;
            }
        };
        let fd = catch_unwind(AssertUnwindSafe(|| {
            FileData::parse(whole.id_for(&rel), rel.as_str(), text.as_str(), &limits)
        }))
        .unwrap_or_else(|_| panic!("parsing panicked on {rel}"));
        if !fd.problems.is_empty() {
            with_problems += 1;
            for f in &fd.problems {
                assert!(
                    f.rule.id.starts_with("YAML-") || f.rule.id.starts_with("SCHEMA"),
                    "{rel}: {}",
                    f.rule
                );
                assert!(!f.message.is_empty(), "{rel}");
                let loc = f.location.expect("a file problem has a location");
                assert!(
                    loc.span.end as usize <= text.len(),
                    "{rel}: span past the end"
                );
            }
        }
        resources += fd.resources.len();
        // the same file in the index of its top two directories
        let dir: String = rel.split('/').take(2).collect::<Vec<_>>().join("/");
        let idx = by_dir.entry(dir).or_default();
        let id = idx.id_for(&rel);
        idx.upsert(FileData::parse(id, rel.as_str(), text.as_str(), &limits));
        whole.upsert(fd);
    }
    assert!(resources > 3500, "only {resources} resources extracted");
    assert!(
        with_problems > 100,
        "yaml-test-suite error cases must be reported"
    );
    eprintln!(
        "{} files, {resources} resources, {with_problems} with problems, {unreadable} unreadable",
        files.len()
    );

    for (dir, idx) in &by_dir {
        catch_unwind(AssertUnwindSafe(|| analyse(idx)))
            .unwrap_or_else(|_| panic!("analysis panicked on {dir}"));
    }
    let (n, _) = analyse(&whole);
    assert!(n > 1000, "only {n} findings over the whole corpus");
}

/// Files that look like Kubernetes manifests (a top-level `kind:`) either yield resources or
/// carry a problem that says why not.
#[test]
fn no_manifest_is_silently_skipped() {
    let root = corpus();
    let mut files = Vec::new();
    all_files(&root, &mut files);
    let mut silent = Vec::new();
    for p in &files {
        let Ok(text) = read_manifest(p, 8 * 1024 * 1024) else {
            continue;
        };
        if !text
            .lines()
            .any(|l| l.starts_with("kind:") || l.starts_with("  \"kind\":"))
        {
            continue;
        }
        let rel = p.strip_prefix(&root).unwrap().to_string_lossy().to_string();
        let fd = FileData::parse(0, rel.as_str(), text.as_str(), &Limits::default());
        if fd.resources.is_empty() && fd.problems.is_empty() {
            silent.push(rel);
        }
    }
    assert!(
        silent.is_empty(),
        "{} files silently produced nothing: {:#?}",
        silent.len(),
        &silent[..silent.len().min(30)]
    );
}
