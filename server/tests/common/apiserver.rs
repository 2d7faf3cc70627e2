//! A Kubernetes-compatible API server for the tests, on loopback, written here (no mocked client):
//! discovery (`/api`, `/apis`, `/api/v1`, `/apis/<group>[/<version>]`, `/version`), list (all
//! namespaces or one, `limit`/`continue`, `labelSelector`, `resourceVersion`), get, watch (with
//! bookmarks), `PartialObjectMetadataList` and `Table` answers for clients that ask for them
//! (kubectl does), 403/404 `Status` objects, slow answers, and a log of every request.
//!
//! Kinds are served like a real cluster serves them: the built-in kinds, plus the kinds that the
//! stored CustomResourceDefinitions define, plus — so that a scenario given as files can be served
//! as it is — the kinds of stored objects that no CRD defines (versions as seen in the objects).
//! Lists of built-in kinds carry no `apiVersion`/`kind` per item, as the real server's; custom
//! resources are served at the requested version (the "None" conversion of CRDs).
//!
//! Shared by the tests (`mod common;` + `common::apiserver`) and `examples/fake_apiserver.rs`.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Full, StreamBody};
use hyper::body::Frame;
use hyper::{Request, Response, StatusCode};
use serde_json::{json, Value};

/// One served resource type.
#[derive(Clone, Debug)]
pub struct Type {
    pub group: String,
    /// Preferred first.
    pub versions: Vec<String>,
    pub kind: String,
    pub plural: String,
    pub singular: String,
    pub short: Vec<String>,
    pub namespaced: bool,
    pub builtin: bool,
}

/// group, version, kind, plural, namespaced, short names
type Builtin = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    bool,
    &'static [&'static str],
);

const BUILTIN: &[Builtin] = &[
    ("", "v1", "Namespace", "namespaces", false, &["ns"]),
    ("", "v1", "Pod", "pods", true, &["po"]),
    ("", "v1", "Service", "services", true, &["svc"]),
    ("", "v1", "ConfigMap", "configmaps", true, &["cm"]),
    ("", "v1", "Secret", "secrets", true, &[]),
    ("", "v1", "Node", "nodes", false, &["no"]),
    (
        "",
        "v1",
        "ResourceQuota",
        "resourcequotas",
        true,
        &["quota"],
    ),
    ("", "v1", "ServiceAccount", "serviceaccounts", true, &["sa"]),
    ("apps", "v1", "Deployment", "deployments", true, &["deploy"]),
    ("apps", "v1", "StatefulSet", "statefulsets", true, &["sts"]),
    ("apps", "v1", "DaemonSet", "daemonsets", true, &["ds"]),
    ("apps", "v1", "ReplicaSet", "replicasets", true, &["rs"]),
    ("batch", "v1", "Job", "jobs", true, &[]),
    ("batch", "v1", "CronJob", "cronjobs", true, &["cj"]),
    (
        "networking.k8s.io",
        "v1",
        "NetworkPolicy",
        "networkpolicies",
        true,
        &["netpol"],
    ),
    (
        "admissionregistration.k8s.io",
        "v1",
        "MutatingWebhookConfiguration",
        "mutatingwebhookconfigurations",
        false,
        &[],
    ),
    (
        "admissionregistration.k8s.io",
        "v1",
        "ValidatingWebhookConfiguration",
        "validatingwebhookconfigurations",
        false,
        &[],
    ),
    (
        "apiextensions.k8s.io",
        "v1",
        "CustomResourceDefinition",
        "customresourcedefinitions",
        false,
        &["crd", "crds"],
    ),
    (
        "rbac.authorization.k8s.io",
        "v1",
        "ClusterRole",
        "clusterroles",
        false,
        &[],
    ),
];

/// Kubernetes' version priority: GA > beta > alpha, higher numbers first, others last.
pub fn version_rank(v: &str) -> (u8, i64, i64) {
    let Some(rest) = v.strip_prefix('v') else {
        return (0, 0, 0);
    };
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    let Ok(major) = digits.parse::<i64>() else {
        return (0, 0, 0);
    };
    let tail = &rest[digits.len()..];
    if tail.is_empty() {
        return (3, major, 0);
    }
    for (p, rank) in [("beta", 2u8), ("alpha", 1u8)] {
        if let Some(n) = tail.strip_prefix(p) {
            if let Ok(n) = n.parse::<i64>() {
                return (rank, major, n);
            }
        }
    }
    (0, 0, 0)
}

fn sort_versions(v: &mut Vec<String>) {
    v.sort_by(|a, b| version_rank(b).cmp(&version_rank(a)).then(a.cmp(b)));
    v.dedup();
}

pub fn plural_of(kind: &str) -> String {
    let l = kind.to_ascii_lowercase();
    if l.ends_with('y') && !l.ends_with("ay") && !l.ends_with("ey") {
        format!("{}ies", &l[..l.len() - 1])
    } else if l.ends_with('s') || l.ends_with('x') || l.ends_with("ch") {
        format!("{l}es")
    } else {
        format!("{l}s")
    }
}

/// A stored object: its JSON without `apiVersion`/`kind` (they are added per answer).
#[derive(Clone)]
struct Stored {
    namespace: String,
    name: String,
    labels: BTreeMap<String, String>,
    /// `{"metadata":…,…}` serialized, without apiVersion/kind.
    body: Arc<str>,
    resource_version: u64,
}

