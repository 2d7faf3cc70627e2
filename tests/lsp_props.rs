//! Property: whatever sequence of editor edits, opens, closes and disk changes the server goes
//! through, it ends up with exactly the findings that `ambient-lsp migrate --format json` reports
//! for the final files from scratch, and the diagnostics it last published for every file are
//! those findings.

use e2e::lsp::{uri, Client};
use e2e::*;
use proptest::prelude::*;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const MUTATIONS: &[(&str, &str)] = &[
    ("methods: [\"GET\"]", "ports: [\"9080\"]"),
    (
        "istio-injection: enabled",
        "istio.io/dataplane-mode: ambient",
    ),
    ("action: DENY", "action: ALLOW"),
    ("timeout: 10s", "timeout: 10s\n    retries: {attempts: 2}"),
    ("app: reviews", "app: reviewz"),
    ("name: checkout-viewer", "name: checkout-viewer-old"),
    ("value: \"true\"", "value: \"false\""),
];

const SNIPPETS: &[&str] = &[
    "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: waypoint, namespace: bookinfo}\nspec:\n  gatewayClassName: istio-waypoint\n  listeners: [{name: mesh, port: 15008, protocol: HBONE}]\n",
    "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: root-l7, namespace: istio-system}\nspec:\n  selector: {matchLabels: {app: ratings}}\n  rules:\n  - to: [{operation: {paths: [/health]}}]\n",
    "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: cross, namespace: payments}\nspec:\n  hosts: [reviews.bookinfo.svc.cluster.local]\n  http:\n  - route: [{destination: {host: reviews.bookinfo.svc.cluster.local}}]\n    timeout: 1s\n",
    "this: [is broken\n",
    "apiVersion: v1\nkind: Namespace\nmetadata: {name: extra, labels: {istio-injection: enabled}}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: extra}\nspec: {selector: {app: api}, ports: [{name: http, port: 80}]}\n---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: api-get, namespace: extra}\nspec:\n  selector: {matchLabels: {app: api}}\n  rules:\n  - to: [{operation: {methods: [GET]}}]\n",
];

#[derive(Clone, Debug)]
enum Op {
    /// Open file `f` (if needed) and change it with mutation `m` (or append snippet `s`).
    Edit(usize, usize),
    Append(usize, usize),
    Close(usize),
    /// Change file `f` on disk with mutation `m` (the server hears of it from the watcher).
    Disk(usize, usize),
    NewFile(usize),
    Delete(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..32usize, 0..MUTATIONS.len()).prop_map(|(f, m)| Op::Edit(f, m)),
        2 => (0..32usize, 0..SNIPPETS.len()).prop_map(|(f, s)| Op::Append(f, s)),
        1 => (0..32usize).prop_map(Op::Close),
        2 => (0..32usize, 0..MUTATIONS.len()).prop_map(|(f, m)| Op::Disk(f, m)),
        1 => (0..SNIPPETS.len()).prop_map(Op::NewFile),
        1 => (0..32usize).prop_map(Op::Delete),
    ]
}

fn files(root: &Path) -> Vec<String> {
    let mut v: Vec<String> = ambient_lsp::sources::workspace_files(root)
        .into_iter()
        .map(|p| p.strip_prefix(root).unwrap().display().to_string())
        .collect();
    v.sort();
    v
}

/// (rule, relative file, line, column, message) of every finding of a JSON report.
fn findings(report: &Value, root: &Path) -> BTreeSet<(String, String, u64, u64, String)> {
    let mut out = BTreeSet::new();
    let all = report["inputs"]["problems"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(
            report["phases"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|p| p["findings"].as_array().unwrap()),
        );
    for f in all {
        // a location the report chose for a finding without a node of its own (`placed`) is
        // not one the server publishes a diagnostic at
        let placed = f["location"].get("placed").is_some();
        let file = if placed {
            ""
        } else {
            f["location"]["file"].as_str().unwrap_or("")
        };
        let rel = Path::new(file)
            .strip_prefix(root)
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| file.to_string());
        out.insert((
            f["rule"].as_str().unwrap().to_string(),
            rel,
            f["location"]["line"]
                .as_u64()
                .filter(|_| !placed)
                .unwrap_or(0),
            f["location"]["column"]
                .as_u64()
                .filter(|_| !placed)
                .unwrap_or(0),
            f["message"].as_str().unwrap().to_string(),
        ));
    }
    out
}

