//! Every object the HTTPRoute translation writes validates against the real CRD schemas (the
//! Gateway API HTTPRoute CRD of the channel in use, Istio's DestinationRule) after the API
//! server's defaulting, and every `x-kubernetes-validations` rule on it is evaluated by a real
//! CEL interpreter (the `cel` crate) — with the Kubernetes escaping of reserved property
//! names (`__namespace__`) and the few library functions the rules use that the CEL standard
//! library lacks. Generated Services are checked against the Service API's own rules.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use ambient_lsp::index::{FileData, Index};
use ambient_lsp::model::Body;
use ambient_lsp::routes::{translate, IndexWorld, VsRef};
use ambient_lsp::yaml::{parse_stream, Limits};
use serde_json::Value;

struct Schemas {
    by_kind: BTreeMap<(String, String, String), Value>,
}

fn yaml_docs(path: &std::path::Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    parse_stream(&text, &Limits::default())
        .docs
        .iter()
        .filter_map(|d| d.root.as_ref().map(|n| n.to_json()))
        .collect()
}

fn schemas() -> Schemas {
    let c = common::corpus();
    let mut by_kind = BTreeMap::new();
    let mut add = |channel: &str, docs: Vec<Value>| {
        for d in docs {
            if d["kind"] != "CustomResourceDefinition" {
                continue;
            }
            let group = d["spec"]["group"].as_str().unwrap().to_string();
            let kind = d["spec"]["names"]["kind"].as_str().unwrap().to_string();
            for v in d["spec"]["versions"].as_array().unwrap() {
                let av = format!("{group}/{}", v["name"].as_str().unwrap());
                by_kind.insert(
                    (channel.to_string(), av, kind.clone()),
                    v["schema"]["openAPIV3Schema"].clone(),
                );
            }
        }
    };
    add(
        "istio",
        yaml_docs(&c.join("istio-install/crds/crd-all.gen.yaml")),
    );
    for ch in ["standard", "experimental"] {
        for f in std::fs::read_dir(c.join(format!("gateway-api/crds/{ch}"))).unwrap() {
            add(ch, yaml_docs(&f.unwrap().path()));
        }
    }
    Schemas { by_kind }
}

// ------------------------------------------------------------------------------------------
// Defaulting (what the API server stores)

fn apply_defaults(schema: &Value, v: &mut Value) {
    if let Some(o) = v.as_object_mut() {
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            for (k, ps) in props {
                if !o.contains_key(k) {
                    if let Some(d) = ps.get("default") {
                        o.insert(k.clone(), d.clone());
                    }
                }
            }
            for (k, ps) in props {
                if let Some(child) = o.get_mut(k) {
                    apply_defaults(ps, child);
                }
            }
        }
    } else if let Some(a) = v.as_array_mut() {
        if let Some(items) = schema.get("items") {
            for it in a {
                apply_defaults(items, it);
            }
        }
    }
}

// ------------------------------------------------------------------------------------------
// CEL

const RESERVED: [&str; 21] = [
    "true",
    "false",
    "null",
    "in",
    "as",
    "break",
    "const",
    "continue",
    "else",
    "for",
    "function",
    "if",
    "import",
    "let",
    "loop",
    "package",
    "namespace",
    "return",
    "var",
    "void",
    "while",
];

/// JSON → CEL value, with Kubernetes' escaping of property names that are CEL keywords.
fn to_cel(v: &Value) -> cel::Value {
    match v {
        Value::Null => cel::Value::Null,
        Value::Bool(b) => cel::Value::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => cel::Value::Int(i),
            None => cel::Value::Float(n.as_f64().unwrap_or(0.0)),
        },
        Value::String(s) => cel::Value::String(Arc::new(s.clone())),
        Value::Array(a) => cel::Value::List(Arc::new(a.iter().map(to_cel).collect())),
        Value::Object(o) => {
            let mut m: HashMap<String, cel::Value> = HashMap::new();
            for (k, x) in o {
                let key = if RESERVED.contains(&k.as_str()) {
                    format!("__{k}__")
                } else {
                    k.clone()
                };
                m.insert(key, to_cel(x));
            }
            cel::Value::from(m)
        }
    }
}

/// Evaluates one rule on `self`. `Err` when the interpreter cannot (an unknown function).
fn eval_cel(rule: &str, v: &Value) -> Result<bool, String> {
    let program = cel::Program::compile(rule).map_err(|e| format!("parse: {e}"))?;
    let mut ctx = cel::Context::default();
    ctx.add_variable_from_value("self", to_cel(v));
    match program.execute(&ctx) {
        Ok(cel::Value::Bool(b)) => Ok(b),
        Ok(other) => Err(format!("not a boolean: {other:?}")),
        Err(e) => Err(format!("{e:?}")),
    }
}

