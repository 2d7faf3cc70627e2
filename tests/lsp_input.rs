//! What the language server indexes, end to end over its stdio (issue 12, items 8–10): the
//! index follows the disk (a folder deleted in one watcher event, `.gitignore`d files named by
//! watcher events), requests wait for folders just added, and settings, URIs and workspace
//! folders behave as the client says.

use e2e::lsp::{pos, uri, Client};
use e2e::*;
use serde_json::{json, Value};
use std::path::Path;

fn start(dir: &Path) -> Client {
    let mut c = Client::start(dir, json!({}));
    c.wait_indexed();
    c.sync();
    c
}

fn report(c: &mut Client) -> Value {
    let r = c.request(
        "workspace/executeCommand",
        json!({"command": "ambient.migrationReport", "arguments": [{"format": "json"}]}),
    );
    r.get("result").cloned().unwrap_or_else(|| panic!("{r}"))
}

fn resources(r: &Value) -> u64 {
    r["inputs"]["resources"]
        .as_u64()
        .unwrap_or_else(|| panic!("{r}"))
}

/// A policy with a finding of its own (W009: a path rule the waypoint must enforce).
const POLICY: &str = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: NAME, namespace: bookinfo}\nspec:\n  selector: {matchLabels: {app: details}}\n  rules:\n  - to: [{operation: {paths: [/x]}}]\n";

fn policy(name: &str) -> String {
    POLICY.replace("NAME", name)
}

#[test]
fn a_folder_deleted_in_one_event_leaves_the_index() {
    let ws = example_copy();
    let extra = ws.path().join("extra");
    std::fs::create_dir_all(extra.join("deeper")).unwrap();
    let a = extra.join("a.yaml");
    let b = extra.join("deeper/b.yaml");
    std::fs::write(&a, policy("a")).unwrap();
    std::fs::write(&b, policy("b")).unwrap();
    let mut c = start(ws.path());
    let before = resources(&report(&mut c));
    for f in [&a, &b] {
        c.wait_diagnostics(&uri(f), "a finding", |d| !d.is_empty());
    }
    std::fs::remove_dir_all(&extra).unwrap();
    // one event, for the folder (what VS Code sends for `rm -rf extra`)
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&extra), "type": 3}]}),
    );
    let after = report(&mut c);
    assert_eq!(resources(&after), before - 2, "{after}");
    for f in [&a, &b] {
        c.wait_diagnostics(&uri(f), "cleared", |d| d.is_empty());
    }
    // the folder comes back (moved in): one event for the folder indexes what it holds
    std::fs::create_dir_all(&extra).unwrap();
    std::fs::write(&a, policy("a")).unwrap();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&extra), "type": 1}]}),
    );
    assert_eq!(resources(&report(&mut c)), before - 1);
    c.wait_diagnostics(&uri(&a), "a finding again", |d| !d.is_empty());
}

#[test]
fn a_gitignored_file_named_by_a_watcher_event_is_not_indexed() {
    let ws = example_copy();
    std::fs::write(ws.path().join(".gitignore"), "build/\n*.generated.yaml\n").unwrap();
    let mut c = start(ws.path());
    let before = resources(&report(&mut c));
    let build = ws.path().join("build");
    std::fs::create_dir_all(build.join("sub")).unwrap();
    let ignored = [build.join("sub/x.yaml"), ws.path().join("p.generated.yaml")];
    let kept = ws.path().join("kept.yaml");
    for (i, f) in ignored.iter().chain([&kept]).enumerate() {
        std::fs::write(f, policy(&format!("p{i}"))).unwrap();
    }
    let mut events: Vec<Value> = ignored
        .iter()
        .chain([&kept])
        .map(|f| json!({"uri": uri(f), "type": 1}))
        .collect();
    events.push(json!({"uri": uri(&build), "type": 1}));
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": events }),
    );
    assert_eq!(resources(&report(&mut c)), before + 1, "only kept.yaml");
    c.wait_diagnostics(&uri(&kept), "a finding", |d| !d.is_empty());
    for f in &ignored {
        assert!(c.latest(&uri(f)).is_none(), "{} published", f.display());
    }
}

