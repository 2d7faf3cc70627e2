//! The language server with `ambient.cluster.enabled`, over stdio, against the tests' loopback
//! Kubernetes API server (server/tests/common/apiserver.rs, also checked with the real kubectl):
//! the cluster is read in the background with `$/progress`, drift is published as information
//! diagnostics (DRIFT-001…003) on the workspace manifests, watches keep it current, an edit
//! re-compares, `ambient.refreshCluster` reads again, and turning the setting off clears it. The
//! server only ever sends get, list and watch.
//!
//! It lives in this crate (not in `tests/`, crate e2e) so that the API server's dependencies do
//! not change the feature set the e2e tests build the binary with; the LSP test client is the
//! e2e one (`tests/src/lsp.rs`), on this crate's binary.

#[path = "common/apiserver.rs"]
mod apiserver;

#[path = "../../tests/src/lsp.rs"]
#[allow(dead_code)]
mod lsp;

use std::path::{Path, PathBuf};

use lsp::{uri, Client};
use serde_json::{json, Value};

/// The server binary, as `lsp::Client` starts it.
fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_ambient-lsp"))
}

const WORKSPACE: &str = r#"apiVersion: v1
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
        image: ghcr.io/acme/cart:1.4.2   # the version we want
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

fn cluster_objects() -> Vec<Value> {
    vec![
        json!({"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": "shop", "labels": {"istio.io/dataplane-mode": "ambient", "kubernetes.io/metadata.name": "shop"}},
            "spec": {"finalizers": ["kubernetes"]}}),
        deployment(5, "1.4.3"),
        json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "cart", "namespace": "shop", "uid": "u-1", "resourceVersion": "7"},
            "spec": {"selector": {"app": "cart"}, "clusterIP": "10.96.4.7", "clusterIPs": ["10.96.4.7"],
                "type": "ClusterIP", "sessionAffinity": "None",
                "ports": [{"name": "http", "port": 8080, "protocol": "TCP", "targetPort": 8080}]}}),
        // a pod that still runs its sidecar: a cluster-only fact
        json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "cart-7d4b9c8f6-x2k8p", "namespace": "shop",
                "labels": {"app": "cart", "security.istio.io/tlsMode": "istio"},
                "annotations": {"sidecar.istio.io/status": "{\"containers\":[\"istio-proxy\"]}"},
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "cart-7d4b9c8f6", "uid": "u-rs", "controller": true}]},
            "spec": {"containers": [{"name": "cart", "image": "ghcr.io/acme/cart:1.4.3"},
                {"name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.26.2"}]},
            "status": {"phase": "Running"}}),
        json!({"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
            "metadata": {"name": "deny-legacy", "namespace": "shop"},
            "spec": {"action": "DENY", "rules": [{"from": [{"source": {"namespaces": ["legacy"]}}]}]}}),
    ]
}

fn deployment(replicas: u32, tag: &str) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "cart", "namespace": "shop", "generation": 3,
            "annotations": {"deployment.kubernetes.io/revision": "3"}},
        "spec": {"replicas": replicas, "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600,
            "selector": {"matchLabels": {"app": "cart"}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
            "template": {"metadata": {"creationTimestamp": null, "labels": {"app": "cart"}},
                "spec": {"containers": [{"name": "cart", "image": format!("ghcr.io/acme/cart:{tag}"),
                    "imagePullPolicy": "IfNotPresent", "terminationMessagePath": "/dev/termination-log",
                    "terminationMessagePolicy": "File", "resources": {}}],
                    "dnsPolicy": "ClusterFirst", "restartPolicy": "Always", "schedulerName": "default-scheduler",
                    "securityContext": {}, "terminationGracePeriodSeconds": 30}}},
        "status": {"replicas": replicas, "readyReplicas": replicas}})
}

fn drift(diags: &[Value]) -> Vec<String> {
    let mut v: Vec<String> = diags
        .iter()
        .filter(|d| d["code"].as_str().is_some_and(|c| c.starts_with("DRIFT-")))
        .map(|d| {
            format!(
                "{} {}:{} {}",
                d["code"].as_str().unwrap(),
                d["range"]["start"]["line"],
                d["range"]["start"]["character"],
                d["message"].as_str().unwrap().lines().next().unwrap()
            )
        })
        .collect();
    v.sort();
    v
}

fn has(diags: &[Value], code: &str, needle: &str) -> bool {
    diags
        .iter()
        .any(|d| d["code"] == code && d["message"].as_str().is_some_and(|m| m.contains(needle)))
}

fn start(ws: &Path, kubeconfig: &Path, settings: Value) -> Client {
    Client::start_env(
        ws,
        settings,
        false,
        json!({}),
        &[("KUBECONFIG", kubeconfig.to_str().unwrap())],
    )
}

