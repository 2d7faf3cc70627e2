//! Safe quick fixes (issue 12): over LSP stdio on a copy of `examples/mesh`, a fix is offered
//! only when applying it leaves no new error or blocking finding, and not while an earlier step
//! of the migration blocks it; applying every offered fix in order never creates an error.

use e2e::lsp::{uri, Client};
use e2e::*;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn start(dir: &Path) -> Client {
    let mut c = Client::start(dir, json!({}));
    c.wait_indexed();
    c.sync();
    c
}

/// The error or blocking findings of the workspace (rule and resource), from the
/// server's own report once it has analysed everything sent.
fn bad_findings(c: &mut Client) -> BTreeSet<String> {
    let r = c.request(
        "workspace/executeCommand",
        json!({"command": "ambient.migrationReport", "arguments": []}),
    );
    let rep = &r["result"];
    let mut out = BTreeSet::new();
    let phases = rep["phases"].as_array().expect("phases");
    let all = phases
        .iter()
        .flat_map(|p| p["findings"].as_array().cloned().unwrap_or_default())
        .chain(
            rep["inputs"]["problems"]
                .as_array()
                .cloned()
                .unwrap_or_default(),
        );
    for f in all {
        // errors and warnings: a fix that trades an error for a warning (U008 → U003, the label
        // before the waypoint exists) or adds one (P019) is not a fix
        // (U001, a waypoint nothing uses yet, is the plan's state between creating the waypoint
        // and enrolling its Services)
        if (f["severity"] != "info" && f["rule"] != "U001") || f["blocking"] == true {
            // the message may list what is left to do (U008): it names only resource-less ones
            let what = if f["resource"].is_null() {
                &f["message"]
            } else {
                &f["resource"]
            };
            out.insert(format!("{} {what}", f["rule"]));
        }
    }
    out
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(yaml_files(&p));
        } else if p.extension().is_some_and(|x| x == "yaml") {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// The quick fixes offered for every diagnostic of `path`, as (title, action); disabled ones
/// (shown with the reason they cannot be applied yet) too when `disabled`.
fn actions_of(c: &mut Client, path: &Path, disabled: bool) -> Vec<(String, Value)> {
    let u = uri(path);
    let diags = c.latest(&u).map(|p| p.diagnostics).unwrap_or_default();
    let mut out = Vec::new();
    for d in diags {
        for a in c.code_actions(&u, d["range"].clone(), None) {
            if a["kind"] == "quickfix" && (disabled || a["disabled"].is_null()) {
                out.push((a["title"].as_str().unwrap().to_string(), a));
            }
        }
    }
    out
}

/// The quick fixes that can be applied now.
fn fixes_of(c: &mut Client, path: &Path) -> Vec<(String, Value)> {
    actions_of(c, path, false)
}

fn titles(fixes: &[(String, Value)]) -> Vec<&str> {
    fixes.iter().map(|(t, _)| t.as_str()).collect()
}

#[test]
fn no_fix_while_an_earlier_step_blocks_it() {
    let ws = example_copy();
    let mut c = start(ws.path());
    let bad = bad_findings(&mut c);
    assert!(bad.iter().any(|f| f.contains("R009")), "{bad:#?}");
    assert!(bad.iter().any(|f| f.contains("U008")), "{bad:#?}");
    // R001 "switch bookinfo to ambient" while R009 (fail-closed policies) blocks
    let ns = ws.path().join("bookinfo/namespace.yaml");
    let fixes = fixes_of(&mut c, &ns);
    assert!(
        fixes.iter().all(|(t, _)| !t.contains("dataplane-mode")),
        "{:#?}",
        titles(&fixes)
    );
    // nor in source.fixAll
    let u = uri(&ns);
    let whole =
        json!({"start": {"line": 0, "character": 0}, "end": {"line": 9999, "character": 0}});
    let all = c.code_actions(&u, whole, Some(vec!["source.fixAll.ambient"]));
    assert!(
        all.iter()
            .all(|a| !a["edit"].to_string().contains("dataplane-mode")),
        "{all:#?}"
    );
    // U002 "label the Service istio.io/use-waypoint" before the waypoint exists (U008)
    let svc = ws.path().join("bookinfo/services.yaml");
    let fixes = fixes_of(&mut c, &svc);
    assert!(
        fixes
            .iter()
            .all(|(t, _)| !t.contains("istio.io/use-waypoint")),
        "{:#?}",
        titles(&fixes)
    );
    let u = uri(&svc);
    let whole =
        json!({"start": {"line": 0, "character": 0}, "end": {"line": 9999, "character": 0}});
    let all = c.code_actions(&u, whole, Some(vec!["source.fixAll.ambient"]));
    assert!(
        all.iter()
            .all(|a| !a["edit"].to_string().contains("use-waypoint")),
        "{all:#?}"
    );
    // the fix that unblocks it — create the waypoint — stays reachable while it does not exist,
    // and asked again (a cached verdict) it is still offered
    for _ in 0..2 {
        let offered: Vec<String> = yaml_files(ws.path())
            .iter()
            .flat_map(|f| fixes_of(&mut c, f))
            .map(|(t, _)| t)
            .collect();
        assert!(
            offered
                .iter()
                .any(|t| t.contains("waypoint Gateway bookinfo/")),
            "{offered:#?}"
        );
    }
    assert_eq!(c.shutdown(), 0);
}

#[test]
fn applying_every_offered_fix_in_order_never_creates_an_error() {
    let ws = example_copy();
    let mut c = start(ws.path());
    let mut bad = bad_findings(&mut c);
    let mut applied: Vec<String> = Vec::new();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for _ in 0..80 {
        // the first fix offered, file by file (a fix applied once is not taken again)
        let mut next = None;
        'files: for f in yaml_files(ws.path()) {
            for (t, a) in fixes_of(&mut c, &f) {
                if !seen.contains(&t) {
                    next = Some((t, a));
                    break 'files;
                }
            }
        }
        let Some((title, a)) = next else { break };
        seen.insert(title.clone());
        c.apply(&a["edit"]);
        let now = bad_findings(&mut c);
        let new: Vec<&String> = now.difference(&bad).collect();
        assert!(
            new.is_empty(),
            "applying {title:?} (after {applied:#?}) created {new:#?}"
        );
        applied.push(title);
        bad = now;
    }
    // the waypoint came first, then the policies, then the Services were enrolled
    let at = |needle: &str| {
        applied
            .iter()
            .position(|t| t.contains(needle))
            .unwrap_or_else(|| panic!("{needle:?} never applied: {applied:#?}"))
    };
    let waypoint = at("waypoint Gateway bookinfo/");
    let enroll = at("istio.io/use-waypoint");
    assert!(waypoint < enroll, "{applied:#?}");
    assert!(
        applied[..enroll]
            .iter()
            .any(|t| t.contains("allow traffic from the waypoint")),
        "{applied:#?}"
    );
    assert_eq!(c.shutdown(), 0);
}

