//! CI integration as a team wiring `ambient-lsp migrate` into GitHub code scanning, GitLab or
//! pre-commit would meet it (docs/ci.md): SARIF that GitHub accepts and maps at any size, the
//! JSON report against its published schema, `--fail-on`, and the pre-commit hook.

use e2e::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

// ---------------------------------------------------------------- helpers

fn git_init(dir: &Path) {
    let ok = Command::new("git")
        .args(["init", "-q"])
        .current_dir(dir)
        .status()
        .expect("git")
        .success();
    assert!(ok, "git init {}", dir.display());
}

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .args(["-c", "user.name=ci", "-c", "user.email=ci@example.com"])
        .args(args)
        .current_dir(dir)
        .status()
        .expect("git")
        .success();
    assert!(ok, "git {args:?} in {}", dir.display());
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let h = std::str::from_utf8(&b[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(h, 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// `file:` URI of a directory, as the SARIF's `originalUriBaseIds` must name it.
fn dir_uri(p: &Path) -> String {
    let mut s = String::from("file://");
    for c in p.canonicalize().unwrap().components().skip(1) {
        s.push('/');
        for b in c.as_os_str().to_string_lossy().bytes() {
            if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=@".contains(&b) {
                s.push(b as char);
            } else {
                s.push_str(&format!("%{b:02X}"));
            }
        }
    }
    s.push('/');
    s
}

fn migrate(cwd: &Path, inputs: &[&str], extra: &[&str]) -> Run {
    let out = tempfile::TempDir::new().unwrap();
    let mut args = vec!["migrate", "--output-dir", out.path().to_str().unwrap()];
    args.extend(extra);
    args.push("--from-files");
    args.extend(inputs);
    let r = run_in(cwd, &args);
    assert!(
        r.code == 0 || r.code == 1 || r.code == 3,
        "{args:?}: exit {}: {}",
        r.code,
        r.stderr
    );
    r
}

fn sarif_of(cwd: &Path, inputs: &[&str], extra: &[&str]) -> Value {
    let mut e = vec!["--ignore-failures", "--format", "sarif"];
    e.extend(extra);
    serde_json::from_str(&migrate(cwd, inputs, &e).stdout).expect("SARIF is JSON")
}

fn json_of(cwd: &Path, inputs: &[&str], extra: &[&str]) -> Value {
    let mut e = vec!["--ignore-failures", "--format", "json"];
    e.extend(extra);
    serde_json::from_str(&migrate(cwd, inputs, &e).stdout).expect("report is JSON")
}

fn findings(report: &Value) -> Vec<&Value> {
    report["inputs"]["problems"]
        .as_array()
        .unwrap()
        .iter()
        .chain(
            report["phases"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|p| p["findings"].as_array().unwrap()),
        )
        .collect()
}

const SECURITY_TAG: &str = "security";

/// Everything GitHub code scanning needs of a log, and our own promises. `root`: the directory
/// `%SRCROOT%` must be. Returns the results.
fn check_sarif<'a>(log: &'a Value, root: &Path, what: &str) -> &'a [Value] {
    schema::assert_sarif(log, what);
    let runs = log["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1, "{what}");
    let run = &runs[0];
    assert_eq!(run["columnKind"], "utf16CodeUnits", "{what}");
    assert_eq!(
        run["originalUriBaseIds"]["%SRCROOT%"]["uri"],
        dir_uri(root).as_str(),
        "{what}"
    );
    let results = run["results"].as_array().unwrap();
    let max = run["properties"]["grouping"]["maxResults"]
        .as_u64()
        .unwrap() as usize;
    assert!(results.len() <= max, "{what}: {} > {max}", results.len());
    assert!(
        results.len() <= 25_000,
        "{what}: GitHub rejects more than 25,000"
    );
    // rules: what GitHub shows and filters on
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    for r in rules {
        let id = r["id"].as_str().unwrap();
        assert!(r["name"].as_str().is_some_and(|s| !s.is_empty()), "{id}");
        assert!(r["shortDescription"]["text"]
            .as_str()
            .is_some_and(|s| !s.is_empty()));
        assert!(
            r["fullDescription"]["text"]
                .as_str()
                .is_some_and(|s| s.len() > 10),
            "{id}"
        );
        assert!(
            r["help"]["text"].as_str().is_some_and(|s| s.len() > 10),
            "{id}"
        );
        let md = r["help"]["markdown"].as_str().unwrap();
        assert!(
            md.contains("```"),
            "{id}: the help has the example of docs/rules.md"
        );
        let tags: Vec<&str> = r["properties"]["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        assert!(
            tags.contains(&r["properties"]["phase"].as_str().unwrap()),
            "{id}"
        );
        assert!(["very-high", "high", "medium", "low"]
            .contains(&r["properties"]["precision"].as_str().unwrap()));
        assert!(["error", "warning", "recommendation"]
            .contains(&r["properties"]["problem.severity"].as_str().unwrap()));
        let sec = r["properties"].get("security-severity");
        assert_eq!(
            tags.contains(&SECURITY_TAG),
            sec.is_some(),
            "{id}: security tag and security-severity go together"
        );
        if let Some(s) = sec {
            let v: f64 = s.as_str().unwrap().parse().unwrap();
            assert!((0.0..=10.0).contains(&v), "{id}");
        }
    }
    let check_loc = |loc: &Value, ctx: &str| {
        let pl = &loc["physicalLocation"];
        let al = &pl["artifactLocation"];
        assert_eq!(al["uriBaseId"], "%SRCROOT%", "{what}: {ctx}: {al}");
        let uri = al["uri"].as_str().unwrap();
        assert!(
            !uri.starts_with('/') && !uri.contains(':') && !uri.split('/').any(|s| s == ".."),
            "{what}: {ctx}: {uri} is not repository-relative"
        );
        assert!(
            uri.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=@/%".contains(&b)),
            "{what}: {ctx}: {uri} is not percent-encoded"
        );
        let file = root.join(percent_decode(uri));
        assert!(
            file.is_file(),
            "{what}: {ctx}: {} does not exist",
            file.display()
        );
        let reg = &pl["region"];
        for k in ["startLine", "startColumn", "endLine", "endColumn"] {
            assert!(reg[k].as_u64().unwrap() >= 1, "{what}: {ctx}: {reg}");
        }
    };
    let mut seen = HashSet::new();
    let mut fps = HashSet::new();
    for res in results {
        let id = res["ruleId"].as_str().unwrap();
        let idx = res["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[idx]["id"], id, "{what}: ruleIndex");
        let locs = res["locations"].as_array().unwrap();
        assert_eq!(locs.len(), 1, "{what}: {id} located");
        check_loc(&locs[0], id);
        for rl in res["relatedLocations"].as_array().into_iter().flatten() {
            check_loc(rl, id);
            assert!(rl["message"]["text"].is_string());
        }
        let fp = res["partialFingerprints"]["ambientFinding/v1"]
            .as_str()
            .unwrap_or_else(|| panic!("{what}: {id} has no fingerprint"));
        assert!(fps.insert(fp.to_string()), "{what}: fingerprint {fp} twice");
        let key = format!(
            "{id} {} {} {}",
            locs[0]["physicalLocation"]["artifactLocation"]["uri"],
            locs[0]["physicalLocation"]["region"],
            res["message"]["text"]
        );
        assert!(seen.insert(key.clone()), "{what}: duplicate result {key}");
    }
    results
}

/// The SARIF results of a log by fingerprint: (rule, uri, start line, message).
fn by_fingerprint(log: &Value) -> BTreeMap<String, (String, String, u64, String)> {
    log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let pl = &r["locations"][0]["physicalLocation"];
            (
                r["partialFingerprints"]["ambientFinding/v1"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                (
                    r["ruleId"].as_str().unwrap().to_string(),
                    pl["artifactLocation"]["uri"].as_str().unwrap().to_string(),
                    pl["region"]["startLine"].as_u64().unwrap(),
                    r["message"]["text"].as_str().unwrap().to_string(),
                ),
            )
        })
        .collect()
}

// ---------------------------------------------------------------- the example

#[test]
fn sarif_of_the_example_is_github_ready_from_any_directory_and_path_spelling() {
    let root = repo_root();
    let abs = root.join("examples/mesh");
    // from the repository root with a relative path, from tests/ with `../`, and from a
    // temporary directory with the absolute path
    let a = sarif_of(&root, &["examples/mesh"], &[]);
    let b = sarif_of(&root.join("tests"), &["../examples/mesh/"], &[]);
    let elsewhere = tempfile::TempDir::new().unwrap();
    let c = sarif_of(elsewhere.path(), &[abs.to_str().unwrap()], &[]);
    let results = check_sarif(&a, &root, "example");
    check_sarif(&b, &root, "example from tests/");
    check_sarif(&c, &root, "example by absolute path");
    assert_eq!(a["runs"][0]["results"], b["runs"][0]["results"]);
    assert_eq!(a["runs"][0]["results"], c["runs"][0]["results"]);
    assert!(results.iter().all(
        |r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .starts_with("examples/mesh/")
    ));

    // the JSON report and SARIF agree: every finding is one result (no grouping needed)
    let j = json_of(&root, &["examples/mesh"], &[]);
    schema::assert_report(&j, "example");
    let fs = findings(&j);
    assert_eq!(fs.len(), results.len());
    assert_eq!(
        a["runs"][0]["properties"]["grouping"]["grouped"],
        Value::Array(vec![])
    );
    // related information becomes relatedLocations
    let related = fs.iter().filter(|f| f.get("related").is_some()).count();
    let rel_results = results
        .iter()
        .filter(|r| r.get("relatedLocations").is_some())
        .count();
    assert!(related > 0);
    assert_eq!(related, rel_results);
    // the security-relevant rules of the example are tagged
    let rules = a["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    let w009 = rules
        .iter()
        .find(|r| r["id"] == "W009")
        .expect("W009 fires on the example");
    assert!(w009["properties"]["tags"]
        .as_array()
        .unwrap()
        .contains(&Value::from("security")));
    assert!(w009["properties"]["security-severity"].is_string());
    // most severe first: blocking errors lead
    let first = &results[0];
    assert_eq!(first["level"], "error");
    assert_eq!(first["properties"]["blocking"], true);
}

#[test]
fn every_finding_is_located_even_when_its_manifest_is_not_in_the_input() {
    // bookinfo alone: no control plane, no Gateway API CRDs
    let root = repo_root();
    let j = json_of(&root, &["examples/mesh/bookinfo"], &[]);
    schema::assert_report(&j, "bookinfo alone");
    let fs = findings(&j);
    let placed: Vec<&&Value> = fs
        .iter()
        .filter(|f| f["location"].get("placed").is_some())
        .collect();
    let rules: BTreeSet<&str> = placed.iter().map(|f| f["rule"].as_str().unwrap()).collect();
    for r in ["CS-CRD-001", "W023"] {
        assert!(rules.contains(r), "{r} placed: {rules:?}");
    }
    for f in &placed {
        assert_eq!(f["scope"], "cluster");
        assert_eq!(f["resource"], Value::Null);
        assert_eq!(f["location"]["placed"], "first-input");
        assert_eq!(f["location"]["line"], 1);
    }
    let s = sarif_of(&root, &["examples/mesh/bookinfo"], &[]);
    let results = check_sarif(&s, &root, "bookinfo alone");
    assert_eq!(results.len(), fs.len());
    let crd = results
        .iter()
        .find(|r| r["ruleId"] == "CS-CRD-001")
        .unwrap();
    assert!(
        crd["message"]["text"]
            .as_str()
            .unwrap()
            .contains("Reported on the first input file"),
        "{crd}"
    );
    assert_eq!(crd["properties"]["placement"], "first-input");

    // with the control plane in the input, cluster-level findings go on istiod (no Gateway
    // API objects or CRDs: bookinfo and the control plane only)
    let d = tempfile::TempDir::new().unwrap();
    for ns in ["istio-system", "bookinfo"] {
        copy_tree(&root.join("examples/mesh").join(ns), &d.path().join(ns));
    }
    git_init(d.path());
    let j = json_of(d.path(), &["."], &[]);
    schema::assert_report(&j, "example without CRDs");
    let crd = findings(&j)
        .into_iter()
        .find(|f| f["rule"] == "CS-CRD-001")
        .expect("CS-CRD-001 without the CRDs");
    assert_eq!(crd["location"]["placed"], "control-plane");
    assert!(crd["location"]["file"]
        .as_str()
        .unwrap()
        .ends_with("istio-system/istiod.yaml"));
}

#[test]
fn fingerprints_survive_edits_moves_and_other_spellings() {
    let d = tempfile::TempDir::new().unwrap();
    let repo = d.path().join("repo");
    copy_tree(&repo_root().join("examples/mesh"), &repo.join("mesh"));
    git_init(&repo);
    let before = sarif_of(&repo, &["mesh"], &[]);
    // comments above every document, and a file moved to another directory
    for entry in std::fs::read_dir(repo.join("mesh/bookinfo")).unwrap() {
        let p = entry.unwrap().path();
        let text = std::fs::read_to_string(&p).unwrap();
        std::fs::write(&p, format!("# reviewed\n# by the platform team\n\n{text}")).unwrap();
    }
    std::fs::create_dir_all(repo.join("mesh/moved")).unwrap();
    std::fs::rename(
        repo.join("mesh/payments/policies.yaml"),
        repo.join("mesh/moved/payments-policies.yaml"),
    )
    .unwrap();
    let after = sarif_of(&repo.join("mesh/moved"), &["../../mesh"], &[]);
    check_sarif(&after, &repo, "edited");
    let (b, a) = (by_fingerprint(&before), by_fingerprint(&after));
    assert_eq!(
        b.keys().collect::<Vec<_>>(),
        a.keys().collect::<Vec<_>>(),
        "the same alerts"
    );
    let mut shifted = 0;
    let mut moved = 0;
    for (fp, (rule, uri, line, _)) in &b {
        let (rule2, uri2, line2, _) = &a[fp];
        assert_eq!(rule, rule2);
        if uri.starts_with("mesh/bookinfo/") {
            assert_eq!(*line2, line + 3, "{rule} {uri}");
            shifted += 1;
        }
        if uri != uri2 {
            assert_eq!(uri, "mesh/payments/policies.yaml");
            assert_eq!(uri2, "mesh/moved/payments-policies.yaml");
            moved += 1;
        }
    }
    assert!(shifted > 5 && moved > 0, "{shifted} {moved}");
}

#[test]
fn file_names_with_spaces_hash_percent_and_non_ascii_letters() {
    let d = tempfile::TempDir::new().unwrap();
    let repo = d.path().join("my repo #1");
    let mesh = repo.join("mesh ü");
    copy_tree(&repo_root().join("examples/mesh"), &mesh);
    git_init(&repo);
    std::fs::rename(
        mesh.join("bookinfo/authorization.yaml"),
        mesh.join("bookinfo/authz #1 100% für Zoë.yaml"),
    )
    .unwrap();
    std::fs::rename(mesh.join("payments"), mesh.join("paiements été")).unwrap();
    // one document on one line: the DestinationRule's consistentHash (W005) comes after a
    // label value with an emoji (2 UTF-16 code units, 1 character, 4 bytes) and an `ë`
    std::fs::write(
        mesh.join("bookinfo/dr 😀.yaml"),
        "{apiVersion: networking.istio.io/v1, kind: DestinationRule, metadata: {name: details-hash, namespace: bookinfo, labels: {team: \"zoë-😀\"}}, spec: {host: details, trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x-user}}}}}\n",
    )
    .unwrap();
    let abs = mesh.to_str().unwrap().to_string();
    let from_parent = sarif_of(d.path(), &["my repo #1/mesh ü"], &[]);
    let from_elsewhere = {
        let e = tempfile::TempDir::new().unwrap();
        sarif_of(e.path(), &[&abs], &[])
    };
    let from_inside = sarif_of(&mesh.join("bookinfo"), &["..", "../bookinfo"], &[]);
    let results = check_sarif(&from_parent, &repo, "special names");
    check_sarif(&from_elsewhere, &repo, "special names, absolute");
    check_sarif(&from_inside, &repo, "special names, from inside");
    assert_eq!(
        from_parent["runs"][0]["results"],
        from_elsewhere["runs"][0]["results"]
    );
    assert_eq!(
        from_parent["runs"][0]["results"],
        from_inside["runs"][0]["results"]
    );
    let uris: BTreeSet<&str> = results
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    for want in [
        "mesh%20%C3%BC/bookinfo/authz%20%231%20100%25%20f%C3%BCr%20Zo%C3%AB.yaml",
        "mesh%20%C3%BC/paiements%20%C3%A9t%C3%A9/policies.yaml",
        "mesh%20%C3%BC/bookinfo/dr%20%F0%9F%98%80.yaml",
    ] {
        assert!(uris.contains(want), "{want} not in {uris:#?}");
    }
    // columns in UTF-16 code units: the JSON report counts characters
    let w005 = results
        .iter()
        .find(|r| {
            r["ruleId"] == "W005"
                && r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap()
                    .ends_with("dr%20%F0%9F%98%80.yaml")
        })
        .expect("W005 on the one-line DestinationRule");
    let j = json_of(d.path(), &["my repo #1/mesh ü"], &[]);
    schema::assert_report(&j, "special names");
    let jf = findings(&j)
        .into_iter()
        .find(|f| {
            f["rule"] == "W005"
                && f["location"]["file"]
                    .as_str()
                    .unwrap()
                    .ends_with("dr 😀.yaml")
        })
        .unwrap();
    let line = std::fs::read_to_string(mesh.join("bookinfo/dr 😀.yaml")).unwrap();
    let chars = jf["location"]["column"].as_u64().unwrap() as usize - 1;
    let prefix: String = line.chars().take(chars).collect();
    assert!(
        line[prefix.len()..].starts_with("consistentHash"),
        "{prefix}"
    );
    let utf16 = w005["locations"][0]["physicalLocation"]["region"]["startColumn"]
        .as_u64()
        .unwrap() as usize
        - 1;
    assert_eq!(utf16, prefix.encode_utf16().count());
    assert_eq!(utf16, chars + 1, "the emoji counts twice in UTF-16");

    // --source-root: another root, URIs relative to it
    let s = sarif_of(d.path(), &["my repo #1/mesh ü"], &["--source-root", &abs]);
    let results = check_sarif(&s, &mesh, "--source-root");
    assert!(results.iter().any(
        |r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            == "bookinfo/authz%20%231%20100%25%20f%C3%BCr%20Zo%C3%AB.yaml"
    ));
}

#[test]
fn grouping_keeps_every_finding_within_the_budget() {
    let root = repo_root();
    let j = json_of(&root, &["examples/mesh"], &[]);
    let n = findings(&j).len();
    // grouping can go down to one result per rule id: budgets above and at that floor (the
    // example gains rules as the catalog grows, so the floor is read, not written down)
    let rules: std::collections::BTreeSet<&str> = findings(&j)
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(
        n > rules.len() + 5,
        "the example must have findings to group"
    );
    for max in [rules.len() + (n - rules.len()) / 2, rules.len()] {
        let s = sarif_of(
            &root,
            &["examples/mesh"],
            &["--sarif-max-results", &max.to_string()],
        );
        let results = check_sarif(&s, &root, &format!("max {max}"));
        assert!(results.len() <= max);
        let g = &s["runs"][0]["properties"]["grouping"];
        assert_eq!(g["findings"].as_u64().unwrap() as usize, n);
        assert_eq!(g["truncated"], 0);
        assert!(!g["grouped"].as_array().unwrap().is_empty());
        // every finding is a result or a member of a group (a related location of it)
        let covered: usize = results
            .iter()
            .map(|r| match r["properties"].get("grouped") {
                Some(gr) => {
                    let k = gr["findings"].as_u64().unwrap() as usize;
                    assert_eq!(r["relatedLocations"].as_array().unwrap().len(), k.min(1000));
                    assert!(r["message"]["text"].as_str().unwrap().contains("Grouped"));
                    k
                }
                None => 1,
            })
            .sum();
        assert_eq!(covered, n, "max {max}");
    }
    // below the number of rules nothing can be grouped further: the most severe are kept
    let s = sarif_of(&root, &["examples/mesh"], &["--sarif-max-results", "3"]);
    let results = check_sarif(&s, &root, "max 3");
    assert_eq!(results.len(), 3);
    assert!(
        s["runs"][0]["properties"]["grouping"]["truncated"]
            .as_u64()
            .unwrap()
            > 0
    );
    assert!(results.iter().all(|r| r["level"] == "error"));
}

// ---------------------------------------------------------------- the 50,000-document mesh

struct Mesh {
    _dir: tempfile::TempDir,
    repo: PathBuf,
    sarif: Value,
    sarif_25k: Value,
    json: Value,
    json_findings: usize,
}

/// `gen-mesh --namespaces 1025 --services 10` in a git repository whose path has a space, run
/// once per test process from its parent directory with a relative path.
fn mesh() -> &'static Mesh {
    static M: OnceLock<Mesh> = OnceLock::new();
    M.get_or_init(|| {
        let dir = tempfile::TempDir::new().unwrap();
        let repo = dir.path().join("mesh repo");
        std::fs::create_dir_all(&repo).unwrap();
        git_init(&repo);
        let gen = corpus().parent().unwrap().join("tools/gen-mesh");
        let st = Command::new(&gen)
            .args(["--namespaces", "1025", "--services", "10", "--out"])
            .arg(repo.join("mesh"))
            .stdout(std::process::Stdio::null())
            .status()
            .expect("gen-mesh");
        assert!(st.success());
        let cwd = dir.path().to_path_buf();
        let input = "mesh repo/mesh";
        let (sarif, (sarif_25k, json)) = std::thread::scope(|s| {
            let a = s.spawn(|| sarif_of(&cwd, &[input], &[]));
            let b = s.spawn(|| sarif_of(&cwd, &[input], &["--sarif-max-results", "25000"]));
            let c = json_of(&cwd, &[input], &[]);
            (a.join().unwrap(), (b.join().unwrap(), c))
        });
        let json_findings = findings(&json).len();
        Mesh {
            _dir: dir,
            repo,
            sarif,
            sarif_25k,
            json,
            json_findings,
        }
    })
}

#[test]
fn mesh_50k_sarif_within_github_limits() {
    let m = mesh();
    assert!(m.json_findings > 25_000, "{} findings", m.json_findings);
    let results = check_sarif(&m.sarif, &m.repo, "50k mesh");
    assert!(results.len() <= 5_000, "{}", results.len());
    let g = &m.sarif["runs"][0]["properties"]["grouping"];
    assert_eq!(g["findings"].as_u64().unwrap() as usize, m.json_findings);
    assert_eq!(g["truncated"], 0);
    assert_eq!(g["unlocated"], 0);
    let grouped = g["grouped"].as_array().unwrap();
    assert!(!grouped.is_empty());
    // what was grouped adds up
    for gr in grouped {
        let rule = gr["rule"].as_str().unwrap();
        let members: u64 = results
            .iter()
            .filter(|r| r["ruleId"] == rule)
            .map(|r| r["properties"]["grouped"]["findings"].as_u64().unwrap_or(1))
            .sum();
        assert_eq!(members, gr["findings"].as_u64().unwrap(), "{rule}");
    }
    // errors are kept apart as long as possible: every error-level rule has at least one
    // result per namespace it fires in
    let first_warning = results.iter().position(|r| r["level"] != "error").unwrap();
    assert!(results[first_warning..]
        .iter()
        .all(|r| r["level"] != "error"));
    eprintln!(
        "50k mesh: {} findings → {} SARIF results (default budget)",
        m.json_findings,
        results.len()
    );
}

#[test]
fn mesh_50k_sarif_with_a_larger_budget() {
    let m = mesh();
    let results = check_sarif(&m.sarif_25k, &m.repo, "50k mesh, 25000");
    assert!(
        results.len() <= 25_000 && results.len() > 5_000,
        "{}",
        results.len()
    );
    // the first 5,000 (what GitHub shows) are the most severe
    let levels: Vec<&str> = results
        .iter()
        .map(|r| r["level"].as_str().unwrap())
        .collect();
    let rank = |l: &str| {
        ["error", "warning", "note"]
            .iter()
            .position(|x| *x == l)
            .unwrap()
    };
    assert!(levels.windows(2).all(|w| rank(w[0]) <= rank(w[1])));
    eprintln!(
        "50k mesh: {} SARIF results with --sarif-max-results 25000",
        results.len()
    );
}

#[test]
fn mesh_50k_json_report_matches_the_schema() {
    let m = mesh();
    schema::assert_report(&m.json, "50k mesh");
    assert!(findings(&m.json)
        .iter()
        .all(|f| f["location"].is_object() && f["location"]["line"].as_u64().unwrap() >= 1));
}

// ---------------------------------------------------------------- the schema itself

#[test]
fn the_schema_is_exact() {
    let root = repo_root();
    let j = json_of(&root, &["examples/mesh"], &[]);
    schema::assert_report(&j, "example");
    // the rule ids of the schema are the registry's
    let ids: BTreeSet<&str> = schema::report_schema()["$defs"]["finding"]["properties"]["rule"]
        ["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let registry: BTreeSet<&str> = ambient_lsp::rules::RULES.iter().map(|r| r.id).collect();
    assert_eq!(ids, registry, "docs/report.schema.json lists every rule id");
    // the cluster-scoped kinds of the schema are the model's
    for alt in schema::report_schema()["$defs"]["clusterScoped"]["anyOf"]
        .as_array()
        .unwrap()
    {
        let kind = alt["properties"]["kind"]["const"].as_str().unwrap();
        let pat = alt["properties"]["apiVersion"]["pattern"].as_str().unwrap();
        let group = if pat == "^[^/]+$" {
            String::new()
        } else {
            pat.trim_start_matches('^')
                .trim_end_matches("/[^/]+$")
                .replace("\\.", ".")
        };
        assert!(
            ambient_lsp::model::is_cluster_scoped(&group, kind),
            "{group}/{kind} is not cluster-scoped in the model"
        );
    }
    // no field beyond the schema, no promised field missing, no null where not allowed
    let mut bad = j.clone();
    bad["phases"][2]["findings"][0]["extra"] = Value::from(1);
    assert!(!schema::report_is_valid(&bad), "extra fields are rejected");
    let mut bad = j.clone();
    bad["phases"][2]["findings"][0]["location"] = Value::Null;
    assert!(!schema::report_is_valid(&bad), "location is never null");
    let mut bad = j.clone();
    let f = bad["phases"][2]["findings"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|f| f["scope"] == "resource")
        .unwrap();
    f["resource"] = Value::Null;
    assert!(
        !schema::report_is_valid(&bad),
        "resource is null only off scope resource"
    );
    let mut bad = j.clone();
    let f = bad["phases"][2]["findings"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|f| f["resource"]["namespace"].is_string())
        .unwrap();
    f["resource"].as_object_mut().unwrap().remove("namespace");
    assert!(
        !schema::report_is_valid(&bad),
        "a namespaced resource has a namespace"
    );
    // the later forms of the contract: cluster input
    let mut cluster = j.clone();
    cluster["source"] = serde_json::json!({"kind": "cluster", "context": "prod"});
    cluster["phases"][0]["checks"][0]["status"] = Value::from("unverified");
    cluster["phases"][2]["findings"][0]["location"] =
        serde_json::json!({"uri": "cluster://prod/bookinfo/Service/reviews"});
    assert!(schema::report_is_valid(&cluster));
}

#[test]
fn rule_fixture_style_inputs_and_corpus_reports_match_the_schema() {
    // the corpus trees the CLI tests also run (real-world manifests, with problems)
    let c = corpus();
    for dir in [
        "istio/samples",
        "istio/analyzer-testdata",
        "gateway-api/examples",
    ] {
        let j = json_of(&repo_root(), &[c.join(dir).to_str().unwrap()], &[]);
        schema::assert_report(&j, dir);
    }
    // broken inputs: the input problems are findings of scope file
    let d = example_copy();
    std::fs::write(d.path().join("bookinfo/broken.yaml"), "kind: [oops\n").unwrap();
    std::fs::write(d.path().join("bookinfo/blob.yaml"), b"\x00\x01binary").unwrap();
    let j = json_of(d.path(), &["."], &[]);
    schema::assert_report(&j, "broken inputs");
    let problems = j["inputs"]["problems"].as_array().unwrap();
    assert!(problems.len() >= 2);
    assert!(problems.iter().all(|p| p["scope"] == "file"));
}

// ---------------------------------------------------------------- --fail-on

#[test]
fn fail_on_combines_with_the_phase_exit_status() {
    let root = repo_root();
    let code = |extra: &[&str]| {
        let out = tempfile::TempDir::new().unwrap();
        let mut a = vec![
            "migrate",
            "--from-files",
            "examples/mesh",
            "--format",
            "json",
            "--output-dir",
            out.path().to_str().unwrap(),
        ];
        a.extend(extra);
        run_in(&root, &a).code
    };
    // the whole example: remove-sidecars fails
    assert_eq!(code(&[]), 3);
    assert_eq!(code(&["--fail-on", "error"]), 3);
    assert_eq!(code(&["--fail-on", "warning"]), 3);
    assert_eq!(code(&["--fail-on", "never"]), 0);
    assert_eq!(code(&["--ignore-failures", "--fail-on", "never"]), 0);
    // up to cluster-setup: only notes
    assert_eq!(code(&["--phase", "cluster-setup"]), 0);
    assert_eq!(
        code(&["--phase", "cluster-setup", "--fail-on", "warning"]),
        0
    );
    // up to deploy-waypoints: errors that do not block (W009), warnings
    assert_eq!(code(&["--phase", "deploy-waypoints"]), 0);
    assert_eq!(
        code(&["--phase", "deploy-waypoints", "--fail-on", "error"]),
        1
    );
    assert_eq!(
        code(&["--phase", "deploy-waypoints", "--fail-on", "warning"]),
        1
    );
    assert_eq!(
        code(&["--phase", "deploy-waypoints", "--fail-on", "never"]),
        0
    );
    // warnings but no error: the control plane and one VirtualService with a timeout
    let d = tempfile::TempDir::new().unwrap();
    copy_tree(
        &root.join("examples/mesh/istio-system"),
        &d.path().join("istio-system"),
    );
    copy_tree(
        &root.join("examples/mesh/gateway-api"),
        &d.path().join("gateway-api"),
    );
    std::fs::write(
        d.path().join("shop.yaml"),
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {istio-injection: enabled}}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: cart, namespace: shop}\nspec: {selector: {app: cart}, ports: [{name: http, port: 80}]}\n---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: cart, namespace: shop}\nspec:\n  hosts: [cart]\n  http:\n  - route: [{destination: {host: cart}}]\n    timeout: 5s\n",
    )
    .unwrap();
    let j = json_of(d.path(), &["."], &["--phase", "deploy-waypoints"]);
    let sev: BTreeSet<&str> = findings(&j)
        .iter()
        .map(|f| f["severity"].as_str().unwrap())
        .collect();
    assert!(sev.contains("warning") && !sev.contains("error"), "{sev:?}");
    let out = tempfile::TempDir::new().unwrap();
    let c = |level: &str| {
        run_in(
            d.path(),
            &[
                "migrate",
                "--from-files",
                ".",
                "--phase",
                "deploy-waypoints",
                "--fail-on",
                level,
                "--output-dir",
                out.path().to_str().unwrap(),
            ],
        )
        .code
    };
    assert_eq!(c("error"), 0);
    assert_eq!(c("warning"), 1);
}

