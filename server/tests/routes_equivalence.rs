//! The HTTPRoute translation routes every sample request like the VirtualService it replaces:
//! same backends (with weights), rewrites, redirects, header changes, mirrors, timeouts and
//! retries — for every VirtualService of `examples/`, of the rule fixtures (the YAML fixtures
//! and the VirtualServices written inline in the rule tests) and of Istio's bookinfo
//! `samples/bookinfo/networking/`; and for random VirtualServices (proptest). A VirtualService
//! that is not translated must come with an explicit finding.

#![allow(clippy::type_complexity)]

mod common;
mod routes_model;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ambient_lsp::index::{FileData, Index};
use ambient_lsp::model::Body;
use ambient_lsp::routes::{translate, IndexWorld, Translation, VsRef};
use ambient_lsp::yaml::{parse_stream, Limits};
use proptest::prelude::*;
use routes_model::*;
use serde_json::{json, Value};

fn index_of(files: &[(String, String)]) -> Index {
    let mut index = Index::new();
    for (path, text) in files {
        let id = index.id_for(path);
        index.upsert(FileData::parse(
            id,
            path.as_str(),
            text.as_str(),
            &Limits::default(),
        ));
    }
    index
}

fn all_objects(index: &Index) -> Vec<Value> {
    let mut out = Vec::new();
    for f in index.files() {
        for d in parse_stream(&f.text, &Limits::default()).docs {
            if let Some(r) = d.root {
                let v = r.to_json();
                if v["kind"] == "List" {
                    out.extend(v["items"].as_array().cloned().unwrap_or_default());
                } else {
                    out.push(v);
                }
            }
        }
    }
    out
}

/// One VirtualService of a workspace, translated.
struct Case {
    label: String,
    vs_ns: String,
    spec: Value,
    t: Translation,
}

fn cases(index: &Index, label: &str, retry: bool) -> Vec<Case> {
    let world = IndexWorld::new(index, "cluster.local", retry);
    let mut out = Vec::new();
    for r in index.all() {
        let Body::VirtualService(vs) = &r.body else {
            continue;
        };
        if !vs.is_mesh_bound() || vs.http.is_empty() {
            continue;
        }
        let node = world.node(r).expect("node of a resource");
        let spec_node = node.get("spec").expect("spec");
        let vref = VsRef {
            namespace: &r.namespace,
            name: &r.name,
            hosts: vs.hosts.iter().map(|h| (h.value.clone(), h.span)).collect(),
            span: r.name_span,
        };
        let t = translate(&world, &vref, spec_node);
        // determinism: same input, same output
        assert_eq!(t, translate(&world, &vref, spec_node));
        out.push(Case {
            label: format!("{label}: VirtualService {}", r.ns_name()),
            vs_ns: r.namespace.to_string(),
            spec: spec_node.to_json(),
            t,
        });
    }
    out
}

// ------------------------------------------------------------------------------------------
// Sample requests

fn regex_samples(re: &str, n: usize) -> Vec<String> {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, TestRunner};
    let Ok(strat) = proptest::string::string_regex(re) else {
        return Vec::new();
    };
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        proptest::test_runner::TestRng::deterministic_rng(
            proptest::test_runner::RngAlgorithm::ChaCha,
        ),
    );
    (0..n)
        .filter_map(|_| strat.new_tree(&mut runner).ok().map(|t| t.current()))
        .filter(|s| !s.contains(['\n', '\r']))
        .collect()
}

fn str_samples(m: &Value) -> Vec<Option<String>> {
    let mut out = vec![None];
    if let Some(x) = m["exact"].as_str() {
        out.push(Some(x.to_string()));
        out.push(Some(format!("{x}x")));
        out.push(Some(x.to_uppercase()));
    }
    if let Some(p) = m["prefix"].as_str() {
        out.push(Some(p.to_string()));
        out.push(Some(format!("{p}z")));
        out.push(Some(
            p.chars()
                .take(p.chars().count().saturating_sub(1))
                .collect(),
        ));
    }
    if let Some(r) = m["regex"].as_str() {
        out.extend(regex_samples(r, 3).into_iter().map(Some));
        out.push(Some("zz".into()));
    }
    if !m.is_object() || m.as_object().is_some_and(|o| o.is_empty()) {
        out.push(Some(String::new()));
        out.push(Some("v".into()));
    }
    out
}

