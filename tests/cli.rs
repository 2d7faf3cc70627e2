//! `ambient-lsp migrate` as users and CI scripts run it: reports, generated files, exit codes
//! and error messages (contract §1–2).

use e2e::*;

#[path = "../server/tests/common/commands_check.rs"]
mod commands_check;
use serde_json::Value;
use std::path::Path;

fn yaml_objects(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    let stream = ambient_lsp::yaml::parse_stream(&text, &ambient_lsp::yaml::Limits::default());
    for d in &stream.docs {
        assert!(
            d.problems.is_empty(),
            "{}: {:?}",
            path.display(),
            d.problems
        );
    }
    stream
        .docs
        .iter()
        .filter_map(|d| d.root.as_ref().map(|n| n.to_json()))
        .collect()
}

/// The example, every phase, into a temporary output directory.
fn example(format: &str) -> (Run, tempfile::TempDir) {
    let out = tempfile::TempDir::new().unwrap();
    let r = run(&[
        "migrate",
        "--from-files",
        "examples/mesh",
        "--ignore-failures",
        "--format",
        format,
        "--output-dir",
        out.path().to_str().unwrap(),
    ]);
    (r, out)
}

fn redact(s: &str, out: &Path) -> String {
    s.replace(out.to_str().unwrap(), "<OUT>")
}

#[test]
fn text_report_of_the_example() {
    let (r, out) = example("text");
    assert_eq!(
        r.code, 3,
        "remove-sidecars fails on the example: {}",
        r.stderr
    );
    // not a terminal: ASCII markers
    assert!(r.stdout.contains("[OK] Phase pre-reqs succeeded!"));
    assert!(!r.stdout.contains('✅'));
    insta::assert_snapshot!("example_text", redact(&r.stdout, out.path()));
}

#[test]
fn text_report_uses_the_seed_wording() {
    let (r, _out) = example("text");
    for line in [
        "==> Starting phase pre-reqs...",
        "[OK] Cluster CNI compatibility passed",
        "[OK] Istio version compatibility passed",
        "[OK] Required CRDs are installed passed",
        "[WARN] Phase deploy-waypoints has recommendations!",
        "[REC] Namespace \"bookinfo\" may require a waypoint for the following services:",
        "kubectl label service -n bookinfo reviews istio.io/use-waypoint=waypoint",
        "[FAIL] Phase remove-sidecars failed!",
    ] {
        assert!(r.stdout.contains(line), "missing {line:?} in\n{}", r.stdout);
    }
}

#[test]
fn emoji_markers_on_request() {
    let out = tempfile::TempDir::new().unwrap();
    let r = run(&[
        "migrate",
        "--from-files",
        "examples/mesh",
        "--markers",
        "emoji",
        "--phase",
        "cluster-setup",
        "--output-dir",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("✅ Phase pre-reqs succeeded!"),
        "{}",
        r.stdout
    );
}

#[test]
fn json_report_of_the_example() {
    let (r, out) = example("json");
    assert_eq!(r.code, 3, "{}", r.stderr);
    let v: Value = serde_json::from_str(&redact(&r.stdout, out.path())).unwrap();
    assert_eq!(v["version"], 1);
    let ids: Vec<&str> = v["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "pre-reqs",
            "cluster-setup",
            "deploy-waypoints",
            "migrate-policies",
            "use-waypoints",
            "policy-simplification",
            "remove-sidecars"
        ]
    );
    for p in v["phases"].as_array().unwrap() {
        for f in p["findings"].as_array().unwrap() {
            if let Some(l) = f.get("location") {
                assert!(l["line"].as_u64().unwrap() >= 1 && l["column"].as_u64().unwrap() >= 1);
                let file = l["file"].as_str().unwrap();
                assert!(repo_root().join(file).exists(), "{file}");
            }
        }
    }
    insta::assert_json_snapshot!("example_json", v);
}

