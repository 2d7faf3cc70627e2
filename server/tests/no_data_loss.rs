//! No data loss, on every file shape (issue 12): every object of every manifest of
//! `../shared/corpus` and `examples/` — as written, with CRLF line endings, wrapped in a
//! `kind: List` (block items and flow items), and as a JSON file — is deleted and relabelled with
//! the edits the code actions use (`edit::delete_object`, `edit::label_edits_in`). After each
//! edit the file still parses (still JSON for a JSON file), the edited object changed exactly as
//! asked (gone, or its labels set/removed and nothing else of it changed), and every other object
//! of the file is the same value as before.

mod common;
use common::*;

use ambient_lsp::edit::{self, Style};
use ambient_lsp::index::FileData;
use ambient_lsp::yaml::{parse_stream, Limits};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn all_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.flatten().collect();
    entries.sort_by_key(|e| e.path());
    for e in entries {
        let p = e.path();
        if p.is_dir() {
            all_files(&p, out);
        } else if p
            .extension()
            .is_some_and(|x| x == "yaml" || x == "yml" || x == "json")
        {
            out.push(p);
        }
    }
}

/// Every object of a file: (identity, value), documents and List items unwrapped.
fn objects(path: &str, text: &str) -> Vec<((String, String, String), Value)> {
    let fd = FileData::parse(0, path, text, &Limits::default());
    let stream = parse_stream(text, &Limits::default());
    fd.resources
        .iter()
        .filter_map(|r| {
            let root = stream.docs.get(r.doc as usize)?.root.as_ref()?;
            let node = edit::object_node(root, r.span)?;
            Some((
                (
                    r.kind.to_string(),
                    r.namespace.to_string(),
                    r.name.to_string(),
                ),
                node.to_json(),
            ))
        })
        .collect()
}

fn syntax_errors(path: &str, text: &str) -> usize {
    let fd = FileData::parse(0, path, text, &Limits::default());
    fd.problems
        .iter()
        .filter(|p| p.rule.id == "YAML-001")
        .count()
}

/// The shapes a file is checked in.
fn shapes(path: &Path, text: &str) -> Vec<(String, String)> {
    let name = path.to_string_lossy().to_string();
    let mut out = vec![(name.clone(), text.to_string())];
    if !text.contains("\r\n") {
        out.push((name.clone(), text.replace('\n', "\r\n")));
    }
    let objs: Vec<Value> = objects(&name, text).into_iter().map(|(_, v)| v).collect();
    if objs.is_empty() || objs.len() > 12 {
        return out;
    }
    // a block List, as `kubectl get -o yaml` writes it
    let mut list = String::from("apiVersion: v1\nkind: List\nitems:\n");
    for o in &objs {
        let y = ambient_lsp::yaml::emit::to_yaml(o);
        for (i, line) in y.lines().enumerate() {
            list.push_str(if i == 0 { "- " } else { "  " });
            list.push_str(line);
            list.push('\n');
        }
    }
    list.push_str("metadata:\n  resourceVersion: \"\"\n");
    out.push((format!("{name}.list.yaml"), list));
    // flow items
    let items: Vec<String> = objs.iter().map(|o| o.to_string()).collect();
    out.push((
        format!("{name}.flow.yaml"),
        format!(
            "kind: List\napiVersion: v1\nitems: [{}]\n",
            items.join(", ")
        ),
    ));
    // JSON: one object, or a List
    let json = if objs.len() == 1 {
        serde_json::to_string_pretty(&objs[0]).unwrap()
    } else {
        serde_json::to_string_pretty(&serde_json::json!({
            "apiVersion": "v1", "kind": "List", "items": objs, "metadata": {}
        }))
        .unwrap()
    };
    out.push((format!("{name}.json"), json + "\n"));
    out
}

struct Tally {
    files: usize,
    shapes: usize,
    deletes: usize,
    labels: usize,
    refused: usize,
}