fn path_samples(m: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let u = &m["uri"];
    for key in ["exact", "prefix"] {
        if let Some(v) = u[key].as_str() {
            let cut: String = v
                .chars()
                .take(v.chars().count().saturating_sub(1))
                .collect();
            let trimmed = v.trim_end_matches('/');
            for p in [
                v.to_string(),
                format!("{v}x"),
                format!("{v}/"),
                format!("{v}/y"),
                format!("{v}?a=b"),
                v.to_uppercase(),
                cut,
                trimmed.to_string(),
                format!("{trimmed}/z"),
            ] {
                if p.starts_with('/') {
                    out.push(p);
                }
            }
        }
    }
    if let Some(r) = u["regex"].as_str() {
        out.extend(
            regex_samples(r, 4)
                .into_iter()
                .filter(|s| s.starts_with('/') && !s.contains(['?', '#'])),
        );
    }
    out
}

fn requests(spec: &Value, host: &str, port: u32) -> Vec<Request> {
    let base_paths = [
        "/",
        "/x",
        "/a/b?q=1",
        "/productpage",
        "/api/v1/items",
        "/API",
    ];
    let mut reqs = Vec::new();
    let mk = |path: String, headers: Vec<(String, String)>, method: &str, h: String| Request {
        method: method.to_string(),
        path,
        headers,
        host: h,
        port,
    };
    let hosts = [format!("{host}:{port}"), host.to_string()];
    for p in base_paths {
        for h in &hosts {
            reqs.push(mk(p.to_string(), Vec::new(), "GET", h.clone()));
        }
        reqs.push(mk(p.to_string(), Vec::new(), "POST", hosts[0].clone()));
    }
    let matches: Vec<&Value> = spec["http"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|h| h["match"].as_array().into_iter().flatten())
        .collect();
    // a request satisfying each match, then with one condition changed at a time
    let satisfy =
        |m: &Value| -> Vec<(String, Vec<(String, String)>, Vec<(String, String)>, String)> {
            let paths = {
                let mut p = path_samples(m);
                if p.is_empty() {
                    p.push("/".into());
                    p.push("/other".into());
                }
                p
            };
            let headers: Vec<(String, Vec<Option<String>>)> = m["headers"]
                .as_object()
                .map(|o| {
                    o.iter()
                        .map(|(k, v)| (k.to_ascii_lowercase(), str_samples(v)))
                        .collect()
                })
                .unwrap_or_default();
            let query: Vec<(String, Vec<Option<String>>)> = m["queryParams"]
                .as_object()
                .map(|o| o.iter().map(|(k, v)| (k.clone(), str_samples(v))).collect())
                .unwrap_or_default();
            let methods: Vec<String> = m["method"]
                .as_object()
                .and_then(|o| o.get("exact"))
                .and_then(Value::as_str)
                .map(|x| vec![x.to_string(), "GET".into(), "PUT".into()])
                .unwrap_or_else(|| vec!["GET".into()]);
            let first = |l: &Vec<Option<String>>| l.iter().find(|x| x.is_some()).cloned().flatten();
            let mut out = Vec::new();
            let full_h: Vec<(String, String)> = headers
                .iter()
                .filter_map(|(k, l)| first(l).map(|v| (k.clone(), v)))
                .collect();
            let full_q: Vec<(String, String)> = query
                .iter()
                .filter_map(|(k, l)| first(l).map(|v| (k.clone(), v)))
                .collect();
            for p in &paths {
                out.push((
                    p.clone(),
                    full_h.clone(),
                    full_q.clone(),
                    methods[0].clone(),
                ));
            }
            for (i, (k, l)) in headers.iter().enumerate() {
                for v in l {
                    let mut h = full_h.clone();
                    h.retain(|(n, _)| n != k);
                    if let Some(v) = v {
                        h.insert(i.min(h.len()), (k.clone(), v.clone()));
                    }
                    out.push((paths[0].clone(), h, full_q.clone(), methods[0].clone()));
                }
            }
            for (k, l) in &query {
                for v in l {
                    let mut q = full_q.clone();
                    q.retain(|(n, _)| n != k);
                    if let Some(v) = v {
                        q.push((k.clone(), v.clone()));
                    }
                    out.push((paths[0].clone(), full_h.clone(), q, methods[0].clone()));
                }
            }
            for me in &methods {
                out.push((paths[0].clone(), full_h.clone(), full_q.clone(), me.clone()));
            }
            out
        };
    let with_query = |p: &str, q: &[(String, String)]| {
        if q.is_empty() {
            return p.to_string();
        }
        let qs: Vec<String> = q
            .iter()
            .map(|(k, v)| {
                if v.is_empty() {
                    k.clone()
                } else {
                    format!("{k}={v}")
                }
            })
            .collect();
        format!(
            "{p}{}{}",
            if p.contains('?') { "&" } else { "?" },
            qs.join("&")
        )
    };
    let mut sats = Vec::new();
    for m in &matches {
        for (p, h, q, me) in satisfy(m) {
            reqs.push(mk(with_query(&p, &q), h.clone(), &me, hosts[0].clone()));
            sats.push((p, h, q, me));
        }
    }
    // requests that satisfy two matches at once (where rules overlap, order decides)
    let n = sats.len().min(40);
    for i in 0..n {
        for j in 0..n {
            if i == j {
                continue;
            }
            let (p, h1, q1, me) = &sats[i];
            let (_, h2, q2, _) = &sats[j];
            let mut h = h1.clone();
            for (k, v) in h2 {
                if !h.iter().any(|(n, _)| n == k) {
                    h.push((k.clone(), v.clone()));
                }
            }
            let mut q = q1.clone();
            for (k, v) in q2 {
                if !q.iter().any(|(n, _)| n == k) {
                    q.push((k.clone(), v.clone()));
                }
            }
            reqs.push(mk(with_query(p, &q), h, me, hosts[0].clone()));
        }
    }
    reqs
}