#[derive(Clone, Debug)]
pub struct Logged {
    pub method: String,
    pub path: String,
    pub query: String,
    pub accept: String,
    /// `get`, `list`, `watch` (or the HTTP method in lower case for anything else).
    pub verb: String,
    /// For resource requests: (group, resource); `None` for discovery/non-resource URLs.
    pub resource: Option<(String, String)>,
    pub status: u16,
}

struct Event {
    rv: u64,
    key: (String, String),
    kind: &'static str,
    ns: String,
    body: Arc<str>,
}

#[derive(Default)]
struct Store {
    types: Vec<Type>,
    /// (group, plural) → (namespace, name) → object.
    objects: HashMap<(String, String), BTreeMap<(String, String), Stored>>,
    rv: u64,
    events: Vec<Event>,
    /// History before this resourceVersion is gone (etcd compaction): a watch from an older
    /// one is answered `410 Gone` (reason `Expired`), as a real API server does.
    compacted: u64,
    /// Bumped to close every open watch (a broken connection, an API server restart).
    watch_epoch: u64,
}

/// Behaviour switches of a test.
#[derive(Default, Clone)]
pub struct Behaviour {
    /// (group, plural) answered 403 for every verb.
    pub forbidden: BTreeSet<(String, String)>,
    /// Groups hidden from discovery (404 for `/apis/<group>…`).
    pub hidden_groups: BTreeSet<String>,
    /// (group, plural) answered only after this delay.
    pub slow: BTreeMap<(String, String), Duration>,
    /// Every request needs `Authorization: Bearer <token>`.
    pub token: Option<String>,
    /// Largest page served whatever `limit` says (0: no cap).
    pub max_page: usize,
    /// Discovery documents answered only after this delay.
    pub slow_discovery: Option<Duration>,
    /// Answer 406 to metadata-only list requests (an API server that cannot do them).
    pub no_metadata_lists: bool,
    /// (group, plural) whose every page hands back the first page's continue token (a buggy or
    /// hostile server: the list never ends).
    pub repeat_continue: BTreeSet<(String, String)>,
    /// (group, plural) → how many list requests with a continue token to answer
    /// `410 Expired` (the token expired: etcd compacted the list's revision).
    pub expire_continue: BTreeMap<(String, String), usize>,
}

pub struct State {
    store: Mutex<Store>,
    pub behaviour: Mutex<Behaviour>,
    log: Mutex<Vec<Logged>>,
    changed: tokio::sync::broadcast::Sender<u64>,
    addr: Mutex<Option<SocketAddr>>,
}

pub struct ApiServer {
    pub addr: SocketAddr,
    pub state: Arc<State>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// Objects of YAML text (multi-document, `List`s unwrapped), read with the project's parser.
pub fn objects_of_yaml(text: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let stream = ambient_lsp::yaml::parse_stream(text, &ambient_lsp::yaml::Limits::default());
    for d in stream.docs {
        if let Some(root) = d.root {
            let v = root.to_json();
            unwrap_list(v, &mut out);
        }
    }
    out
}

fn unwrap_list(v: Value, out: &mut Vec<Value>) {
    let kind = v.get("kind").and_then(Value::as_str).unwrap_or("");
    if (kind == "List" || kind.ends_with("List")) && v.get("items").is_some_and(Value::is_array) {
        if let Some(Value::Array(items)) = v.get("items").cloned() {
            for it in items {
                unwrap_list(it, out);
            }
        }
        return;
    }
    if v.get("apiVersion").and_then(Value::as_str).is_some()
        && v.get("kind").and_then(Value::as_str).is_some()
        && v.pointer("/metadata/name")
            .and_then(Value::as_str)
            .is_some()
    {
        out.push(v);
    }
}

/// Every manifest under `paths` (files or directories), as objects.
pub fn objects_of_paths(paths: &[std::path::PathBuf]) -> Vec<Value> {
    let files = ambient_lsp::sources::expand(paths).expect("paths exist");
    let mut out = Vec::new();
    for f in files {
        if let Ok(text) = ambient_lsp::sources::read_manifest(&f, 64 << 20) {
            out.extend(objects_of_yaml(&text));
        }
    }
    out
}

impl Store {
    fn builtin_types() -> Vec<Type> {
        BUILTIN
            .iter()
            .map(|(g, v, k, p, ns, short)| Type {
                group: g.to_string(),
                versions: vec![v.to_string()],
                kind: k.to_string(),
                plural: p.to_string(),
                singular: k.to_ascii_lowercase(),
                short: short.iter().map(|s| s.to_string()).collect(),
                namespaced: *ns,
                builtin: true,
            })
            .collect()
    }

    fn type_of(&self, group: &str, kind: &str) -> Option<&Type> {
        self.types
            .iter()
            .find(|t| t.group == group && t.kind == kind)
    }

    fn type_by_plural(&self, group: &str, plural: &str) -> Option<&Type> {
        self.types
            .iter()
            .find(|t| t.group == group && t.plural == plural)
    }

