//! Big documents over the real binary's stdio (issue 12, item 4): whole-file code actions and
//! edits grow linearly with the file, `$/cancelRequest` stops a long request, and a request on a
//! small file is not held up behind a long one. Bounds are ratios with wide margins (linear work
//! on 8× the text takes ≈8× the time; quadratic work would take ≈64×), not tight timings; the
//! figures of the release build are in docs/performance.md.

use e2e::lsp::Client;
use e2e::*;
use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, Instant};

/// `copies` copies of the bookinfo example (each in its own namespace) in one multi-document
/// file: ≈13 KB per copy, with the findings and fixes of bookinfo in each.
fn big(copies: usize) -> String {
    let dir = repo_root().join("examples/mesh/bookinfo");
    let mut parts = Vec::new();
    for name in [
        "namespace.yaml",
        "services.yaml",
        "deployments.yaml",
        "authorization.yaml",
        "traffic.yaml",
        "sidecar.yaml",
        "pods.yaml",
    ] {
        parts.push(std::fs::read_to_string(dir.join(name)).unwrap());
    }
    let one = parts.join("\n---\n");
    let mut out = String::new();
    for i in 0..copies {
        if i > 0 {
            out.push_str("\n---\n");
        }
        out.push_str(&one.replace("bookinfo", &format!("bookinfo-{i}")));
    }
    out
}

fn start(dir: &Path) -> Client {
    let mut c = Client::start(dir, json!({"maxFileSizeKb": 65536}));
    // these tests compare growth (ratios), not absolute times: a 10 MB document in a debug
    // build on a loaded 2-core machine takes more than the default wait of one message
    c.timeout = Duration::from_secs(240);
    c.wait_indexed();
    c.sync();
    c
}

fn whole() -> Value {
    json!({"start": {"line": 0, "character": 0}, "end": {"line": 999999, "character": 0}})
}

/// Open `text` as `name` and wait for its diagnostics.
fn open(c: &mut Client, dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    let u = c.open_text(&path, text);
    c.diagnostics_for(&u, Some(1), 0);
    u
}

/// The fastest of three runs of `f`.
fn fastest(mut f: impl FnMut()) -> Duration {
    (0..3)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap()
}

fn ratio(big: Duration, small: Duration) -> f64 {
    // a floor: small timings are mostly fixed costs
    big.as_secs_f64() / small.as_secs_f64().max(0.02)
}

#[test]
fn whole_file_code_actions_grow_linearly() {
    let ws = tempfile::TempDir::new().unwrap();
    let mut c = start(ws.path());
    let mut timings = Vec::new();
    for (name, copies) in [("small.yaml", 10), ("big.yaml", 80)] {
        let text = big(copies);
        let u = open(&mut c, ws.path(), name, &text);
        let n_diags = c.latest(&u).unwrap().diagnostics.len();
        assert!(n_diags >= copies * 5, "{n_diags} diagnostics");
        let mut quick = 0;
        let t_quick = fastest(|| quick = c.code_actions(&u, whole(), None).len());
        let mut fix_all = Vec::new();
        let t_all = fastest(|| {
            fix_all = c.code_actions(&u, whole(), Some(vec!["source.fixAll.ambient"]));
        });
        assert!(quick > 0, "no quick fix offered on {name}");
        assert_eq!(fix_all.len(), 1, "{fix_all:#?}");
        eprintln!(
            "{name}: {} KB, {n_diags} diagnostics, {quick} actions in {t_quick:?}, fixAll in {t_all:?}",
            text.len() / 1024
        );
        timings.push((t_quick, t_all));
    }
    let (small, big) = (timings[0], timings[1]);
    assert!(ratio(big.0, small.0) < 24.0, "code actions: {timings:?}");
    assert!(ratio(big.1, small.1) < 24.0, "fixAll: {timings:?}");
    assert_eq!(c.shutdown(), 0);
}

#[test]
fn an_edit_to_a_10_mb_document_grows_linearly() {
    let ws = tempfile::TempDir::new().unwrap();
    let mut c = start(ws.path());
    let mut timings = Vec::new();
    for (name, copies) in [("one.yaml", 80), ("ten.yaml", 800)] {
        let text = big(copies);
        let u = open(&mut c, ws.path(), name, &text);
        let mut edited = text.clone();
        let t = fastest(|| {
            // a label added to the last Service, then taken back
            edited = if edited.len() == text.len() {
                text.replacen("  name: bookinfo-", "  name: bookinfo-x", 1)
            } else {
                text.clone()
            };
            let v = c.change(&u, &edited);
            c.diagnostics_for(&u, Some(v), 0);
        });
        eprintln!("{name}: {} KB, edit → diagnostics {t:?}", text.len() / 1024);
        timings.push(t);
        c.close(&u);
    }
    assert!(ratio(timings[1], timings[0]) < 24.0, "{timings:?}");
    assert_eq!(c.shutdown(), 0);
}

#[test]
fn a_cancelled_request_stops_and_a_small_request_is_not_held_up() {
    let ws = tempfile::TempDir::new().unwrap();
    let mut c = start(ws.path());
    let text = big(80);
    let u = open(&mut c, ws.path(), "big.yaml", &text);
    let small = open(&mut c, ws.path(), "small.yaml", &big(1));
    let params = |u: &str| {
        json!({"textDocument": {"uri": u}, "range": whole(),
               "context": {"diagnostics": [], "only": ["quickfix", "source.fixAll.ambient"]}})
    };
    // cancelled right away: RequestCancelled
    let id = c.request_async("textDocument/codeAction", params(&u));
    c.notify("$/cancelRequest", json!({"id": id}));
    let r = c.response(id);
    assert_eq!(r["error"]["code"], -32800, "{r}");
    // a long request, and a hover on a small file sent after it: the hover does not wait for it
    let t = Instant::now();
    let id = c.request_async("textDocument/codeAction", params(&u));
    let hover = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": small}, "position": {"line": 3, "character": 4}}),
    );
    let t_hover = t.elapsed();
    assert!(hover.get("result").is_some(), "{hover}");
    let r = c.response(id);
    let t_big = t.elapsed();
    assert!(r["result"].as_array().is_some_and(|a| !a.is_empty()), "{r}");
    eprintln!("hover {t_hover:?} while a whole-file code action took {t_big:?}");
    assert!(t_hover < Duration::from_secs(5), "hover took {t_hover:?}");
    assert_eq!(c.shutdown(), 0);
}