/// Compares the two models on the samples; returns the number of requests compared.
fn check(case: &Case, mesh_objs: &[Value], extra: &[Request]) -> usize {
    let mut mesh = Mesh::from_objects(mesh_objs);
    for o in &case.t.objects {
        mesh.add(o);
    }
    let vs_routes = vs_routes(&case.spec, &case.vs_ns);
    let mut n = 0;
    for target in &case.t.targets {
        let (tns, tname) = target.split_once('/').unwrap();
        let svc = mesh
            .services
            .iter()
            .find(|s| s.ns == tns && s.name == tname)
            .expect("target service")
            .clone();
        let routes: Vec<Value> = case
            .t
            .routes()
            .filter(|r| {
                r["metadata"]["namespace"] == tns && r["spec"]["parentRefs"][0]["name"] == tname
            })
            .cloned()
            .collect();
        assert!(!routes.is_empty(), "{}: no route for {target}", case.label);
        let http_ports: Vec<u32> = mesh_objs
            .iter()
            .filter(|o| {
                o["kind"] == "Service"
                    && o["metadata"]["name"] == tname
                    && o["metadata"]["namespace"].as_str().unwrap_or("default") == tns
            })
            .flat_map(|o| o["spec"]["ports"].as_array().cloned().unwrap_or_default())
            .filter(|p| {
                let name = p["appProtocol"]
                    .as_str()
                    .or(p["name"].as_str())
                    .unwrap_or("");
                let pre = name.split('-').next().unwrap_or("").to_ascii_lowercase();
                p["protocol"].as_str().is_none_or(|x| x == "TCP")
                    && !["tcp", "tls", "https", "mongo", "mysql", "redis", "udp"]
                        .contains(&pre.as_str())
            })
            .filter_map(|p| p["port"].as_u64().map(|x| x as u32))
            .collect();
        assert!(
            !http_ports.is_empty(),
            "{}: {target} has no http port",
            case.label
        );
        let _ = &svc;
        for port in http_ports {
            let gw = gateway_routes(&routes, port);
            let mut reqs = requests(&case.spec, tname, port);
            reqs.extend(extra.iter().cloned().map(|mut r| {
                r.port = port;
                r
            }));
            for r in &reqs {
                let a = evaluate(&vs_routes, &mesh, &case.vs_ns, r);
                let b = evaluate(&gw, &mesh, &case.vs_ns, r);
                assert_eq!(
                    a,
                    b,
                    "{}: request {r:?} to {target} port {port}\nVirtualService: {}\nHTTPRoutes: {}",
                    case.label,
                    serde_json::to_string_pretty(&case.spec).unwrap(),
                    serde_json::to_string_pretty(&routes).unwrap()
                );
                n += 1;
            }
        }
    }
    n
}

