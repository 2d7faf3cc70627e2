//! The language server driven over stdio by a small LSP client (tests/src/lsp.rs), on temporary
//! copies of `examples/mesh`: diagnostics, code actions applied byte for byte, UTF-16, the
//! version guard under a flood of edits, hover, definition, commands and settings.

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

fn codes(diags: &[Value]) -> Vec<String> {
    diags
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect()
}

/// `CODE line:col-line:col message` for each diagnostic (1-based, as editors show them).
fn render(diags: &[Value]) -> Vec<String> {
    let mut v: Vec<String> = diags
        .iter()
        .map(|d| {
            let r = &d["range"];
            format!(
                "{} {}:{}-{}:{} {}",
                d["code"].as_str().unwrap(),
                r["start"]["line"].as_u64().unwrap() + 1,
                r["start"]["character"].as_u64().unwrap() + 1,
                r["end"]["line"].as_u64().unwrap() + 1,
                r["end"]["character"].as_u64().unwrap() + 1,
                d["message"].as_str().unwrap().lines().next().unwrap()
            )
        })
        .collect();
    v.sort();
    v
}

fn diags_of(c: &Client, path: &Path) -> Vec<Value> {
    c.latest(&uri(path))
        .map(|p| p.diagnostics)
        .unwrap_or_default()
}

fn find<'a>(diags: &'a [Value], code: &str, needle: &str) -> &'a Value {
    diags
        .iter()
        .find(|d| d["code"] == code && d["message"].as_str().unwrap().contains(needle))
        .unwrap_or_else(|| panic!("no {code} mentioning {needle:?} in {:#?}", render(diags)))
}

/// Wait for the diagnostics of an open document at its current version.
fn settle(c: &mut Client, u: &str) -> Vec<Value> {
    let v = c.docs.get(u).map(|d| d.0);
    let after = c.seq();
    c.sync();
    match v {
        Some(v) => c.diagnostics_for(u, Some(v), 0),
        None => {
            let _ = after;
            c.latest(u).map(|p| p.diagnostics).unwrap_or_default()
        }
    }
}

fn action<'a>(actions: &'a [Value], title_part: &str) -> &'a Value {
    actions
        .iter()
        .find(|a| a["title"].as_str().unwrap().contains(title_part))
        .unwrap_or_else(|| {
            panic!(
                "no action {title_part:?} among {:#?}",
                actions
                    .iter()
                    .map(|a| a["title"].clone())
                    .collect::<Vec<_>>()
            )
        })
}

#[test]
fn the_whole_workspace_is_diagnosed_without_opening_files() {
    let ws = example_copy();
    let c = start(ws.path());
    let auth = ws.path().join("bookinfo/authorization.yaml");
    let d = diags_of(&c, &auth);
    // the selector of the L7 policy, not the whole file
    let w = find(&d, "W009", "bookinfo/reviews-viewer");
    assert_eq!(w["range"]["start"], json!({"line": 47, "character": 2}));
    assert_eq!(w["range"]["end"], json!({"line": 47, "character": 10}));
    assert_eq!(w["source"], "ambient");
    assert_eq!(w["severity"], 1);
    assert!(w["codeDescription"]["href"]
        .as_str()
        .unwrap()
        .ends_with("docs/rules.md#w009"));
    // related information points at the HTTP attribute
    let rel = &w["relatedInformation"][0];
    assert_eq!(rel["location"]["uri"], uri(&auth));
    assert_eq!(rel["location"]["range"]["start"]["line"], 57);
    // namespace-level findings go on the Namespace manifest
    let ns = diags_of(&c, &ws.path().join("bookinfo/namespace.yaml"));
    assert!(
        codes(&ns).contains(&"W020".to_string()),
        "{:#?}",
        render(&ns)
    );
    // every file with findings, as editors show them
    let mut all = Vec::new();
    for f in ambient_lsp::sources::workspace_files(ws.path()) {
        let rel = f.strip_prefix(ws.path()).unwrap().display().to_string();
        for line in render(&diags_of(&c, &f)) {
            all.push(format!("{rel}: {line}"));
        }
    }
    insta::assert_snapshot!("example_diagnostics", all.join("\n"));
    assert_eq!(c.shutdown(), 0);
}

#[test]
fn indexing_reports_progress_and_logs() {
    let ws = example_copy();
    let c = start(ws.path());
    let p = c.progress();
    assert_eq!(p.first().unwrap()["value"]["kind"], "begin");
    assert_eq!(p.last().unwrap()["value"]["kind"], "end");
    assert!(c.log().contains("indexed 17 files"), "{}", c.log());
}

