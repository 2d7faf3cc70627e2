//! The cluster source (`ambient_lsp::cluster`) with the real kube client against the loopback
//! API server of `common/apiserver.rs`: discovery, pagination, metadata-only Secrets, 403 on one
//! kind, missing groups, timeouts, watches, error messages, and the RBAC of docs/cluster.md.

#[path = "common/apiserver.rs"]
mod apiserver;
mod common;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ambient_lsp::cluster::{
    self, kinds::WANTED, Change, Cluster, ClusterError, Event, Options, Outcome,
};
use apiserver::ApiServer;
use futures::StreamExt;
use serde_json::{json, Value};

fn crd(group: &str, kind: &str, plural: &str, versions: &[&str], namespaced: bool) -> Value {
    json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": format!("{plural}.{group}")},
        "spec": {
            "group": group, "scope": if namespaced { "Namespaced" } else { "Cluster" },
            "names": {"kind": kind, "plural": plural, "singular": kind.to_ascii_lowercase()},
            "versions": versions.iter().enumerate().map(|(i, v)| json!({"name": v, "served": true, "storage": i == 0})).collect::<Vec<_>>(),
        }
    })
}

fn obj(api_version: &str, kind: &str, ns: Option<&str>, name: &str) -> Value {
    let mut m = json!({"name": name});
    if let Some(n) = ns {
        m["namespace"] = json!(n);
    }
    json!({"apiVersion": api_version, "kind": kind, "metadata": m})
}

fn opts(server: &ApiServer, dir: &std::path::Path) -> Options {
    Options {
        kubeconfig: Some(server.kubeconfig(dir)),
        request_timeout: Duration::from_secs(5),
        ..Options::default()
    }
}

fn quiet() -> cluster::Progress {
    Arc::new(|_: &Event| {})
}

fn status<'a>(
    kinds: &'a [cluster::KindStatus],
    group: &str,
    kind: &str,
) -> &'a cluster::KindStatus {
    kinds
        .iter()
        .find(|k| k.want.group == group && k.want.kind == kind)
        .unwrap_or_else(|| panic!("no status for {group}/{kind}"))
}

