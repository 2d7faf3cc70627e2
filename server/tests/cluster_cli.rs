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
