//! `ambient-lsp migrate` (the binary) against the loopback API server: the report says where each
//! resource came from, `--dump-dir` round-trips through `--from-files`, unverified checks in
//! text/JSON/SARIF, progress lines, and the errors and exit statuses a person sees.

#[path = "common/apiserver.rs"]
mod apiserver;
mod common;

use std::path::Path;
use std::process::Command;

use apiserver::ApiServer;
use serde_json::Value;

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn migrate(args: &[&str]) -> Out {
    let o = Command::new(env!("CARGO_BIN_EXE_ambient-lsp"))
        .arg("migrate")
        .args(args)
        .current_dir(common::repo_root())
        .env_remove("KUBECONFIG")
        .env("HOME", "/nonexistent-home")
        .env_remove("RUST_LOG")
        .env_remove("AMBIENT_LOG")
        .output()
        .expect("run ambient-lsp");
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8(o.stdout).unwrap(),
        stderr: String::from_utf8_lossy(&o.stderr).to_string(),
    }
}

fn example_server() -> ApiServer {
    ApiServer::start(apiserver::objects_of_paths(&[
        common::repo_root().join("examples/mesh")
    ]))
}

fn json_of(o: &Out) -> Value {
    serde_json::from_str(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}{}", o.stdout, o.stderr))
}

fn locations(v: &Value, out: &mut Vec<Value>) {
    match v {
        Value::Object(m) => {
            if let Some(l) = m.get("location") {
                out.push(l.clone());
            }
            m.values().for_each(|x| locations(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| locations(x, out)),
        _ => {}
    }
}

/// The report without where things are: locations, sources, outputs, file counts; findings
/// sorted.
fn comparable(mut v: Value) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(m) => {
                m.remove("location");
                if let Some(Value::Array(r)) = m.get_mut("related") {
                    for x in r.iter_mut().filter_map(Value::as_object_mut) {
                        for k in ["file", "line", "column", "uri"] {
                            x.remove(k);
                        }
                    }
                }
                m.values_mut().for_each(strip);
            }
            Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let m = v.as_object_mut().unwrap();
    m.remove("source");
    m.remove("outputs");
    m.remove("inputs");
    strip(&mut v);
    for p in v["phases"].as_array_mut().unwrap() {
        p["findings"]
            .as_array_mut()
            .unwrap()
            .sort_by_key(|f| f.to_string());
    }
    v
}

#[test]
fn the_report_says_where_each_resource_came_from() {
    let server = example_server();
    let dir = tempfile::tempdir().unwrap();
    let kc = server.kubeconfig(dir.path());
    let out = dir.path().join("out");
    let c = migrate(&[
        "--kubeconfig",
        kc.to_str().unwrap(),
        "--format",
        "json",
        "--output-dir",
        out.to_str().unwrap(),
    ]);
    let f = migrate(&[
        "--from-files",
        "examples/mesh",
        "--format",
        "json",
        "--output-dir",
        out.to_str().unwrap(),
    ]);
    assert_eq!(c.code, f.code, "{}", c.stderr);
    assert_eq!(c.stderr, "", "no progress when stderr is not a terminal");
    let v = json_of(&c);
    assert_eq!(
        v["source"],
        serde_json::json!({"kind": "cluster", "context": "test"})
    );
    assert_eq!(v["inputs"]["files"], 0);
    assert_eq!(v["inputs"]["resources"], 59);
    let mut locs = Vec::new();
    locations(&v, &mut locs);
    assert!(locs.iter().any(|l| l == &serde_json::json!({"uri": "cluster://test/bookinfo/AuthorizationPolicy/reviews-viewer"})), "{locs:?}");
    assert!(
        locs.iter().all(|l| l.is_null()
            || l["uri"]
                .as_str()
                .is_some_and(|u| u.starts_with("cluster://test/"))),
        "{locs:?}"
    );
    assert_eq!(comparable(v), comparable(json_of(&f)));

    let t = migrate(&[
        "--kubeconfig",
        kc.to_str().unwrap(),
        "--output-dir",
        out.to_str().unwrap(),
    ]);
    assert!(
        t.stdout
            .starts_with("==> Read 59 resources from cluster context \"test\" (read-only)\n"),
        "{}",
        t.stdout
    );
    assert!(
        t.stdout
            .contains("   at cluster://test/Namespace/bookinfo [W020]\n"),
        "{}",
        t.stdout
    );
    let s = migrate(&[
        "--kubeconfig",
        kc.to_str().unwrap(),
        "--format",
        "sarif",
        "--output-dir",
        out.to_str().unwrap(),
    ]);
    let sarif = json_of(&s);
    let uris: Vec<&str> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| {
            r.pointer("/locations/0/physicalLocation/artifactLocation/uri")
                .and_then(Value::as_str)
        })
        .collect();
    assert!(
        !uris.is_empty() && uris.iter().all(|u| u.starts_with("cluster://test/")),
        "{uris:?}"
    );
}