/// Istio CRDs as a real install has them: EnvoyFilter only at v1alpha3, the rest at v1, v1beta1
/// and v1alpha3; Gateway API at v1 and v1beta1.
fn istio_scenario() -> Vec<Value> {
    let mut v = vec![
        crd(
            "networking.istio.io",
            "VirtualService",
            "virtualservices",
            &["v1", "v1beta1", "v1alpha3"],
            true,
        ),
        crd(
            "networking.istio.io",
            "EnvoyFilter",
            "envoyfilters",
            &["v1alpha3"],
            true,
        ),
        crd(
            "networking.istio.io",
            "Gateway",
            "gateways",
            &["v1", "v1beta1", "v1alpha3"],
            true,
        ),
        crd(
            "gateway.networking.k8s.io",
            "HTTPRoute",
            "httproutes",
            &["v1", "v1beta1"],
            true,
        ),
        crd(
            "gateway.networking.k8s.io",
            "Gateway",
            "gateways",
            &["v1", "v1beta1"],
            true,
        ),
        obj("v1", "Namespace", None, "shop"),
        obj(
            "networking.istio.io/v1beta1",
            "VirtualService",
            Some("shop"),
            "cart",
        ),
        obj(
            "networking.istio.io/v1alpha3",
            "EnvoyFilter",
            Some("shop"),
            "lua",
        ),
        obj("networking.istio.io/v1", "Gateway", Some("shop"), "ingress"),
        obj(
            "gateway.networking.k8s.io/v1beta1",
            "HTTPRoute",
            Some("shop"),
            "cart",
        ),
        obj(
            "gateway.networking.k8s.io/v1",
            "Gateway",
            Some("shop"),
            "waypoint",
        ),
    ];
    v.push(json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "istio-remote-secret-east", "namespace": "istio-system", "labels": {"istio/multiCluster": "true"}}, "data": {"east": "c2VjcmV0LWt1YmVjb25maWc="}}));
    v.push(json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db-password", "namespace": "shop"}, "data": {"password": "aHVudGVyMg=="}}));
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_resolves_kinds_to_served_versions() {
    let server = ApiServer::start(istio_scenario());
    let dir = tempfile::tempdir().unwrap();
    let c = Cluster::connect(opts(&server, dir.path())).await.unwrap();
    let (served, not_installed) = c.discover().await.unwrap();
    let find = |g: &str, k: &str| {
        served
            .iter()
            .find(|r| r.want.group == g && r.want.kind == k)
            .cloned()
    };
    let vs = find("networking.istio.io", "VirtualService").unwrap();
    assert_eq!(
        (vs.version.as_str(), vs.plural.as_str(), vs.namespaced),
        ("v1", "virtualservices", true)
    );
    // EnvoyFilter is only served at v1alpha3: found there, not assumed at the preferred version
    assert_eq!(
        find("networking.istio.io", "EnvoyFilter").unwrap().version,
        "v1alpha3"
    );
    assert_eq!(
        find("gateway.networking.k8s.io", "HTTPRoute")
            .unwrap()
            .version,
        "v1"
    );
    assert_eq!(find("", "Pod").unwrap().url_path(), "/api/v1/pods");
    // groups that are not installed contribute nothing
    assert!(not_installed
        .iter()
        .any(|w| w.group == "security.istio.io" && w.kind == "AuthorizationPolicy"));
    assert!(find("security.istio.io", "AuthorizationPolicy").is_none());
    // only the wanted groups' documents were read
    let paths: BTreeSet<String> = server.requests().iter().map(|r| r.path.clone()).collect();
    assert!(
        paths.contains("/api")
            && paths.contains("/apis")
            && paths.contains("/apis/networking.istio.io/v1")
    );
    assert!(
        !paths
            .iter()
            .any(|p| p.starts_with("/apis/rbac.authorization.k8s.io")),
        "{paths:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hidden_group_is_not_installed_and_its_404_is_not_an_error() {
    let server = ApiServer::start(istio_scenario());
    server.behave(|b| {
        b.hidden_groups.insert("gateway.networking.k8s.io".into());
    });
    let dir = tempfile::tempdir().unwrap();
    let c = Cluster::connect(opts(&server, dir.path())).await.unwrap();
    let snap = c.load(quiet()).await.unwrap();
    assert_eq!(
        status(&snap.kinds, "gateway.networking.k8s.io", "HTTPRoute").outcome,
        Outcome::NotInstalled
    );
    assert!(matches!(
        status(&snap.kinds, "networking.istio.io", "VirtualService").outcome,
        Outcome::Read { objects: 1, .. }
    ));
    // a 404 straight from a group's document (a version that went away) is skipped too
    let server2 = ApiServer::start(istio_scenario());
    server2.behave(|b| {
        b.hidden_groups.insert("networking.istio.io".into());
    });
    let c2 = Cluster::connect(opts(&server2, dir.path())).await.unwrap();
    let snap2 = c2.load(quiet()).await.unwrap();
    assert_eq!(
        status(&snap2.kinds, "networking.istio.io", "EnvoyFilter").outcome,
        Outcome::NotInstalled
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_keep_their_types_and_get_cluster_uris() {
    let server = ApiServer::start(istio_scenario());
    let dir = tempfile::tempdir().unwrap();
    let c = Cluster::connect(opts(&server, dir.path())).await.unwrap();
    let (index, kinds, who) = c.load(quiet()).await.unwrap().into_index();
    assert_eq!(who.context, "test");
    let paths: BTreeSet<String> = index.files().map(|f| f.path.to_string()).collect();
    for p in [
        "cluster://test/Namespace/shop",
        "cluster://test/shop/VirtualService/cart",
        "cluster://test/shop/Gateway.networking.istio.io/ingress",
        "cluster://test/shop/Gateway.gateway.networking.k8s.io/waypoint",
        "cluster://test/istio-system/Secret/istio-remote-secret-east",
    ] {
        assert!(paths.contains(p), "{p} not in {paths:?}");
    }
    // only the remote secret (label selector), and as metadata: the data never arrived
    assert!(!paths.iter().any(|p| p.contains("db-password")));
    let secret_req = server
        .requests()
        .into_iter()
        .find(|r| r.path == "/api/v1/secrets")
        .unwrap();
    assert!(
        secret_req.accept.contains("as=PartialObjectMetadataList"),
        "{}",
        secret_req.accept
    );
    assert!(
        secret_req
            .query
            .contains("labelSelector=istio%2FmultiCluster%3Dtrue"),
        "{}",
        secret_req.query
    );
    // built-in list items carry no apiVersion/kind: filled in from discovery
    let ns = index.find("", "Namespace", "", "shop").unwrap();
    assert_eq!(ns.api_version, "v1");
    // custom resources are served at the version read (v1), as a real server converts them
    let vs = index
        .find("networking.istio.io", "VirtualService", "shop", "cart")
        .unwrap();
    assert_eq!(vs.api_version, "networking.istio.io/v1");
    let ef = index
        .find("networking.istio.io", "EnvoyFilter", "shop", "lua")
        .unwrap();
    assert_eq!(ef.api_version, "networking.istio.io/v1alpha3");
    assert!(kinds.iter().all(|k| k.problem().is_none()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_thousand_pods_arrive_in_pages_with_continue() {
    let mut objects = apiserver::pods(20_000, 40);
    objects.push(obj("v1", "Namespace", None, "ns-0000"));
    let server = ApiServer::start(objects);
    let dir = tempfile::tempdir().unwrap();
    let pages = Arc::new(Mutex::new(Vec::new()));
    let p2 = pages.clone();
    let progress: cluster::Progress = Arc::new(move |e: &Event| {
        if let Event::Page {
            kind,
            objects_so_far,
        } = e
        {
            if kind.plural == "pods" {
                p2.lock().unwrap().push(*objects_so_far);
            }
        }
    });
    let c = Cluster::connect(Options {
        page_size: 500,
        ..opts(&server, dir.path())
    })
    .await
    .unwrap();
    let snap = c.load(progress).await.unwrap();
    let st = status(&snap.kinds, "", "Pod").clone();
    let Outcome::Read {
        objects,
        pages: n,
        resource_version,
    } = &st.outcome
    else {
        panic!("{st:?}")
    };
    assert_eq!((*objects, *n), (20_000, 40));
    assert_eq!(resource_version, &server.resource_version().to_string());
    assert_eq!(pages.lock().unwrap().len(), 40, "converted page by page");
    assert_eq!(pages.lock().unwrap()[0], 500);
    let pod_reqs: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.path == "/api/v1/pods")
        .collect();
    assert_eq!(pod_reqs.len(), 40);
    assert!(pod_reqs.iter().all(|r| r.query.contains("limit=500")));
    assert!(!pod_reqs[0].query.contains("continue="));
    assert!(pod_reqs[1..].iter().all(|r| r.query.contains("continue=")));
    let (index, _, _) = snap.into_index();
    assert_eq!(index.resource_count(), 20_001);
    // the pruned pod still has what the rules read: its sidecar, labels and owner
    let p = index.ns("ns-0003").find(|r| r.kind == "Pod").unwrap();
    let ambient_lsp::model::Body::Workload(w) = &p.body else {
        panic!()
    };
    assert!(w.istio_proxy().is_some());
    assert_eq!(w.init_containers[0].name, "istio-init");
    assert_eq!(p.owner_refs[0].kind, "ReplicaSet");
    assert!(p.labels.get("app").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forbidden_kind_is_named_and_the_rest_is_read() {
    let server = ApiServer::start(istio_scenario());
    server.forbid("networking.istio.io", "virtualservices");
    let dir = tempfile::tempdir().unwrap();
    let c = Cluster::connect(opts(&server, dir.path())).await.unwrap();
    let snap = c.load(quiet()).await.unwrap();
    let vs = status(&snap.kinds, "networking.istio.io", "VirtualService");
    let Outcome::Forbidden { verb, message } = &vs.outcome else {
        panic!("{vs:?}")
    };
    assert_eq!(*verb, "list");
    assert!(
        message.contains("cannot list resource \"virtualservices\""),
        "{message}"
    );
    assert_eq!(
        vs.problem().unwrap().split(':').next().unwrap(),
        "list virtualservices.networking.istio.io"
    );
    assert!(matches!(
        status(&snap.kinds, "networking.istio.io", "EnvoyFilter").outcome,
        Outcome::Read { objects: 1, .. }
    ));
    let unverified = cluster::unverified(&snap.kinds);
    let checks: Vec<&str> = unverified.iter().map(|(c, _)| c.as_str()).collect();
    assert!(
        checks.contains(&"waypoints-needed") && checks.contains(&"cleanup"),
        "{checks:?}"
    );
    assert!(!checks.contains(&"crds"), "{checks:?}");
    assert!(unverified[0]
        .1
        .contains("list virtualservices.networking.istio.io was forbidden (403)"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_kind_times_out_alone() {
    let server = ApiServer::start(istio_scenario());
    server.behave(|b| {
        b.slow.insert(
            ("networking.istio.io".into(), "envoyfilters".into()),
            Duration::from_secs(4),
        );
    });
    let dir = tempfile::tempdir().unwrap();
    let c = Cluster::connect(Options {
        request_timeout: Duration::from_secs(1),
        ..opts(&server, dir.path())
    })
    .await
    .unwrap();
    let started = std::time::Instant::now();
    let snap = c.load(quiet()).await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "waited for the slow kind: {:?}",
        started.elapsed()
    );
    let ef = status(&snap.kinds, "networking.istio.io", "EnvoyFilter");
    assert_eq!(
        ef.outcome,
        Outcome::Failed {
            message: "no answer within 1 s (raise --request-timeout)".into()
        }
    );
    assert!(matches!(
        status(&snap.kinds, "networking.istio.io", "VirtualService").outcome,
        Outcome::Read { .. }
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_readable_is_an_error_that_lists_why() {
    let server = ApiServer::start(vec![obj("v1", "Namespace", None, "a")]);
    for (g, r) in [
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
        server.forbid(g, r);
    }
    let dir = tempfile::tempdir().unwrap();
    let c = Cluster::connect(opts(&server, dir.path())).await.unwrap();
    let err = c.load(quiet()).await.err().expect("nothing could be read");
    let msg = err.to_string();
    assert!(matches!(err, ClusterError::NothingRead { .. }), "{msg}");
    assert!(
        msg.starts_with("nothing could be read from context \"test\""),
        "{msg}"
    );
    assert!(msg.contains("list pods: forbidden (403)"), "{msg}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_follows_changes_from_the_list_resource_version() {
    let server = ApiServer::start(istio_scenario());
    let dir = tempfile::tempdir().unwrap();
    let c = Cluster::connect(opts(&server, dir.path())).await.unwrap();
    let snap = c.load(quiet()).await.unwrap();
    let vs = status(&snap.kinds, "networking.istio.io", "VirtualService").clone();
    let Outcome::Read {
        resource_version, ..
    } = &vs.outcome
    else {
        panic!()
    };
    let r = vs.resolved.clone().unwrap();
    let mut stream = Box::pin(c.watch(&r, resource_version, 3).await.unwrap());
    server.apply(vec![obj(
        "networking.istio.io/v1",
        "VirtualService",
        Some("shop"),
        "reviews",
    )]);
    server.delete("networking.istio.io", "virtualservices", "shop", "cart");
    let mut applied = Vec::new();
    let mut deleted = Vec::new();
    let mut bookmarks = 0;
    while let Some(ev) = tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .unwrap()
    {
        match ev.unwrap() {
            Change::Applied(fd) => {
                assert_eq!(fd.resources[0].api_version, "networking.istio.io/v1");
                applied.push(fd.path.to_string())
            }
            Change::Deleted { uri } => deleted.push(uri),
            Change::Bookmark { .. } => bookmarks += 1,
            Change::Relisted { .. } => panic!("a plain watch never lists"),
        }
        if !applied.is_empty() && !deleted.is_empty() {
            break;
        }
    }
    assert_eq!(applied, vec!["cluster://test/shop/VirtualService/reviews"]);
    assert_eq!(deleted, vec!["cluster://test/shop/VirtualService/cart"]);
    let _ = bookmarks;
    let w = server
        .requests()
        .into_iter()
        .find(|r| r.verb == "watch")
        .unwrap();
    assert!(
        w.query
            .contains(&format!("resourceVersion={resource_version}")),
        "{}",
        w.query
    );
    assert!(w.query.contains("allowWatchBookmarks=true"));
}

/// A watch that cannot resume (its history was compacted: `410 Gone`; the connection was
/// closed meanwhile) lists the kind again and watches from that list: changes made while the
/// watch was down are seen, the objects deleted meanwhile leave the view.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_lists_again_after_410_gone_and_keeps_watching() {
    let server = ApiServer::start(istio_scenario());
    let dir = tempfile::tempdir().unwrap();
    let c = Cluster::connect(opts(&server, dir.path())).await.unwrap();
    let snap = c.load(quiet()).await.unwrap();
    let vs = status(&snap.kinds, "networking.istio.io", "VirtualService").clone();
    let Outcome::Read {
        resource_version, ..
    } = vs.outcome.clone()
    else {
        panic!()
    };
    let r = vs.resolved.clone().unwrap();
    let (index, _, _) = snap.into_index();
    let cart = "cluster://test/shop/VirtualService/cart";
    let reviews = "cluster://test/shop/VirtualService/reviews";
    let ratings = "cluster://test/shop/VirtualService/ratings";
    assert!(index.id_of(cart).is_some());
    let index = Arc::new(Mutex::new(index));
    let seen: Arc<Mutex<Vec<&'static str>>> = Arc::default();
    let task = {
        let (c, r, index, seen) = (c.clone(), r.clone(), index.clone(), seen.clone());
        tokio::spawn(async move {
            let kind = r.clone();
            c.follow(&kind, resource_version, 30, move |ch| {
                seen.lock().unwrap().push(match &ch {
                    Change::Applied(_) => "applied",
                    Change::Deleted { .. } => "deleted",
                    Change::Bookmark { .. } => "bookmark",
                    Change::Relisted { .. } => "relisted",
                });
                cluster::apply_change(&mut index.lock().unwrap(), &r, ch);
            })
            .await
        })
    };
    let vs_requests = |verb: &str| {
        server
            .requests()
            .into_iter()
            .filter(|q| {
                q.verb == verb
                    && q.resource
                        == Some((
                            "networking.istio.io".to_string(),
                            "virtualservices".to_string(),
                        ))
            })
            .collect::<Vec<_>>()
    };
    let wait = |what: &str, f: &dyn Fn() -> bool| {
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        while !f() {
            assert!(
                std::time::Instant::now() < deadline,
                "timed out: {what}; changes {:?}; requests {:#?}",
                seen.lock().unwrap(),
                server
                    .requests()
                    .iter()
                    .filter(|q| q.verb != "get")
                    .map(|q| format!("{} {} {} {}", q.verb, q.path, q.query, q.status))
                    .collect::<Vec<_>>()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    wait("the first watch", &|| !vs_requests("watch").is_empty());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let lists_before = vs_requests("list").len();

    // the connection breaks, and before the client is back the history is compacted
    server.expire_watches(
        vec![obj(
            "networking.istio.io/v1",
            "VirtualService",
            Some("shop"),
            "reviews",
        )],
        &[("networking.istio.io", "virtualservices", "shop", "cart")],
    );
    let has = |uri: &str| {
        let idx = index.lock().unwrap();
        idx.id_of(uri).and_then(|id| idx.file(id)).is_some()
    };
    wait("the change made while the watch was down", &|| {
        has(reviews) && !has(cart)
    });
    assert!(
        seen.lock().unwrap().contains(&"relisted"),
        "{:?}",
        seen.lock().unwrap()
    );
    assert_eq!(
        vs_requests("list").len(),
        lists_before + 1,
        "listed once more"
    );
    // and it watches again from that list: a later change arrives as an event
    wait("a watch after that list", &|| {
        let log: Vec<String> = server
            .requests()
            .into_iter()
            .filter(|q| {
                q.resource
                    == Some((
                        "networking.istio.io".to_string(),
                        "virtualservices".to_string(),
                    ))
            })
            .map(|q| q.verb)
            .collect();
        log.iter().rposition(|v| v == "watch") > log.iter().rposition(|v| v == "list")
    });
    server.apply(vec![obj(
        "networking.istio.io/v1",
        "VirtualService",
        Some("shop"),
        "ratings",
    )]);
    wait("a later change", &|| has(ratings));
    assert_eq!(
        vs_requests("list").len(),
        lists_before + 1,
        "no list for an event"
    );
    assert!(seen.lock().unwrap().contains(&"applied"));
    for q in server.requests() {
        assert!(["get", "list", "watch"].contains(&q.verb.as_str()), "{q:?}");
    }
    task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_test_server_answers_get_like_an_api_server() {
    // the real kube client's typed get against the same server
    let server = ApiServer::start(istio_scenario());
    let dir = tempfile::tempdir().unwrap();
    let kc = kube::config::Kubeconfig::read_from(server.kubeconfig(dir.path())).unwrap();
    let cfg = kube::Config::from_custom_kubeconfig(kc, &Default::default())
        .await
        .unwrap();
    let client = kube::Client::try_from(cfg).unwrap();
    let api: kube::Api<k8s_openapi::api::core::v1::Namespace> = kube::Api::all(client.clone());
    let ns = api.get("shop").await.unwrap();
    assert_eq!(ns.metadata.name.as_deref(), Some("shop"));
    assert!(ns.metadata.resource_version.is_some());
    let err = api.get("nope").await.unwrap_err();
    assert!(matches!(err, kube::Error::Api(s) if s.code == 404));
    let meta: kube::Api<k8s_openapi::api::core::v1::Secret> = kube::Api::all(client);
    let list = meta.list_metadata(&Default::default()).await.unwrap();
    assert_eq!(list.items.len(), 2);
}

/// Every request of a run is a GET for get/list/watch, and allowed by the ClusterRole of
/// docs/cluster.md; every rule of that role is used (serving every wanted kind).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rbac_role_is_exactly_what_is_read() {
    let mut objects = Vec::new();
    let builtin = [
        "",
        "apps",
        "batch",
        "networking.k8s.io",
        "admissionregistration.k8s.io",
        "apiextensions.k8s.io",
    ];
    for w in WANTED.iter().filter(|w| !builtin.contains(&w.group)) {
        let plural = apiserver::plural_of(w.kind);
        let scoped = ambient_lsp::model::is_cluster_scoped(w.group, w.kind);
        objects.push(crd(w.group, w.kind, &plural, &["v1"], !scoped));
    }
    objects.push(obj("v1", "Namespace", None, "shop"));
    let server = ApiServer::start(objects);
    let dir = tempfile::tempdir().unwrap();
    let c = Cluster::connect(opts(&server, dir.path())).await.unwrap();
    let snap = c.load(quiet()).await.unwrap();
    assert!(
        snap.kinds
            .iter()
            .all(|k| matches!(k.outcome, Outcome::Read { .. })),
        "{:?}",
        snap.kinds
            .iter()
            .filter(|k| !matches!(k.outcome, Outcome::Read { .. }))
            .collect::<Vec<_>>()
    );
    // and a watch, as the language server will do
    let pods = status(&snap.kinds, "", "Pod").resolved.clone().unwrap();
    let mut w = Box::pin(c.watch(&pods, "1", 1).await.unwrap());
    while let Some(_e) = w.next().await {}

    let doc = std::fs::read_to_string(common::repo_root().join("docs/cluster.md")).unwrap();
    let role = doc
        .split("```yaml\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap())
        .find(|b| b.contains("kind: ClusterRole\n"))
        .expect("a ClusterRole in docs/cluster.md");
    let role_doc = role.split("\n---\n").next().unwrap();
    let role_json = apiserver::objects_of_yaml(role_doc).pop().unwrap();
    let rules = role_json["rules"].as_array().unwrap();
    let mut allowed: BTreeSet<(String, String, String)> = BTreeSet::new();
    let mut urls: Vec<String> = Vec::new();
    for r in rules {
        let verbs: Vec<&str> = r["verbs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        if let Some(u) = r.get("nonResourceURLs") {
            assert_eq!(verbs, ["get"]);
            urls.extend(
                u.as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_str().unwrap().to_string()),
            );
            continue;
        }
        assert_eq!(verbs, ["get", "list", "watch"], "read-only verbs");
        for g in r["apiGroups"].as_array().unwrap() {
            for res in r["resources"].as_array().unwrap() {
                for v in &verbs {
                    allowed.insert((
                        g.as_str().unwrap().into(),
                        res.as_str().unwrap().into(),
                        v.to_string(),
                    ));
                }
            }
        }
    }
    let mut used: BTreeSet<(String, String)> = BTreeSet::new();
    for req in server.requests() {
        assert_eq!(req.method, "GET", "{req:?}");
        assert!(
            ["get", "list", "watch"].contains(&req.verb.as_str()),
            "{req:?}"
        );
        match &req.resource {
            Some((g, res)) => {
                assert!(
                    allowed.contains(&(g.clone(), res.clone(), req.verb.clone())),
                    "not in the ClusterRole: {req:?}"
                );
                used.insert((g.clone(), res.clone()));
            }
            None => assert!(
                urls.iter().any(|u| u == &req.path
                    || u.strip_suffix('*').is_some_and(|p| req.path.starts_with(p))),
                "non-resource URL not in the ClusterRole: {req:?}"
            ),
        }
    }
    let in_role: BTreeSet<(String, String)> = allowed
        .iter()
        .map(|(g, r, _)| (g.clone(), r.clone()))
        .collect();
    assert_eq!(
        used, in_role,
        "the ClusterRole lists exactly the resources read"
    );
}

fn write(dir: &std::path::Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

async fn connect_err(o: Options) -> String {
    match Cluster::connect(o).await {
        Err(e) => e.to_string(),
        Ok(c) => c.load(quiet()).await.err().expect("an error").to_string(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_say_what_and_whom() {
    let dir = tempfile::tempdir().unwrap();
    // unreachable: a port nobody listens on
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let kc = |server: &str, user: &str| {
        format!("apiVersion: v1\nkind: Config\ncurrent-context: prod\nclusters:\n- name: c\n  cluster:\n    server: {server}\ncontexts:\n- name: prod\n  context:\n    cluster: c\n    user: jane\n- name: staging\n  context:\n    cluster: c\n    user: jane\nusers:\n- name: jane\n  user:\n{user}")
    };
    let p = write(
        dir.path(),
        "unreachable",
        &kc(&format!("http://{closed}"), "    token: t\n"),
    );
    let m = connect_err(Options {
        kubeconfig: Some(p),
        ..Options::default()
    })
    .await;
    assert!(
        m.starts_with(&format!(
            "cannot reach the API server http://{closed} of context \"prod\""
        )),
        "{m}"
    );

    // TLS: https to a plain-HTTP server
    let server = ApiServer::start(vec![obj("v1", "Namespace", None, "a")]);
    let p = write(
        dir.path(),
        "tls",
        &kc(&format!("https://{}", server.addr), "    token: t\n"),
    );
    let m = connect_err(Options {
        kubeconfig: Some(p),
        ..Options::default()
    })
    .await;
    assert!(
        m.starts_with("TLS handshake with the API server https://"),
        "{m}"
    );

    // expired or wrong credentials: 401, naming the user and the auth method
    server.behave(|b| b.token = Some("right".into()));
    let p = write(
        dir.path(),
        "creds",
        &kc(&server.url(), "    token: expired\n"),
    );
    let m = connect_err(Options {
        kubeconfig: Some(p),
        ..Options::default()
    })
    .await;
    assert!(
        m.contains("as kubeconfig user \"jane\" (auth method: bearer token)"),
        "{m}"
    );
    let p = write(dir.path(), "nocreds", &kc(&server.url(), "    {}\n"));
    let m = connect_err(Options {
        kubeconfig: Some(p),
        ..Options::default()
    })
    .await;
    assert!(
        m.contains("as kubeconfig user \"jane\" (auth method: none (the user has no credentials))"),
        "{m}"
    );
    let p = write(
        dir.path(),
        "exec",
        &kc(&server.url(), "    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: /nonexistent/gke-gcloud-auth-plugin\n"),
    );
    let m = connect_err(Options {
        kubeconfig: Some(p),
        ..Options::default()
    })
    .await;
    assert!(m.contains("kubeconfig user \"jane\" (auth method: exec plugin \"/nonexistent/gke-gcloud-auth-plugin\")"), "{m}");

    // a context that does not exist lists those that do
    let p = write(dir.path(), "ctx", &kc(&server.url(), "    token: right\n"));
    let m = connect_err(Options {
        kubeconfig: Some(p.clone()),
        context: Some("prdo".into()),
        ..Options::default()
    })
    .await;
    assert_eq!(
        m,
        format!(
            "context \"prdo\" does not exist in {}; the contexts there are: prod, staging",
            p.display()
        )
    );

    // a timeout on discovery stops the run with the request named
    let slow = ApiServer::start(vec![obj("v1", "Namespace", None, "a")]);
    slow.behave(|b| b.slow_discovery = Some(Duration::from_secs(3)));
    let p = write(dir.path(), "slow", &kc(&slow.url(), "    token: t\n"));
    let m = connect_err(Options {
        kubeconfig: Some(p),
        request_timeout: Duration::from_secs(1),
        ..Options::default()
    })
    .await;
    assert_eq!(m, format!("API discovery (GET /api) on {} (context \"prod\") did not answer within 1 s (raise --request-timeout, or check the network)", slow.url()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubeconfig_paths_merge_like_kubectl() {
    let server = ApiServer::start(vec![obj("v1", "Namespace", None, "a")]);
    let dir = tempfile::tempdir().unwrap();
    let a = write(dir.path(), "a", "apiVersion: v1\nkind: Config\ncurrent-context: first\ncontexts:\n- name: first\n  context: {cluster: x, user: u}\nclusters:\n- name: x\n  cluster: {server: 'http://127.0.0.1:1'}\nusers:\n- name: u\n  user: {token: a}\n");
    let b = write(
        dir.path(),
        "b",
        &format!("apiVersion: v1\nkind: Config\ncurrent-context: second\ncontexts:\n- name: second\n  context: {{cluster: y, user: u}}\nclusters:\n- name: y\n  cluster: {{server: '{}'}}\nusers:\n- name: u\n  user: {{token: b}}\n", server.url()),
    );
    let missing = dir.path().join("missing");
    let joined = std::env::join_paths([a.clone(), missing, b.clone()]).unwrap();
    // KUBECONFIG is process-wide: this is the only test that sets it
    std::env::set_var("KUBECONFIG", &joined);
    let (kc, source) = cluster::config::load_kubeconfig(None).unwrap().unwrap();
    std::env::remove_var("KUBECONFIG");
    assert!(source.starts_with("KUBECONFIG="));
    // first file wins current-context; contexts of both are there; a missing file is skipped
    assert_eq!(kc.current_context.as_deref(), Some("first"));
    let names: Vec<&str> = kc.contexts.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["first", "second"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_metadata_lists_secrets_are_still_kept_as_metadata() {
    let server = ApiServer::start(istio_scenario());
    server.behave(|b| b.no_metadata_lists = true);
    let dir = tempfile::tempdir().unwrap();
    let dump = dir.path().join("dump");
    let c = Cluster::connect(Options {
        dump_dir: Some(dump.clone()),
        ..opts(&server, dir.path())
    })
    .await
    .unwrap();
    let snap = c.load(quiet()).await.unwrap();
    assert!(matches!(
        status(&snap.kinds, "", "Secret").outcome,
        Outcome::Read { objects: 1, .. }
    ));
    let statuses: Vec<(String, u16)> = server
        .requests()
        .into_iter()
        .filter(|r| r.path == "/api/v1/secrets")
        .map(|r| (r.accept.clone(), r.status))
        .collect();
    assert_eq!(statuses.len(), 2, "{statuses:?}");
    assert_eq!(statuses[0].1, 406);
    assert_eq!(statuses[1].1, 200);
    let text = std::fs::read_to_string(dump.join("istio-system/secrets.yaml")).unwrap();
    assert!(
        !text.contains("c2VjcmV0LWt1YmVjb25maWc") && !text.contains("\ndata:"),
        "{text}"
    );
}

/// A server that hands back the same continue token (buggy or hostile) must not make the list
/// go round forever: the kind is reported as unreadable, its checks unverified, and the other
/// kinds are read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_continue_token_makes_the_kind_unreadable_instead_of_looping() {
    let mut objects = apiserver::pods(30, 3);
    objects.push(obj("v1", "Namespace", None, "ns-0000"));
    let server = ApiServer::start(objects);
    server.behave(|b| {
        b.repeat_continue.insert(("".into(), "pods".into()));
    });
    let dir = tempfile::tempdir().unwrap();
    let c = Cluster::connect(Options {
        page_size: 10,
        ..opts(&server, dir.path())
    })
    .await
    .unwrap();
    let snap = tokio::time::timeout(Duration::from_secs(60), c.load(quiet()))
        .await
        .expect("the list ends")
        .unwrap();
    let st = status(&snap.kinds, "", "Pod");
    let Outcome::Failed { message } = &st.outcome else {
        panic!("{st:?}")
    };
    assert!(message.contains("same continue token"), "{message}");
    assert!(st.problem().unwrap().starts_with("list pods: "));
    let unverified = cluster::unverified(&snap.kinds);
    assert!(
        unverified
            .iter()
            .any(|(_, why)| why.starts_with("could not be verified: list pods failed")),
        "{unverified:?}"
    );
    assert!(matches!(
        status(&snap.kinds, "", "Namespace").outcome,
        Outcome::Read { .. }
    ));
    let pod_reqs = server
        .requests()
        .into_iter()
        .filter(|r| r.path == "/api/v1/pods")
        .count();
    assert_eq!(
        pod_reqs, 2,
        "the first page, then the page that hands back the token just sent"
    );
}

/// An expired continue token (`410 Expired` in the middle of a list, as etcd compacts) starts
/// that list again from the beginning, once, as client-go's pager does; a second expiry makes
/// the kind unreadable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_continue_token_restarts_the_list_once() {
    let mut objects = apiserver::pods(30, 3);
    objects.push(obj("v1", "Namespace", None, "ns-0000"));
    let server = ApiServer::start(objects);
    server.behave(|b| {
        b.expire_continue.insert(("".into(), "pods".into()), 1);
    });
    let dir = tempfile::tempdir().unwrap();
    let c = Cluster::connect(Options {
        page_size: 10,
        ..opts(&server, dir.path())
    })
    .await
    .unwrap();
    let snap = c.load(quiet()).await.unwrap();
    let st = status(&snap.kinds, "", "Pod").clone();
    let Outcome::Read { objects, pages, .. } = st.outcome else {
        panic!("{st:?}")
    };
    assert_eq!(
        (objects, pages),
        (30, 3),
        "restarted, nothing counted twice"
    );
    let pods: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.path == "/api/v1/pods")
        .collect();
    // page 1, the expired page 2, then page 1 to 3 again
    assert_eq!(pods.len(), 5);
    assert!(!pods[2].query.contains("continue="));
    assert_eq!(
        snap.files
            .iter()
            .filter(|f| f.path.to_string().contains("/Pod/"))
            .count(),
        30
    );
    // expired twice: not read, with the server's words once (one period)
    server.behave(|b| {
        b.expire_continue.insert(("".into(), "pods".into()), 2);
    });
    let snap = c.load(quiet()).await.unwrap();
    let st = status(&snap.kinds, "", "Pod");
    let p = st.problem().unwrap();
    assert!(
        p.starts_with("list pods: HTTP 410: The provided continue parameter is too old"),
        "{p}"
    );
}

/// A watch that ends (closed by the server, or a connection that drops) is resumed from the
/// newest resourceVersion seen, without listing the kind again; what changed meanwhile
/// arrives as events.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_resumes_a_closed_watch_from_the_last_resource_version_without_listing() {
    let server = ApiServer::start(istio_scenario());
    let dir = tempfile::tempdir().unwrap();
    let c = Cluster::connect(opts(&server, dir.path())).await.unwrap();
    let snap = c.load(quiet()).await.unwrap();
    let vs = status(&snap.kinds, "networking.istio.io", "VirtualService").clone();
    let Outcome::Read {
        resource_version, ..
    } = vs.outcome.clone()
    else {
        panic!()
    };
    let r = vs.resolved.clone().unwrap();
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let task = {
        let (c, r, seen) = (c.clone(), r.clone(), seen.clone());
        tokio::spawn(async move {
            c.follow(&r, resource_version, 30, move |ch| {
                if let Change::Applied(fd) = &ch {
                    seen.lock().unwrap().push(fd.path.to_string());
                }
                if let Change::Relisted { .. } = &ch {
                    seen.lock().unwrap().push("relisted".into());
                }
            })
            .await
        })
    };
    let vs_requests = |verb: &str| {
        server
            .requests()
            .into_iter()
            .filter(|q| {
                q.verb == verb
                    && q.resource
                        == Some((
                            "networking.istio.io".to_string(),
                            "virtualservices".to_string(),
                        ))
            })
            .collect::<Vec<_>>()
    };
    let wait = |what: &str, f: &dyn Fn() -> bool| {
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        while !f() {
            assert!(
                std::time::Instant::now() < deadline,
                "timed out: {what}; seen {:?}",
                seen.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    wait("the first watch", &|| !vs_requests("watch").is_empty());
    let lists_before = vs_requests("list").len();
    server.apply(vec![obj(
        "networking.istio.io/v1",
        "VirtualService",
        Some("shop"),
        "reviews",
    )]);
    let reviews = "cluster://test/shop/VirtualService/reviews";
    wait("the first change", &|| {
        seen.lock().unwrap().iter().any(|s| s == reviews)
    });
    let rv_after = server.resource_version();
    server.close_watches();
    wait("a second watch", &|| vs_requests("watch").len() >= 2);
    let second = vs_requests("watch")[1].clone();
    assert!(
        second
            .query
            .contains(&format!("resourceVersion={rv_after}")),
        "resumed from the newest version seen: {second:?}"
    );
    server.apply(vec![obj(
        "networking.istio.io/v1",
        "VirtualService",
        Some("shop"),
        "ratings",
    )]);
    let ratings = "cluster://test/shop/VirtualService/ratings";
    wait("a change after the resume", &|| {
        seen.lock().unwrap().iter().any(|s| s == ratings)
    });
    assert_eq!(vs_requests("list").len(), lists_before, "not listed again");
    assert!(!seen.lock().unwrap().iter().any(|s| s == "relisted"));
    task.abort();
}