#[derive(Default)]
struct Tally {
    translated: usize,
    refused: BTreeMap<String, usize>,
    requests: usize,
    vs: usize,
}

impl Tally {
    fn run(&mut self, index: &Index, label: &str, retry: bool) {
        let objs = all_objects(index);
        for case in cases(index, label, retry) {
            if case.t.targets.is_empty() || case.t.noop {
                continue;
            }
            self.vs += 1;
            if case.t.problems.is_empty() {
                assert!(
                    !case.t.objects.is_empty(),
                    "{}: neither routes nor problems",
                    case.label
                );
                self.translated += 1;
                self.requests += check(&case, &objs, &[]);
            } else {
                for p in &case.t.problems {
                    assert!(!p.message.is_empty());
                    let key = format!(
                        "{:?} {}",
                        p.kind,
                        p.field
                            .clone()
                            .unwrap_or_default()
                            .split('.')
                            .next_back()
                            .unwrap_or("")
                            .trim_end_matches(|c: char| c == ']' || c.is_ascii_digit() || c == '[')
                    );
                    *self.refused.entry(key).or_default() += 1;
                }
            }
        }
    }
}

fn read_dir_yaml(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for p in ambient_lsp::sources::expand(&[dir.to_path_buf()]).unwrap_or_default() {
        if let Ok(t) = std::fs::read_to_string(&p) {
            out.push((p.to_string_lossy().to_string(), t));
        }
    }
    out
}

#[test]
fn examples_translate_with_the_same_behaviour() {
    let mut tally = Tally::default();
    let idx = index_of(&read_dir_yaml(&common::repo_root().join("examples")));
    tally.run(&idx, "examples", false);
    tally.run(&idx, "examples (experimental CRDs)", true);
    eprintln!(
        "examples: {} VirtualServices, {} translated, refused {:?}, {} requests",
        tally.vs, tally.translated, tally.refused, tally.requests
    );
    assert!(tally.vs >= 2);
    assert!(
        tally.translated >= 2,
        "the ratings VirtualService translates (with either CRD channel)"
    );
}