/// A namespace labelled `istio.io/use-waypoint` by hand before its waypoint exists: creating
/// the waypoint now would route through it before the policies it must enforce are copied
/// (U008), so that fix is not applicable yet — but it stays in sight, disabled, saying what to
/// apply first (it used to vanish); once the other fixes are applied it is offered and applying
/// it creates no error.
#[test]
fn the_create_waypoint_fix_stays_in_sight_after_a_hand_label() {
    let ws = example_copy();
    let ns = ws.path().join("bookinfo/namespace.yaml");
    let text = std::fs::read_to_string(&ns).unwrap();
    let labelled = text.replacen(
        "  labels:\n",
        "  labels:\n    istio.io/use-waypoint: waypoint\n",
        1,
    );
    assert_ne!(text, labelled, "the example's namespace has labels");
    std::fs::write(&ns, labelled).unwrap();
    let mut c = start(ws.path());
    let waypoint_fix = |c: &mut Client| -> Option<Value> {
        yaml_files(ws.path())
            .iter()
            .flat_map(|f| actions_of(c, f, true))
            .find(|(t, _)| t.contains("waypoint Gateway bookinfo/"))
            .map(|(_, a)| a)
    };
    let first = waypoint_fix(&mut c).expect("the create-waypoint fix is in sight");
    assert!(
        !first["disabled"].is_null(),
        "with the hand label and no policy copies it would raise U008: {first:#}"
    );
    assert!(
        first["edit"].is_null(),
        "a disabled fix carries no edit: {first:#}"
    );
    assert!(
        first["disabled"]["reason"]
            .as_str()
            .unwrap()
            .contains("apply the other fixes of this namespace first"),
        "{first:#}"
    );
    // apply the other fixes in order; each creates no error, and the waypoint fix comes back
    let mut bad = bad_findings(&mut c);
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for _ in 0..60 {
        let a = waypoint_fix(&mut c).expect("never lost from sight");
        if a["disabled"].is_null() {
            c.apply(&a["edit"]);
            let now = bad_findings(&mut c);
            let new: Vec<&String> = now.difference(&bad).collect();
            assert!(new.is_empty(), "creating the waypoint created {new:#?}");
            assert_eq!(c.shutdown(), 0);
            return;
        }
        let mut next = None;
        'files: for f in yaml_files(ws.path()) {
            for (t, a) in fixes_of(&mut c, &f) {
                if !seen.contains(&t) {
                    next = Some((t, a));
                    break 'files;
                }
            }
        }
        let (title, a) = next.expect("a fix to apply before the waypoint");
        seen.insert(title.clone());
        c.apply(&a["edit"]);
        let now = bad_findings(&mut c);
        let new: Vec<&String> = now.difference(&bad).collect();
        assert!(new.is_empty(), "applying {title:?} created {new:#?}");
        bad = now;
    }
    panic!("the create-waypoint fix never became applicable");
}