/// A `.gitignore` changed on disk (a watcher event for it): files it now leaves out leave the
/// index and their diagnostics are cleared; un-ignored, they come back.
#[test]
fn a_gitignore_change_drops_and_restores_the_files_it_names() {
    let ws = example_copy();
    let extra = ws.path().join("extra");
    std::fs::create_dir_all(&extra).unwrap();
    let a = extra.join("a.yaml");
    std::fs::write(&a, policy("a")).unwrap();
    let gitignore = ws.path().join(".gitignore");
    std::fs::write(&gitignore, "*.log\n").unwrap();
    let mut c = start(ws.path());
    let before = resources(&report(&mut c));
    c.wait_diagnostics(&uri(&a), "its finding", |d| !d.is_empty());
    let changed = |c: &mut Client, content: &str| {
        std::fs::write(&gitignore, content).unwrap();
        c.notify(
            "workspace/didChangeWatchedFiles",
            json!({"changes": [{"uri": uri(&gitignore), "type": 2}]}),
        );
    };
    changed(&mut c, "*.log\nextra/\n");
    c.wait_diagnostics(&uri(&a), "cleared: now ignored", |d| d.is_empty());
    assert_eq!(
        resources(&report(&mut c)),
        before - 1,
        "a.yaml left the index"
    );
    changed(&mut c, "*.log\n");
    c.wait_diagnostics(&uri(&a), "back: no longer ignored", |d| !d.is_empty());
    assert_eq!(resources(&report(&mut c)), before);
}

#[test]
fn the_report_right_after_adding_a_folder_includes_it() {
    let ws = example_copy();
    let other = tempfile::TempDir::new().unwrap();
    for i in 0..3 {
        std::fs::write(
            other.path().join(format!("p{i}.yaml")),
            policy(&format!("o{i}")),
        )
        .unwrap();
    }
    let mut c = start(ws.path());
    let before = resources(&report(&mut c));
    let folder = json!({"uri": uri(other.path()), "name": "other"});
    c.notify(
        "workspace/didChangeWorkspaceFolders",
        json!({"event": {"added": [folder], "removed": []}}),
    );
    // no wait of any kind between the notification and the request
    assert_eq!(resources(&report(&mut c)), before + 3);
    // a code action request waits too (it answers for the new folder's file)
    let f = uri(&other.path().join("p0.yaml"));
    let r = c.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": f}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 9, "character": 0}}, "context": {"diagnostics": []}}),
    );
    assert!(r.get("result").is_some(), "{r}");
    c.notify(
        "workspace/didChangeWorkspaceFolders",
        json!({"event": {"added": [], "removed": [folder]}}),
    );
    assert_eq!(resources(&report(&mut c)), before);
}

/// A workspace of hostile and foreign files: binary, not UTF-8, over 1 KB, a symlinked manifest
/// (read), a directory symlink loop, file symlink loops and a dangling link (reported), a Helm
/// chart (Chart.yaml and values.yaml not Kubernetes, a template reported), other tools' YAML
/// and JSON (JSONC with comments and trailing commas: not reported) and a JSON manifest that is
/// not JSON (reported).
fn foreign_workspace() -> tempfile::TempDir {
    let d = tempfile::TempDir::new().unwrap();
    let outside = d.path().join("outside");
    let ws = d.path().join("ws");
    for dir in [
        &outside,
        &ws.join("chart/templates"),
        &ws.join(".github/workflows"),
        &ws.join(".vscode"),
        &ws.join(".devcontainer"),
    ] {
        std::fs::create_dir_all(dir).unwrap();
    }
    let w = |p: &str, t: &[u8]| std::fs::write(ws.join(p), t).unwrap();
    w(
        "ns.yaml",
        b"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  labels: {istio-injection: enabled}\n",
    );
    std::fs::write(
        outside.join("ext.yaml"),
        "apiVersion: v1\nkind: Service\nmetadata: {name: ext, namespace: a}\nspec: {ports: [{port: 80}]}\n",
    )
    .unwrap();
    std::os::unix::fs::symlink("../outside/ext.yaml", ws.join("link.yaml")).unwrap();
    std::os::unix::fs::symlink(".", ws.join("loop")).unwrap();
    std::os::unix::fs::symlink("nowhere.yaml", ws.join("dangling.yaml")).unwrap();
    std::os::unix::fs::symlink("self.yaml", ws.join("self.yaml")).unwrap();
    std::os::unix::fs::symlink("ring-b.yaml", ws.join("ring-a.yaml")).unwrap();
    std::os::unix::fs::symlink("ring-a.yaml", ws.join("ring-b.yaml")).unwrap();
    w("bin.yaml", b"apiVersion: v1\x00\x01\x02");
    w(
        "latin1.yaml",
        b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: caf\xe9}\n",
    );
    let big = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: big, namespace: a}}\ndata:\n  x: {}\n",
        "a".repeat(3000)
    );
    w("big.yaml", big.as_bytes());
    w(
        "chart/Chart.yaml",
        b"apiVersion: v2\nname: mychart\nversion: 0.1.0\ndependencies:\n  - name: redis\n    version: 1.x\n",
    );
    w(
        "chart/values.yaml",
        b"replicaCount: 1\nimage: {repository: nginx, tag: \"\"}\nlabels: [a, b]\nkind: web\n",
    );
    w(
        "chart/templates/svc.yaml",
        b"apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}\n",
    );
    w(
        "package.json",
        br#"{"name":"x","version":"1.0.0","scripts":{"test":"jest"}}"#,
    );
    w(
        "tsconfig.json",
        b"{\n  // the compiler\n  \"compilerOptions\": {\"strict\": true, /* on */},\n  \"include\": [\"src\",],\n}\n",
    );
    w(
        ".vscode/settings.json",
        b"{\n  \"editor.tabSize\": 2, // spaces\n  \"yaml.schemas\": {},\n}\n",
    );
    w(
        ".devcontainer/devcontainer.json",
        b"// devcontainer\n{ \"image\": \"mcr.microsoft.com/devcontainers/rust:1\", \"features\": {}, }\n",
    );
    // a manifest: reported although YAML reads it (the trailing comma)
    w(
        "broken.json",
        b"{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"c\", \"namespace\": \"a\"},}\n",
    );
    w(
        ".github/workflows/ci.yml",
        b"on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n",
    );
    w(
        "docker-compose.yml",
        b"version: \"3\"\nservices:\n  web:\n    image: nginx\n",
    );
    w(
        "kind-config.yaml",
        b"kind: Cluster\nnodes:\n- role: control-plane\n",
    );
    d
}