#[test]
fn create_the_waypoint_gateway_in_a_new_file() {
    let ws = example_copy();
    let mut c = start(ws.path());
    let nsf = ws.path().join("bookinfo/namespace.yaml");
    let u = c.open(&nsf);
    let d = settle(&mut c, &u);
    let w = find(&d, "W020", "bookinfo").clone();
    let actions = c.code_actions(&u, w["range"].clone(), None);
    let a = action(&actions, "Create waypoint.yaml");
    assert_eq!(a["kind"], "quickfix");
    assert_eq!(a["diagnostics"][0]["code"], "W020");
    let ops = a["edit"]["documentChanges"].as_array().unwrap();
    assert_eq!(ops[0]["kind"], "create");
    assert_eq!(
        ops[0]["uri"],
        uri(&ws.path().join("bookinfo/waypoint.yaml"))
    );
    c.apply(&a["edit"]);
    let created = std::fs::read_to_string(ws.path().join("bookinfo/waypoint.yaml")).unwrap();
    insta::assert_snapshot!("waypoint_yaml", created);
    let d = settle(&mut c, &u);
    assert!(
        !codes(&d).contains(&"W020".to_string()),
        "{:#?}",
        render(&d)
    );
    // no second waypoint is offered
    let again = c.code_actions(&u, w["range"].clone(), None);
    assert!(again
        .iter()
        .all(|a| !a["title"].as_str().unwrap().contains("waypoint Gateway")));
}

#[test]
fn copy_a_workload_policy_to_the_waypoint() {
    let ws = example_copy();
    let mut c = start(ws.path());
    let f = ws.path().join("bookinfo/authorization.yaml");
    let before = std::fs::read_to_string(&f).unwrap();
    let u = c.open(&f);
    let d = settle(&mut c, &u);
    let p = find(&d, "P001", "reviews-reviews-viewer").clone();
    let actions = c.code_actions(&u, p["range"].clone(), None);
    let a = action(
        &actions,
        "Add AuthorizationPolicy bookinfo/reviews-reviews-viewer",
    );
    c.apply(&a["edit"]);
    let after = c.text(&u);
    // everything that was there is still there, byte for byte
    assert!(after.starts_with(&before));
    insta::assert_snapshot!("copy_appended", &after[before.len()..]);
    let d2 = settle(&mut c, &u);
    assert!(
        d2.iter().all(|d| !(d["code"] == "P001"
            && d["message"]
                .as_str()
                .unwrap()
                .contains("reviews-reviews-viewer"))),
        "{:#?}",
        render(&d2)
    );
    // nothing new in this file because of the edit
    let old: Vec<String> = render(&d);
    for n in render(&d2) {
        let (code, msg) = n.split_once(' ').unwrap();
        let msg = msg.split_once(' ').unwrap().1;
        assert!(
            old.iter().any(|o| o.starts_with(code) && o.ends_with(msg)),
            "new finding after the edit: {n}"
        );
    }
    // the action is not offered twice
    let again = c.code_actions(&u, p["range"].clone(), None);
    assert!(again.iter().all(|a| !a["title"]
        .as_str()
        .unwrap()
        .contains("reviews-reviews-viewer")));
}

#[test]
fn allow_traffic_from_the_waypoint_and_label_the_service() {
    let ws = example_copy();
    let mut c = start(ws.path());
    let f = ws.path().join("bookinfo/services.yaml");
    let before = std::fs::read_to_string(&f).unwrap();
    let u = c.open(&f);
    let d = settle(&mut c, &u);
    // P004: the allow-from-waypoint policy
    let p = find(&d, "P004", "reviews").clone();
    let actions = c.code_actions(&u, p["range"].clone(), None);
    let a = action(
        &actions,
        "reviews-from-waypoint (allow traffic from the waypoint)",
    );
    c.apply(&a["edit"]);
    let with_policy = c.text(&u);
    assert!(with_policy.starts_with(&before));
    insta::assert_snapshot!("allow_from_waypoint", &with_policy[before.len()..]);
    let d = settle(&mut c, &u);
    assert!(d.iter().all(|x| !(x["code"] == "P004"
        && x["message"]
            .as_str()
            .unwrap()
            .contains("reviews-from-waypoint"))));
    // U002: enroll the service — not before the waypoint exists (it would raise U003)
    let lbl = find(&d, "U002", "bookinfo/reviews").clone();
    let actions = c.code_actions(&u, lbl["range"].clone(), None);
    assert!(
        actions
            .iter()
            .all(|a| !a["title"].as_str().unwrap().contains("use-waypoint")),
        "{actions:#?}"
    );
    let ns = ws.path().join("bookinfo/namespace.yaml");
    let nu = uri(&ns);
    let w = find(&diags_of(&c, &ns), "W020", "bookinfo").clone();
    let create = c.code_actions(&nu, w["range"].clone(), None);
    c.apply(&action(&create, "Create waypoint.yaml")["edit"]);
    c.sync();
    // nor before reviews' L7 policy is on the waypoint: labelling the Service now would send
    // its traffic through a waypoint without it (U008 becomes blocking: a fix never raises a
    // finding to blocking), so the copy (P001) comes first, as the plan orders it
    // (and the namespace's allow-nothing, P002, which the waypoint must enforce too)
    let authz = ws.path().join("bookinfo/authorization.yaml");
    let au = c.open(&authz);
    for (rule, needle, title) in [
        (
            "P001",
            "reviews-reviews-viewer",
            "Add AuthorizationPolicy bookinfo/reviews-reviews-viewer",
        ),
        (
            "P002",
            "waypoint-allow-nothing",
            "Add AuthorizationPolicy bookinfo/waypoint-allow-nothing",
        ),
    ] {
        let ad = settle(&mut c, &au);
        let copy = find(&ad, rule, needle).clone();
        let copies = c.code_actions(&au, copy["range"].clone(), None);
        c.apply(&action(&copies, title)["edit"]);
        c.sync();
    }
    let actions = c.code_actions(&u, lbl["range"].clone(), None);
    let a = action(
        &actions,
        "Label Service bookinfo/reviews: istio.io/use-waypoint=waypoint",
    );
    c.apply(&a["edit"]);
    let labelled = c.text(&u);
    let diff: Vec<String> = diff_lines(&with_policy, &labelled);
    assert_eq!(
        diff,
        vec!["+    istio.io/use-waypoint: waypoint".to_string()],
        "only one line added"
    );
    let d = settle(&mut c, &u);
    assert!(
        d.iter().all(|x| !(x["code"] == "U002"
            && x["message"].as_str().unwrap().contains("bookinfo/reviews "))),
        "{:#?}",
        render(&d)
    );
}