// ------------------------------------------------------------------------------------------
// Structural validation

fn type_ok(v: &Value, t: &str) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        _ => false,
    }
}

#[derive(Default)]
struct Stats {
    cel_rules: usize,
    cel_distinct: std::collections::BTreeSet<String>,
}

fn validate(schema: &Value, v: &Value, path: &str, errs: &mut Vec<String>, st: &mut Stats) {
    let s = schema.as_object().unwrap();
    if s.get("x-kubernetes-int-or-string") == Some(&Value::Bool(true)) {
        if !(v.is_string() || v.is_i64()) {
            errs.push(format!("{path}: expected int or string"));
        }
    } else if let Some(t) = s.get("type").and_then(Value::as_str) {
        if !type_ok(v, t) {
            errs.push(format!("{path}: expected {t}, got {v}"));
            return;
        }
    }
    if let Some(e) = s.get("enum").and_then(Value::as_array) {
        if !e.contains(v) {
            errs.push(format!("{path}: {v} not in {e:?}"));
        }
    }
    if let (Some(p), Some(sv)) = (s.get("pattern").and_then(Value::as_str), v.as_str()) {
        let re = regex::Regex::new(p).unwrap();
        if !re.is_match(sv) {
            errs.push(format!("{path}: {sv:?} does not match {p}"));
        }
    }
    let num = |k: &str| s.get(k).and_then(Value::as_f64);
    if let Some(sv) = v.as_str() {
        let n = sv.chars().count() as f64;
        if num("maxLength").is_some_and(|m| n > m) || num("minLength").is_some_and(|m| n < m) {
            errs.push(format!("{path}: length of {sv:?} out of bounds"));
        }
    }
    if let Some(a) = v.as_array() {
        let n = a.len() as f64;
        if num("maxItems").is_some_and(|m| n > m) || num("minItems").is_some_and(|m| n < m) {
            errs.push(format!("{path}: {} items out of bounds", a.len()));
        }
        if let Some(items) = s.get("items") {
            for (i, it) in a.iter().enumerate() {
                validate(items, it, &format!("{path}[{i}]"), errs, st);
            }
        }
    }
    if let Some(x) = v.as_f64() {
        if num("maximum").is_some_and(|m| x > m) || num("minimum").is_some_and(|m| x < m) {
            errs.push(format!("{path}: {x} out of bounds"));
        }
    }
    if let Some(o) = v.as_object() {
        for r in s
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if !o.contains_key(r.as_str().unwrap()) {
                errs.push(format!("{path}: missing required {r}"));
            }
        }
        let props = s.get("properties").and_then(Value::as_object);
        let preserve = s.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true));
        for (k, kv) in o {
            if path.is_empty() && ["apiVersion", "kind", "metadata"].contains(&k.as_str()) {
                continue;
            }
            let p = format!("{path}.{k}");
            if let Some(ps) = props.and_then(|p| p.get(k)) {
                validate(ps, kv, &p, errs, st);
            } else if let Some(ap) = s.get("additionalProperties").filter(|a| a.is_object()) {
                validate(ap, kv, &p, errs, st);
            } else if !preserve && props.is_some() {
                errs.push(format!("{p}: unknown field"));
            }
        }
    }
    let matches = |sub: &Value| {
        let mut e = Vec::new();
        validate(sub, v, path, &mut e, &mut Stats::default());
        e.is_empty()
    };
    if let Some(one) = s.get("oneOf").and_then(Value::as_array) {
        let n = one.iter().filter(|x| matches(x)).count();
        if n != 1 {
            errs.push(format!("{path}: matches {n} of the oneOf branches"));
        }
    }
    if let Some(any) = s.get("anyOf").and_then(Value::as_array) {
        if !any.iter().any(matches) {
            errs.push(format!("{path}: matches none of anyOf"));
        }
    }
    if let Some(not) = s.get("not") {
        if matches(not) {
            errs.push(format!("{path}: matches a `not` schema"));
        }
    }
    if let Some(all) = s.get("allOf").and_then(Value::as_array) {
        for a in all {
            validate(a, v, path, errs, st);
        }
    }
    if let Some(rules) = s.get("x-kubernetes-validations").and_then(Value::as_array) {
        for r in rules {
            let rule = r["rule"].as_str().unwrap();
            st.cel_rules += 1;
            st.cel_distinct.insert(rule.to_string());
            match eval_cel(rule, v) {
                Ok(true) => {}
                Ok(false) => errs.push(format!("{path}: violates {rule} ({})", r["message"])),
                Err(e) => errs.push(format!(
                    "{path}: CEL rule could not be evaluated: {rule}: {e}"
                )),
            }
        }
    }
}