/// Every file of the workspace the tests look at, relative.
const FOREIGN_FILES: [&str; 21] = [
    "ns.yaml",
    "link.yaml",
    "loop",
    "dangling.yaml",
    "self.yaml",
    "ring-a.yaml",
    "ring-b.yaml",
    ".vscode/settings.json",
    ".devcontainer/devcontainer.json",
    "broken.json",
    "bin.yaml",
    "latin1.yaml",
    "big.yaml",
    "chart/Chart.yaml",
    "chart/values.yaml",
    "chart/templates/svc.yaml",
    "package.json",
    "tsconfig.json",
    ".github/workflows/ci.yml",
    "docker-compose.yml",
    "kind-config.yaml",
];

/// The CLI and the language server read the same inputs and report the same problems (rule
/// and message; the message names each one's size-limit knob).
#[test]
fn the_cli_and_the_server_share_one_input_policy() {
    use std::collections::BTreeMap;
    let d = foreign_workspace();
    let ws = d.path().join("ws");
    // what differs by design: the knob of the size limit, and paths (the CLI's are relative
    // to its arguments, the server's absolute)
    let ws_path = ws.to_string_lossy().to_string();
    let knob = |m: &str| {
        m.replace("--max-file-size-kb", "KNOB")
            .replace("the ambient.maxFileSizeKb setting", "KNOB")
            .replace(&format!("{ws_path}/"), "")
            .replace(&ws_path, ".")
    };
    // the CLI
    let r = run_in(
        &ws,
        &[
            "migrate",
            "--from-files",
            ".",
            "--max-file-size-kb",
            "1",
            "--format",
            "json",
        ],
    );
    let cli_report: Value =
        serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stderr));
    let mut cli: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for p in cli_report["inputs"]["problems"].as_array().unwrap() {
        cli.entry(p["location"]["file"].as_str().unwrap().to_string())
            .or_default()
            .push((
                p["rule"].as_str().unwrap().to_string(),
                knob(p["message"].as_str().unwrap()),
            ));
    }
    // the symlinked manifest is read; what is not Kubernetes is not reported
    assert_eq!(
        cli_report["inputs"]["resources"], 3,
        "{}",
        cli_report["inputs"]
    );
    let expected: BTreeMap<&str, &str> = [
        ("bin.yaml", "YAML-005"),
        ("latin1.yaml", "YAML-005"),
        ("big.yaml", "YAML-003"),
        ("dangling.yaml", "YAML-005"),
        ("loop", "YAML-005"),
        ("self.yaml", "YAML-005"),
        ("ring-a.yaml", "YAML-005"),
        ("ring-b.yaml", "YAML-005"),
        ("broken.json", "YAML-001"),
        ("chart/templates/svc.yaml", "YAML-002"),
    ]
    .into_iter()
    .collect();
    let got: BTreeMap<&str, &str> = cli
        .iter()
        .map(|(f, v)| (f.as_str(), v[0].0.as_str()))
        .collect();
    assert_eq!(got, expected, "{cli:#?}");
    // loops of file links are named as loops (not the OS's "too many levels" error)
    for (f, back) in [
        ("self.yaml", "self.yaml"),
        ("ring-a.yaml", "ring-a.yaml"),
        ("ring-b.yaml", "ring-b.yaml"),
    ] {
        assert_eq!(
            cli[f][0].1,
            format!("cannot read: symbolic link loop (it leads back to {back}): not followed"),
        );
    }
    assert!(
        cli["broken.json"][0].1.starts_with("not valid JSON"),
        "{cli:#?}"
    );
    // the language server, on the same folder with the same limit
    let mut c = Client::start(&ws, json!({"maxFileSizeKb": 1}));
    c.wait_indexed();
    let lsp_report = report(&mut c);
    assert_eq!(
        lsp_report["inputs"]["resources"], 3,
        "{}",
        lsp_report["inputs"]
    );
    let mut lsp: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for f in FOREIGN_FILES {
        let Some(p) = c.latest(&uri(&ws.join(f))) else {
            continue;
        };
        for d in &p.diagnostics {
            lsp.entry(f.to_string()).or_default().push((
                d["code"].as_str().unwrap().to_string(),
                knob(d["message"].as_str().unwrap()),
            ));
        }
    }
    assert_eq!(lsp, cli);
}