fn diff_lines(a: &str, b: &str) -> Vec<String> {
    let al: Vec<&str> = a.lines().collect();
    let bl: Vec<&str> = b.lines().collect();
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < al.len() || j < bl.len() {
        if i < al.len() && j < bl.len() && al[i] == bl[j] {
            i += 1;
            j += 1;
        } else if j < bl.len() && (i >= al.len() || !al[i..].contains(&bl[j])) {
            out.push(format!("+{}", bl[j]));
            j += 1;
        } else {
            out.push(format!("-{}", al[i]));
            i += 1;
        }
    }
    out
}

#[test]
fn switch_the_namespace_labels() {
    let ws = example_copy();
    let mut c = start(ws.path());
    let f = ws.path().join("bookinfo/namespace.yaml");
    let u = c.open(&f);
    let d = settle(&mut c, &u);
    let r = find(&d, "R001", "bookinfo").clone();
    // not while R009 (fail-closed policies still present) blocks the same phase (issue 12)
    let actions = c.code_actions(&u, r["range"].clone(), None);
    assert!(
        actions
            .iter()
            .all(|a| !a["title"].as_str().unwrap().contains("dataplane-mode")),
        "{actions:#?}"
    );
    // offered once R009 is gone: the fail-closed policies of bookinfo removed
    let auth = ws.path().join("bookinfo/authorization.yaml");
    std::fs::write(&auth, "").unwrap();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&auth), "type": 2}]}),
    );
    c.sync();
    let actions = c.code_actions(&u, r["range"].clone(), None);
    let a = action(
        &actions,
        "Label Namespace bookinfo: -istio-injection istio.io/dataplane-mode=ambient",
    );
    c.apply(&a["edit"]);
    assert_eq!(
        c.text(&u),
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: bookinfo\n  labels:\n    team: books\n    istio.io/dataplane-mode: ambient\n"
    );
    let d = settle(&mut c, &u);
    assert!(
        !codes(&d).contains(&"R001".to_string()),
        "{:#?}",
        render(&d)
    );
}

#[test]
fn delete_a_migrated_policy() {
    let ws = example_copy();
    let mut c = start(ws.path());
    let f = ws.path().join("payments/policies.yaml");
    let before = std::fs::read_to_string(&f).unwrap();
    // not open: the edit goes to disk and the server hears about it from the file watcher
    let d = diags_of(&c, &f);
    let s = find(&d, "S001", "checkout-viewer").clone();
    let u = uri(&f);
    let actions = c.code_actions(&u, s["range"].clone(), None);
    let a = action(
        &actions,
        "Delete AuthorizationPolicy payments/checkout-viewer",
    );
    c.apply(&a["edit"]);
    let after = std::fs::read_to_string(&f).unwrap();
    // exactly the first document (with its comment) is gone; the rest is byte-identical
    let rest = &before[before.find("---\n").unwrap()..];
    assert_eq!(after, rest);
    let seq = c.seq();
    c.sync();
    let d = c.diagnostics_for(&u, None, seq);
    assert!(
        !codes(&d).contains(&"S001".to_string()),
        "{:#?}",
        render(&d)
    );
}