fn run_case(ops: &[Op]) -> Result<(), TestCaseError> {
    let ws = example_copy();
    let root = ws.path().canonicalize().unwrap();
    let mut c = Client::start(&root, json!({}));
    c.wait_indexed();
    let mut open: BTreeMap<String, String> = BTreeMap::new(); // rel → editor text
    for (n, o) in ops.iter().enumerate() {
        let names = files(&root);
        let pick = |i: usize| names.get(i % names.len().max(1)).cloned();
        match o {
            Op::Edit(f, m) | Op::Append(f, m) => {
                let Some(rel) = pick(*f) else { continue };
                let p = root.join(&rel);
                let cur = match open.get(&rel) {
                    Some(t) => t.clone(),
                    None => {
                        let t = std::fs::read_to_string(&p).unwrap();
                        c.open_text(&p, &t);
                        t
                    }
                };
                let new = match o {
                    Op::Edit(..) => {
                        let (a, b) = MUTATIONS[*m];
                        if !cur.contains(a) {
                            open.insert(rel, cur);
                            continue;
                        }
                        cur.replacen(a, b, 1)
                    }
                    _ => format!("{}\n---\n{}", cur.trim_end(), SNIPPETS[*m]),
                };
                c.change(&uri(&p), &new);
                open.insert(rel, new);
            }
            Op::Close(f) => {
                let Some(rel) = pick(*f) else { continue };
                if open.remove(&rel).is_some() {
                    c.close(&uri(&root.join(&rel)));
                }
            }
            Op::Disk(f, m) => {
                let Some(rel) = pick(*f) else { continue };
                let p = root.join(&rel);
                let t = std::fs::read_to_string(&p).unwrap();
                let (a, b) = MUTATIONS[*m];
                if t.contains(a) {
                    std::fs::write(&p, t.replacen(a, b, 1)).unwrap();
                    c.notify(
                        "workspace/didChangeWatchedFiles",
                        json!({"changes": [{"uri": uri(&p), "type": 2}]}),
                    );
                }
            }
            Op::NewFile(s) => {
                let p = root.join(format!("new-{n}.yaml"));
                std::fs::write(&p, SNIPPETS[*s]).unwrap();
                c.notify(
                    "workspace/didChangeWatchedFiles",
                    json!({"changes": [{"uri": uri(&p), "type": 1}]}),
                );
            }
            Op::Delete(f) => {
                let Some(rel) = pick(*f) else { continue };
                if open.contains_key(&rel) {
                    continue;
                }
                let p = root.join(&rel);
                std::fs::remove_file(&p).unwrap();
                c.notify(
                    "workspace/didChangeWatchedFiles",
                    json!({"changes": [{"uri": uri(&p), "type": 3}]}),
                );
            }
        }
    }
    c.sync();
    let report = c.request(
        "workspace/executeCommand",
        json!({"command": "ambient.migrationReport", "arguments": []}),
    )["result"]
        .clone();
    let got = findings(&report, &root);

    // the final files, from scratch: disk with the editor's texts on top
    let expected_dir = tempfile::TempDir::new().unwrap();
    let exp_root = expected_dir.path().canonicalize().unwrap();
    copy_tree(&root, &exp_root);
    for (rel, text) in &open {
        std::fs::write(exp_root.join(rel), text).unwrap();
    }
    let out = tempfile::TempDir::new().unwrap();
    let cli = run(&[
        "migrate",
        "--from-files",
        exp_root.to_str().unwrap(),
        "--ignore-failures",
        "--format",
        "json",
        "--output-dir",
        out.path().to_str().unwrap(),
    ]);
    prop_assert!(cli.code == 0 || cli.code == 3, "{}", cli.stderr);
    let cli: Value = serde_json::from_str(&cli.stdout).unwrap();
    let want = findings(&cli, &exp_root);
    let missing: Vec<_> = want.difference(&got).collect();
    let extra: Vec<_> = got.difference(&want).collect();
    prop_assert!(
        missing.is_empty() && extra.is_empty(),
        "after {ops:?}\nmissing in the server: {missing:#?}\nonly in the server: {extra:#?}"
    );

    // and the last published diagnostics of every file are exactly its findings
    for rel in files(&root) {
        let mut published: Vec<(String, u64, u64)> = c
            .latest(&uri(&root.join(&rel)))
            .map(|p| p.diagnostics)
            .unwrap_or_default()
            .iter()
            .map(|d| {
                (
                    d["code"].as_str().unwrap().to_string(),
                    d["range"]["start"]["line"].as_u64().unwrap() + 1,
                    d["range"]["start"]["character"].as_u64().unwrap() + 1,
                )
            })
            .collect();
        published.sort();
        let mut expected: Vec<(String, u64, u64)> = got
            .iter()
            .filter(|f| f.1 == rel && f.2 > 0)
            .map(|f| (f.0.clone(), f.2, f.3))
            .collect();
        expected.sort();
        prop_assert_eq!(
            &published,
            &expected,
            "diagnostics of {} after {:?}",
            rel,
            ops
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, max_shrink_iters: 64, ..ProptestConfig::default() })]

    #[test]
    fn the_server_converges_on_the_from_scratch_findings(ops in prop::collection::vec(op(), 1..14)) {
        run_case(&ops)?;
    }
}
