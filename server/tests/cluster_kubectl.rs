//! The test API server behaves like an API server, not like what our client happens to expect:
//! the real `kubectl` works against it. `AMBIENT_KUBECTL` lists the kubectl binaries to check
//! (colon-separated; scripts/test sets it to Debian's `kubernetes-client` and the `kubectl` on
//! PATH); without it, the `kubectl` on PATH. In CI (`CI` set) a missing kubectl fails the test.

#[path = "common/apiserver.rs"]
mod apiserver;
mod common;

use std::path::PathBuf;
use std::process::{Command, Stdio};

use apiserver::ApiServer;
use common::commands_check::kubectls;
use serde_json::Value;

fn kubectl(k: &PathBuf, kc: &std::path::Path, args: &[&str]) -> String {
    let o = Command::new(k)
        .args(args)
        .env("KUBECONFIG", kc)
        .env("HOME", kc.parent().unwrap())
        .output()
        .expect("run kubectl");
    assert!(
        o.status.success(),
        "{} {args:?} failed: {}",
        k.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn kubectl_works_against_the_test_server() {
    let ks = kubectls();
    if ks.is_empty() {
        assert!(
            std::env::var_os("CI").is_none(),
            "no kubectl found (AMBIENT_KUBECTL or PATH); scripts/test installs Debian's kubernetes-client"
        );
        eprintln!(
            "skipped: no kubectl (install Debian's kubernetes-client or set AMBIENT_KUBECTL)"
        );
        return;
    }
    let objects = apiserver::objects_of_paths(&[common::repo_root().join("examples/mesh")]);
    let policies: Vec<String> = objects
        .iter()
        .filter(|o| o["kind"] == "AuthorizationPolicy")
        .map(|o| {
            format!(
                "{}/{}",
                o["metadata"]["namespace"].as_str().unwrap(),
                o["metadata"]["name"].as_str().unwrap()
            )
        })
        .collect();
    let pods: Vec<(String, String)> = objects
        .iter()
        .filter(|o| o["kind"] == "Pod")
        .map(|o| {
            (
                o["metadata"]["namespace"].as_str().unwrap().to_string(),
                o["metadata"]["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(policies.len() > 3 && !pods.is_empty());
    let server = ApiServer::start(objects);
    let dir = tempfile::tempdir().unwrap();
    let kc = server.kubeconfig(dir.path());
    for k in &ks {
        eprintln!(
            "{}: {}",
            k.display(),
            kubectl(k, &kc, &["version", "--client"])
                .lines()
                .next()
                .unwrap_or("")
        );
        // get pods -A: a table with the namespace column
        let out = kubectl(k, &kc, &["get", "pods", "-A"]);
        let header: Vec<&str> = out.lines().next().unwrap().split_whitespace().collect();
        assert_eq!(&header[..2], ["NAMESPACE", "NAME"], "{out}");
        for (ns, name) in &pods {
            assert!(
                out.lines().any(|l| l
                    .split_whitespace()
                    .take(2)
                    .eq([ns.as_str(), name.as_str()])),
                "{ns}/{name} missing:\n{out}"
            );
        }
        // api-resources: built-in and custom kinds, with their groups
        let out = kubectl(k, &kc, &["api-resources"]);
        let row = |name: &str| {
            out.lines()
                .find(|l| l.split_whitespace().next() == Some(name))
                .unwrap_or_else(|| panic!("{name} missing:\n{out}"))
                .to_string()
        };
        assert!(
            row("authorizationpolicies").contains("security.istio.io/v1"),
            "{out}"
        );
        assert!(row("pods").split_whitespace().any(|c| c == "po"), "{out}");
        assert!(
            row("httproutes").contains("gateway.networking.k8s.io/v1"),
            "{out}"
        );
        // get authorizationpolicies -A -o yaml: every policy, as objects kubectl could apply
        let out = kubectl(
            k,
            &kc,
            &["get", "authorizationpolicies", "-A", "-o", "yaml"],
        );
        let list = apiserver::objects_of_yaml(&out);
        let mut got: Vec<String> = list
            .iter()
            .map(|o| {
                assert_eq!(o["apiVersion"], "security.istio.io/v1");
                assert_eq!(o["kind"], "AuthorizationPolicy");
                format!(
                    "{}/{}",
                    o["metadata"]["namespace"].as_str().unwrap(),
                    o["metadata"]["name"].as_str().unwrap()
                )
            })
            .collect();
        got.sort();
        let mut want = policies.clone();
        want.sort();
        assert_eq!(got, want);
        // get one object, by short name, as JSON
        let (ns, name) = &pods[0];
        let one: Value = serde_json::from_str(&kubectl(
            k,
            &kc,
            &["get", "po", "-n", ns, name, "-o", "json"],
        ))
        .unwrap();
        assert_eq!(one["kind"], "Pod");
        assert_eq!(one["metadata"]["name"], name.as_str());
        // a missing object is a NotFound kubectl understands
        let o = Command::new(k)
            .args(["get", "pod", "-n", ns, "nope"])
            .env("KUBECONFIG", &kc)
            .output()
            .unwrap();
        assert!(!o.status.success());
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("not found"),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        // pagination: kubectl's own chunking (--chunk-size) walks the continue tokens
        let out = kubectl(
            k,
            &kc,
            &[
                "get",
                "authorizationpolicies",
                "-A",
                "--chunk-size=2",
                "-o",
                "name",
            ],
        );
        assert_eq!(out.lines().count(), policies.len(), "{out}");
        // a forbidden kind is reported by kubectl as the server words it
        server.forbid("", "secrets");
        let o = Command::new(k)
            .args(["get", "secrets", "-A"])
            .env("KUBECONFIG", &kc)
            .output()
            .unwrap();
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("cannot list resource \"secrets\""),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        server.behave(|b| b.forbidden.clear());
        // watch: kubectl get --watch streams the current objects, then changes
        let mut child = Command::new(k)
            .args(["get", "namespaces", "--watch", "-o", "name"])
            .env("KUBECONFIG", &kc)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1500));
        server.apply(vec![serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": format!("watched-{}", k.display().to_string().len())}})]);
        std::thread::sleep(std::time::Duration::from_millis(1500));
        let _ = child.kill();
        let out = child.wait_with_output().unwrap();
        let out = String::from_utf8_lossy(&out.stdout);
        assert!(out.contains("namespace/bookinfo"), "{out}");
        assert!(
            out.contains("namespace/watched-"),
            "the watch did not see the new namespace:\n{out}"
        );
    }
    let reqs = server.requests();
    assert!(reqs.iter().any(|r| r.verb == "watch"));
    assert!(reqs.iter().any(|r| r.query.contains("continue=")));
}