#[test]
fn fix_all_of_a_file() {
    let ws = example_copy();
    let mut c = start(ws.path());
    let f = ws.path().join("bookinfo/authorization.yaml");
    let before = std::fs::read_to_string(&f).unwrap();
    let u = c.open(&f);
    let _ = settle(&mut c, &u);
    let whole = json!({"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}});
    let actions = c.code_actions(&u, whole, Some(vec!["source.fixAll.ambient"]));
    assert_eq!(actions.len(), 1, "{actions:#?}");
    assert_eq!(actions[0]["kind"], "source.fixAll.ambient");
    c.apply(&actions[0]["edit"]);
    let after = c.text(&u);
    assert!(after.starts_with(&before));
    insta::assert_snapshot!("fix_all_appended", &after[before.len()..]);
    let d = settle(&mut c, &u);
    for code in ["P001", "P002", "P007", "P008"] {
        assert!(
            !codes(&d).contains(&code.to_string()),
            "{code}: {:#?}",
            render(&d)
        );
    }
}

/// The files a workspace edit touches (`changes` or `documentChanges`, creations included).
fn edited_uris(edit: &Value) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if let Some(m) = edit["changes"].as_object() {
        out.extend(m.keys().cloned());
    }
    for dc in edit["documentChanges"].as_array().into_iter().flatten() {
        let u = dc["textDocument"]["uri"].as_str().or(dc["uri"].as_str());
        out.extend(u.map(str::to_string));
    }
    out.sort();
    out.dedup();
    out
}

#[test]
fn fix_all_title_counts_the_quick_fixes_it_carries_out() {
    let ws = example_copy();
    let mut c = start(ws.path());
    // namespace.yaml: the namespace label (this file) and the waypoint (waypoint.yaml)
    for file in [
        "bookinfo/namespace.yaml",
        "bookinfo/authorization.yaml",
        "bookinfo/services.yaml",
        "istio-ingress/ingress.yaml",
    ] {
        let u = c.open(&ws.path().join(file));
        let _ = settle(&mut c, &u);
        let whole =
            json!({"start": {"line": 0, "character": 0}, "end": {"line": 100000, "character": 0}});
        let quick = c.code_actions(&u, whole.clone(), Some(vec!["quickfix"]));
        let this_file_only = |a: &&Value| edited_uris(&a["edit"]) == vec![u.to_string()];
        let here = quick.iter().filter(this_file_only).count();
        let elsewhere = quick.len() - here;
        let all = c.code_actions(&u, whole, Some(vec!["source.fixAll.ambient"]));
        // the preferred (only) fixes of a finding that edit this file are all carried out
        let preferred_here = quick
            .iter()
            .filter(this_file_only)
            .filter(|a| a["isPreferred"] == true)
            .count();
        let titles: Vec<&str> = quick.iter().map(|a| a["title"].as_str().unwrap()).collect();
        if all.is_empty() {
            assert_eq!(preferred_here, 0, "{file}: no fix-all action\n{titles:#?}");
            continue;
        }
        let title = all[0]["title"].as_str().unwrap();
        let number = |prefix: &str| -> usize {
            title
                .split(prefix)
                .nth(1)
                .and_then(|r| r.split(' ').next())
                .map_or(0, |n| n.parse().unwrap())
        };
        let (applied, left) = (number("Apply all "), number(" ("));
        // every quick fix is either carried out by the fix-all action or counted as left out
        assert_eq!(applied + left, quick.len(), "{file}: {title}\n{titles:#?}");
        assert!(
            applied >= preferred_here && applied <= here,
            "{file}: {title}\n{titles:#?}"
        );
        assert_eq!(left > 0, elsewhere > 0 || applied < here, "{file}: {title}");
        let fixes = if applied == 1 { "fix" } else { "fixes" };
        assert!(
            title.starts_with(&format!(
                "Apply all {applied} ambient migration {fixes} of this file"
            )),
            "{title}"
        );
    }
}

/// A manifest whose flagged node follows emoji and CJK on the same line, with CRLF endings.
const EMOJI: &str = "apiVersion: v1\r\nkind: Namespace\r\nmetadata: {name: shop, labels: {istio-injection: enabled}}\r\n---\r\napiVersion: v1\r\nkind: Service\r\nmetadata: {name: cart, namespace: shop}\r\nspec: {selector: {app: cart}, ports: [{name: http, port: 80}]}\r\n---\r\n{apiVersion: security.istio.io/v1, kind: AuthorizationPolicy, metadata: {name: get-only, namespace: shop, annotations: {note: \"🚀 日本語 ✓\"}}, spec: {selector: {matchLabels: {app: cart}}, rules: [{to: [{operation: {methods: [GET]}}]}]}}\r\n";

fn emoji_case(utf8: bool) {
    let ws = example_copy();
    let f = ws.path().join("shop.yaml");
    let mut c = Client::start_with(ws.path(), json!({}), utf8, json!({}));
    c.wait_indexed();
    assert_eq!(
        c.init["capabilities"]["positionEncoding"],
        if utf8 { "utf-8" } else { "utf-16" }
    );
    let u = c.open_text(&f, EMOJI);
    let d = settle(&mut c, &u);
    let w = find(&d, "W009", "shop/get-only");
    let at = EMOJI.find("selector: {matchLabels").unwrap();
    assert_eq!(w["range"]["start"], pos(EMOJI, at, utf8));
    assert_eq!(w["range"]["end"], pos(EMOJI, at + "selector".len(), utf8));
    // the HTTP attribute after the emoji, in related information
    let m = EMOJI.find("methods").unwrap();
    assert_eq!(
        w["relatedInformation"][0]["location"]["range"]["start"],
        pos(EMOJI, m, utf8)
    );
    // an edit from a code action lands where it should and keeps CRLF
    let p = find(&d, "P001", "cart-get-only").clone();
    let actions = c.code_actions(&u, p["range"].clone(), None);
    c.apply(&action(&actions, "cart-get-only")["edit"]);
    let after = c.text(&u);
    assert!(after.starts_with(EMOJI));
    let added = &after[EMOJI.len()..];
    assert!(
        added.starts_with("---\r\n") && !added.replace("\r\n", "").contains('\n'),
        "{added:?}"
    );
    let d = settle(&mut c, &u);
    assert!(
        !codes(&d).contains(&"P001".to_string()),
        "{:#?}",
        render(&d)
    );
    // hover at the flagged node (a position inside `selector`, after the emoji)
    let h = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": u}, "position": pos(EMOJI, at + 3, utf8)}),
    );
    assert!(
        h["result"]["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("W009"),
        "{h}"
    );
}

#[test]
fn utf16_positions_with_emoji_cjk_and_crlf() {
    emoji_case(false);
}

#[test]
fn utf8_positions_when_the_client_offers_them() {
    emoji_case(true);
}

#[test]
fn a_flood_of_edits_leaves_the_server_with_the_last_text() {
    let ws = example_copy();
    let mut c = start(ws.path());
    let f = ws.path().join("bookinfo/authorization.yaml");
    let base = std::fs::read_to_string(&f).unwrap();
    let u = c.open(&f);
    let l7 = base.clone();
    let l4 = base.replace("methods: [\"GET\"]", "ports: [\"9080\"]");
    assert_ne!(l7, l4);
    // 300 full-text changes as fast as the pipe takes them
    for i in 0..300 {
        c.change(&u, if i % 2 == 0 { &l4 } else { &l7 });
    }
    let last = c.change(&u, &l4);
    // a stale version arriving late must not win
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": u, "version": last - 5}, "contentChanges": [{"text": l7}]}),
    );
    c.sync();
    let d = c.diagnostics_for(&u, Some(last), 0);
    // with ports instead of methods, reviews-viewer is an L4 policy: no W009 for it
    assert!(
        d.iter()
            .all(|x| !(x["code"] == "W009"
                && x["message"].as_str().unwrap().contains("reviews-viewer"))),
        "{:#?}",
        render(&d)
    );
    // and the server's view of the text is the last one: a code action edit made against it
    // applies to the editor's text
    let r = c.request(
        "workspace/executeCommand",
        json!({"command": "ambient.migrationReport", "arguments": []}),
    );
    let report = r["result"].to_string();
    assert!(!report.contains("reviews-reviews-viewer\",\"namespace\":\"bookinfo\"},\"spec\":{\"targetRefs\":[{\"kind\":\"Service\",\"group\":\"\",\"name\":\"reviews\"}],\"action\":\"ALLOW\",\"rules\":[{\"from\":[{\"source\":{\"principals\":[\"cluster.local/ns/bookinfo/sa/bookinfo-productpage\"]}}],\"to\":[{\"operation\":{\"methods\""));
}