// ---------------------------------------------------------------- pre-commit

/// `pre-commit` from PyPI: `PRE_COMMIT` (an executable), else `target/tools/pre-commit` (where
/// scripts/test installs it), installed there if missing.
fn pre_commit() -> Command {
    if let Some(p) = std::env::var_os("PRE_COMMIT") {
        return Command::new(p);
    }
    let dir = repo_root().join("target/tools/pre-commit");
    if !dir.join("pre_commit").is_dir() {
        let ok = Command::new("python3")
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--target",
            ])
            .arg(&dir)
            .arg("pre-commit==4.7.0")
            .status()
            .expect("python3 -m pip")
            .success();
        assert!(ok, "pip install pre-commit");
    }
    let mut c = Command::new("python3");
    c.args(["-m", "pre_commit"]).env("PYTHONPATH", &dir);
    c
}

#[test]
fn pre_commit_hook_reports_the_changed_manifests() {
    let d = tempfile::TempDir::new().unwrap();
    let repo = d.path().join("gitops");
    copy_tree(&repo_root().join("examples/mesh"), &repo.join("mesh"));
    git_init(&repo);
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "mesh"]);
    let bin_dir = binary().parent().unwrap().to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let home = d.path().join("pre-commit-home");
    let try_repo = |extra: &[&str]| {
        let out = pre_commit()
            .args([
                "try-repo",
                repo_root().to_str().unwrap(),
                "ambient-migrate",
                "--verbose",
            ])
            .args(extra)
            .current_dir(&repo)
            .env("PATH", &path)
            .env("PRE_COMMIT_HOME", &home)
            .env("RUST_LOG", "warn")
            .env_remove("GIT_DIR")
            .env_remove("GIT_INDEX_FILE")
            .output()
            .expect("pre-commit try-repo");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).to_string()
                + &String::from_utf8_lossy(&out.stderr),
        )
    };
    // a new CUSTOM policy: W010 (fail-open at ztunnel) is an error on the changed file
    std::fs::write(
        repo.join("mesh/bookinfo/ext authz.yaml"),
        "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: ext-authz, namespace: bookinfo}\nspec:\n  selector: {matchLabels: {app: details}}\n  action: CUSTOM\n  provider: {name: opa}\n  rules: [{to: [{operation: {paths: [\"/admin\"]}}]}]\n",
    )
    .unwrap();
    git(&repo, &["add", "."]);
    let (code, out) = try_repo(&[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("mesh/bookinfo/ext authz.yaml:"), "{out}");
    assert!(out.contains("error[W010]"), "{out}");
    assert!(
        out.contains("more finding(s) in files this commit does not change"),
        "{out}"
    );
    // findings of files the commit does not touch are not shown
    assert!(
        !out.lines()
            .any(|l| l.starts_with("mesh/bookinfo/authorization.yaml:")),
        "{out}"
    );

    // a harmless change to a file without findings passes, and says what it checked
    git(&repo, &["reset", "-q", "--hard"]);
    let ns = repo.join("mesh/payments/namespace.yaml");
    let text = std::fs::read_to_string(&ns).unwrap();
    std::fs::write(&ns, format!("# owned by the payments team\n{text}")).unwrap();
    git(&repo, &["add", "."]);
    let (code, out) = try_repo(&[]);
    assert!(
        out.contains("ambient-lsp: analysed") && out.contains("changed manifest(s)"),
        "{out}"
    );
    let shown: Vec<&str> = out
        .lines()
        .filter(|l| l.contains(": error[") || l.contains(": warning[") || l.contains(": note["))
        .collect();
    assert!(
        shown
            .iter()
            .all(|l| l.starts_with("mesh/payments/namespace.yaml:")),
        "{out}"
    );
    assert_eq!(
        code,
        if shown.iter().any(|l| l.contains(": error[")) {
            1
        } else {
            0
        },
        "{out}"
    );

    // --all-files: every manifest is "changed": the whole mesh
    let (code, out) = try_repo(&["--all-files"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("error[R009]"), "{out}");
}

#[test]
fn pre_commit_mode_says_when_the_changed_files_were_swallowed() {
    // `--from-files DIR a.yaml` takes a.yaml as another input: no changed files remain
    let r = run(&["migrate", "--pre-commit", "--from-files", "examples/mesh"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--from-files=DIR"), "{}", r.stderr);
    // with `=`, the changed files are positional
    let r = run(&[
        "migrate",
        "--pre-commit",
        "--from-files=examples/mesh",
        "examples/mesh/payments/policies.yaml",
        "README.md",
    ]);
    assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
    assert!(r
        .stdout
        .lines()
        .filter(|l| l.contains(": error[") || l.contains(": warning[") || l.contains(": note["))
        .all(|l| l.starts_with("examples/mesh/payments/policies.yaml:")));
    assert!(
        r.stdout.contains("not part of the analysed mesh"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("README.md"), "{}", r.stdout);
}

// ---------------------------------------------------------------- the input walk

/// The files a report names: `inputs.files`, and the file of every finding.
fn report_files(report: &Value) -> BTreeSet<String> {
    findings(report)
        .iter()
        .filter_map(|f| f["location"]["file"].as_str().map(str::to_string))
        .collect()
}

/// Rules and messages of a report, counted.
fn finding_counts(report: &Value) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for f in findings(report) {
        *m.entry(format!("{} {}", f["rule"], f["message"]))
            .or_default() += 1;
    }
    m
}

#[test]
fn an_output_dir_inside_the_mesh_is_never_read_back() {
    let d = tempfile::TempDir::new().unwrap();
    let m = d.path().join("m1");
    copy_tree(&repo_root().join("examples/mesh"), &m);
    let run = || {
        run_in(
            d.path(),
            &[
                "migrate",
                "--from-files",
                "m1",
                "--output-dir",
                "m1/ambient-out",
                "--ignore-failures",
                "--format",
                "json",
            ],
        )
    };
    let first = run();
    assert_eq!(first.code, 3, "{}", first.stderr);
    let first_json: Value = serde_json::from_str(&first.stdout).unwrap();
    assert!(m.join("ambient-out/recommended-policies.yaml").is_file());
    for i in 2..=3 {
        let again = run();
        assert_eq!(again.code, 3, "run {i}: {}", again.stderr);
        let j: Value = serde_json::from_str(&again.stdout).unwrap();
        assert_eq!(
            j["inputs"]["files"], first_json["inputs"]["files"],
            "run {i}"
        );
        assert_eq!(finding_counts(&j), finding_counts(&first_json), "run {i}");
        assert!(
            again.stderr.contains("not reading m1/ambient-out"),
            "run {i}: {}",
            again.stderr
        );
    }
    // an earlier run's output under another name, with other files beside it, is not read
    // either (recognised by the header of the generated files) — the whole directory
    std::fs::rename(m.join("ambient-out"), m.join("old")).unwrap();
    std::fs::write(m.join("old/report.json"), "{\"kind\": \"not a manifest\"}").unwrap();
    let elsewhere = tempfile::TempDir::new().unwrap();
    let r = run_in(
        d.path(),
        &[
            "migrate",
            "--from-files",
            "m1",
            "--output-dir",
            elsewhere.path().to_str().unwrap(),
            "--ignore-failures",
            "--format",
            "json",
        ],
    );
    let j: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(j["inputs"]["files"], first_json["inputs"]["files"]);
    assert_eq!(finding_counts(&j), finding_counts(&first_json));
    assert!(r.stderr.contains("not reading m1/old"), "{}", r.stderr);
    // an argument that is itself an output directory: its generated files are skipped
    let r = run_in(
        d.path(),
        &["migrate", "--from-files", "m1/old", "--format", "json"],
    );
    let j: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(j["inputs"]["files"], 1, "{}", r.stdout);
    assert!(
        r.stderr.contains("recommended-policies.yaml"),
        "{}",
        r.stderr
    );

    // the pre-commit hook over the whole repository does not read it either
    let hook = |changed: &str| run_in(&m, &["migrate", "--pre-commit", "--from-files=.", changed]);
    let with_old = hook("bookinfo/authorization.yaml");
    std::fs::remove_dir_all(m.join("old")).unwrap();
    let without = hook("bookinfo/authorization.yaml");
    assert_eq!(with_old.code, without.code, "{}", with_old.stdout);
    assert_eq!(with_old.stdout, without.stdout);
    assert!(
        with_old.stderr.contains("not reading old"),
        "{}",
        with_old.stderr
    );
}

#[cfg(unix)]
#[test]
fn dangling_symlinks_and_loops_are_problems_of_their_own() {
    let d = example_copy();
    let m = d.path();
    std::os::unix::fs::symlink("generated/missing.yaml", m.join("bookinfo/link.yaml")).unwrap();
    std::os::unix::fs::symlink("..", m.join("bookinfo/loop")).unwrap();
    // a dangling link that would not be a manifest is nobody's business
    std::os::unix::fs::symlink("nowhere", m.join("bookinfo/README")).unwrap();
    let j = json_of(m, &["."], &[]);
    schema::assert_report(&j, "links");
    let problems = j["inputs"]["problems"].as_array().unwrap();
    let yaml005: Vec<(&str, &str)> = problems
        .iter()
        .filter(|p| p["rule"] == "YAML-005")
        .map(|p| {
            (
                p["location"]["file"].as_str().unwrap(),
                p["message"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(yaml005.len(), 2, "{problems:?}");
    assert!(
        yaml005
            .iter()
            .any(|(f, m)| *f == "bookinfo/link.yaml" && m.contains("dangling")),
        "{yaml005:?}"
    );
    assert!(
        yaml005
            .iter()
            .any(|(f, m)| *f == "bookinfo/loop" && m.contains("loop")),
        "{yaml005:?}"
    );
    // the rest of the mesh is analysed as without them
    let plain = json_of(&repo_root().join("examples/mesh"), &["."], &[]);
    assert_eq!(j["inputs"]["resources"], plain["inputs"]["resources"]);
    // SARIF too (it used to be empty, exit 2)
    let s = sarif_of(m, &["."], &[]);
    let results = s["runs"][0]["results"].as_array().unwrap();
    assert_eq!(
        results.iter().filter(|r| r["ruleId"] == "YAML-005").count(),
        2
    );
}

#[cfg(unix)]
#[test]
fn a_file_reached_twice_is_read_once_and_named_alike() {
    let d = tempfile::TempDir::new().unwrap();
    let repo = d.path().join("repo");
    copy_tree(&repo_root().join("examples/mesh"), &repo.join("m5"));
    git_init(&repo);
    let plain = json_of(&repo, &["m5"], &[]);
    // overlapping arguments, `..`, a symlinked directory inside, and one outside the repo
    std::os::unix::fs::symlink("bookinfo", repo.join("m5/bookinfo-again")).unwrap();
    let outside = d.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(
        outside.join("extra.yaml"),
        // a duplicate key: a finding (YAML-004) on this file
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n  name: extra\n  namespace: bookinfo\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(&outside, repo.join("m5/ext")).unwrap();
    let j = json_of(&repo, &["m5", "m5/../m5", "m5/bookinfo"], &[]);
    schema::assert_report(&j, "overlaps");
    assert_eq!(
        j["inputs"]["files"].as_u64().unwrap(),
        plain["inputs"]["files"].as_u64().unwrap() + 1
    );
    assert_eq!(
        j["inputs"]["resources"].as_u64().unwrap(),
        plain["inputs"]["resources"].as_u64().unwrap() + 1
    );
    assert!(
        !findings(&j).iter().any(|f| f["rule"] == "CS-WH-001"),
        "no false webhook overlap"
    );
    // every file named once, by its direct spelling
    let files = report_files(&j);
    assert!(
        files
            .iter()
            .all(|f| !f.contains("bookinfo-again") && !f.contains("..")),
        "{files:?}"
    );
    // the SARIF names the files as the JSON does, the outside one through its link
    let s = sarif_of(&repo, &["m5", "m5/../m5", "m5/bookinfo"], &[]);
    let uris: BTreeSet<String> = s["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            percent_decode(
                r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap(),
            )
        })
        .collect();
    assert_eq!(uris, files);
    assert!(files.contains("m5/ext/extra.yaml"), "{files:?}");
}

// ---------------------------------------------------------------- pre-commit edge cases

/// The finding lines of a hook's output.
fn hook_findings(out: &str) -> Vec<&str> {
    out.lines()
        .filter(|l| l.contains(": error[") || l.contains(": warning[") || l.contains(": note["))
        .collect()
}

#[test]
fn pre_commit_never_pins_mesh_wide_findings_on_a_changed_file() {
    // an application repository without the control plane: the cluster-level findings (no
    // istiod, no CRDs) have no node; they used to land on the first input file
    let d = tempfile::TempDir::new().unwrap();
    let repo = d.path();
    copy_tree(
        &repo_root().join("examples/mesh/bookinfo"),
        &repo.join("deploy/bookinfo"),
    );
    std::fs::write(
        repo.join("deploy/a-settings.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: bookinfo}\ndata: {a: b}\n",
    )
    .unwrap();
    let full = json_of(repo, &["deploy"], &[]);
    let placed_first: BTreeSet<String> = findings(&full)
        .iter()
        .filter(|f| f["location"]["placed"] == "first-input")
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect();
    assert!(
        !placed_first.is_empty(),
        "the case needs node-less findings"
    );
    for from in ["--from-files=deploy", "--from-files=."] {
        let r = run_in(
            repo,
            &["migrate", "--pre-commit", from, "deploy/a-settings.yaml"],
        );
        assert_eq!(r.code, 0, "{from}: {}{}", r.stdout, r.stderr);
        assert!(hook_findings(&r.stdout).is_empty(), "{from}: {}", r.stdout);
        assert!(r.stdout.contains("more finding(s)"), "{}", r.stdout);
    }
}

#[test]
fn pre_commit_options_are_honoured_or_refused() {
    let d = example_copy();
    let m = d.path();
    // --output-dir keeps the hook's semantics (and writes the files)
    let out = tempfile::TempDir::new().unwrap();
    let r = run_in(
        m,
        &[
            "migrate",
            "--pre-commit",
            "--output-dir",
            out.path().to_str().unwrap(),
            "--from-files=.",
            "payments/namespace.yaml",
        ],
    );
    assert!(r.code == 0 || r.code == 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("ambient-lsp: analysed"), "{}", r.stdout);
    assert!(hook_findings(&r.stdout)
        .iter()
        .all(|l| l.starts_with("payments/namespace.yaml:")));
    assert!(out.path().join("recommended-policies.yaml").is_file());
    // what the hook cannot honour is refused, saying why
    for (extra, says) in [
        (&["--format", "json"][..], "--format"),
        (&["--format", "sarif"][..], "--format"),
        (&["--phase", "pre-reqs"][..], "--phase"),
        (&["--context", "prod"][..], "--context"),
    ] {
        let mut args = vec!["migrate", "--pre-commit"];
        args.extend(extra);
        args.extend(["--from-files=.", "payments/namespace.yaml"]);
        let r = run_in(m, &args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stdout);
        assert!(r.stderr.contains(says), "{args:?}: {}", r.stderr);
    }
    // --context/--kubeconfig with --from-files were silently ignored
    let r = run_in(
        m,
        &["migrate", "--from-files", ".", "--kubeconfig", "kc.yaml"],
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--kubeconfig"), "{}", r.stderr);
    // the temporary output directory is named when the report is not text
    let r = run_in(m, &["migrate", "--from-files", ".", "--format", "sarif"]);
    let line = r
        .stderr
        .lines()
        .find(|l| l.starts_with("ambient-lsp: recommended files written to "))
        .unwrap_or_else(|| panic!("{}", r.stderr));
    let tmp = PathBuf::from(line.trim_start_matches("ambient-lsp: recommended files written to "));
    assert!(tmp.join("commands.sh").is_file(), "{line}");
    std::fs::remove_dir_all(&tmp).unwrap();

    // a mesh directory that needs quoting, and a deleted changed file
    let d2 = tempfile::TempDir::new().unwrap();
    copy_tree(m, &d2.path().join("my mesh"));
    let r = run_in(
        d2.path(),
        &[
            "migrate",
            "--pre-commit",
            "--from-files=my mesh",
            "my mesh/payments/namespace.yaml",
            "my mesh/gone.yaml",
        ],
    );
    assert!(r.stdout.contains("--from-files 'my mesh'`"), "{}", r.stdout);
    let deleted = r
        .stdout
        .lines()
        .find(|l| l.contains("my mesh/gone.yaml"))
        .unwrap_or_else(|| panic!("{}", r.stdout));
    assert!(deleted.contains("deleted"), "{deleted}");
}

#[test]
fn same_text_findings_keep_their_fingerprints_when_another_is_fixed() {
    let d = tempfile::TempDir::new().unwrap();
    let doc = |name: &str, dup: bool| {
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n{}  namespace: x\n",
            if dup {
                format!("  name: {name}\n")
            } else {
                String::new()
            }
        )
    };
    let yaml004 = |log: &Value| -> Vec<String> {
        log["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["ruleId"] == "YAML-004")
            .map(|r| {
                r["partialFingerprints"]["ambientFinding/v1"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    std::fs::write(
        d.path().join("f.yaml"),
        format!("{}---\n{}", doc("a", true), doc("b", true)),
    )
    .unwrap();
    let both = yaml004(&sarif_of(d.path(), &["."], &[]));
    assert_eq!(both.len(), 2, "{both:?}");
    assert_ne!(both[0], both[1]);
    // fix the first: the second keeps its alert
    std::fs::write(
        d.path().join("f.yaml"),
        format!("{}---\n{}", doc("a", false), doc("b", true)),
    )
    .unwrap();
    let one = yaml004(&sarif_of(d.path(), &["."], &[]));
    assert_eq!(one, vec![both[1].clone()]);
}

#[cfg(unix)]
#[test]
fn a_file_name_that_is_not_utf8_keeps_its_bytes_in_uris() {
    use std::os::unix::ffi::OsStrExt;
    let d = example_copy();
    let name = std::ffi::OsStr::from_bytes(b"team\xff.yaml");
    std::fs::write(
        d.path().join("bookinfo").join(name),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: t\n  name: t\n  namespace: bookinfo\n",
    )
    .unwrap();
    let s = sarif_of(d.path(), &["."], &[]);
    let uris: Vec<&str> = s["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["ruleId"] == "YAML-004")
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(uris, vec!["bookinfo/team%FF.yaml"]);
}