#[test]
fn bookinfo_samples_translate_with_the_same_behaviour() {
    let c = common::corpus().join("istio/samples/bookinfo");
    let platform = read_dir_yaml(&c.join("platform/kube/bookinfo.yaml"));
    let dr = read_dir_yaml(&c.join("networking/destination-rule-all.yaml"));
    let mut tally = Tally::default();
    let mut files: Vec<PathBuf> = std::fs::read_dir(c.join("networking"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        if !text.contains("kind: VirtualService") {
            continue;
        }
        let mut ws = platform.clone();
        ws.extend(dr.clone());
        ws.push((f.to_string_lossy().to_string(), text));
        let idx = index_of(&ws);
        let label = f.file_name().unwrap().to_string_lossy().to_string();
        tally.run(&idx, &label, false);
    }
    eprintln!(
        "bookinfo networking: {} VirtualServices, {} translated, refused {:?}, {} requests",
        tally.vs, tally.translated, tally.refused, tally.requests
    );
    assert!(tally.translated >= 8, "{} translated", tally.translated);
    assert!(tally.requests > 300);
}

/// Services (port 80 `http` and 8080 `http-alt`) for every host a workspace's VirtualServices
/// name that no Service provides, and DestinationRules for their subsets, so that the
/// VirtualServices written inline in rule tests can be translated.
fn complete(files: &mut Vec<(String, String)>) {
    let idx = index_of(files);
    let objs = all_objects(&idx);
    let mut have: std::collections::BTreeSet<(String, String)> = objs
        .iter()
        .filter(|o| o["kind"] == "Service")
        .map(|o| {
            (
                o["metadata"]["namespace"]
                    .as_str()
                    .unwrap_or("default")
                    .to_string(),
                o["metadata"]["name"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let mut extra = String::new();
    let mut subsets: BTreeMap<(String, String), std::collections::BTreeSet<String>> =
        BTreeMap::new();
    for o in objs.iter().filter(|o| o["kind"] == "VirtualService") {
        let ns = o["metadata"]["namespace"]
            .as_str()
            .unwrap_or("default")
            .to_string();
        let mut hosts: Vec<String> = o["spec"]["hosts"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|h| h.as_str().map(str::to_string))
            .collect();
        for h in o["spec"]["http"].as_array().into_iter().flatten() {
            for d in h["route"].as_array().into_iter().flatten() {
                if let Some(x) = d["destination"]["host"].as_str() {
                    hosts.push(x.to_string());
                    if let Some(s) = d["destination"]["subset"].as_str() {
                        let f = routes_model_fqdn(x, &ns);
                        subsets.entry(f).or_default().insert(s.to_string());
                    }
                }
            }
        }
        for h in hosts {
            let (f_ns, f_name) = routes_model_fqdn(&h, &ns);
            if f_name.is_empty()
                || f_name.contains('*')
                || !have.insert((f_ns.clone(), f_name.clone()))
            {
                continue;
            }
            extra.push_str(&format!("---\napiVersion: v1\nkind: Service\nmetadata: {{name: {f_name}, namespace: {f_ns}}}\nspec:\n  selector: {{app: {f_name}}}\n  ports:\n  - {{name: http, port: 80, targetPort: 8080}}\n  - {{name: http-alt, port: 8080}}\n"));
        }
    }
    for ((ns, name), subs) in subsets {
        if objs.iter().any(|o| o["kind"] == "DestinationRule") {
            break;
        }
        extra.push_str(&format!("---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n  host: {name}\n  subsets:\n"));
        for s in subs {
            extra.push_str(&format!("  - name: {s}\n    labels: {{version: {s}}}\n"));
        }
    }
    if !extra.is_empty() {
        files.push(("completed-services.yaml".into(), extra));
    }
}

fn routes_model_fqdn(host: &str, ns: &str) -> (String, String) {
    if !host.contains('.') {
        return (ns.to_string(), host.to_string());
    }
    let parts: Vec<&str> = host.split('.').collect();
    if parts.len() >= 3 && parts[2] == "svc" {
        (parts[1].to_string(), parts[0].to_string())
    } else {
        (String::new(), String::new())
    }
}

#[test]
fn rule_fixtures_translate_with_the_same_behaviour() {
    let mut tally = Tally::default();
    // every YAML fixture with a VirtualService (the rule fixtures included), one workspace each
    let fx = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut workspaces: Vec<Vec<(String, String)>> = Vec::new();
    for f in read_dir_yaml(&fx) {
        if f.1.contains("kind: VirtualService") && !f.0.ends_with("case.yaml") {
            workspaces.push(vec![f]);
        }
    }
    assert!(
        workspaces.len() >= 40,
        "VirtualService fixtures: {}",
        workspaces.len()
    );
    for mut ws in workspaces {
        let label = ws[0].0.clone();
        complete(&mut ws);
        let idx = index_of(&ws);
        tally.run(&idx, &label, false);
        tally.run(&idx, &label, true);
    }
    eprintln!(
        "rule fixtures: {} VirtualServices, {} translated, refused {:?}, {} requests",
        tally.vs, tally.translated, tally.refused, tally.requests
    );
    assert!(tally.translated >= 10, "{} translated", tally.translated);
}

// ------------------------------------------------------------------------------------------
// Property test: random VirtualServices

const WORLD: &str = r#"
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec:
  selector: {app: api}
  ports: [{name: http, port: 80, targetPort: 8080}, {name: http-admin, port: 9090}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: web, namespace: shop}
spec:
  host: web
  trafficPolicy: {connectionPool: {http: {http1MaxPendingRequests: 10}}}
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}, trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}}
"#;

fn arb_path() -> impl Strategy<Value = Value> {
    let seg = prop::sample::select(vec!["/", "/a", "/ab", "/a/", "/a/b", "/b", "/A", "/a.b"]);
    prop_oneof![
        3 => Just(Value::Null),
        3 => (seg.clone(), any::<bool>()).prop_map(|(s, ci)| json!({"uri": {"prefix": s}, "ignoreUriCase": ci})),
        2 => (seg.clone(), any::<bool>()).prop_map(|(s, ci)| json!({"uri": {"exact": s}, "ignoreUriCase": ci})),
        2 => prop::sample::select(vec!["/a.*", "/a/[0-9]+", "/(a|b)", ".*b", "/ab?"]).prop_map(|r| json!({"uri": {"regex": r}})),
    ]
}

fn arb_str() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => prop::sample::select(vec!["x", "xy", "y"]).prop_map(|v| json!({"exact": v})),
        2 => prop::sample::select(vec!["x", "y"]).prop_map(|v| json!({"prefix": v})),
        1 => prop::sample::select(vec!["x.*", "[xy]"]).prop_map(|v| json!({"regex": v})),
        1 => Just(json!({})),
    ]
}