#[test]
fn hover_and_go_to_definition() {
    let ws = example_copy();
    let mut c = start(ws.path());
    let f = ws.path().join("bookinfo/traffic.yaml");
    let text = std::fs::read_to_string(&f).unwrap();
    let u = c.open(&f);
    let _ = settle(&mut c, &u);
    // a destination host → the Service
    let at = text.find("host: reviews").unwrap() + "host: ".len() + 2;
    let h = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": u}, "position": pos(&text, at, false)}),
    );
    let v = h["result"]["contents"]["value"].as_str().unwrap();
    assert!(v.contains("Service `bookinfo/reviews`"), "{v}");
    let d = c.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": u}, "position": pos(&text, at, false)}),
    );
    assert_eq!(
        d["result"]["uri"],
        uri(&ws.path().join("bookinfo/services.yaml"))
    );
    let svc = std::fs::read_to_string(ws.path().join("bookinfo/services.yaml")).unwrap();
    let name_at = svc.find("name: reviews").unwrap() + "name: ".len();
    assert_eq!(d["result"]["range"]["start"], pos(&svc, name_at, false));
    // targetRefs → the waypoint Gateway; use-waypoint label → the waypoint
    let pf = ws.path().join("payments/policies.yaml");
    let ptext = std::fs::read_to_string(&pf).unwrap();
    let pu = c.open(&pf);
    let _ = settle(&mut c, &pu);
    let tr = ptext
        .find("name: checkout\n")
        .unwrap_or_else(|| ptext.find("    name: checkout").unwrap());
    let d = c.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": pu}, "position": pos(&ptext, tr + 8, false)}),
    );
    assert!(
        d["result"]["uri"]
            .as_str()
            .unwrap()
            .ends_with("payments/checkout.yaml"),
        "{d}"
    );
    let nf = ws.path().join("payments/namespace.yaml");
    let ntext = std::fs::read_to_string(&nf).unwrap();
    if let Some(i) = ntext.find("istio.io/use-waypoint:") {
        let nu = c.open(&nf);
        let _ = settle(&mut c, &nu);
        let at = i + "istio.io/use-waypoint: ".len() + 1;
        let h = c.request(
            "textDocument/hover",
            json!({"textDocument": {"uri": nu}, "position": pos(&ntext, at, false)}),
        );
        assert!(
            h["result"]["contents"]["value"]
                .as_str()
                .unwrap()
                .contains("Waypoint Gateway `payments/"),
            "{h}"
        );
    }
    // hover on a flagged node explains the rule and the migration step
    let af = ws.path().join("bookinfo/authorization.yaml");
    let atext = std::fs::read_to_string(&af).unwrap();
    let au = c.open(&af);
    let _ = settle(&mut c, &au);
    let sel = atext.find("name: reviews-viewer").unwrap();
    let sel = sel + atext[sel..].find("selector").unwrap() + 2;
    let h = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": au}, "position": pos(&atext, sel, false)}),
    );
    let v = h["result"]["contents"]["value"].as_str().unwrap();
    assert!(
        v.contains("**W009**") && v.contains("deploy-waypoints") && v.contains("rules.md#w009"),
        "{v}"
    );
}