    /// Types: built-in, from CRDs, from objects.
    fn derive_types(objects: &[Value]) -> Vec<Type> {
        let mut types = Store::builtin_types();
        for o in objects {
            if o.get("kind").and_then(Value::as_str) != Some("CustomResourceDefinition") {
                continue;
            }
            let s = |p: &str| {
                o.pointer(p)
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string()
            };
            let group = s("/spec/group");
            let kind = s("/spec/names/kind");
            if group.is_empty() || kind.is_empty() {
                continue;
            }
            let mut versions: Vec<String> = o
                .pointer("/spec/versions")
                .and_then(Value::as_array)
                .map(|vs| {
                    vs.iter()
                        .filter(|v| v.get("served").and_then(Value::as_bool) != Some(false))
                        .filter_map(|v| v.get("name").and_then(Value::as_str))
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            if versions.is_empty() {
                let v = s("/spec/version");
                if !v.is_empty() {
                    versions.push(v);
                }
            }
            sort_versions(&mut versions);
            if versions.is_empty() || types.iter().any(|t| t.group == group && t.kind == kind) {
                continue;
            }
            let plural = {
                let p = s("/spec/names/plural");
                if p.is_empty() {
                    plural_of(&kind)
                } else {
                    p
                }
            };
            let singular = {
                let p = s("/spec/names/singular");
                if p.is_empty() {
                    kind.to_ascii_lowercase()
                } else {
                    p
                }
            };
            types.push(Type {
                group,
                versions,
                short: o
                    .pointer("/spec/names/shortNames")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default(),
                kind,
                plural,
                singular,
                namespaced: s("/spec/scope") != "Cluster",
                builtin: false,
            });
        }
        // kinds of objects no CRD defines (a scenario of files without its CRDs): served at
        // every version the objects use
        let mut seen: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
        for o in objects {
            let av = o.get("apiVersion").and_then(Value::as_str).unwrap_or("");
            let kind = o.get("kind").and_then(Value::as_str).unwrap_or("");
            let (group, version) = match av.rsplit_once('/') {
                Some((g, v)) => (g.to_string(), v.to_string()),
                None => (String::new(), av.to_string()),
            };
            if !types.iter().any(|t| t.group == group && t.kind == kind) {
                seen.entry((group, kind.to_string()))
                    .or_default()
                    .push(version);
            }
        }
        for ((group, kind), mut versions) in seen {
            sort_versions(&mut versions);
            types.push(Type {
                namespaced: !ambient_lsp::model::is_cluster_scoped(&group, &kind),
                group,
                versions,
                plural: plural_of(&kind),
                singular: kind.to_ascii_lowercase(),
                kind,
                short: Vec::new(),
                builtin: false,
            });
        }
        types
    }

    fn insert(&mut self, mut o: Value) {
        let av = o
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let kind = o
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let group = av
            .rsplit_once('/')
            .map(|(g, _)| g.to_string())
            .unwrap_or_default();
        let Some(t) = self.type_of(&group, &kind).cloned() else {
            return;
        };
        self.rv += 1;
        let rv = self.rv;
        let m = o
            .as_object_mut()
            .expect("object")
            .entry("metadata")
            .or_insert_with(|| json!({}));
        let meta = m.as_object_mut().expect("metadata map");
        if t.namespaced {
            if meta
                .get("namespace")
                .and_then(Value::as_str)
                .unwrap_or("")
                .is_empty()
            {
                meta.insert("namespace".into(), json!("default"));
            }
        } else {
            meta.remove("namespace");
        }
        meta.insert("resourceVersion".into(), json!(rv.to_string()));
        meta.entry("uid")
            .or_insert_with(|| json!(format!("00000000-0000-4000-8000-{rv:012}")));
        meta.entry("creationTimestamp")
            .or_insert_with(|| json!("2026-01-01T00:00:00Z"));
        let namespace = meta
            .get("namespace")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let name = meta
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let labels = meta
            .get("labels")
            .and_then(Value::as_object)
            .map(|l| {
                l.iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            v.as_str()
                                .map(str::to_string)
                                .unwrap_or_else(|| v.to_string()),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let obj = o.as_object_mut().expect("object");
        obj.remove("apiVersion");
        obj.remove("kind");
        let body: Arc<str> = Arc::from(serde_json::to_string(&o).expect("serializes"));
        let key = (t.group.clone(), t.plural.clone());
        let existed = self
            .objects
            .entry(key.clone())
            .or_default()
            .insert(
                (namespace.clone(), name.clone()),
                Stored {
                    namespace: namespace.clone(),
                    name,
                    labels,
                    body: body.clone(),
                    resource_version: rv,
                },
            )
            .is_some();
        self.events.push(Event {
            rv,
            key,
            kind: if existed { "MODIFIED" } else { "ADDED" },
            ns: namespace,
            body,
        });
    }
}

fn with_type(body: &str, api_version: &str, kind: &str) -> String {
    let head = format!(
        "{{\"apiVersion\":{},\"kind\":{}",
        json!(api_version),
        json!(kind)
    );
    if body.len() <= 2 {
        format!("{head}}}")
    } else {
        format!("{head},{}", &body[1..])
    }
}

fn status(
    code: u16,
    reason: &str,
    message: &str,
    details: Value,
) -> Response<BoxBody<Bytes, Infallible>> {
    let body = json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": message, "reason": reason, "details": details, "code": code,
    });
    respond(code, "application/json", body.to_string())
}

fn respond(code: u16, ctype: &str, body: String) -> Response<BoxBody<Bytes, Infallible>> {
    Response::builder()
        .status(StatusCode::from_u16(code).expect("status"))
        .header("Content-Type", ctype)
        .header("Cache-Control", "no-cache, private")
        .body(Full::new(Bytes::from(body)).boxed())
        .expect("response")
}

fn json_ok(v: Value) -> Response<BoxBody<Bytes, Infallible>> {
    respond(200, "application/json", v.to_string())
}

fn parse_query(q: &str) -> HashMap<String, String> {
    q.split('&')
        .filter(|s| !s.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                    out.push(v);
                    i += 3;
                    continue;
                }
                out.push(b'%');
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Equality-based label selectors: `a=b`, `a==b`, `a!=b`, `a`, `!a`, comma-separated.
fn selects(selector: &str, labels: &BTreeMap<String, String>) -> bool {
    selector
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .all(|req| {
            if let Some((k, v)) = req.split_once("!=") {
                labels.get(k.trim()) != Some(&v.trim().to_string())
            } else if let Some((k, v)) = req.split_once("==").or_else(|| req.split_once('=')) {
                labels.get(k.trim()) == Some(&v.trim().to_string())
            } else if let Some(k) = req.strip_prefix('!') {
                !labels.contains_key(k.trim())
            } else {
                labels.contains_key(req)
            }
        })
}

/// What a path asks for.
enum Route {
    Version,
    CoreVersions,
    Groups,
    Group(String),
    Resources(String, String),
    /// group, version, namespace, plural, name
    Object(String, String, Option<String>, String, Option<String>),
    Other,
}

fn route(path: &str) -> Route {
    let parts: Vec<&str> = path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let rest = |group: String, version: String, r: &[&str]| -> Route {
        match r {
            [plural] => Route::Object(group, version, None, plural.to_string(), None),
            [plural, name] => Route::Object(
                group,
                version,
                None,
                plural.to_string(),
                Some(name.to_string()),
            ),
            ["namespaces", ns, plural] => Route::Object(
                group,
                version,
                Some(ns.to_string()),
                plural.to_string(),
                None,
            ),
            ["namespaces", ns, plural, name] => Route::Object(
                group,
                version,
                Some(ns.to_string()),
                plural.to_string(),
                Some(name.to_string()),
            ),
            _ => Route::Other,
        }
    };
    match parts.as_slice() {
        ["version"] => Route::Version,
        ["api"] => Route::CoreVersions,
        ["api", v] => Route::Resources(String::new(), v.to_string()),
        ["api", v, r @ ..] => rest(String::new(), v.to_string(), r),
        ["apis"] => Route::Groups,
        ["apis", g] => Route::Group(g.to_string()),
        ["apis", g, v] => Route::Resources(g.to_string(), v.to_string()),
        ["apis", g, v, r @ ..] => rest(g.to_string(), v.to_string(), r),
        _ => Route::Other,
    }
}

impl State {
    fn group_doc(&self, store: &Store, group: &str) -> Option<Value> {
        let mut versions: Vec<String> = store
            .types
            .iter()
            .filter(|t| t.group == group)
            .flat_map(|t| t.versions.iter().cloned())
            .collect();
        sort_versions(&mut versions);
        let preferred = versions.first()?.clone();
        Some(json!({
            "name": group,
            "versions": versions.iter().map(|v| json!({"groupVersion": format!("{group}/{v}"), "version": v})).collect::<Vec<_>>(),
            "preferredVersion": {"groupVersion": format!("{group}/{preferred}"), "version": preferred},
        }))
    }

    fn resources_doc(&self, store: &Store, group: &str, version: &str) -> Option<Value> {
        let gv = if group.is_empty() {
            version.to_string()
        } else {
            format!("{group}/{version}")
        };
        let rs: Vec<Value> = store
            .types
            .iter()
            .filter(|t| t.group == group && t.versions.iter().any(|v| v == version))
            .map(|t| {
                json!({
                    "name": t.plural, "singularName": t.singular, "namespaced": t.namespaced,
                    "kind": t.kind, "verbs": ["get", "list", "watch"], "shortNames": t.short,
                })
            })
            .collect();
        if rs.is_empty() {
            return None;
        }
        Some(
            json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": rs}),
        )
    }

    async fn handle(
        self: Arc<Self>,
        req: Request<hyper::body::Incoming>,
    ) -> Response<BoxBody<Bytes, Infallible>> {
        let method = req.method().as_str().to_string();
        let path = req.uri().path().to_string();
        let query = req.uri().query().unwrap_or("").to_string();
        let accept = req
            .headers()
            .get("accept")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let auth = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let q = parse_query(&query);
        let r = route(&path);
        let (verb, resource) = match &r {
            Route::Object(g, _, _, plural, name) => (
                if method != "GET" {
                    method.to_ascii_lowercase()
                } else if q.get("watch").is_some_and(|w| w == "true" || w == "1") {
                    "watch".to_string()
                } else if name.is_some() {
                    "get".to_string()
                } else {
                    "list".to_string()
                },
                Some((g.clone(), plural.clone())),
            ),
            _ => (method.to_ascii_lowercase(), None),
        };
        let behaviour = self.behaviour.lock().unwrap().clone();
        let resp = if let Some(tok) = &behaviour.token {
            if auth != format!("Bearer {tok}") {
                Some(status(401, "Unauthorized", "Unauthorized", json!({})))
            } else {
                None
            }
        } else {
            None
        };
        let resp = match resp {
            Some(r) => r,
            None if method != "GET" => status(
                405,
                "MethodNotAllowed",
                &format!("the test API server is read-only: {method} {path}"),
                json!({}),
            ),
            None => {
                let delay = match &resource {
                    Some(key) => behaviour.slow.get(key).copied(),
                    None => behaviour.slow_discovery,
                };
                if let Some(d) = delay {
                    tokio::time::sleep(d).await;
                }
                self.clone().answer(r, &q, &accept, &verb, &behaviour).await
            }
        };
        self.log.lock().unwrap().push(Logged {
            method,
            path,
            query,
            accept,
            verb,
            resource,
            status: resp.status().as_u16(),
        });
        resp
    }

    async fn answer(
        self: Arc<Self>,
        r: Route,
        q: &HashMap<String, String>,
        accept: &str,
        verb: &str,
        behaviour: &Behaviour,
    ) -> Response<BoxBody<Bytes, Infallible>> {
        let not_found = |what: &str| {
            status(
                404,
                "NotFound",
                &format!("the server could not find the requested resource ({what})"),
                json!({}),
            )
        };
        let store = self.store.lock().unwrap();
        match r {
            Route::Version => json_ok(json!({
                "major": "1", "minor": "33", "gitVersion": "v1.33.0", "gitCommit": "test",
                "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.24",
                "compiler": "gc", "platform": "linux/amd64",
            })),
            Route::CoreVersions => json_ok(json!({
                "kind": "APIVersions", "versions": ["v1"],
                "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": self.addr.lock().unwrap().map(|a| a.to_string()).unwrap_or_default()}],
            })),
            Route::Groups => {
                let mut groups: Vec<String> = store
                    .types
                    .iter()
                    .map(|t| t.group.clone())
                    .filter(|g| !g.is_empty() && !behaviour.hidden_groups.contains(g))
                    .collect();
                groups.sort();
                groups.dedup();
                let docs: Vec<Value> = groups
                    .iter()
                    .filter_map(|g| self.group_doc(&store, g))
                    .collect();
                json_ok(json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": docs}))
            }
            Route::Group(g) => match self
                .group_doc(&store, &g)
                .filter(|_| !behaviour.hidden_groups.contains(&g))
            {
                Some(mut d) => {
                    d["kind"] = json!("APIGroup");
                    d["apiVersion"] = json!("v1");
                    json_ok(d)
                }
                None => not_found(&g),
            },
            Route::Resources(g, v) => {
                if behaviour.hidden_groups.contains(&g) {
                    return not_found(&g);
                }
                match self.resources_doc(&store, &g, &v) {
                    Some(d) => json_ok(d),
                    None => not_found(&format!("{g}/{v}")),
                }
            }
            Route::Object(g, v, ns, plural, name) => {
                if behaviour.hidden_groups.contains(&g) {
                    return not_found(&plural);
                }
                let Some(t) = store.type_by_plural(&g, &plural).cloned() else {
                    return not_found(&plural);
                };
                if !t.versions.contains(&v) {
                    return not_found(&format!("{plural} in {v}"));
                }
                if behaviour.forbidden.contains(&(g.clone(), plural.clone())) {
                    let scope = match &ns {
                        Some(n) => format!("in the namespace \"{n}\""),
                        None => "at the cluster scope".to_string(),
                    };
                    let what = match &name {
                        Some(n) => format!("{plural} \"{n}\" is forbidden"),
                        None => format!("{plural} is forbidden"),
                    };
                    return status(
                        403,
                        "Forbidden",
                        &format!("{what}: User \"test-user\" cannot {verb} resource \"{plural}\" in API group \"{g}\" {scope}"),
                        json!({"kind": plural, "group": g}),
                    );
                }
                let api_version = if g.is_empty() {
                    v.clone()
                } else {
                    format!("{g}/{v}")
                };
                let empty = BTreeMap::new();
                let objects = store
                    .objects
                    .get(&(g.clone(), plural.clone()))
                    .unwrap_or(&empty);
                if let Some(name) = name {
                    let key = (ns.clone().unwrap_or_default(), name.clone());
                    return match objects.get(&key) {
                        Some(o) => respond(
                            200,
                            "application/json",
                            with_type(&o.body, &api_version, &t.kind),
                        ),
                        None => status(
                            404,
                            "NotFound",
                            &format!("{plural} \"{name}\" not found"),
                            json!({"name": name, "kind": plural}),
                        ),
                    };
                }
                if verb == "watch" {
                    let from: u64 = q
                        .get("resourceVersion")
                        .and_then(|s| s.parse().ok())
                        .unwrap_or(0);
                    if from != 0 && from < store.compacted {
                        // what a real API server sends: 200, then one ERROR event, then the end
                        let e = json!({"type": "ERROR", "object": {
                            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                            "message": format!("too old resource version: {from} ({})", store.compacted),
                            "reason": "Expired", "code": 410}});
                        return respond(200, "application/json", format!("{e}\n"));
                    }
                    let timeout: u64 = q
                        .get("timeoutSeconds")
                        .and_then(|s| s.parse().ok())
                        .unwrap_or(5)
                        .min(30);
                    let bookmarks = q.get("allowWatchBookmarks").is_some_and(|b| b == "true");
                    let key = (g.clone(), plural.clone());
                    drop(store);
                    return self.clone().watch(
                        key,
                        ns,
                        api_version,
                        t.kind.clone(),
                        from,
                        timeout,
                        bookmarks,
                    );
                }
                let selector = q.get("labelSelector").cloned().unwrap_or_default();
                let matching: Vec<&Stored> = objects
                    .values()
                    .filter(|o| ns.as_ref().is_none_or(|n| &o.namespace == n))
                    .filter(|o| selector.is_empty() || selects(&selector, &o.labels))
                    .collect();
                let mut limit: usize = q
                    .get("limit")
                    .and_then(|s| s.parse().ok())
                    .filter(|l| *l > 0)
                    .unwrap_or(usize::MAX);
                if behaviour.max_page > 0 {
                    limit = limit.min(behaviour.max_page);
                }
                let key = (g.clone(), plural.clone());
                if q.get("continue").is_some_and(|c| !c.is_empty()) {
                    let mut b = self.behaviour.lock().unwrap();
                    if let Some(n) = b.expire_continue.get_mut(&key).filter(|n| **n > 0) {
                        *n -= 1;
                        // a real API server's words (k8s.io/apiserver storage/etcd3)
                        return status(
                            410,
                            "Expired",
                            "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.",
                            json!({}),
                        );
                    }
                }
                let (list_rv, offset) = match q.get("continue").filter(|c| !c.is_empty()) {
                    Some(c) => {
                        let Some((rv, off)) = c.split_once('-').and_then(|(a, b)| {
                            Some((a.parse::<u64>().ok()?, b.parse::<usize>().ok()?))
                        }) else {
                            return status(400, "BadRequest", "invalid continue token", json!({}));
                        };
                        (rv, off)
                    }
                    None => (store.rv, 0),
                };
                let page: Vec<&Stored> =
                    matching.iter().skip(offset).take(limit).copied().collect();
                let next = offset + page.len();
                let more = next < matching.len();
                let meta_only = accept.contains("as=PartialObjectMetadataList");
                if meta_only
                    && behaviour.no_metadata_lists
                    && !accept.contains("application/json,")
                    && !accept.ends_with("application/json")
                {
                    return status(
                        406,
                        "NotAcceptable",
                        "only application/json is served",
                        json!({}),
                    );
                }
                let table = accept.contains("as=Table");
                let mut meta = json!({"resourceVersion": list_rv.to_string()});
                if more {
                    let next = if behaviour.repeat_continue.contains(&key) {
                        limit.min(matching.len())
                    } else {
                        next
                    };
                    meta["continue"] = json!(format!("{list_rv}-{next}"));
                    meta["remainingItemCount"] = json!(matching.len() - next);
                }
                if table {
                    return json_ok(self.table(
                        &t,
                        &page,
                        meta,
                        q.get("includeObject").map(String::as_str),
                    ));
                }
                let items: Vec<String> = page
                    .iter()
                    .map(|o| {
                        if meta_only {
                            let v: Value = serde_json::from_str(&o.body).expect("stored JSON");
                            json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": v["metadata"]}).to_string()
                        } else if t.builtin {
                            o.body.to_string()
                        } else {
                            with_type(&o.body, &api_version, &t.kind)
                        }
                    })
                    .collect();
                let (list_av, list_kind) = if meta_only {
                    (
                        "meta.k8s.io/v1".to_string(),
                        "PartialObjectMetadataList".to_string(),
                    )
                } else {
                    (api_version.clone(), format!("{}List", t.kind))
                };
                let body = format!(
                    "{{\"kind\":{},\"apiVersion\":{},\"metadata\":{},\"items\":[{}]}}",
                    json!(list_kind),
                    json!(list_av),
                    meta,
                    items.join(",")
                );
                respond(200, "application/json", body)
            }
            Route::Other => not_found("path"),
        }
    }

    fn table(&self, t: &Type, page: &[&Stored], meta: Value, include: Option<&str>) -> Value {
        let pods = t.kind == "Pod";
        let mut cols = vec![
            json!({"name": "Name", "type": "string", "format": "name", "description": "Name", "priority": 0}),
        ];
        if pods {
            for c in ["Ready", "Status", "Restarts"] {
                cols.push(json!({"name": c, "type": "string", "format": "", "description": c, "priority": 0}));
            }
        }
        cols.push(json!({"name": "Age", "type": "string", "format": "", "description": "Age", "priority": 0}));
        let rows: Vec<Value> = page
            .iter()
            .map(|o| {
                let v: Value = serde_json::from_str(&o.body).expect("stored JSON");
                let mut cells = vec![json!(o.name)];
                if pods {
                    let n = v.pointer("/spec/containers").and_then(Value::as_array).map(|a| a.len()).unwrap_or(0);
                    cells.push(json!(format!("{n}/{n}")));
                    cells.push(json!(v.pointer("/status/phase").and_then(Value::as_str).unwrap_or("Running")));
                    cells.push(json!(0));
                }
                cells.push(json!("1d"));
                let object = match include {
                    Some("None") => Value::Null,
                    _ => json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": v["metadata"]}),
                };
                json!({"cells": cells, "object": object})
            })
            .collect();
        json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": meta, "columnDefinitions": cols, "rows": rows})
    }

    #[allow(clippy::too_many_arguments)]
    fn watch(
        self: Arc<Self>,
        key: (String, String),
        ns: Option<String>,
        api_version: String,
        kind: String,
        from: u64,
        timeout: u64,
        bookmarks: bool,
    ) -> Response<BoxBody<Bytes, Infallible>> {
        let mut rx = self.changed.subscribe();
        let (tx, out) = tokio::sync::mpsc::channel::<Result<Frame<Bytes>, Infallible>>(64);
        let me = self.clone();
        let epoch = self.store.lock().unwrap().watch_epoch;
        tokio::spawn(async move {
            let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout);
            let mut sent = from;
            loop {
                let (lines, rv) = {
                    let store = me.store.lock().unwrap();
                    if store.watch_epoch != epoch {
                        // closed by `expire_watches`
                        return;
                    }
                    let lines: Vec<String> = store
                        .events
                        .iter()
                        .filter(|e| {
                            e.rv > sent && e.key == key && ns.as_ref().is_none_or(|n| &e.ns == n)
                        })
                        .map(|e| {
                            format!(
                                "{{\"type\":\"{}\",\"object\":{}}}\n",
                                e.kind,
                                with_type(&e.body, &api_version, &kind)
                            )
                        })
                        .collect();
                    (lines, store.rv)
                };
                for l in lines {
                    if tx.send(Ok(Frame::data(Bytes::from(l)))).await.is_err() {
                        return;
                    }
                }
                if bookmarks && rv > sent {
                    let b = json!({"type": "BOOKMARK", "object": {"kind": kind, "apiVersion": api_version, "metadata": {"resourceVersion": rv.to_string()}}});
                    if tx
                        .send(Ok(Frame::data(Bytes::from(format!("{b}\n")))))
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
                sent = rv.max(sent);
                tokio::select! {
                    _ = tokio::time::sleep_until(deadline) => return,
                    r = rx.recv() => if r.is_err() { return },
                }
            }
        });
        let stream = tokio_stream_of(out);
        Response::builder()
            .status(200)
            .header("Content-Type", "application/json")
            .header("Transfer-Encoding", "chunked")
            .body(StreamBody::new(stream).boxed())
            .expect("response")
    }
}

fn tokio_stream_of(
    mut rx: tokio::sync::mpsc::Receiver<Result<Frame<Bytes>, Infallible>>,
) -> impl futures::Stream<Item = Result<Frame<Bytes>, Infallible>> + Send + Sync + 'static {
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

impl ApiServer {
    /// Serve `objects` on 127.0.0.1 (a free port) from a thread of its own.
    pub fn start(objects: Vec<Value>) -> ApiServer {
        ApiServer::start_at(objects, 0)
    }

    pub fn start_at(objects: Vec<Value>, port: u16) -> ApiServer {
        let mut store = Store {
            types: Store::derive_types(&objects),
            ..Default::default()
        };
        for o in objects {
            store.insert(o);
        }
        let (changed, _) = tokio::sync::broadcast::channel(1024);
        let state = Arc::new(State {
            store: Mutex::new(store),
            behaviour: Mutex::new(Behaviour::default()),
            log: Mutex::new(Vec::new()),
            changed,
            addr: Mutex::new(None),
        });
        let listener = std::net::TcpListener::bind(("127.0.0.1", port)).expect("bind loopback");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("addr");
        *state.addr.lock().unwrap() = Some(addr);
        let (tx, mut rx) = tokio::sync::oneshot::channel::<()>();
        let st = state.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                loop {
                    tokio::select! {
                        _ = &mut rx => break,
                        a = listener.accept() => {
                            let Ok((stream, _)) = a else { continue };
                            let st = st.clone();
                            tokio::spawn(async move {
                                let svc = hyper::service::service_fn(move |req| {
                                    let st = st.clone();
                                    async move { Ok::<_, Infallible>(st.handle(req).await) }
                                });
                                let _ = hyper::server::conn::http1::Builder::new()
                                    .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                                    .await;
                            });
                        }
                    }
                }
            });
            rt.shutdown_timeout(Duration::from_millis(100));
        });
        ApiServer {
            addr,
            state,
            shutdown: Some(tx),
            thread: Some(thread),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn behave(&self, f: impl FnOnce(&mut Behaviour)) {
        f(&mut self.state.behaviour.lock().unwrap());
    }

    pub fn forbid(&self, group: &str, plural: &str) {
        self.behave(|b| {
            b.forbidden.insert((group.into(), plural.into()));
        });
    }

    /// Add or replace objects (watchers see ADDED/MODIFIED).
    pub fn apply(&self, objects: Vec<Value>) {
        let mut s = self.state.store.lock().unwrap();
        for o in objects {
            s.insert(o);
        }
        let rv = s.rv;
        drop(s);
        let _ = self.state.changed.send(rv);
    }

    /// Close every open watch, apply `objects` meanwhile, and compact the history up to now: a
    /// client that resumes watching from a resourceVersion it had must get `410 Gone` and list
    /// again to see `objects` (what happens when a watch is down longer than etcd keeps history).
    /// `deleted`: (group, plural, namespace, name) of objects removed meanwhile.
    pub fn expire_watches(&self, objects: Vec<Value>, deleted: &[(&str, &str, &str, &str)]) {
        let mut s = self.state.store.lock().unwrap();
        s.watch_epoch += 1;
        for o in objects {
            s.insert(o);
        }
        for (g, p, ns, name) in deleted {
            let key = (g.to_string(), p.to_string());
            if let Some(m) = s.objects.get_mut(&key) {
                if m.remove(&(ns.to_string(), name.to_string())).is_some() {
                    s.rv += 1;
                }
            }
        }
        s.compacted = s.rv;
        let rv = s.rv;
        drop(s);
        let _ = self.state.changed.send(rv);
    }

    /// Close every open watch (a dropped connection, an API server restart) without losing
    /// history: a client resuming from the resourceVersion it had gets what it missed.
    pub fn close_watches(&self) {
        let mut s = self.state.store.lock().unwrap();
        s.watch_epoch += 1;
        let rv = s.rv;
        drop(s);
        let _ = self.state.changed.send(rv);
    }

    /// Remove an object (watchers see DELETED).
    pub fn delete(&self, group: &str, plural: &str, ns: &str, name: &str) {
        let mut s = self.state.store.lock().unwrap();
        let key = (group.to_string(), plural.to_string());
        let Some(o) = s
            .objects
            .get_mut(&key)
            .and_then(|m| m.remove(&(ns.to_string(), name.to_string())))
        else {
            return;
        };
        s.rv += 1;
        let rv = s.rv;
        s.events.push(Event {
            rv,
            key,
            kind: "DELETED",
            ns: o.namespace,
            body: o.body,
        });
        drop(s);
        let _ = self.state.changed.send(rv);
    }

    pub fn requests(&self) -> Vec<Logged> {
        self.state.log.lock().unwrap().clone()
    }

    pub fn clear_log(&self) {
        self.state.log.lock().unwrap().clear();
    }

    /// The current resourceVersion of the store.
    pub fn resource_version(&self) -> u64 {
        self.state.store.lock().unwrap().rv
    }

    /// A kubeconfig for this server: context `test` (current) plus `other`, user `test-user`
    /// with a bearer token.
    pub fn kubeconfig(&self, dir: &std::path::Path) -> std::path::PathBuf {
        let p = dir.join("kubeconfig");
        std::fs::write(
            &p,
            format!(
                "apiVersion: v1\nkind: Config\ncurrent-context: test\nclusters:\n- name: fake\n  cluster:\n    server: {}\ncontexts:\n- name: test\n  context:\n    cluster: fake\n    user: test-user\n- name: other\n  context:\n    cluster: fake\n    user: test-user\nusers:\n- name: test-user\n  user:\n    token: test-token\n",
                self.url()
            ),
        )
        .expect("write kubeconfig");
        p
    }
}

impl Drop for ApiServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// `n` running pods with an istio-proxy sidecar, spread over `namespaces` namespaces
/// (`ns-0000`…), owned by ReplicaSets of Deployments `app-<k>`.
pub fn pods(n: usize, namespaces: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            let ns = format!("ns-{:04}", i % namespaces.max(1));
            let app = format!("app-{}", (i / namespaces.max(1)) % 10);
            json!({
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {
                    "name": format!("{app}-7d4b9c8f6-{i:05}"), "namespace": ns,
                    "labels": {"app": app, "pod-template-hash": "7d4b9c8f6", "security.istio.io/tlsMode": "istio", "service.istio.io/canonical-name": app},
                    "annotations": {"sidecar.istio.io/status": "{\"initContainers\":[\"istio-init\"],\"containers\":[\"istio-proxy\"],\"volumes\":[\"istio-envoy\",\"istio-data\",\"istio-podinfo\",\"istio-token\",\"istiod-ca-cert\"],\"imagePullSecrets\":null,\"revision\":\"default\"}", "kubectl.kubernetes.io/default-container": app},
                    "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": format!("{app}-7d4b9c8f6"), "uid": "1", "controller": true, "blockOwnerDeletion": true}],
                    "managedFields": [{"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "v1", "time": "2026-01-01T00:00:00Z", "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {"f:labels": {".": {}, "f:app": {}}}}}],
                },
                "spec": {
                    "serviceAccountName": app,
                    "initContainers": [{"name": "istio-init", "image": "docker.io/istio/proxyv2:1.26.1", "args": ["istio-iptables", "-p", "15001", "-z", "15006", "-u", "1337"], "resources": {"limits": {"cpu": "2", "memory": "1Gi"}}, "securityContext": {"capabilities": {"add": ["NET_ADMIN", "NET_RAW"]}}}],
                    "containers": [
                        {"name": app, "image": format!("example/{app}:1.0"), "ports": [{"containerPort": 8080, "protocol": "TCP"}], "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}, "volumeMounts": [{"name": "kube-api-access", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "readOnly": true}], "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080}}},
                        {"name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.26.1", "args": ["proxy", "sidecar", "--domain", "$(POD_NAMESPACE).svc.cluster.local", "--proxyLogLevel=warning"], "env": [{"name": "ISTIO_META_ENABLE_HBONE", "value": "true"}, {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}, {"name": "PILOT_CERT_PROVIDER", "value": "istiod"}], "ports": [{"containerPort": 15090, "name": "http-envoy-prom", "protocol": "TCP"}], "readinessProbe": {"httpGet": {"path": "/healthz/ready", "port": 15021}}}
                    ],
                    "volumes": [{"name": "istio-envoy", "emptyDir": {"medium": "Memory"}}, {"name": "kube-api-access", "projected": {"sources": [{"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}}, {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}}]}}],
                    "nodeName": "node-1", "restartPolicy": "Always", "dnsPolicy": "ClusterFirst",
                },
                "status": {"phase": "Running", "podIP": "10.0.0.1", "hostIP": "192.168.0.1", "startTime": "2026-01-01T00:00:00Z", "conditions": [{"type": "Ready", "status": "True"}, {"type": "ContainersReady", "status": "True"}, {"type": "PodScheduled", "status": "True"}], "containerStatuses": [{"name": app, "ready": true, "restartCount": 0, "image": format!("example/{app}:1.0"), "imageID": "sha256:0", "started": true, "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}}}, {"name": "istio-proxy", "ready": true, "restartCount": 0, "image": "docker.io/istio/proxyv2:1.26.1", "imageID": "sha256:1", "started": true, "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}}}]},
            })
        })
        .collect()
}