fn arb_match() -> impl Strategy<Value = Value> {
    (
        arb_path(),
        prop::collection::vec((prop::sample::select(vec!["x-a", "x-b"]), arb_str()), 0..3),
        prop::option::weighted(0.2, (prop::sample::select(vec!["q", "r"]), arb_str())),
        prop::option::weighted(0.2, prop::sample::select(vec!["GET", "POST"])),
        prop::option::weighted(0.1, prop::sample::select(vec![80u32, 9090])),
    )
        .prop_map(|(p, hs, q, me, port)| {
            let mut m = if p.is_null() { json!({}) } else { p };
            if !hs.is_empty() {
                let mut h = serde_json::Map::new();
                for (k, v) in hs {
                    h.insert(k.to_string(), v);
                }
                m["headers"] = Value::Object(h);
            }
            if let Some((k, v)) = q {
                m["queryParams"] = json!({k: v});
            }
            if let Some(me) = me {
                m["method"] = json!({"exact": me});
            }
            if let Some(p) = port {
                m["port"] = json!(p);
            }
            m
        })
}

fn arb_dest(host: &'static str) -> impl Strategy<Value = Value> {
    (
        prop::sample::select(vec![host, "web"]),
        prop::option::weighted(0.5, prop::sample::select(vec!["v1", "v2"])),
        prop::option::weighted(0.2, Just(80u32)),
    )
        .prop_map(|(h, s, p)| {
            let mut d = json!({"host": h});
            if let Some(s) = s {
                if h == "web" {
                    d["subset"] = json!(s);
                }
            }
            if let Some(p) = p {
                d["port"] = json!({"number": p});
            }
            d
        })
}

fn arb_rule(host: &'static str) -> impl Strategy<Value = Value> {
    (
        prop::collection::vec(arb_match(), 0..3),
        prop::collection::vec((arb_dest(host), 0u32..4), 1..3),
        prop::option::weighted(0.15, prop::sample::select(vec!["/", "/r", "/r/x"])),
        prop::option::weighted(0.1, (prop::option::of(prop::sample::select(vec!["new.example.com"])), prop::option::of(prop::sample::select(vec!["/moved"])), prop::option::of(prop::sample::select(vec![301u32, 302, 307])), prop::sample::select(vec![0u8, 1, 2, 3]))),
        prop::option::weighted(0.2, prop::sample::select(vec!["x-set", "x-other"])),
        prop::option::weighted(0.15, (arb_dest(host), prop::sample::select(vec![100.0f64, 50.0, 12.5]))),
        prop::option::weighted(0.2, prop::sample::select(vec!["5s", "0.5s", "0s"])),
        prop::option::weighted(0.1, prop::sample::select(vec!["rewritten.example.com"])),
    )
        .prop_map(|(ms, ds, rw, rd, hdr, mirror, timeout, auth)| {
            let mut r = json!({});
            if !ms.is_empty() {
                r["match"] = Value::Array(ms);
            }
            if let Some((host, uri, code, port)) = rd {
                let mut x = json!({});
                if let Some(h) = host {
                    x["authority"] = json!(h);
                }
                if let Some(u) = uri {
                    x["uri"] = json!(u);
                }
                if let Some(c) = code {
                    x["redirectCode"] = json!(c);
                }
                match port {
                    1 => x["port"] = json!(8443),
                    2 => x["derivePort"] = json!("FROM_REQUEST_PORT"),
                    3 => x["scheme"] = json!("https"),
                    _ => {}
                }
                r["redirect"] = x;
            } else {
                let many = ds.len() > 1;
                r["route"] = Value::Array(
                    ds.into_iter()
                        .map(|(d, w)| if many { json!({"destination": d, "weight": w + 1}) } else { json!({"destination": d}) })
                        .collect(),
                );
                if rw.is_some() || auth.is_some() {
                    let mut x = json!({});
                    if let Some(u) = rw {
                        x["uri"] = json!(u);
                    }
                    if let Some(a) = auth {
                        x["authority"] = json!(a);
                    }
                    r["rewrite"] = x;
                }
                if let Some((d, pct)) = mirror {
                    r["mirror"] = d;
                    if pct < 100.0 {
                        r["mirrorPercentage"] = json!({"value": pct});
                    }
                }
                if let Some(t) = timeout {
                    r["timeout"] = json!(t);
                }
            }
            if let Some(h) = hdr {
                r["headers"] = json!({"request": {"set": {h: "1"}, "remove": ["x-drop"]}, "response": {"add": {"x-resp": "y"}}});
            }
            r
        })
}