#[test]
fn commands_report_and_write_recommendations() {
    let ws = example_copy();
    let mut c = start(ws.path());
    let r = c.request(
        "workspace/executeCommand",
        json!({"command": "ambient.migrationReport", "arguments": []}),
    );
    let rep = &r["result"];
    assert_eq!(rep["version"], 1);
    assert_eq!(rep["phases"].as_array().unwrap().len(), 7);
    // the same findings as the CLI (every phase, as --ignore-failures)
    let out = tempfile::TempDir::new().unwrap();
    let cli = run(&[
        "migrate",
        "--from-files",
        ws.path().to_str().unwrap(),
        "--ignore-failures",
        "--format",
        "json",
        "--output-dir",
        out.path().to_str().unwrap(),
    ]);
    let cli: Value = serde_json::from_str(&cli.stdout).unwrap();
    assert_eq!(rep["phases"], cli["phases"]);
    let dir = tempfile::TempDir::new().unwrap();
    let target = dir.path().join("recs");
    let r = c.request(
        "workspace/executeCommand",
        json!({"command": "ambient.writeRecommendations", "arguments": [uri(&target)]}),
    );
    assert!(r.get("error").is_none(), "{r}");
    for f in [
        "recommended-waypoints.yaml",
        "recommended-policies.yaml",
        "commands.sh",
    ] {
        assert_eq!(
            std::fs::read(target.join(f)).unwrap(),
            std::fs::read(out.path().join(f)).unwrap(),
            "{f}"
        );
    }
    let bad = c.request(
        "workspace/executeCommand",
        json!({"command": "ambient.nope", "arguments": []}),
    );
    assert!(bad.get("error").is_some());
}