fn check_shape(path: &str, text: &str, t: &mut Tally) {
    let style = Style::of_path(path);
    let before = objects(path, text);
    let errors_before = syntax_errors(path, text);
    let fd = FileData::parse(0, path, text, &Limits::default());
    for (i, r) in fd.resources.iter().enumerate().take(8) {
        let id = (
            r.kind.to_string(),
            r.namespace.to_string(),
            r.name.to_string(),
        );
        // the same identity twice in a file: the checks below cannot tell them apart
        if before.iter().filter(|(k, _)| *k == id).count() != 1 {
            continue;
        }
        let check = |out: &str, what: &str| -> Vec<((String, String, String), Value)> {
            assert!(
                syntax_errors(path, out) <= errors_before,
                "{path}: {what} of {id:?} broke the file:\n{out}"
            );
            if style == Style::Json {
                assert!(
                    ambient_lsp::index::json_problem(out).is_none(),
                    "{path}: {what} of {id:?} left a file that is not JSON:\n{out}"
                );
            }
            objects(path, out)
        };
        // delete
        match edit::delete_object(text, &fd.docs, r.doc as usize, r.span, style) {
            Some(e) => {
                let out = edit::apply(text, &[e]);
                let after = check(&out, "deleting");
                let mut expected = before.clone();
                expected.remove(
                    expected
                        .iter()
                        .position(|(k, _)| *k == id)
                        .expect("in before"),
                );
                assert_eq!(
                    after, expected,
                    "{path}: deleting {id:?} changed other objects:\n{out}"
                );
                t.deletes += 1;
            }
            None => t.refused += 1,
        }
        // labels: set two, remove the first existing one
        let set = vec![
            ("istio.io/use-waypoint".to_string(), "waypoint".to_string()),
            ("istio.io/dataplane-mode".to_string(), "ambient".to_string()),
        ];
        let remove: Vec<String> = r
            .labels
            .entries
            .iter()
            .take(1)
            .map(|l| l.key.to_string())
            .filter(|k| !set.iter().any(|(s, _)| s == k))
            .collect();
        match edit::label_edits_in(text, r.doc as usize, Some(r.span), style, &set, &remove) {
            Ok(edits) => {
                let out = edit::apply(text, &edits);
                let after = check(&out, "labelling");
                assert_eq!(after.len(), before.len(), "{path}: {id:?}\n{out}");
                for ((k, v), (k2, v2)) in before.iter().zip(&after) {
                    assert_eq!(k, k2, "{path}\n{out}");
                    if *k != id {
                        assert_eq!(v, v2, "{path}: labelling {id:?} changed {k:?}:\n{out}");
                        continue;
                    }
                    let mut want = v.clone();
                    let labels = &mut want["metadata"]["labels"];
                    if !labels.is_object() {
                        *labels = serde_json::json!({});
                    }
                    let m = labels.as_object_mut().unwrap();
                    for k in &remove {
                        m.remove(k);
                    }
                    for (k, v) in &set {
                        m.insert(k.clone(), Value::String(v.clone()));
                    }
                    let mut got = v2.clone();
                    // key order is not meaning
                    let sort = |v: &mut Value| {
                        if let Some(m) = v["metadata"]["labels"].as_object() {
                            let sorted: std::collections::BTreeMap<_, _> =
                                m.clone().into_iter().collect();
                            v["metadata"]["labels"] =
                                serde_json::to_value(sorted).unwrap_or_default();
                        }
                    };
                    sort(&mut want);
                    sort(&mut got);
                    assert_eq!(got, want, "{path}: labelling {id:?}:\n{out}");
                }
                t.labels += 1;
            }
            Err(_) => t.refused += 1,
        }
        let _ = i;
    }
}

#[test]
fn every_edit_on_every_file_shape_keeps_every_other_byte_and_object() {
    let mut files = Vec::new();
    let corpus = corpus();
    for dir in ["istio", "istio.io", "apps", "gateway-api", "istio-install"] {
        all_files(&corpus.join(dir), &mut files);
    }
    all_files(&repo_root().join("examples"), &mut files);
    assert!(
        files.len() > 100,
        "the corpus is missing: {}",
        corpus.display()
    );
    let mut t = Tally {
        files: 0,
        shapes: 0,
        deletes: 0,
        labels: 0,
        refused: 0,
    };
    for f in &files {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        if text.len() > 40_000 || text.contains("{{") {
            continue;
        }
        t.files += 1;
        for (path, text) in shapes(f, &text) {
            t.shapes += 1;
            check_shape(&path, &text, &mut t);
        }
    }
    eprintln!(
        "no data loss: {} files, {} shapes, {} deletions, {} label edits checked, {} edits refused",
        t.files, t.shapes, t.deletes, t.labels, t.refused
    );
    assert!(t.deletes > 1000 && t.labels > 1000);
}