#[test]
fn a_dump_reruns_offline_with_the_same_result() {
    let mut objects = apiserver::objects_of_paths(&[common::repo_root().join("examples/mesh")]);
    objects.push(serde_json::json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "istio-remote-secret-west", "namespace": "istio-system", "labels": {"istio/multiCluster": "true"}}, "data": {"west": "c2VjcmV0"}}));
    let server = ApiServer::start(objects);
    let dir = tempfile::tempdir().unwrap();
    let kc = server.kubeconfig(dir.path());
    let dump = dir.path().join("dump");
    let out = dir.path().join("out");
    let c = migrate(&[
        "--kubeconfig",
        kc.to_str().unwrap(),
        "--format",
        "json",
        "--dump-dir",
        dump.to_str().unwrap(),
        "--output-dir",
        out.to_str().unwrap(),
    ]);
    assert!(c.stderr.contains("Wrote what was read to"), "{}", c.stderr);
    for f in [
        "bookinfo/pods.yaml",
        "bookinfo/authorizationpolicies.security.istio.io.yaml",
        "_cluster/namespaces.yaml",
        "istio-system/secrets.yaml",
    ] {
        assert!(dump.join(f).is_file(), "{f} missing in the dump");
    }
    let secret = std::fs::read_to_string(dump.join("istio-system/secrets.yaml")).unwrap();
    assert!(
        secret.contains("(metadata only)") && secret.contains("istio-remote-secret-west"),
        "{secret}"
    );
    assert!(
        !secret.contains("\ndata:") && !secret.contains("c2VjcmV0"),
        "secret data in the dump:\n{secret}"
    );
    let f = migrate(&[
        "--from-files",
        dump.to_str().unwrap(),
        "--format",
        "json",
        "--output-dir",
        out.to_str().unwrap(),
    ]);
    assert_eq!(c.code, f.code);
    assert_eq!(comparable(json_of(&c)), comparable(json_of(&f)));
}

#[test]
fn forbidden_kinds_make_checks_unverified_in_every_format() {
    let server = example_server();
    server.forbid("security.istio.io", "authorizationpolicies");
    let dir = tempfile::tempdir().unwrap();
    let kc = server.kubeconfig(dir.path());
    let kc = kc.to_str().unwrap();
    let out = dir.path().join("out");
    let out = out.to_str().unwrap();
    let t = migrate(&["--kubeconfig", kc, "--output-dir", out]);
    assert!(
        t.stderr.contains("warning: list authorizationpolicies.security.istio.io: forbidden (403): authorizationpolicies is forbidden: User \"test-user\" cannot list resource \"authorizationpolicies\" in API group \"security.istio.io\" at the cluster scope. Continuing without it; the checks that need it are marked unverified."),
        "{}",
        t.stderr
    );
    assert!(
        t.stdout.contains("[WARN] Policies are enforced at the waypoints could not be verified: list authorizationpolicies.security.istio.io was forbidden (403)\n"),
        "{}",
        t.stdout
    );
    let j = json_of(&migrate(&[
        "--kubeconfig",
        kc,
        "--output-dir",
        out,
        "--format",
        "json",
    ]));
    let check = j["phases"][3]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "policies-migrated")
        .unwrap()
        .clone();
    assert_eq!(check["status"], "unverified");
    assert!(j["phases"][3]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| !f["rule"].as_str().unwrap().starts_with("P00")));
    let s = json_of(&migrate(&[
        "--kubeconfig",
        kc,
        "--output-dir",
        out,
        "--format",
        "sarif",
    ]));
    let notes = s["runs"][0]["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    assert!(
        notes
            .iter()
            .any(|n| n["descriptor"]["id"] == "policies-migrated"
                && n["properties"]["status"] == "unverified"),
        "{notes:?}"
    );
}