#[test]
fn drift_against_the_live_cluster_in_the_editor() {
    let server = apiserver::ApiServer::start(cluster_objects());
    let tmp = tempfile::tempdir().unwrap();
    let kc = server.kubeconfig(tmp.path());
    let ws = tempfile::tempdir().unwrap();
    let file = ws.path().join("shop.yaml");
    std::fs::write(&file, WORKSPACE).unwrap();
    let u = uri(&file);

    let mut c = start(ws.path(), &kc, json!({"cluster": {"enabled": true}}));
    let d = c.wait_diagnostics(&u, "the three drift rules", |d| {
        has(d, "DRIFT-001", "allow-frontend")
            && has(d, "DRIFT-002", "spec.replicas")
            && has(d, "DRIFT-003", "deny-legacy")
    });
    assert_eq!(
        drift(&d),
        [
            "DRIFT-001 38:8 AuthorizationPolicy \"shop/allow-frontend\" is not in the cluster (context \"test\"): it has not been applied, or was deleted there",
            "DRIFT-002 13:2 Deployment \"shop/cart\" differs from the cluster (context \"test\"): \"spec.replicas\", \"spec.template.spec.containers[name=cart].image\"",
            "DRIFT-003 3:8 Namespace \"shop\" has 1 object in the cluster (context \"test\") that the workspace does not have: \"AuthorizationPolicy deny-legacy\". The migration plan does not account for it",
        ],
        "{d:#?}"
    );
    let d2 = d.iter().find(|d| d["code"] == "DRIFT-002").unwrap();
    assert_eq!(d2["severity"], 3, "information");
    assert_eq!(d2["source"], "ambient");
    assert!(d2["message"]
        .as_str()
        .unwrap()
        .contains("spec.replicas: 2 in the workspace, 5 in the cluster"));
    let related = d2["relatedInformation"].as_array().unwrap();
    assert_eq!(related.len(), 1);
    assert_eq!(related[0]["location"]["range"]["start"]["line"], 22);
    // the Service matches once server-set fields and defaults are ignored
    assert!(!d.iter().any(|x| x["message"]
        .as_str()
        .unwrap()
        .contains("Service \"shop/cart\"")));
    // cluster-only facts join the analysis: the running pod with its sidecar is in the report
    let report = c.request(
        "workspace/executeCommand",
        json!({"command": "ambient.migrationReport", "arguments": []}),
    );
    let text = report["result"].to_string();
    assert!(
        text.contains("cart-7d4b9c8f6-x2k8p") && text.contains("R004"),
        "{text}"
    );
    // and no diagnostics are published for cluster objects
    assert!(c
        .latest("cluster://test/shop/Pod/cart-7d4b9c8f6-x2k8p")
        .is_none());
    // progress of the read
    let progress = c.progress();
    assert!(
        progress
            .iter()
            .any(|p| p["value"]["title"] == "Reading the cluster (read-only)"),
        "{progress:#?}"
    );

    // the cluster changes: the watch brings it in
    server.apply(vec![deployment(2, "1.4.2")]);
    let d = c.wait_diagnostics(&u, "DRIFT-002 gone after the watch", |d| {
        !has(d, "DRIFT-002", "cart") && has(d, "DRIFT-001", "allow-frontend")
    });
    assert_eq!(drift(&d).len(), 2, "{d:#?}");

    // an edit of the workspace is compared again: drop the policy the cluster lacks
    let opened = c.open(&file);
    let edited = WORKSPACE
        .split("\n---\napiVersion: security.istio.io/v1")
        .next()
        .unwrap()
        .to_string()
        + "\n";
    let v = c.change(&opened, &edited);
    let d = c.diagnostics_for(&u, Some(v), 0);
    assert_eq!(
        drift(&d),
        ["DRIFT-003 3:8 Namespace \"shop\" has 1 object in the cluster (context \"test\") that the workspace does not have: \"AuthorizationPolicy deny-legacy\". The migration plan does not account for it"]
    );

    // refresh: read again (the policy deleted meanwhile, with no watch event lost either way)
    server.delete(
        "security.istio.io",
        "authorizationpolicies",
        "shop",
        "deny-legacy",
    );
    let r = c.request(
        "workspace/executeCommand",
        json!({"command": "ambient.refreshCluster", "arguments": []}),
    );
    let res = &r["result"];
    assert_eq!(res["context"], "test", "{r}");
    assert_eq!(res["objects"], 4, "{r}");
    let d = c.wait_diagnostics(&u, "no drift left", |d| drift(d).is_empty());
    assert!(drift(&d).is_empty());

    // the server only reads
    for req in server.requests() {
        assert!(
            matches!(req.verb.as_str(), "get" | "list" | "watch"),
            "{req:?}"
        );
    }

    // disabled: drift diagnostics go away; the refresh command says why it cannot run
    server.apply(vec![deployment(7, "1.4.2")]);
    let _ = c.wait_diagnostics(&u, "drift again", |d| has(d, "DRIFT-002", "spec.replicas"));
    *c.settings.lock().unwrap() = json!({"cluster": {"enabled": false}});
    c.notify("workspace/didChangeConfiguration", json!({"settings": {}}));
    let _ = c.wait_diagnostics(&u, "drift cleared", |d| drift(d).is_empty());
    let r = c.request(
        "workspace/executeCommand",
        json!({"command": "ambient.refreshCluster", "arguments": []}),
    );
    assert!(
        r["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("ambient.cluster.enabled")),
        "{r}"
    );
    assert_eq!(c.shutdown(), 0);
}

/// The watches survive what ends them on a real cluster: the connection closes and the history
/// they would resume from is compacted (`410 Gone`). The server lists the kind again, so the
/// change made meanwhile shows, and watches on, so later changes show too.
#[test]
fn the_view_stays_current_after_a_watch_gets_410_gone() {
    let server = apiserver::ApiServer::start(cluster_objects());
    let tmp = tempfile::tempdir().unwrap();
    let kc = server.kubeconfig(tmp.path());
    let ws = tempfile::tempdir().unwrap();
    let file = ws.path().join("shop.yaml");
    std::fs::write(&file, WORKSPACE).unwrap();
    let u = uri(&file);
    let mut c = start(ws.path(), &kc, json!({"cluster": {"enabled": true}}));
    let _ = c.wait_diagnostics(&u, "drift of replicas", |d| {
        has(d, "DRIFT-002", "spec.replicas")
    });
    let deployments = |verb: &str| {
        server
            .requests()
            .iter()
            .filter(|q| q.verb == verb && q.resource == Some(("apps".into(), "deployments".into())))
            .count()
    };
    let deadline = std::time::Instant::now() + lsp::TIMEOUT;
    while deployments("watch") == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "no watch of deployments"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    let lists = deployments("list");
    server.expire_watches(vec![deployment(2, "1.4.2")], &[]);
    let _ = c.wait_diagnostics(&u, "DRIFT-002 gone after listing again", |d| {
        !has(d, "DRIFT-002", "cart") && has(d, "DRIFT-001", "allow-frontend")
    });
    assert_eq!(deployments("list"), lists + 1, "deployments listed again");
    // and watched again: a later change shows without another list
    let watches = deployments("watch");
    let deadline = std::time::Instant::now() + lsp::TIMEOUT;
    while deployments("watch") == watches {
        assert!(
            std::time::Instant::now() < deadline,
            "no new watch of deployments"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    server.apply(vec![deployment(6, "1.4.2")]);
    let _ = c.wait_diagnostics(&u, "DRIFT-002 back from the resumed watch", |d| {
        has(d, "DRIFT-002", "spec.replicas")
    });
    assert_eq!(deployments("list"), lists + 1);
    for req in server.requests() {
        assert!(
            matches!(req.verb.as_str(), "get" | "list" | "watch"),
            "{req:?}"
        );
    }
    assert_eq!(c.shutdown(), 0);
}

#[test]
fn an_unknown_context_is_reported_and_the_workspace_still_analysed() {
    let server = apiserver::ApiServer::start(cluster_objects());
    let tmp = tempfile::tempdir().unwrap();
    let kc = server.kubeconfig(tmp.path());
    let ws = tempfile::tempdir().unwrap();
    let file = ws.path().join("shop.yaml");
    std::fs::write(&file, WORKSPACE).unwrap();
    let mut c = start(
        ws.path(),
        &kc,
        json!({"cluster": {"enabled": true, "context": "prdo"}}),
    );
    c.wait_indexed();
    c.sync();
    let deadline = std::time::Instant::now() + lsp::TIMEOUT;
    let msg = loop {
        if let Some(m) = c.show_messages().into_iter().next() {
            break m;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no window/showMessage"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let text = msg["message"].as_str().unwrap();
    assert!(
        text.contains("prdo") && text.contains("test") && text.contains("other"),
        "names the contexts that exist: {text}"
    );
    assert_eq!(msg["type"], 1, "an error");
    let d = c
        .latest(&uri(&file))
        .map(|p| p.diagnostics)
        .unwrap_or_default();
    assert!(drift(&d).is_empty());
    // the other context of the kubeconfig works
    *c.settings.lock().unwrap() = json!({"cluster": {"enabled": true, "context": "other"}});
    c.notify("workspace/didChangeConfiguration", json!({"settings": {}}));
    let d = c.wait_diagnostics(&uri(&file), "drift of context other", |d| {
        has(d, "DRIFT-002", "context \"other\"")
    });
    assert!(!drift(&d).is_empty());
    assert_eq!(c.shutdown(), 0);
}