/// `ambient.migrationReport` with `{"format": "markdown"}`: the report every editor shows
/// (rendered by the server, snapshot-tested in `report::markdown`), over the same findings as
/// the JSON report, with workspace-relative paths linked to the files, and the status bar's
/// summary.
#[test]
fn report_as_markdown_for_the_editors() {
    let ws = example_copy();
    let mut c = start(ws.path());
    let json_rep = c.request(
        "workspace/executeCommand",
        json!({"command": "ambient.migrationReport", "arguments": [{"format": "json"}]}),
    )["result"]
        .clone();
    assert_eq!(json_rep["version"], 1);
    let r = c.request(
        "workspace/executeCommand",
        json!({"command": "ambient.migrationReport", "arguments": [{"format": "markdown"}]}),
    );
    let res = &r["result"];
    assert_eq!(res["format"], "markdown", "{r}");
    let md = res["markdown"].as_str().unwrap();
    assert!(md.starts_with("# Ambient migration report\n"), "{md}");
    // one bullet per finding of the JSON report, in the same order
    let rules_md: Vec<&str> = md
        .lines()
        .filter_map(|l| l.split_once(" [**").map(|(_, r)| r))
        .filter_map(|r| r.split_once("**]").map(|(id, _)| id))
        .collect();
    let mut rules_json: Vec<&str> = Vec::new();
    for f in json_rep["inputs"]["problems"].as_array().unwrap() {
        rules_json.push(f["rule"].as_str().unwrap());
    }
    for p in json_rep["phases"].as_array().unwrap() {
        for f in p["findings"].as_array().unwrap() {
            rules_json.push(f["rule"].as_str().unwrap());
        }
    }
    assert_eq!(rules_md, rules_json);
    // locations: relative to the workspace, linked to the file and position
    let ns = ws.path().join("bookinfo/namespace.yaml");
    let link = format!("[bookinfo/namespace.yaml:4:9]({}#L4,9)", uri(&ns));
    assert!(md.contains(&link), "{link} not in\n{md}");
    // the summary of the status bar
    let s = &res["summary"];
    assert_eq!(s["furthest"], "policy-simplification", "{s}");
    assert_eq!(s["failed"], "remove-sidecars", "{s}");
    let with_fix = json_rep["phases"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["findings"].as_array().unwrap())
        .filter(|f| !f["actions"].as_array().unwrap().is_empty())
        .count();
    assert_eq!(s["recommendations"], with_fix, "{s}");
    // links for VS Code's preview (relative to the first workspace folder), or none at all
    let md_of = |c: &mut Client, links: &str| {
        c.request(
            "workspace/executeCommand",
            json!({"command": "ambient.migrationReport",
                   "arguments": [{"format": "markdown", "links": links}]}),
        )["result"]["markdown"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let vs = md_of(&mut c, "workspace");
    assert!(
        vs.contains("[bookinfo/namespace.yaml:4:9](/bookinfo/namespace.yaml#L4,9)"),
        "{vs}"
    );
    let plain = md_of(&mut c, "none");
    assert!(
        plain.contains(" — bookinfo/namespace.yaml:4:9\n") && !plain.contains("]("),
        "{plain}"
    );
    // the bare string works too; anything else is an invalid-params error
    let bare = c.request(
        "workspace/executeCommand",
        json!({"command": "ambient.migrationReport", "arguments": ["markdown"]}),
    );
    assert_eq!(bare["result"]["markdown"], res["markdown"]);
    for args in [
        json!({"format": "html"}),
        json!({"format": "markdown", "links": "web"}),
        json!({"format": "json", "links": "file"}),
        json!(7),
    ] {
        let bad = c.request(
            "workspace/executeCommand",
            json!({"command": "ambient.migrationReport", "arguments": [args]}),
        );
        assert_eq!(bad["error"]["code"], -32602, "{args}: {bad}");
    }
}

#[test]
fn settings_filter_phases_and_name_the_waypoint() {
    let ws = example_copy();
    let mut c = Client::start(ws.path(), json!({"waypointName": "mesh-waypoint"}));
    c.wait_indexed();
    c.sync();
    let nsf = ws.path().join("bookinfo/namespace.yaml");
    let u = c.open(&nsf);
    let d = settle(&mut c, &u);
    let w = find(&d, "W020", "bookinfo").clone();
    let actions = c.code_actions(&u, w["range"].clone(), None);
    action(&actions, "waypoint Gateway bookinfo/mesh-waypoint");
    // only some phases
    *c.settings.lock().unwrap() =
        json!({"phases": ["deploy-waypoints"], "waypointName": "mesh-waypoint"});
    let auth = ws.path().join("bookinfo/authorization.yaml");
    let seq = c.seq();
    // the server asks for the new settings (workspace/configuration) and republishes
    c.notify("workspace/didChangeConfiguration", json!({"settings": {}}));
    let d = c.diagnostics_for(&uri(&auth), None, seq);
    assert!(!d.is_empty());
    assert!(
        codes(&d).iter().all(|c| c.starts_with('W')),
        "{:#?}",
        render(&d)
    );
}

#[test]
fn files_changed_on_disk_and_broken_files() {
    let ws = example_copy();
    let mut c = start(ws.path());
    let f = ws.path().join("extra.yaml");
    std::fs::write(
        &f,
        "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: x, namespace: bookinfo}\nspec:\n  selector: {matchLabels: {app: details}}\n  rules:\n  - to: [{operation: {paths: [/x]}}]\n",
    )
    .unwrap();
    let seq = c.seq();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&f), "type": 1}]}),
    );
    c.sync();
    let d = c.diagnostics_for(&uri(&f), None, seq);
    assert!(codes(&d).contains(&"W009".to_string()), "{:#?}", render(&d));
    // deleted: its diagnostics are cleared
    std::fs::remove_file(&f).unwrap();
    let seq = c.seq();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&f), "type": 3}]}),
    );
    c.sync();
    assert!(c.diagnostics_for(&uri(&f), None, seq).is_empty());
    // broken YAML and a Helm template in the editor
    let b = ws.path().join("broken.yaml");
    let bu = c.open_text(
        &b,
        "apiVersion: v1\nkind: Service\nmetadata: {name: [oops\n",
    );
    let d = settle(&mut c, &bu);
    assert_eq!(codes(&d), vec!["YAML-001"]);
    let t = ws.path().join("chart.yaml");
    let tu = c.open_text(
        &t,
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}\n",
    );
    let d = settle(&mut c, &tu);
    assert_eq!(codes(&d), vec!["YAML-002"]);
    // closing a document that does not exist on disk drops it
    let seq = c.seq();
    c.close(&bu);
    c.sync();
    assert!(c.diagnostics_for(&bu, None, seq).is_empty());
}

