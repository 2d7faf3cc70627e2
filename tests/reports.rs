//! The reports of `ambient-lsp migrate` over the example and a representative set of folders
//! of the shared corpus, kept as snapshots: a refactoring of the rules must leave them
//! byte-for-byte identical (JSON and the verbose text report; SARIF for the example). The corpus itself is not
//! copied into the repository, only what the tool reports about it.

use e2e::*;
use std::path::Path;

/// Folders of `../shared/corpus` whose reports are kept: together they fire 72 rule ids.
const CORPUS_FOLDERS: &[&str] = &[
    "istio/analyzer-testdata",
    "istio.io/ambient",
    "istio.io/setup",
    "apps/istio-on-eks",
    "istio/inject-testdata",
    "istio-install/helm-rendered",
    "istio/tests-integration",
];

/// Run `migrate` over `folder` (relative to `cwd`) in one format.
fn report(cwd: &Path, folder: &str, format: &str) -> String {
    let out = tempfile::TempDir::new().unwrap();
    let mut args = vec![
        "migrate",
        "--from-files",
        folder,
        "--ignore-failures",
        "--format",
        format,
        "--output-dir",
        out.path().to_str().unwrap(),
    ];
    if format == "text" {
        args.extend(["--markers", "ascii", "--verbose"]);
    }
    let r = run_in(cwd, &args);
    assert!(
        r.code == 0 || r.code == 3,
        "{folder} ({format}): exit {}: {}",
        r.code,
        r.stderr
    );
    // the SARIF source root is the checkout's absolute path, which differs per machine
    let root = format!("file://{}/", repo_root().display());
    r.stdout
        .replace(out.path().to_str().unwrap(), "<OUT>")
        .replace(&root, "file://<REPO>/")
}

fn snapshot_name(folder: &str, format: &str) -> String {
    format!("{}.{format}", folder.replace(['/', '.'], "_"))
}

fn check(cwd: &Path, folder: &str, formats: &[&str]) {
    for &format in formats {
        let name = snapshot_name(folder, format);
        insta::assert_snapshot!(name, report(cwd, folder, format));
    }
}

#[test]
fn example_reports_are_unchanged() {
    check(&repo_root(), "examples/mesh", &["json", "sarif", "text"]);
}

#[test]
fn corpus_reports_are_unchanged() {
    let corpus = corpus();
    for folder in CORPUS_FOLDERS {
        check(&corpus, folder, &["json", "text"]);
    }
}