fn phases(diags: &[Value]) -> Vec<String> {
    diags
        .iter()
        .map(|d| d["data"]["phase"].as_str().unwrap_or("?").to_string())
        .collect()
}

/// One wrong-typed settings field costs that field only; an invalid `waypointName` falls back
/// to the default; each is reported (once) in the client's log.
#[test]
fn a_wrong_settings_field_keeps_the_others() {
    let ws = example_copy();
    let mut c = Client::start(
        ws.path(),
        json!({"maxFileSizeKb": "lots", "phases": ["migrate-policies"], "waypointName": "Bad_Name!"}),
    );
    c.wait_indexed();
    c.sync();
    let mut seen = Vec::new();
    for f in ambient_lsp::sources::workspace_files(ws.path()) {
        if let Some(p) = c.latest(&uri(&f)) {
            seen.extend(phases(&p.diagnostics));
        }
    }
    assert!(
        !seen.is_empty(),
        "migrate-policies has findings in the example"
    );
    assert!(
        seen.iter().all(|p| p == "migrate-policies" || p == "input"),
        "the phases setting was lost: {seen:?}"
    );
    let log: Vec<String> = c
        .log_messages()
        .iter()
        .filter_map(|m| m["message"].as_str().map(str::to_string))
        .collect();
    for key in ["ambient.maxFileSizeKb", "ambient.waypointName"] {
        let n = log.iter().filter(|m| m.contains(key)).count();
        assert_eq!(n, 1, "{key} reported once: {log:#?}");
    }
}

/// A size written as a whole float (`6.0`) is a number of KB; a bad element of `phases` costs
/// that element only (logged); a wrong-typed `cluster.enabled` is logged under its full name.
#[test]
fn settings_are_read_element_by_element_and_logged_by_full_name() {
    let ws = example_copy();
    let big = ws.path().join("big.yaml");
    let text = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: big, namespace: bookinfo}}\ndata:\n  x: {}\n",
        "a".repeat(9000)
    );
    std::fs::write(&big, text).unwrap();
    let mut c = Client::start(
        ws.path(),
        json!({"maxFileSizeKb": 6.0, "phases": ["migrate-policies", 7, "no-such-phase"],
               "cluster": {"enabled": "yes", "context": ""}}),
    );
    c.wait_indexed();
    c.sync();
    let mut seen = Vec::new();
    for f in ambient_lsp::sources::workspace_files(ws.path()) {
        if let Some(p) = c.latest(&uri(&f)) {
            seen.extend(phases(&p.diagnostics));
        }
    }
    assert!(seen.iter().any(|p| p == "migrate-policies"), "{seen:?}");
    assert!(
        seen.iter().all(|p| p == "migrate-policies" || p == "input"),
        "the valid phase was lost with the bad ones: {seen:?}"
    );
    // the 6.0 KB limit applies
    let p = c.latest(&uri(&big)).expect("big.yaml published");
    assert_eq!(p.diagnostics.len(), 1, "{:?}", p.diagnostics);
    assert_eq!(p.diagnostics[0]["code"], "YAML-003");
    assert!(p.diagnostics[0]["message"]
        .as_str()
        .unwrap()
        .contains("over the limit of 6 KB"));
    let log: Vec<String> = c
        .log_messages()
        .iter()
        .filter_map(|m| m["message"].as_str().map(str::to_string))
        .collect();
    let count = |key: &str| log.iter().filter(|m| m.contains(key)).count();
    assert_eq!(count("setting ambient.cluster.enabled"), 1, "{log:#?}");
    assert_eq!(count("setting ambient.enabled"), 0, "{log:#?}");
    assert_eq!(
        count("setting ambient.phases: 7 is not a phase"),
        1,
        "{log:#?}"
    );
    assert_eq!(
        count("setting ambient.phases: no-such-phase"),
        1,
        "{log:#?}"
    );
    assert_eq!(count("setting ambient.maxFileSizeKb"), 0, "{log:#?}");
}