#[test]
fn exit_2_when_nothing_can_be_read_and_errors_say_why() {
    let dir = tempfile::tempdir().unwrap();
    // unreachable
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let kc = dir.path().join("kc");
    std::fs::write(
        &kc,
        format!("apiVersion: v1\nkind: Config\ncurrent-context: a\ncontexts:\n- {{name: a, context: {{cluster: c, user: u}}}}\n- {{name: b, context: {{cluster: c, user: u}}}}\nclusters:\n- {{name: c, cluster: {{server: 'http://{closed}'}}}}\nusers:\n- {{name: u, user: {{token: x}}}}\n"),
    )
    .unwrap();
    let r = migrate(&["--kubeconfig", kc.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.starts_with(&format!(
            "error: cannot reach the API server http://{closed} of context \"a\""
        )),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("panicked") && !r.stderr.contains("backtrace"));
    // a context that does not exist
    let r = migrate(&["--kubeconfig", kc.to_str().unwrap(), "--context", "prod"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("context \"prod\" does not exist in")
            && r.stderr.contains("the contexts there are: a, b"),
        "{}",
        r.stderr
    );
    // KUBECONFIG is honoured
    let o = Command::new(env!("CARGO_BIN_EXE_ambient-lsp"))
        .args(["migrate", "--context", "nope"])
        .env("KUBECONFIG", &kc)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&o.stderr).contains("the contexts there are: a, b"));
    // everything forbidden
    let server = ApiServer::start(vec![
        serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}}),
    ]);
    for (g, res) in [
        ("", "namespaces"),
        ("", "services"),
        ("", "pods"),
        ("", "configmaps"),
        ("", "secrets"),
        ("", "nodes"),
        ("", "resourcequotas"),
        ("apps", "deployments"),
        ("apps", "statefulsets"),
        ("apps", "daemonsets"),
        ("apps", "replicasets"),
        ("batch", "jobs"),
        ("batch", "cronjobs"),
        ("networking.k8s.io", "networkpolicies"),
        (
            "admissionregistration.k8s.io",
            "mutatingwebhookconfigurations",
        ),
        (
            "admissionregistration.k8s.io",
            "validatingwebhookconfigurations",
        ),
        ("apiextensions.k8s.io", "customresourcedefinitions"),
    ] {
        server.forbid(g, res);
    }
    let kc2 = server.kubeconfig(dir.path());
    let r = migrate(&["--kubeconfig", kc2.to_str().unwrap()]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .starts_with("error: nothing could be read from context \"test\""),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("\n  list pods: forbidden (403)"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stdout, "");
}

/// With a terminal on stderr, one progress line per kind; `--quiet` silences them.
#[test]
fn progress_lines_on_a_terminal() {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: no `script` (util-linux) to give the binary a terminal");
        return;
    }
    let server = example_server();
    let dir = tempfile::tempdir().unwrap();
    let kc = server.kubeconfig(dir.path());
    let out = dir.path().join("out");
    let run = |extra: &str| {
        let cmd = format!(
            "{} migrate --kubeconfig {} --output-dir {} {extra} >/dev/null",
            env!("CARGO_BIN_EXE_ambient-lsp"),
            kc.display(),
            out.display()
        );
        let o = Command::new("script")
            .args(["-qec", &cmd, "/dev/null"])
            .env("HOME", "/nonexistent-home")
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).replace('\r', "")
    };
    let shown = run("");
    assert!(
        shown.contains("Reading context \"test\" (http://"),
        "{shown}"
    );
    assert!(
        shown
            .lines()
            .any(|l| l.trim_start().starts_with("pods") && l.contains(" objects ")),
        "{shown}"
    );
    assert!(shown.contains("not installed: "), "{shown}");
    let quiet = run("--quiet");
    assert!(!quiet.contains("Reading context"), "{quiet}");
    let _ = Path::new(".");
}

