//! Differential: every whole-cluster scenario of the test suite gives the same JSON report, modulo
//! source locations, read from the loopback API server as read from files.
//!
//! Scenarios: `examples/mesh`, the control-plane fixture, every rule fixture case whose files
//! include a control plane (`fixtures/rules/<ID>/<case>/`), and every run of the istio.io
//! pairs (`istio_docs.rs`, run with `AMBIENT_RECORD_SCENARIOS`, which makes `common::Run` write
//! its inputs; see `common/mod.rs`).

#[path = "common/apiserver.rs"]
mod apiserver;
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use ambient_lsp::analysis::Options as PhaseOptions;
use ambient_lsp::cluster::{self, Cluster, Event, Options};
use ambient_lsp::engine::Analysis;
use ambient_lsp::report::{self, ClusterInput, ReportOptions};
use serde_json::Value;

fn report_json(index: &ambient_lsp::index::Index, cluster: Option<&ClusterInput>) -> Value {
    let analysis = Analysis::run(index, &PhaseOptions::default());
    let opts = ReportOptions {
        ignore_failures: true,
        up_to: None,
        sources: Vec::new(),
    };
    let rep = report::build_from(index, &analysis, &opts, cluster);
    report::json::render(&rep, &[])
}

fn files_report(dir: &Path) -> Value {
    let index = ambient_lsp::cli::load(&[dir.to_path_buf()], 16384).expect("scenario files");
    report_json(&index, None)
}

fn cluster_report(dir: &Path, rt: &tokio::runtime::Runtime) -> (Value, usize) {
    let objects = apiserver::objects_of_paths(&[dir.to_path_buf()]);
    let server = apiserver::ApiServer::start(objects);
    let tmp = tempfile::tempdir().unwrap();
    let kc = server.kubeconfig(tmp.path());
    rt.block_on(async {
        let c = Cluster::connect(Options {
            kubeconfig: Some(kc),
            page_size: 7, // several pages even for small scenarios
            ..Options::default()
        })
        .await
        .unwrap();
        let snap = c.load(Arc::new(|_: &Event| {})).await.unwrap();
        let (index, kinds, who) = snap.into_index();
        for k in &kinds {
            assert!(
                k.problem().is_none(),
                "{}: {:?}",
                dir.display(),
                k.problem()
            );
        }
        let input = ClusterInput {
            context: who.context,
            unverified: cluster::unverified(&kinds),
        };
        (report_json(&index, Some(&input)), index.resource_count())
    })
}

/// Drop what legitimately differs (where findings are, how many files and unread kinds there
/// were) and order findings canonically.
fn normalize(v: &mut Value) {
    if let Some(m) = v.as_object_mut() {
        m.remove("source");
        m.remove("outputs");
        if let Some(inputs) = m.get_mut("inputs").and_then(Value::as_object_mut) {
            inputs.remove("files");
            inputs.remove("resources");
            inputs.remove("notObjects");
        }
    }
    strip_locations(v);
    let sort = |arr: &mut Vec<Value>| arr.sort_by_key(|f| f.to_string());
    if let Some(p) = v
        .pointer_mut("/inputs/problems")
        .and_then(Value::as_array_mut)
    {
        sort(p);
    }
    if let Some(phases) = v.get_mut("phases").and_then(Value::as_array_mut) {
        for p in phases {
            if let Some(f) = p.get_mut("findings").and_then(Value::as_array_mut) {
                sort(f);
            }
        }
    }
}

fn strip_locations(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.remove("location");
            if let Some(Value::Array(rel)) = m.get_mut("related") {
                for r in rel.iter_mut() {
                    if let Some(o) = r.as_object_mut() {
                        for k in ["file", "line", "column", "uri"] {
                            o.remove(k);
                        }
                    }
                }
            }
            for (_, x) in m.iter_mut() {
                strip_locations(x);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(strip_locations),
        _ => {}
    }
}

/// The first difference, as a path and the two values.
fn first_diff(a: &Value, b: &Value, path: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for k in x.keys().chain(y.keys()) {
                let d = first_diff(
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                    &format!("{path}/{k}"),
                );
                if d.is_some() {
                    return d;
                }
            }
            None
        }
        (Value::Array(x), Value::Array(y)) => {
            for i in 0..x.len().max(y.len()) {
                let d = first_diff(
                    x.get(i).unwrap_or(&Value::Null),
                    y.get(i).unwrap_or(&Value::Null),
                    &format!("{path}/{i}"),
                );
                if d.is_some() {
                    return d;
                }
            }
            None
        }
        _ if a == b => None,
        _ => Some(format!("{path}:\n  files:   {a}\n  cluster: {b}")),
    }
}