/// After `didClose` the file on disk applies again: its diagnostics are published for the disk
/// text (no version), or cleared when the file is gone.
#[test]
fn closing_a_document_republishes_the_disk_version() {
    let ws = example_copy();
    let f = ws.path().join("extra.yaml");
    std::fs::write(
        &f,
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: bookinfo}\n",
    )
    .unwrap();
    let mut c = start(ws.path());
    let u = c.open(&f);
    c.change(&u, &policy("edited"));
    c.wait_diagnostics(&u, "the edit's finding", |d| !d.is_empty());
    let seq = c.seq();
    c.close(&u);
    c.sync();
    let d = c.diagnostics_for(&u, None, seq);
    assert!(d.is_empty(), "the disk text has no finding: {d:#?}");
    assert_eq!(c.latest(&u).unwrap().version, None);
    // a document whose file was deleted while open: cleared on close
    let g = ws.path().join("gone.yaml");
    std::fs::write(&g, policy("gone")).unwrap();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&g), "type": 1}]}),
    );
    let gu = c.open(&g);
    c.wait_diagnostics(&gu, "a finding", |d| !d.is_empty());
    std::fs::remove_file(&g).unwrap();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&g), "type": 3}]}),
    );
    let seq = c.seq();
    c.close(&gu);
    c.sync();
    assert!(c.diagnostics_for(&gu, None, seq).is_empty());
}

/// Diagnostics are published under the URI the client used, byte for byte: lower-case
/// percent-escapes, an escaped `+`, an unescaped `+`.
#[test]
fn published_uris_are_the_clients_own() {
    let ws = example_copy();
    let mut c = start(ws.path());
    let base = uri(ws.path());
    for (name, spelled) in [
        ("a+b.yaml", "a%2bb.yaml"),
        ("c+d.yaml", "c+d.yaml"),
        ("with space.yaml", "with%20space.yaml"),
    ] {
        let client_uri = format!("{base}/{spelled}");
        std::fs::write(ws.path().join(name), policy("u")).unwrap();
        c.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": client_uri, "languageId": "yaml", "version": 1, "text": policy("u")}}),
        );
        let d = c.wait_diagnostics(&client_uri, "published under the client's URI", |d| {
            !d.is_empty()
        });
        assert!(!d.is_empty());
        c.notify(
            "textDocument/didClose",
            json!({"textDocument": {"uri": client_uri}}),
        );
    }
    c.sync();
}

/// The URIs a code action's edit writes to.
fn edit_uris(actions: &[Value]) -> Vec<String> {
    let mut out = Vec::new();
    for a in actions {
        let e = &a["edit"];
        for dc in e["documentChanges"].as_array().into_iter().flatten() {
            let u = dc["textDocument"]["uri"].as_str().or(dc["uri"].as_str());
            out.extend(u.map(str::to_string));
        }
        for k in e["changes"].as_object().into_iter().flatten() {
            out.push(k.0.clone());
        }
    }
    out.sort();
    out.dedup();
    out
}