/// A server whose certificate the kubeconfig does not trust: a TLS error in words, exit 2.
#[test]
fn an_untrusted_certificate_is_a_tls_error() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("c.pem"), dir.path().join("k.pem"));
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output();
    if !made.is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: no openssl to make a certificate");
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = Command::new("openssl")
        .args(["s_server", "-quiet", "-www", "-accept", &port.to_string()])
        .arg("-cert")
        .arg(&cert)
        .arg("-key")
        .arg(&key)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..50 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let kc = dir.path().join("kc");
    std::fs::write(
        &kc,
        format!("apiVersion: v1\nkind: Config\ncurrent-context: a\ncontexts:\n- {{name: a, context: {{cluster: c, user: u}}}}\nclusters:\n- {{name: c, cluster: {{server: 'https://127.0.0.1:{port}'}}}}\nusers:\n- {{name: u, user: {{token: x}}}}\n"),
    )
    .unwrap();
    let r = migrate(&[
        "--kubeconfig",
        kc.to_str().unwrap(),
        "--request-timeout",
        "5s",
    ]);
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.starts_with(&format!("error: TLS handshake with the API server https://127.0.0.1:{port} of context \"a\" failed: invalid peer certificate")),
        "{}",
        r.stderr
    );
    assert_eq!(
        r.stderr.lines().count(),
        1,
        "one line, no log noise: {}",
        r.stderr
    );
}

const DRIFT_WORKSPACE: &str = r#"apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels:
    istio.io/dataplane-mode: ambient
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: cart
  namespace: shop
spec:
  replicas: 2
  selector:
    matchLabels: {app: cart}
  template:
    metadata:
      labels: {app: cart}
    spec:
      containers:
      - name: cart
        image: ghcr.io/acme/cart:1.4.2
---
apiVersion: v1
kind: Service
metadata:
  name: cart
  namespace: shop
spec:
  selector: {app: cart}
  ports:
  - name: http
    port: 8080
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: allow-frontend
  namespace: shop
spec:
  selector:
    matchLabels: {app: cart}
  rules:
  - from:
    - source:
        principals: ["cluster.local/ns/web/sa/frontend"]
"#;

/// The cluster of the drift scenario: the Deployment scaled by hand to 5 with another image,
/// the Service as the API server returns it (defaults and server-set fields), no
/// `allow-frontend` policy, and a DENY policy only the cluster has.
fn drift_cluster() -> Vec<Value> {
    use serde_json::json;
    vec![
        json!({"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": "shop", "labels": {"istio.io/dataplane-mode": "ambient", "kubernetes.io/metadata.name": "shop"}},
            "spec": {"finalizers": ["kubernetes"]}}),
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "cart", "namespace": "shop", "generation": 3,
                "annotations": {"deployment.kubernetes.io/revision": "3"}},
            "spec": {"replicas": 5, "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600,
                "selector": {"matchLabels": {"app": "cart"}},
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
                "template": {"metadata": {"creationTimestamp": null, "labels": {"app": "cart"}},
                    "spec": {"containers": [{"name": "cart", "image": "ghcr.io/acme/cart:1.4.3",
                        "imagePullPolicy": "IfNotPresent", "terminationMessagePath": "/dev/termination-log",
                        "terminationMessagePolicy": "File", "resources": {}}],
                        "dnsPolicy": "ClusterFirst", "restartPolicy": "Always", "schedulerName": "default-scheduler",
                        "securityContext": {}, "terminationGracePeriodSeconds": 30}}},
            "status": {"replicas": 5, "readyReplicas": 5}}),
        json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "cart", "namespace": "shop", "uid": "u-1", "resourceVersion": "7"},
            "spec": {"selector": {"app": "cart"}, "clusterIP": "10.96.4.7", "clusterIPs": ["10.96.4.7"],
                "type": "ClusterIP", "sessionAffinity": "None",
                "ports": [{"name": "http", "port": 8080, "protocol": "TCP", "targetPort": 8080}]}}),
        json!({"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
            "metadata": {"name": "deny-legacy", "namespace": "shop"},
            "spec": {"action": "DENY", "rules": [{"from": [{"source": {"namespaces": ["legacy"]}}]}]}}),
    ]
}