#[test]
fn sarif_report_of_the_example() {
    let (r, _out) = example("sarif");
    assert_eq!(r.code, 3, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    let rules: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let results = run["results"].as_array().unwrap();
    assert!(results.len() > 20);
    for res in results {
        let id = res["ruleId"].as_str().unwrap();
        assert!(rules.contains(&id), "{id} not declared");
        assert!(["error", "warning", "note"].contains(&res["level"].as_str().unwrap()));
    }
    // the JSON report and SARIF agree on the findings
    let (j, _o) = example("json");
    let j: Value = serde_json::from_str(&j.stdout).unwrap();
    let n: usize = j["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["findings"].as_array().unwrap().len())
        .sum();
    assert_eq!(n, results.len());
}

#[test]
fn generated_files_are_valid_yaml_and_match_the_report_actions() {
    let (r, out) = example("json");
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let waypoints = yaml_objects(&out.path().join("recommended-waypoints.yaml"));
    let policies = yaml_objects(&out.path().join("recommended-policies.yaml"));
    assert_eq!(waypoints.len(), 1);
    assert_eq!(waypoints[0]["metadata"]["name"], "waypoint");
    assert!(policies.len() >= 8, "{}", policies.len());
    // the HTTPRoute translation of the example's ratings VirtualService
    let routes = yaml_objects(&out.path().join("recommended-routes.yaml"));
    assert_eq!(routes.len(), 1, "{routes:?}");
    assert_eq!(routes[0]["kind"], "HTTPRoute");
    let mut applied = Vec::new();
    for p in v["phases"].as_array().unwrap() {
        for f in p["findings"].as_array().unwrap() {
            for a in f["actions"].as_array().into_iter().flatten() {
                if a["type"] == "apply" || a["type"] == "deploy-waypoint" {
                    applied.push(a["resource"].clone());
                }
            }
        }
    }
    for o in waypoints.iter().chain(&policies).chain(&routes) {
        assert!(applied.contains(o), "{o} is in a file but not an action");
    }
    assert_eq!(
        v["outputs"]["recommended-routes.yaml"],
        out.path().join("recommended-routes.yaml").to_str().unwrap()
    );
    assert_eq!(
        v["outputs"]["recommended-policies.yaml"],
        out.path()
            .join("recommended-policies.yaml")
            .to_str()
            .unwrap()
    );
    insta::assert_snapshot!(
        "example_waypoints",
        std::fs::read_to_string(out.path().join("recommended-waypoints.yaml")).unwrap()
    );
    insta::assert_snapshot!(
        "example_policies",
        std::fs::read_to_string(out.path().join("recommended-policies.yaml")).unwrap()
    );
    insta::assert_snapshot!(
        "example_routes",
        std::fs::read_to_string(out.path().join("recommended-routes.yaml")).unwrap()
    );
    let commands = std::fs::read_to_string(out.path().join("commands.sh")).unwrap();
    // sh -n, and every kubectl line in a form the checker knows, against the real kubectl
    commands_check::check(&commands).unwrap_or_else(|e| panic!("{e}\n{commands}"));
    insta::assert_snapshot!("example_commands", commands);
    // no temporary files left behind
    let names: Vec<String> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert_eq!(names.len(), 4, "{names:?}");
}

#[test]
fn output_is_stable_across_runs_and_argument_order() {
    let a = tempfile::TempDir::new().unwrap();
    let b = tempfile::TempDir::new().unwrap();
    let ra = run(&[
        "migrate",
        "--from-files",
        "examples/mesh",
        "--ignore-failures",
        "--format",
        "json",
        "--output-dir",
        a.path().to_str().unwrap(),
    ]);
    // the same files, named one directory at a time in another order
    let mut dirs: Vec<String> = std::fs::read_dir(repo_root().join("examples/mesh"))
        .unwrap()
        .map(|e| format!("examples/mesh/{}", e.unwrap().file_name().to_string_lossy()))
        .collect();
    dirs.sort();
    dirs.reverse();
    let mut args = vec![
        "migrate",
        "--ignore-failures",
        "--format",
        "json",
        "--output-dir",
        b.path().to_str().unwrap(),
        "--from-files",
    ];
    args.extend(dirs.iter().map(String::as_str));
    let rb = run(&args);
    let strip = |s: &str, d: &Path| {
        let mut v: Value = serde_json::from_str(&s.replace(d.to_str().unwrap(), "<OUT>")).unwrap();
        v["source"] = Value::Null;
        v
    };
    assert_eq!(strip(&ra.stdout, a.path()), strip(&rb.stdout, b.path()));
    for f in [
        "recommended-waypoints.yaml",
        "recommended-policies.yaml",
        "commands.sh",
    ] {
        assert_eq!(
            std::fs::read(a.path().join(f)).unwrap(),
            std::fs::read(b.path().join(f)).unwrap(),
            "{f}"
        );
    }
}

#[test]
fn a_failed_phase_stops_the_run_unless_ignore_failures() {
    // istiod without ambient: cluster-setup fails
    let d = example_copy();
    let istiod = d.path().join("istio-system/istiod.yaml");
    let text = std::fs::read_to_string(&istiod).unwrap();
    assert!(text.contains("PILOT_ENABLE_AMBIENT"));
    std::fs::write(
        &istiod,
        text.replace(
            "name: PILOT_ENABLE_AMBIENT\n          value: \"true\"",
            "name: PILOT_ENABLE_AMBIENT\n          value: \"false\"",
        ),
    )
    .unwrap();
    let out = tempfile::TempDir::new().unwrap();
    let args = |extra: &[&'static str]| {
        let mut a = vec![
            "migrate".to_string(),
            "--from-files".into(),
            d.path().to_str().unwrap().into(),
            "--output-dir".into(),
            out.path().to_str().unwrap().into(),
        ];
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let a = args(&[]);
    let r = run(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(r.code, 3);
    assert!(
        r.stdout.contains("[FAIL] Phase cluster-setup failed!"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("[FAIL] Ambient mode is enabled failed"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("Starting phase deploy-waypoints"));
    let a = args(&["--ignore-failures", "--format", "json"]);
    let r = run(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(r.code, 3);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let status: Vec<&str> = v["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["status"].as_str().unwrap())
        .collect();
    assert_eq!(status[1], "failed");
    assert!(!status.contains(&"skipped"), "{status:?}");
    let a = args(&["--format", "json"]);
    let r = run(&a.iter().map(String::as_str).collect::<Vec<_>>());
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["phases"][2]["status"], "skipped");
}

#[test]
fn phase_stops_after_the_named_phase() {
    let out = tempfile::TempDir::new().unwrap();
    let r = run(&[
        "migrate",
        "--from-files",
        "examples/mesh",
        "--phase",
        "deploy-waypoints",
        "--format",
        "json",
        "--output-dir",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(
        r.code, 0,
        "no phase up to deploy-waypoints fails: {}",
        r.stderr
    );
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let ran: Vec<&str> = v["phases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["status"] != "skipped")
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ran, ["pre-reqs", "cluster-setup", "deploy-waypoints"]);
    // the waypoint is recommended, the policies are not
    assert_eq!(
        yaml_objects(&out.path().join("recommended-waypoints.yaml")).len(),
        1
    );
    assert_eq!(
        yaml_objects(&out.path().join("recommended-policies.yaml")).len(),
        0
    );
}

#[test]
fn usage_errors_exit_2_and_say_why() {
    let cases: &[(&[&str], &str)] = &[
        (&["migrate"], "no kubeconfig found"),
        (&["migrate", "--context", "prod"], "no kubeconfig found"),
        (
            &["migrate", "--kubeconfig", "does/not/exist"],
            "kubeconfig does/not/exist does not exist",
        ),
        (
            &["migrate", "--request-timeout", "soon"],
            "invalid --request-timeout",
        ),
        (
            &[
                "migrate",
                "--from-files",
                "examples/mesh",
                "--dump-dir",
                "x",
            ],
            "--dump-dir x writes what a live cluster returned",
        ),
        (
            &["migrate", "--from-files", "does/not/exist"],
            "does/not/exist",
        ),
        (
            &[
                "migrate",
                "--from-files",
                "examples/mesh",
                "--waypoint-name",
                "Bad_Name!",
            ],
            "\"Bad_Name!\" is not a valid waypoint name: it must be an RFC 1123 label",
        ),
        (
            &[
                "migrate",
                "--from-files",
                "examples/mesh",
                "--phase",
                "deploy",
            ],
            "deploy",
        ),
        (
            &[
                "migrate",
                "--from-files",
                "examples/mesh",
                "--format",
                "xml",
            ],
            "xml",
        ),
        (&["migrate", "--from-files", "scripts"], "no *.yaml"),
        (&["frobnicate"], "frobnicate"),
    ];
    for (args, needle) in cases {
        let r = run(args);
        assert_eq!(r.code, 2, "{args:?}: {}{}", r.stdout, r.stderr);
        assert!(r.stderr.contains(needle), "{args:?}: {}", r.stderr);
        assert!(r.stdout.is_empty(), "{args:?} wrote a report");
    }
}

#[test]
fn broken_and_unanalysable_files_are_reported_with_file_line_and_column() {
    let d = example_copy();
    std::fs::write(
        d.path().join("bookinfo/broken.yaml"),
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: broken\n  namespace: bookinfo\nspec: [unclosed\n---\napiVersion: v1\nkind: Service\nmetadata: {name: after-broken, namespace: bookinfo}\nspec:\n  selector: {app: after}\n  ports: [{port: 80}]\n",
    )
    .unwrap();
    std::fs::write(
        d.path().join("bookinfo/chart.yaml"),
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}\n",
    )
    .unwrap();
    std::fs::write(d.path().join("bookinfo/blob.yaml"), b"\x00\x01\x02binary").unwrap();
    std::fs::write(d.path().join("bookinfo/latin1.yaml"), b"name: caf\xe9\n").unwrap();
    let out = tempfile::TempDir::new().unwrap();
    let r = run(&[
        "migrate",
        "--from-files",
        d.path().to_str().unwrap(),
        "--ignore-failures",
        "--format",
        "json",
        "--output-dir",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let all: Vec<&Value> = v["inputs"]["problems"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(
            v["phases"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|p| p["findings"].as_array().unwrap()),
        )
        .collect();
    let find = |file: &str| {
        all.iter()
            .find(|f| {
                f["location"]["file"]
                    .as_str()
                    .is_some_and(|p| p.ends_with(file))
            })
            .unwrap_or_else(|| panic!("nothing reported for {file}: {}", r.stdout))
    };
    let broken = find("broken.yaml");
    assert_eq!(broken["rule"], "YAML-001");
    assert_eq!(broken["location"]["line"], 6, "points at the unclosed `[`");
    assert_eq!(broken["location"]["column"], 7);
    assert_eq!(find("chart.yaml")["rule"], "YAML-002");
    assert!(find("blob.yaml")["message"]
        .as_str()
        .unwrap()
        .contains("binary"));
    assert!(find("latin1.yaml")["message"]
        .as_str()
        .unwrap()
        .contains("UTF-8"));
    // the document after the broken one is still analysed
    // the document after the broken one is still read: one resource more than the example
    let (base, _o) = example("json");
    let base: Value = serde_json::from_str(&base.stdout).unwrap();
    assert_eq!(
        v["inputs"]["resources"].as_u64().unwrap(),
        base["inputs"]["resources"].as_u64().unwrap() + 1
    );
    assert_eq!(
        v["inputs"]["files"].as_u64().unwrap(),
        base["inputs"]["files"].as_u64().unwrap() + 4
    );
}

#[test]
fn version_and_help() {
    let r = run(&["--version"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.starts_with("ambient-lsp "), "{}", r.stdout);
    let r = run(&["migrate", "--help"]);
    assert_eq!(r.code, 0);
    for opt in [
        "--from-files",
        "--ignore-failures",
        "--output-dir",
        "--phase",
        "--format",
    ] {
        assert!(r.stdout.contains(opt), "{opt}");
    }
}

#[test]
fn corpus_directories_run_end_to_end() {
    // whole real-world trees through the binary: no crash, a parseable report, exit 0 or 3
    let c = corpus();
    for dir in [
        "istio/samples",
        "apps",
        "gateway-api/examples",
        "istio/analyzer-testdata",
    ] {
        let out = tempfile::TempDir::new().unwrap();
        let r = run(&[
            "migrate",
            "--from-files",
            c.join(dir).to_str().unwrap(),
            "--ignore-failures",
            "--format",
            "json",
            "--output-dir",
            out.path().to_str().unwrap(),
        ]);
        assert!(r.code == 0 || r.code == 3, "{dir}: {} {}", r.code, r.stderr);
        let v: Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{dir}: {e}"));
        assert_eq!(v["phases"].as_array().unwrap().len(), 7);
    }
}

/// `ambient-lsp detect`: the editors' test for "this workspace is an Istio mesh project".
#[test]
fn detect_says_whether_a_workspace_is_a_mesh() {
    let r = run(&["detect", "examples/mesh"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.trim().ends_with(".yaml"), "{}", r.stdout);
    assert!(r.stdout.trim_end().lines().count() == 1, "{}", r.stdout);
    let plain = tempfile::TempDir::new().unwrap();
    std::fs::write(plain.path().join("ci.yml"), "on: push\njobs: {}\n").unwrap();
    let r = run(&["detect", plain.path().to_str().unwrap()]);
    assert_eq!((r.code, r.stdout.as_str()), (1, ""), "{}", r.stderr);
    let r = run(&["detect"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}