/// One file opened under two spellings of its URI (`+`, `%2b`) is one document: its
/// diagnostics live under the spelling the client used last, the other spelling is cleared, and
/// after `didClose` only that one URI holds the disk version's diagnostics.
#[test]
fn one_file_under_two_uri_spellings_is_published_once() {
    let ws = example_copy();
    let f = ws.path().join("a+b.yaml");
    std::fs::write(&f, policy("disk")).unwrap();
    let mut c = start(ws.path());
    let base = uri(ws.path());
    let plus = format!("{base}/a+b.yaml");
    let escaped = format!("{base}/a%2bb.yaml");
    let path_built = uri(&f);
    // published under some spelling while indexing: one URI only
    let holding = |c: &Client| -> Vec<String> {
        [&plus, &escaped, &path_built]
            .into_iter()
            .filter(|u| c.latest(u).is_some_and(|p| !p.diagnostics.is_empty()))
            .cloned()
            .collect()
    };
    assert_eq!(holding(&c).len(), 1, "{:?}", holding(&c));
    for (i, u) in [&plus, &escaped].into_iter().enumerate() {
        c.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": u, "languageId": "yaml", "version": 10 + i, "text": policy("u")}}),
        );
        c.wait_diagnostics(u, "published under the spelling just used", |d| {
            !d.is_empty()
        });
        c.sync();
        assert_eq!(
            holding(&c),
            vec![u.clone()],
            "one identity after opening {u}"
        );
    }
    c.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": escaped}}),
    );
    c.wait_diagnostics(&escaped, "the disk version", |d| {
        d.iter()
            .any(|d| d["message"].as_str().unwrap_or("").contains("disk"))
    });
    c.sync();
    assert_eq!(holding(&c), vec![escaped.clone()]);
    assert_eq!(
        c.latest(&escaped).unwrap().version,
        None,
        "the disk version"
    );
}

/// A document opened under a UNC-style URI (`file://host/…`): the edits of its code actions and
/// the definitions it leads to keep the host (they used to be built from the path, host
/// dropped).
#[test]
fn code_actions_and_definitions_keep_the_clients_uri_host() {
    let ws = example_copy();
    let f = ws.path().join("bookinfo/namespace.yaml");
    let text = std::fs::read_to_string(&f).unwrap();
    let mut c = start(ws.path());
    let unc = uri(&f).replacen("file://", "file://server", 1);
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": unc, "languageId": "yaml", "version": 1, "text": text}}),
    );
    c.wait_diagnostics(&unc, "published under the UNC URI", |d| !d.is_empty());
    c.sync();
    let whole = json!({"start": {"line": 0, "character": 0}, "end": {"line": 999, "character": 0}});
    let actions = c.code_actions(&unc, whole, None);
    let uris = edit_uris(&actions);
    assert!(
        uris.contains(&unc),
        "an edit of the document itself: {uris:?}"
    );
    let host = format!(
        "file://server{}",
        uri(ws.path()).trim_start_matches("file://")
    );
    for u in &uris {
        assert!(u.starts_with(&host), "{u} lost the host of {unc}");
    }
    // go to definition from a VirtualService host to its Service (in services.yaml)
    let traffic = ws.path().join("bookinfo/traffic.yaml");
    let text = std::fs::read_to_string(&traffic).unwrap();
    let unc = uri(&traffic).replacen("file://", "file://server", 1);
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": unc, "languageId": "yaml", "version": 1, "text": text}}),
    );
    c.sync();
    let at = text.find("  - reviews").unwrap() + 4;
    let r = c.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": unc}, "position": pos(&text, at, false)}),
    );
    let target = r["result"]["uri"].as_str().unwrap_or_else(|| panic!("{r}"));
    assert_eq!(
        target,
        format!("{host}/bookinfo/services.yaml"),
        "the definition keeps the host"
    );
}

/// A folder added twice and removed once is still a workspace folder.
#[test]
fn a_folder_added_twice_and_removed_once_stays() {
    let ws = example_copy();
    let other = tempfile::TempDir::new().unwrap();
    std::fs::write(other.path().join("p.yaml"), policy("o")).unwrap();
    let mut c = start(ws.path());
    let before = resources(&report(&mut c));
    let folder = json!({"uri": uri(other.path()), "name": "other"});
    for _ in 0..2 {
        c.notify(
            "workspace/didChangeWorkspaceFolders",
            json!({"event": {"added": [folder], "removed": []}}),
        );
    }
    assert_eq!(resources(&report(&mut c)), before + 1, "indexed once");
    c.notify(
        "workspace/didChangeWorkspaceFolders",
        json!({"event": {"added": [], "removed": [folder]}}),
    );
    assert_eq!(resources(&report(&mut c)), before + 1, "still a folder");
    c.notify(
        "workspace/didChangeWorkspaceFolders",
        json!({"event": {"added": [], "removed": [folder]}}),
    );
    assert_eq!(resources(&report(&mut c)), before);
}
