//! What the language server indexes, end to end over its stdio (issue 12, items 8–10): the
//! index follows the disk (a folder deleted in one watcher event, `.gitignore`d files named by
//! watcher events), requests wait for folders just added, and settings, URIs and workspace
//! folders behave as the client says.

use e2e::lsp::{uri, Client};
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