fn dns1035(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && !s.ends_with('-')
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The Service API's validation of what we write (name, selector, ports).
fn check_service(o: &Value) -> Vec<String> {
    let mut e = Vec::new();
    let name = o["metadata"]["name"].as_str().unwrap_or("");
    if !dns1035(name) {
        e.push(format!("Service name {name:?} is not a DNS-1035 label"));
    }
    let sel = o["spec"]["selector"].as_object();
    if sel.is_none_or(|m| m.is_empty()) {
        e.push(format!("Service {name}: empty selector"));
    }
    let ports = o["spec"]["ports"].as_array().cloned().unwrap_or_default();
    if ports.is_empty() {
        e.push(format!("Service {name}: no ports"));
    }
    let mut seen = std::collections::BTreeSet::new();
    for p in &ports {
        let n = p["port"].as_i64().unwrap_or(0);
        if !(1..=65535).contains(&n) {
            e.push(format!("Service {name}: port {n}"));
        }
        if ports.len() > 1 && p["name"].as_str().is_none() {
            e.push(format!("Service {name}: several ports need names"));
        }
        if !seen.insert((n, p["protocol"].as_str().unwrap_or("TCP").to_string())) {
            e.push(format!("Service {name}: duplicate port {n}"));
        }
    }
    e
}

fn check(s: &Schemas, channel: &str, obj: &Value, st: &mut Stats) -> Vec<String> {
    let av = obj["apiVersion"].as_str().unwrap_or("").to_string();
    let kind = obj["kind"].as_str().unwrap_or("").to_string();
    let id = format!(
        "{kind} {}/{}",
        obj["metadata"]["namespace"].as_str().unwrap_or(""),
        obj["metadata"]["name"].as_str().unwrap_or("")
    );
    if kind == "Service" && av == "v1" {
        return check_service(obj);
    }
    let ch = if kind == "DestinationRule" {
        "istio"
    } else {
        channel
    };
    let Some(schema) = s.by_kind.get(&(ch.to_string(), av.clone(), kind.clone())) else {
        return vec![format!("{id}: no CRD schema for {av} {kind} ({ch})")];
    };
    let mut v = obj.clone();
    apply_defaults(schema, &mut v);
    let mut errs = Vec::new();
    let name = obj["metadata"]["name"].as_str().unwrap_or("");
    if name.len() > 253
        || name.is_empty()
        || !name.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
    {
        errs.push(format!(
            "metadata.name {name:?} is not a DNS-1123 subdomain"
        ));
    }
    validate(schema, &v, "", &mut errs, st);
    errs.into_iter().map(|e| format!("{id}: {e}")).collect()
}

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

fn translated(index: &Index, retry: bool) -> Vec<Value> {
    let world = IndexWorld::new(index, "cluster.local", retry);
    let mut out = Vec::new();
    for r in index.all() {
        let Body::VirtualService(vs) = &r.body else {
            continue;
        };
        if !vs.is_mesh_bound() || vs.http.is_empty() {
            continue;
        }
        let node = world.node(r).unwrap();
        let vref = VsRef {
            namespace: &r.namespace,
            name: &r.name,
            hosts: vs.hosts.iter().map(|h| (h.value.clone(), h.span)).collect(),
            span: r.name_span,
        };
        out.extend(translate(&world, &vref, node.get("spec").unwrap()).objects);
    }
    out
}

fn workspaces() -> Vec<Vec<(String, String)>> {
    let read = |p: &std::path::Path| -> Vec<(String, String)> {
        ambient_lsp::sources::expand(&[p.to_path_buf()])
            .unwrap_or_default()
            .into_iter()
            .filter_map(|f| {
                std::fs::read_to_string(&f)
                    .ok()
                    .map(|t| (f.to_string_lossy().to_string(), t))
            })
            .collect()
    };
    let mut out = vec![read(&common::repo_root().join("examples"))];
    // the manifests of the RT-* rule fixtures, each once
    let mut seen = std::collections::BTreeSet::new();
    let rules = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules");
    for rule in ["RT-001", "RT-002", "RT-003", "RT-004", "RT-005"] {
        for f in read(&rules.join(rule)) {
            if !f.0.ends_with("case.yaml") && seen.insert(f.1.clone()) {
                out.push(vec![f]);
            }
        }
    }
    let b = common::corpus().join("istio/samples/bookinfo");
    let mut base = read(&b.join("platform/kube/bookinfo.yaml"));
    base.extend(read(&b.join("networking/destination-rule-all.yaml")));
    for f in read(&b.join("networking")) {
        if f.1.contains("kind: VirtualService") {
            let mut ws = base.clone();
            ws.push(f);
            out.push(ws);
        }
    }
    out
}

#[test]
fn the_cel_evaluation_rejects_what_the_api_server_rejects() {
    let s = schemas();
    let mut st = Stats::default();
    let good = serde_json::json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
        "metadata": {"name": "r", "namespace": "n"},
        "spec": {"parentRefs": [{"group": "", "kind": "Service", "name": "s"}],
                 "rules": [{"matches": [{"path": {"type": "PathPrefix", "value": "/a"}}],
                            "filters": [{"type": "URLRewrite", "urlRewrite": {"path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/b"}}}],
                            "backendRefs": [{"name": "s", "port": 80}]}]}});
    assert_eq!(check(&s, "standard", &good, &mut st), Vec::<String>::new());
    let bad = [
        // ReplacePrefixMatch without a PathPrefix match
        serde_json::json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": "r", "namespace": "n"},
            "spec": {"parentRefs": [{"group": "", "kind": "Service", "name": "s"}],
                     "rules": [{"matches": [{"path": {"type": "Exact", "value": "/a"}}],
                                "filters": [{"type": "URLRewrite", "urlRewrite": {"path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/b"}}}],
                                "backendRefs": [{"name": "s", "port": 80}]}]}}),
        // a Service backend without port
        serde_json::json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": "r", "namespace": "n"},
            "spec": {"parentRefs": [{"group": "", "kind": "Service", "name": "s"}],
                     "rules": [{"backendRefs": [{"name": "s"}]}]}}),
        // redirect with backends
        serde_json::json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": "r", "namespace": "n"},
            "spec": {"parentRefs": [{"group": "", "kind": "Service", "name": "s"}],
                     "rules": [{"filters": [{"type": "RequestRedirect", "requestRedirect": {"statusCode": 301}}],
                                "backendRefs": [{"name": "s", "port": 80}]}]}}),
        // a path with //
        serde_json::json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": "r", "namespace": "n"},
            "spec": {"parentRefs": [{"group": "", "kind": "Service", "name": "s"}],
                     "rules": [{"matches": [{"path": {"type": "Exact", "value": "/a//b"}}], "backendRefs": [{"name": "s", "port": 80}]}]}}),
        // two parentRefs to the same Service without port (uses `__namespace__`)
        serde_json::json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": "r", "namespace": "n"},
            "spec": {"parentRefs": [{"group": "", "kind": "Service", "name": "s"}, {"group": "", "kind": "Service", "name": "s"}],
                     "rules": [{"backendRefs": [{"name": "s", "port": 80}]}]}}),
        // backendRequest longer than request (duration())
        serde_json::json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": "r", "namespace": "n"},
            "spec": {"parentRefs": [{"group": "", "kind": "Service", "name": "s"}],
                     "rules": [{"backendRefs": [{"name": "s", "port": 80}], "timeouts": {"request": "1s", "backendRequest": "2s"}}]}}),
    ];
    for b in &bad {
        let e = check(&s, "standard", b, &mut st);
        assert!(!e.is_empty(), "accepted: {b}");
        assert!(
            e.iter().all(|x| !x.contains("could not be evaluated")),
            "{e:?}"
        );
    }
}

#[test]
fn every_translated_object_is_valid_and_passes_every_cel_rule() {
    let s = schemas();
    let mut st = Stats::default();
    let mut total = BTreeMap::new();
    let mut errs = Vec::new();
    for ws in workspaces() {
        let idx = index_of(&ws);
        for (channel, retry) in [("standard", false), ("experimental", true)] {
            for o in translated(&idx, retry) {
                *total
                    .entry(o["kind"].as_str().unwrap_or("").to_string())
                    .or_insert(0) += 1;
                errs.extend(check(&s, channel, &o, &mut st));
            }
        }
    }
    eprintln!(
        "objects: {total:?}; CEL rules evaluated: {} ({} distinct)",
        st.cel_rules,
        st.cel_distinct.len()
    );
    assert!(
        total.get("HTTPRoute").copied().unwrap_or(0) >= 20,
        "{total:?}"
    );
    assert!(total.get("Service").copied().unwrap_or(0) >= 5, "{total:?}");
    assert!(st.cel_distinct.len() >= 20);
    assert!(errs.is_empty(), "{errs:#?}");
}