fn arb_vs() -> impl Strategy<Value = (&'static str, Value)> {
    prop::sample::select(vec!["web", "api"]).prop_flat_map(|host| {
        prop::collection::vec(arb_rule(host), 1..5).prop_map(move |rules| {
            (
                host,
                json!({"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
                    "metadata": {"name": "vs", "namespace": "shop"},
                    "spec": {"hosts": [host], "http": rules}}),
            )
        })
    })
}

fn arb_request() -> impl Strategy<Value = Request> {
    (
        prop::sample::select(vec![
            "/", "/a", "/ab", "/a/", "/a/b", "/A/b", "/b", "/abc", "/a.b", "/a/7", "/xb", "/r",
        ]),
        prop::option::of(prop::sample::select(vec!["q=x", "q=xy", "r=y", "q="])),
        prop::collection::vec(
            (
                prop::sample::select(vec!["x-a", "x-b"]),
                prop::sample::select(vec!["x", "xy", "y", "", "X"]),
            ),
            0..3,
        ),
        prop::sample::select(vec!["GET", "POST", "PUT"]),
        any::<bool>(),
    )
        .prop_map(|(p, q, hs, m, with_port)| {
            let mut headers: Vec<(String, String)> = Vec::new();
            for (k, v) in hs {
                if !headers.iter().any(|(n, _)| n == k) {
                    headers.push((k.to_string(), v.to_string()));
                }
            }
            Request {
                method: m.to_string(),
                path: match q {
                    Some(q) => format!("{p}?{q}"),
                    None => p.to_string(),
                },
                headers,
                host: if with_port {
                    "web:80".into()
                } else {
                    "web".into()
                },
                port: 80,
            }
        })
}

static CASES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static TRANSLATED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

proptest! {
    #![proptest_config(ProptestConfig { cases: 384, failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn random_virtual_services_translate_equivalently_or_say_why_not(
        (_host, vs) in arb_vs(),
        reqs in prop::collection::vec(arb_request(), 24),
    ) {
        let text = format!("{WORLD}---\n{}", serde_json::to_string(&vs).unwrap());
        let idx = index_of(&[("ws.yaml".to_string(), text)]);
        let objs = all_objects(&idx);
        CASES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        for retry in [false, true] {
            for case in cases(&idx, "random", retry) {
                prop_assert!(!case.t.targets.is_empty());
                if case.t.noop {
                    continue;
                }
                if case.t.problems.is_empty() {
                    prop_assert!(!case.t.objects.is_empty());
                    TRANSLATED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    check(&case, &objs, &reqs);
                } else {
                    prop_assert!(case.t.objects.is_empty());
                    for p in &case.t.problems {
                        prop_assert!(!p.message.is_empty());
                    }
                }
            }
        }
    }
}

#[test]
fn zz_property_test_translated_most_cases() {
    // runs after the property test in the same binary when tests run in name order on one
    // thread; otherwise it only checks the counters it sees
    let c = CASES.load(std::sync::atomic::Ordering::Relaxed);
    let t = TRANSLATED.load(std::sync::atomic::Ordering::Relaxed);
    eprintln!("property test: {c} random VirtualServices, {t} translations checked");
}