/// Test executables of this package whose `common::Run`s are scenarios, as cargo built them.
fn rule_test_binaries() -> Vec<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let names = ["istio_docs"];
    let mut cmd = Command::new(cargo);
    cmd.current_dir(common::repo_root()).args([
        "test",
        "-p",
        "ambient-lsp",
        "--no-run",
        "--message-format=json",
        "-q",
    ]);
    if std::env::var_os("CARGO_TARGET_DIR").is_none() {
        // the target directory of this test binary
        let exe = std::env::current_exe().unwrap();
        let target = exe.ancestors().nth(3).unwrap().to_path_buf();
        cmd.env("CARGO_TARGET_DIR", target);
    }
    for n in names {
        cmd.args(["--test", n]);
    }
    let out = cmd.output().expect("cargo test --no-run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut bins = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        if let Some(exe) = v.get("executable").and_then(Value::as_str) {
            let name = v
                .pointer("/target/name")
                .and_then(Value::as_str)
                .unwrap_or("");
            if names.contains(&name) {
                bins.push(PathBuf::from(exe));
            }
        }
    }
    assert_eq!(bins.len(), names.len(), "rule test binaries: {bins:?}");
    bins
}

/// The rule fixture cases with a control plane, each written to a folder of `out` (the
/// control plane a case names included).
fn fixture_scenarios(out: &Path) {
    for (n, dir) in common::fixture::all_cases().iter().enumerate() {
        let case = common::fixture::load(dir).unwrap();
        let mut files: Vec<(String, String)> = Vec::new();
        if let Some(name) = &case.spec.control_plane {
            files.push((name.clone(), common::CONTROL_PLANE.to_string()));
        }
        for p in common::fixture::input_files(dir) {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            // unreadable on purpose (binary, not UTF-8): not something a cluster can hold
            let Ok(text) = std::fs::read_to_string(&p) else {
                continue;
            };
            files.push((name, text));
        }
        if !files.iter().any(|(_, t)| t.contains("name: istiod")) {
            continue;
        }
        let d = out.join(format!("fixture-{n:04}"));
        std::fs::create_dir_all(&d).unwrap();
        for (name, text) in files {
            std::fs::write(d.join(name), text).unwrap();
        }
    }
}

fn scenarios() -> (tempfile::TempDir, Vec<PathBuf>) {
    let rec = tempfile::tempdir().unwrap();
    fixture_scenarios(rec.path());
    for bin in rule_test_binaries() {
        let out = Command::new(&bin)
            .args(["-q", "--test-threads", "2"])
            .env("AMBIENT_RECORD_SCENARIOS", rec.path())
            .output()
            .expect("run a rule test binary");
        assert!(
            out.status.success(),
            "{} failed:\n{}",
            bin.display(),
            String::from_utf8_lossy(&out.stdout)
        );
    }
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(rec.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    dirs.sort();
    let root = common::repo_root();
    dirs.insert(0, root.join("server/tests/fixtures"));
    dirs.insert(0, root.join("examples/mesh"));
    (rec, dirs)
}

#[test]
fn cluster_reports_equal_file_reports() {
    let (_keep, dirs) = scenarios();
    assert!(
        dirs.len() > 50,
        "expected the rule fixtures to record scenarios, got {}",
        dirs.len()
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut failures = Vec::new();
    let mut objects = 0;
    let mut skipped = 0;
    for d in &dirs {
        let mut f = files_report(d);
        // broken YAML or templates are not something a cluster can hold
        let unreadable = f
            .pointer("/inputs/problems")
            .and_then(Value::as_array)
            .is_some_and(|p| {
                p.iter()
                    .any(|x| x["rule"].as_str().is_some_and(|r| r.starts_with("YAML-")))
            });
        if unreadable {
            skipped += 1;
            continue;
        }
        let (mut c, n) = cluster_report(d, &rt);
        objects += n;
        normalize(&mut f);
        normalize(&mut c);
        if let Some(diff) = first_diff(&f, &c, "") {
            let files: Vec<String> = std::fs::read_dir(d)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
                .collect();
            failures.push(format!("{} ({}):\n{diff}", d.display(), files.join(", ")));
        }
    }
    eprintln!(
        "{} scenarios ({skipped} with unreadable files skipped), {objects} objects served",
        dirs.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} scenarios differ:\n\n{}",
        failures.len(),
        dirs.len(),
        failures
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n\n")
    );
}