#[test]
fn the_test_client_fails_on_a_response_left_unread() {
    let ws = example_copy();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut c = start(ws.path());
        let id = c.request_async(
            "workspace/executeCommand",
            json!({"command": "ambient.migrationReport", "arguments": []}),
        );
        // wait until it has arrived, then drop the client without reading it
        c.wait_arrived(id);
    }));
    let err = outcome.expect_err("dropping the client must fail");
    let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.contains("left unread"), "{msg}");
}

/// The command lines editors really run: vscode-languageclient appends `--stdio` to the
/// arguments it was given (so `ambient-lsp --stdio --stdio` when a user's config already has
/// it), and `lsp --stdio` is the subcommand form. Each must start a server that answers
/// `initialize` and exits 0 after `shutdown`/`exit`.
#[test]
fn repeated_stdio_flags_start_the_server() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::{Command, Stdio};
    fn send(w: &mut impl Write, v: Value) {
        let body = v.to_string();
        write!(w, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        w.flush().unwrap();
    }
    /// The next response (server notifications and requests are skipped).
    fn response(r: &mut impl BufRead) -> Value {
        loop {
            let mut len = 0;
            let mut line = String::new();
            loop {
                line.clear();
                assert!(
                    r.read_line(&mut line).unwrap() > 0,
                    "the server closed stdout"
                );
                let l = line.trim_end();
                if l.is_empty() {
                    break;
                }
                if let Some(n) = l.strip_prefix("Content-Length: ") {
                    len = n.parse().unwrap();
                }
            }
            let mut body = vec![0; len];
            r.read_exact(&mut body).unwrap();
            let m: Value = serde_json::from_slice(&body).unwrap();
            if m.get("id").is_some() && m.get("method").is_none() {
                return m;
            }
        }
    }
    for args in [
        &["--stdio", "--stdio"][..],
        &["--stdio", "--stdio", "--stdio"][..],
        &["lsp", "--stdio", "--stdio"][..],
    ] {
        let ws = tempfile::TempDir::new().unwrap();
        let mut child = Command::new(binary())
            .args(args)
            .current_dir(ws.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        send(
            &mut stdin,
            json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                   "params": {"processId": null, "rootUri": uri(ws.path()), "capabilities": {}}}),
        );
        let init = response(&mut stdout);
        assert!(
            init["result"]["capabilities"]["executeCommandProvider"].is_object(),
            "{args:?}: {init}"
        );
        send(
            &mut stdin,
            json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}),
        );
        send(
            &mut stdin,
            json!({"jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": null}),
        );
        let down = response(&mut stdout);
        assert_eq!(down["id"], 2, "{args:?}: {down}");
        assert!(down.get("error").is_none(), "{args:?}: {down}");
        send(
            &mut stdin,
            json!({"jsonrpc": "2.0", "method": "exit", "params": null}),
        );
        drop(stdin);
        let status = child.wait().unwrap();
        assert!(status.success(), "{args:?}: {status}");
    }
}

#[test]
fn keep_an_opted_out_workload_out_of_ambient_by_editing_its_pod_template() {
    let ws = tempfile::TempDir::new().unwrap();
    let fx = repo_root().join("server/tests/fixtures");
    std::fs::copy(
        fx.join("control-plane.yaml"),
        ws.path().join("control-plane.yaml"),
    )
    .unwrap();
    std::fs::copy(
        fx.join("rules/R013/opted-out-deployment-and-cronjob/app.yaml"),
        ws.path().join("app.yaml"),
    )
    .unwrap();
    let mut c = start(ws.path());
    let f = ws.path().join("app.yaml");
    let before = std::fs::read_to_string(&f).unwrap();
    let u = c.open(&f);
    let d = settle(&mut c, &u);
    let r = find(&d, "R013", "shop/exporter").clone();
    let actions = c.code_actions(&u, r["range"].clone(), None);
    let a = action(
        &actions,
        "Label the pod template of Deployment shop/exporter: istio.io/dataplane-mode=none",
    );
    c.apply(&a["edit"]);
    let after = c.text(&u);
    // only the template's labels change: one line added, every other byte kept
    assert_eq!(
        diff_lines(&before, &after),
        ["+        istio.io/dataplane-mode: none"],
        "{after}"
    );
    let d = settle(&mut c, &u);
    assert!(
        !render(&d)
            .iter()
            .any(|l| l.starts_with("R013") && l.contains("shop/exporter")),
        "{:#?}",
        render(&d)
    );
    // the CronJob's template is two levels deeper
    let r = find(&d, "R013", "shop/report").clone();
    let actions = c.code_actions(&u, r["range"].clone(), None);
    let a = action(&actions, "Label the pod template of CronJob shop/report");
    c.apply(&a["edit"]);
    let d = settle(&mut c, &u);
    assert!(
        !codes(&d).contains(&"R013".to_string()),
        "{:#?}",
        render(&d)
    );
    assert!(
        c.text(&u)
            .contains("          labels: {app: report, istio.io/dataplane-mode: none}"),
        "{}",
        c.text(&u)
    );
}