/// `--from-files DIR --compare-cluster`: the drift rules of the editor, in the CLI, in every
/// format, against the loopback API server (read-only); the analysis itself stays the files'.
#[test]
fn compare_cluster_reports_drift_in_every_format() {
    let server = ApiServer::start(drift_cluster());
    let dir = tempfile::tempdir().unwrap();
    let kc = server.kubeconfig(dir.path());
    let ws = dir.path().join("ws");
    std::fs::create_dir_all(&ws).unwrap();
    std::fs::write(ws.join("shop.yaml"), DRIFT_WORKSPACE).unwrap();
    let out = dir.path().join("out");
    let args = |format: &str| {
        vec![
            "--from-files".to_string(),
            ws.to_str().unwrap().to_string(),
            "--compare-cluster".to_string(),
            "--kubeconfig".to_string(),
            kc.to_str().unwrap().to_string(),
            "--context".to_string(),
            "other".to_string(),
            "--ignore-failures".to_string(),
            "--format".to_string(),
            format.to_string(),
            "--output-dir".to_string(),
            out.to_str().unwrap().to_string(),
        ]
    };
    let run = |format: &str, extra: &[&str]| {
        let mut a = args(format);
        a.extend(extra.iter().map(|s| s.to_string()));
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        migrate(&a)
    };

    // JSON: the three drift rules, located in the file
    let j = run("json", &[]);
    let v = json_of(&j);
    let mut drift: Vec<(String, String, i64)> = v["inputs"]["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"].as_str().is_some_and(|r| r.starts_with("DRIFT-")))
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
                f["location"]["line"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    drift.sort();
    assert_eq!(drift.len(), 3, "{drift:#?}\n{}", j.stderr);
    assert_eq!(drift[0].0, "DRIFT-001");
    assert!(
        drift[0].1.contains(
            "AuthorizationPolicy \"shop/allow-frontend\" is not in the cluster (context \"other\")"
        ),
        "{drift:?}"
    );
    assert_eq!(drift[0].2, 39, "on metadata.name of the policy");
    assert_eq!(drift[1].0, "DRIFT-002");
    assert!(
        drift[1].1.contains("\"spec.replicas\"")
            && drift[1]
                .1
                .contains("\"spec.template.spec.containers[name=cart].image\""),
        "{drift:?}"
    );
    assert_eq!(drift[1].2, 14, "on spec.replicas");
    assert_eq!(drift[2].0, "DRIFT-003");
    assert!(
        drift[2].1.contains("\"AuthorizationPolicy deny-legacy\""),
        "{drift:?}"
    );
    assert_eq!(drift[2].2, 4, "on the Namespace's name");
    // the Service matches once server-set fields and defaults are ignored
    assert!(!drift.iter().any(|d| d.1.contains("Service \"shop/cart\"")));
    // the analysis is the files' (the report's source), not the cluster's
    let f = migrate(&[
        "--from-files",
        ws.to_str().unwrap(),
        "--ignore-failures",
        "--format",
        "json",
        "--output-dir",
        out.to_str().unwrap(),
    ]);
    assert_eq!(j.code, f.code, "{}", j.stderr);
    let mut without = v.clone();
    without["inputs"]["problems"]
        .as_array_mut()
        .unwrap()
        .retain(|f| !f["rule"].as_str().unwrap().starts_with("DRIFT-"));
    assert_eq!(comparable(without), comparable(json_of(&f)));

    // SARIF: the same results with their rule ids and regions
    let s = run("sarif", &[]);
    let sv = json_of(&s);
    let mut ids: Vec<(String, i64)> = sv["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["ruleId"].as_str().unwrap().starts_with("DRIFT-"))
        .map(|r| {
            (
                r["ruleId"].as_str().unwrap().to_string(),
                r["locations"][0]["physicalLocation"]["region"]["startLine"]
                    .as_i64()
                    .unwrap_or(-1),
            )
        })
        .collect();
    ids.sort();
    assert_eq!(
        ids,
        [
            ("DRIFT-001".to_string(), 39),
            ("DRIFT-002".to_string(), 14),
            ("DRIFT-003".to_string(), 4)
        ],
        "{}",
        s.stdout
    );

    // text (information findings need --verbose)
    let t = run("text", &["--verbose", "--markers", "ascii"]);
    for needle in [
        "DRIFT-001",
        "DRIFT-002",
        "DRIFT-003",
        "\"shop/allow-frontend\" is not in the cluster",
    ] {
        assert!(t.stdout.contains(needle), "{needle}:\n{}", t.stdout);
    }

    // only reads
    for req in server.requests() {
        assert!(
            matches!(req.verb.as_str(), "get" | "list" | "watch"),
            "{req:?}"
        );
    }

    // a forbidden kind is named, and no drift is claimed for it
    server.forbid("security.istio.io", "authorizationpolicies");
    let j = run("json", &[]);
    let v = json_of(&j);
    let rules: Vec<&str> = v["inputs"]["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["rule"].as_str())
        .filter(|r| r.starts_with("DRIFT-"))
        .collect();
    assert_eq!(rules, ["DRIFT-002"], "{}", j.stdout);
    assert!(
        j.stderr
            .contains("authorizationpolicies.security.istio.io: forbidden (403)")
            && j.stderr.contains("no drift is reported for it"),
        "{}",
        j.stderr
    );

    // without a reachable cluster: exit 2 and the reason
    drop(server);
    let e = run("json", &[]);
    assert_eq!(e.code, 2, "{}", e.stderr);
    assert!(
        e.stderr.contains("cannot reach the API server"),
        "{}",
        e.stderr
    );

    // the cluster flags need --compare-cluster with --from-files
    let u = migrate(&["--from-files", ws.to_str().unwrap(), "--context", "other"]);
    assert_eq!(u.code, 2);
    assert!(u.stderr.contains("--compare-cluster"), "{}", u.stderr);
}

/// A manifest without `metadata.namespace` is applied by kubectl in the context's namespace
/// (`contexts[].context.namespace`), `default` when the context sets none: the comparison
/// pairs it with the cluster object there.
#[test]
fn compare_cluster_puts_manifests_without_namespace_in_the_contexts_namespace() {
    let server = ApiServer::start(drift_cluster());
    let dir = tempfile::tempdir().unwrap();
    let kc = server.kubeconfig(dir.path());
    let text = std::fs::read_to_string(&kc).unwrap();
    let with_ns = text.replace(
        "- name: other\n  context:\n    cluster: fake\n",
        "- name: other\n  context:\n    cluster: fake\n    namespace: shop\n",
    );
    assert_ne!(text, with_ns, "the kubeconfig has a context \"other\"");
    std::fs::write(&kc, with_ns).unwrap();
    let ws = dir.path().join("ws");
    std::fs::create_dir_all(&ws).unwrap();
    std::fs::write(
        ws.join("cart.yaml"),
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: cart\nspec:\n  selector:\n    app: cart\n  ports:\n  - name: http\n    port: 8080\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let drift = |context: &str| -> Vec<String> {
        let o = migrate(&[
            "--from-files",
            ws.to_str().unwrap(),
            "--compare-cluster",
            "--kubeconfig",
            kc.to_str().unwrap(),
            "--context",
            context,
            "--ignore-failures",
            "--format",
            "json",
            "--output-dir",
            out.to_str().unwrap(),
        ]);
        json_of(&o)["inputs"]["problems"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"].as_str().is_some_and(|r| r.starts_with("DRIFT-")))
            .map(|f| format!("{}: {}", f["rule"], f["message"]))
            .collect()
    };
    // context "other" (namespace shop): the Service is shop/cart, as in the cluster
    assert_eq!(drift("other"), Vec::<String>::new());
    // context "test" (no namespace): default/cart, which the cluster does not have
    let d = drift("test");
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(
        d[0].contains("DRIFT-001")
            && d[0].contains("Service \\\"default/cart\\\" is not in the cluster"),
        "{d:?}"
    );
}

/// `--compare-cluster` against a hostile or unlucky server: the text report with `-v` shows
/// each drift's values as `* …` detail lines; names from the cluster cannot forge or reorder
/// report lines (a newline and a right-to-left override are escaped); a kind whose list never
/// ends (a repeated continue token) or whose continue token expires twice is named in a
/// warning (one period) and the run goes on; an expiry once is retried from the start.
#[test]
fn compare_cluster_text_shows_values_escapes_names_and_survives_bad_pagination() {
    use serde_json::json;
    let mut objects = drift_cluster();
    objects.push(
        json!({"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
        "metadata": {"name": "evil\n[FAIL] forged line\u{202e}txt.exe", "namespace": "shop"},
        "spec": {"action": "ALLOW"}}),
    );
    for name in ["other", "more"] {
        objects.push(json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": "shop"},
            "spec": {"selector": {"app": name}, "ports": [{"port": 80}]}}));
    }
    let server = ApiServer::start(objects);
    let dir = tempfile::tempdir().unwrap();
    let kc = server.kubeconfig(dir.path());
    let ws = dir.path().join("ws");
    std::fs::create_dir_all(&ws).unwrap();
    std::fs::write(ws.join("shop.yaml"), DRIFT_WORKSPACE).unwrap();
    let out = dir.path().join("out");
    let run = |format: &str| {
        migrate(&[
            "--from-files",
            ws.to_str().unwrap(),
            "--compare-cluster",
            "--kubeconfig",
            kc.to_str().unwrap(),
            "--context",
            "other",
            "--ignore-failures",
            "--verbose",
            "--markers",
            "ascii",
            "--format",
            format,
            "--output-dir",
            out.to_str().unwrap(),
        ])
    };
    let t = run("text");
    assert!(
        t.stdout
            .lines()
            .any(|l| l == "* spec.replicas: 2 in the workspace, 5 in the cluster"),
        "{}",
        t.stdout
    );
    assert!(
        !t.stdout
            .lines()
            .any(|l| l.starts_with("[FAIL] forged line")),
        "{}",
        t.stdout
    );
    assert!(!t.stdout.contains('\u{202e}'), "{}", t.stdout);
    assert!(
        t.stdout
            .contains("evil\\n[FAIL] forged line\\u{202e}txt.exe"),
        "{}",
        t.stdout
    );
    // JSON keeps the name as it is
    let j = json_of(&run("json"));
    assert!(j.to_string().contains("evil\\n[FAIL] forged line"));

    // every list is one object a page from now on
    server.behave(|b| b.max_page = 1);
    // an expired continue token, once: the list starts again and nothing is lost
    server.behave(|b| {
        b.expire_continue.insert(("".into(), "services".into()), 1);
    });
    let t = run("text");
    assert!(!t.stderr.contains("services"), "{}", t.stderr);
    assert!(t.stderr.contains("3 drift findings"), "{}", t.stderr);

    assert!(!t
        .stdout
        .contains("Service \"shop/cart\" is not in the cluster"));
    // twice: the kind is named, with a single period, and nothing is claimed about it
    server.behave(|b| {
        b.expire_continue.insert(("".into(), "services".into()), 2);
    });
    let t = run("text");
    assert!(
        t.stderr.contains(
            "warning: list services: HTTP 410: The provided continue parameter is too old"
        ) && t.stderr.contains(
            "may show up in the list. Continuing without it; no drift is reported for it."
        ),
        "{}",
        t.stderr
    );
    assert!(!t.stderr.contains(".."), "{}", t.stderr);
    assert!(!t
        .stdout
        .contains("Service \"shop/cart\" is not in the cluster"));
    // a continue token handed back again: the kind is named, the run ends
    server.behave(|b| {
        b.expire_continue.clear();
        b.repeat_continue.insert(("".into(), "services".into()));
    });
    let started = std::time::Instant::now();
    let t = run("text");
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
    assert!(
        t.stderr
            .contains("warning: list services: the server sent the same continue token twice")
            && t.stderr.contains("no drift is reported for it"),
        "{}",
        t.stderr
    );
    assert!(
        t.stdout.contains("DRIFT-002"),
        "the other kinds are compared"
    );
}
