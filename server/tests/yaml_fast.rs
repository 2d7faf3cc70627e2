//! The fast YAML path must agree with the general parser on every file it accepts: the whole
//! corpus of real manifests and the yaml-test-suite inputs.

mod common;

use ambient_lsp::yaml::fast::parse_fast;
use ambient_lsp::yaml::{parse_stream_general, Limits, ParsedStream};
use std::path::{Path, PathBuf};

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out);
        } else if p
            .extension()
            .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
        {
            out.push(p);
        }
    }
}

pub fn compare(name: &str, fast: &ParsedStream, general: &ParsedStream) -> Result<(), String> {
    if general.template.is_some() {
        return Err(format!("{name}: fast path accepted a template"));
    }
    if fast.docs.len() != general.docs.len() {
        return Err(format!(
            "{name}: {} docs vs {} docs",
            fast.docs.len(),
            general.docs.len()
        ));
    }
    for (a, b) in fast.docs.iter().zip(&general.docs) {
        if a.root != b.root {
            let d = match (&a.root, &b.root) {
                (Some(x), Some(y)) => first_diff(x, y, "$"),
                _ => format!("{:?} vs {:?}", a.root.is_some(), b.root.is_some()),
            };
            return Err(format!("{name}: doc {} differs at {d}", a.index));
        }
        let pa: Vec<_> = a
            .problems
            .iter()
            .map(|p| (p.kind, p.span, p.message.clone()))
            .collect();
        let pb: Vec<_> = b
            .problems
            .iter()
            .map(|p| (p.kind, p.span, p.message.clone()))
            .collect();
        if pa != pb {
            return Err(format!(
                "{name}: doc {} problems differ: {pa:?} vs {pb:?}",
                a.index
            ));
        }
        if a.span != b.span {
            return Err(format!(
                "{name}: doc {} span {:?} vs {:?}",
                a.index, a.span, b.span
            ));
        }
    }
    Ok(())
}

#[test]
fn fast_path_agrees_with_general_parser_on_the_corpus() {
    let corpus = common::corpus();
    let mut files = Vec::new();
    walk(&corpus, &mut files);
    let ysuite = corpus.join("yaml-test-suite/data");
    let mut suite = Vec::new();
    fn suite_walk(d: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                suite_walk(&p, out);
            } else if p.file_name().is_some_and(|n| n == "in.yaml") {
                out.push(p);
            }
        }
    }
    suite_walk(&ysuite, &mut suite);
    files.extend(suite);
    let limits = Limits::default();
    let mut accepted = 0;
    let mut failures = Vec::new();
    for f in &files {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        if text.contains("{{") {
            continue;
        }
        let Some(fast) = parse_fast(&text, &limits) else {
            continue;
        };
        accepted += 1;
        let general = parse_stream_general(&text, &limits);
        if let Err(e) = compare(&f.display().to_string(), &fast, &general) {
            failures.push(e);
        }
    }
    eprintln!(
        "{} files, fast path accepted {}, {} disagreements",
        files.len(),
        accepted,
        failures.len()
    );
    assert!(
        accepted > 1000,
        "the fast path should take most real manifests"
    );
    assert!(
        failures.is_empty(),
        "{}",
        failures
            .iter()
            .take(10)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n\n")
    );
}

fn first_diff(a: &ambient_lsp::yaml::Node, b: &ambient_lsp::yaml::Node, path: &str) -> String {
    use ambient_lsp::yaml::NodeKind::*;
    if a.span != b.span || a.flow != b.flow {
        return format!(
            "{path}: span/flow {:?}/{} vs {:?}/{}",
            a.span, a.flow, b.span, b.flow
        );
    }
    match (&a.kind, &b.kind) {
        (
            Scalar {
                value: va,
                style: sa,
            },
            Scalar {
                value: vb,
                style: sb,
            },
        ) => format!("{path}: {va:?} {sa:?} vs {vb:?} {sb:?}"),
        (Seq(x), Seq(y)) => {
            if x.len() != y.len() {
                return format!("{path}: {} items vs {}", x.len(), y.len());
            }
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                if p != q {
                    return first_diff(p, q, &format!("{path}[{i}]"));
                }
            }
            format!("{path}: ?")
        }
        (Map(x), Map(y)) => {
            if x.len() != y.len() {
                return format!("{path}: {} entries vs {}", x.len(), y.len());
            }
            for (p, q) in x.iter().zip(y) {
                if p.key != q.key {
                    return first_diff(&p.key, &q.key, &format!("{path}.<key>"));
                }
                if p.value != q.value {
                    return first_diff(
                        &p.value,
                        &q.value,
                        &format!("{path}.{}", p.key.as_str().unwrap_or("?")),
                    );
                }
            }
            format!("{path}: ?")
        }
        _ => format!("{path}: kinds differ {:?} vs {:?}", a.kind, b.kind),
    }
}
