//! Adversarial inputs with stated bounds (issue 12; figures in docs/robustness.md): alias
//! bombs, 200k-deep flow nesting, 5k-deep block nesting, binary and non-UTF-8 files, wrong types everywhere, duplicate keys, documents that are a
//! list or a scalar, BOM, tabs, CRLF. Each gets a clear diagnostic (or is read correctly) from
//! the CLI and from the language server alike, without a panic or a hang, within the time and
//! memory stated.

use e2e::hostile::{add_file_problems, cli_problems, of_the_file, run_peak};
use e2e::lsp::{uri, Client};
use e2e::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Wall time allowed to one CLI run on one of the small hostile files (debug build, loaded
/// machine; they take well under a second).
const SMALL_BOUND: Duration = Duration::from_secs(20);

/// The hostile files: name → content.
fn cases() -> Vec<(&'static str, Vec<u8>)> {
    let head = |name: &str| {
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}, namespace: a}}\ndata:\n"
        )
    };
    // billion laughs: 9 levels of 9 aliases (10^9 nodes expanded)
    let mut bomb = head("bomb");
    bomb.push_str("  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 9].join(", ");
        bomb.push_str(&format!("  a{i}: &a{i} [{refs}]\n"));
    }
    let flow = format!(
        "{}  x: {}{}\n",
        head("flow"),
        "[".repeat(200_000),
        "]".repeat(200_000)
    );
    // 5,000-deep block nesting (block sequences on one line: `- - - … v`)
    let block = format!("{}  x:\n    {}v\n", head("block"), "- ".repeat(5_000));
    let wrong = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: [x], namespace: {a: b}, labels: [1, 2]}\nspec:\n  selector: \"app\"\n  action: 7\n  rules: {from: 1}\n---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: v, namespace: a}\nspec: {hosts: reviews, http: \"x\", gateways: {a: 1}}\n";
    vec![
        ("bomb.yaml", bomb.into_bytes()),
        ("flow.yaml", flow.into_bytes()),
        ("block.yaml", block.into_bytes()),
        ("wrong.yaml", wrong.as_bytes().to_vec()),
        (
            "dup.yaml",
            b"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  name: b\n  labels: {istio-injection: enabled, istio-injection: disabled}\n".to_vec(),
        ),
        ("list.yaml", b"- a\n- b\n---\njust a scalar\n---\n42\n".to_vec()),
        (
            "bom.yaml",
            "\u{feff}apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bom, namespace: a}\n"
                .as_bytes()
                .to_vec(),
        ),
        ("tabs.yaml", b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: tabs\n".to_vec()),
        (
            "crlf.yaml",
            b"apiVersion: v1\r\nkind: ConfigMap\r\nmetadata:\r\n  name: crlf\r\n  namespace: a\r\n".to_vec(),
        ),
        ("binary.yaml", b"apiVersion: v1\n\x00\x01\x02\xff".to_vec()),
        ("latin1.yaml", b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: caf\xe9}\n".to_vec()),
    ]
}

/// What each file must produce: its rule ids (in order of position).
fn expected() -> BTreeMap<&'static str, Vec<&'static str>> {
    [
        ("bomb.yaml", vec!["YAML-003"]),
        ("flow.yaml", vec!["YAML-003"]),
        ("block.yaml", vec!["YAML-003"]),
        ("wrong.yaml", vec!["SCHEMA-001"; 7]),
        ("dup.yaml", vec!["YAML-004", "YAML-004"]),
        ("tabs.yaml", vec!["YAML-001"]),
        ("binary.yaml", vec!["YAML-005"]),
        ("latin1.yaml", vec!["YAML-005"]),
    ]
    .into_iter()
    .collect()
}

#[test]
fn hostile_files_get_clear_diagnostics_in_the_cli_and_the_server() {
    binary(); // built before the clock starts
    let d = tempfile::TempDir::new().unwrap();
    for (name, bytes) in cases() {
        std::fs::write(d.path().join(name), bytes).unwrap();
    }
    // the CLI, one file at a time (each within the bound)
    let mut cli: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut peak = 0;
    for (name, _) in cases() {
        let started = Instant::now();
        let (r, run_peak_mib) = run_peak(
            d.path(),
            &[
                "migrate",
                "--from-files",
                name,
                "--ignore-failures",
                "--format",
                "json",
            ],
        );
        let took = started.elapsed();
        peak = peak.max(run_peak_mib);
        assert!(took < SMALL_BOUND, "{name}: {took:?}");
        assert!(!r.stderr.contains("panicked"), "{name}: {}", r.stderr);
        let report: Value = serde_json::from_str(&r.stdout)
            .unwrap_or_else(|e| panic!("{name}: {e}: exit {}: {}", r.code, r.stderr));
        add_file_problems(&report, &mut cli);
    }
    let want: BTreeMap<String, Vec<String>> = expected()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.into_iter().map(String::from).collect()))
        .collect();
    assert_eq!(cli, want);
    // all at once: BOM, CRLF are read (3 objects: bom, crlf, the duplicate-keys Namespace,
    // and the VirtualService of wrong.yaml); the list and scalars are not objects
    let (_, report, run_peak_mib) = cli_problems(d.path(), &[]);
    peak = peak.max(run_peak_mib);
    assert_eq!(report["inputs"]["resources"], 4, "{}", report["inputs"]);
    assert_eq!(report["inputs"]["notObjects"], 3, "{}", report["inputs"]);
    // the server on the same folder: the same rules on the same files, and it still answers
    let mut c = Client::start(d.path(), json!({}));
    c.wait_indexed();
    let r = c.request(
        "workspace/executeCommand",
        json!({"command": "ambient.migrationReport", "arguments": []}),
    );
    assert_eq!(r["result"]["inputs"]["resources"], 4, "{r}");
    let mut lsp: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, _) in cases() {
        if let Some(p) = c.latest(&uri(&d.path().join(name))) {
            for diag in p
                .diagnostics
                .iter()
                .filter(|d| of_the_file(d["code"].as_str().unwrap()))
            {
                lsp.entry(name.to_string())
                    .or_default()
                    .push(diag["code"].as_str().unwrap().to_string());
            }
        }
    }
    assert_eq!(lsp, want);
    // and in the editor: each hostile text opened and edited
    for (name, bytes) in cases() {
        let Ok(text) = String::from_utf8(bytes) else {
            continue;
        };
        let u = c.open_text(&d.path().join(format!("open-{name}")), &text);
        let v = c.change(&u, &format!("{text}\n"));
        let diags = c.diagnostics_for(&u, Some(v), 0);
        let codes: Vec<&str> = diags
            .iter()
            .map(|d| d["code"].as_str().unwrap())
            .filter(|c| of_the_file(c))
            .collect();
        let want_codes = expected().get(name).cloned().unwrap_or_default();
        assert_eq!(codes, want_codes, "{name} open in the editor");
    }
    if let Some(server) = c.peak_rss_mib() {
        peak = peak.max(server);
    }
    assert_eq!(c.shutdown(), 0);
    // each run of the binary (the CLI runs and the server), not this process's children in
    // all: those include the `cargo build` that `binary()` may run
    assert!(peak < 1024, "peak memory {peak} MiB");
}
