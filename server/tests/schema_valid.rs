//! Every object we recommend (`recommended-waypoints.yaml`, `recommended-policies.yaml`) is valid
//! against the real CRD schemas: Istio's `crd-all.gen.yaml` and Gateway API's standard channel,
//! both from `../shared/corpus`. The validator below implements the OpenAPI v3 subset that
//! Kubernetes structural schemas use, plus the CEL `x-kubernetes-validations` rules that apply to
//! the fields we write (an unknown CEL rule on a field we set fails the test, so a new rule
//! cannot be skipped silently).

mod common;
use common::*;

use ambient_lsp::analysis::Options;
use ambient_lsp::engine::Analysis;
use ambient_lsp::finding::Action;
use ambient_lsp::index::{FileData, Index};
use ambient_lsp::sources::{expand, read_manifest};
use ambient_lsp::yaml::{parse_stream, Limits};
use serde_json::Value;
use std::collections::BTreeMap;

struct Schemas {
    /// (apiVersion, kind) → openAPIV3Schema
    by_kind: BTreeMap<(String, String), Value>,
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
    let c = corpus();
    let mut docs = yaml_docs(&c.join("istio-install/crds/crd-all.gen.yaml"));
    for f in std::fs::read_dir(c.join("gateway-api/crds/standard")).unwrap() {
        docs.extend(yaml_docs(&f.unwrap().path()));
    }
    let mut by_kind = BTreeMap::new();
    for d in docs {
        if d["kind"] != "CustomResourceDefinition" {
            continue;
        }
        let group = d["spec"]["group"].as_str().unwrap().to_string();
        let kind = d["spec"]["names"]["kind"].as_str().unwrap().to_string();
        for v in d["spec"]["versions"].as_array().unwrap() {
            let av = format!("{group}/{}", v["name"].as_str().unwrap());
            by_kind.insert((av, kind.clone()), v["schema"]["openAPIV3Schema"].clone());
        }
    }
    assert!(by_kind.len() > 20, "CRDs not found");
    Schemas { by_kind }
}

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

/// The CEL rules of the Istio and Gateway API schemas that can apply to what we generate.
fn cel(rule: &str, v: &Value) -> Option<bool> {
    let rule = rule.split_whitespace().collect::<Vec<_>>().join(" ");
    let rule = rule.replace("( ", "(");
    let has = |k: &str| v.get(k).is_some();
    let count = |ks: &[&str]| ks.iter().filter(|k| has(k)).count();
    Some(match rule.as_str() {
        "(has(self.selector) ? 1 : 0) + (has(self.targetRef) ? 1 : 0) + (has(self.targetRefs) ? 1 : 0) <= 1" => {
            count(&["selector", "targetRef", "targetRefs"]) <= 1
        }
        "(has(self.serviceAccounts) || has(self.notServiceAccounts)) ? (!has(self.principals) && !has(self.notPrincipals) && !has(self.namespaces) && !has(self.notNamespaces)) : true" => {
            !(has("serviceAccounts") || has("notServiceAccounts"))
                || count(&["principals", "notPrincipals", "namespaces", "notNamespaces"]) == 0
        }
        "self.all(key, !key.contains(\"*\"))" => v.as_object()?.keys().all(|k| !k.contains('*')),
        "self.all(key, key.size() != 0)" => v.as_object()?.keys().all(|k| !k.is_empty()),
        "self.all(key, 0 < int(key) && int(key) <= 65535)" => v
            .as_object()?
            .keys()
            .all(|k| k.parse::<u32>().is_ok_and(|p| (1..=65535).contains(&p))),
        "!self.contains(\"*\")" => !v.as_str()?.contains('*'),
        "self.size() == 0" => v.as_str()?.is_empty(),
        "(has(self.jwksUri) ? 1 : 0) + (has(self.jwks_uri) ? 1 : 0) + (has(self.jwks) ? 1 : 0) <= 1" => {
            count(&["jwksUri", "jwks_uri", "jwks"]) <= 1
        }
        "url(self).getScheme() in [\"http\", \"https\"]" => {
            let s = v.as_str()?;
            s.starts_with("http://") || s.starts_with("https://")
        }
        "has(self.portLevelMtls) ? (((has(self.selector) && has(self.selector.matchLabels)) ? self.selector.matchLabels : {}).size() > 0) : true" => {
            !has("portLevelMtls")
                || v["selector"]["matchLabels"]
                    .as_object()
                    .is_some_and(|m| !m.is_empty())
        }
        r#"self.all(l, l.protocol in ['HTTP', 'TCP', 'UDP'] ? !has(l.tls) : true)"# => {
            v.as_array()?.iter().all(|l| {
                !["HTTP", "TCP", "UDP"].contains(&l["protocol"].as_str().unwrap_or(""))
                    || l.get("tls").is_none()
            })
        }
        r#"self.all(l, l.protocol in ['TCP', 'UDP'] ? (!has(l.hostname) || l.hostname == '') : true)"# => {
            v.as_array()?.iter().all(|l| {
                !["TCP", "UDP"].contains(&l["protocol"].as_str().unwrap_or(""))
                    || l.get("hostname").is_none_or(|h| h == "")
            })
        }
        r#"self.all(l1, self.exists_one(l2, l1.name == l2.name))"# => {
            let ls = v.as_array()?;
            ls.iter()
                .all(|a| ls.iter().filter(|b| a["name"] == b["name"]).count() == 1)
        }
        r#"self.all(l1, self.exists_one(l2, l1.port == l2.port && l1.protocol == l2.protocol && (has(l1.hostname) && has(l2.hostname) ? l1.hostname == l2.hostname : !has(l1.hostname) && !has(l2.hostname))))"# => {
            let ls = v.as_array()?;
            ls.iter().all(|a| {
                ls.iter()
                    .filter(|b| {
                        a["port"] == b["port"]
                            && a["protocol"] == b["protocol"]
                            && a.get("hostname") == b.get("hostname")
                    })
                    .count()
                    == 1
            })
        }
        r#"self.all(l, (l.protocol == 'HTTPS' && has(l.tls)) ? (l.tls.mode == '' || l.tls.mode == 'Terminate') : true)"#
        | r#"self.all(l, (l.protocol == 'TLS' ? has(l.tls) && has(l.tls.mode) && l.tls.mode != '' : true))"# => {
            // we only generate HBONE listeners
            v.as_array()?
                .iter()
                .all(|l| !["HTTPS", "TLS"].contains(&l["protocol"].as_str().unwrap_or("")))
        }
        r#"isURL(self) ? (url(self).getScheme() in ["", "http", "https", "oci", "file"]) : (isURL("http://" + self) && url("http://" + self).getScheme() in ["", "http", "https", "oci", "file"])"# => {
            let s = v.as_str()?;
            match s.split_once("://") {
                Some((scheme, rest)) => {
                    ["http", "https", "oci", "file"].contains(&scheme) && !rest.is_empty()
                }
                None => !s.is_empty() && !s.contains(' '),
            }
        }
        _ => return None,
    })
}

fn validate(schema: &Value, v: &Value, path: &str, errs: &mut Vec<String>) {
    let s = schema.as_object().unwrap();
    if v.is_null() && s.get("nullable") == Some(&Value::Bool(true)) {
        return;
    }
    if s.get("x-kubernetes-int-or-string") == Some(&Value::Bool(true)) {
        if !(v.is_string() || v.is_i64() || v.is_u64()) {
            errs.push(format!("{path}: expected int or string, got {v}"));
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
        if let Ok(re) = regex::Regex::new(p) {
            if !re.is_match(sv) {
                errs.push(format!("{path}: {sv:?} does not match {p}"));
            }
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
                validate(items, it, &format!("{path}[{i}]"), errs);
            }
        }
    }
    if let Some(x) = v.as_f64() {
        if num("maximum").is_some_and(|m| x > m) || num("minimum").is_some_and(|m| x < m) {
            errs.push(format!("{path}: {x} out of bounds"));
        }
    }
    if let Some(o) = v.as_object() {
        if let Some(req) = s.get("required").and_then(Value::as_array) {
            for r in req {
                if !o.contains_key(r.as_str().unwrap()) {
                    errs.push(format!("{path}: missing required {r}"));
                }
            }
        }
        if let Some(m) = num("maxProperties") {
            if o.len() as f64 > m {
                errs.push(format!("{path}: too many properties"));
            }
        }
        let props = s.get("properties").and_then(Value::as_object);
        let preserve = s.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true));
        for (k, kv) in o {
            if path.is_empty() && ["apiVersion", "kind", "metadata"].contains(&k.as_str()) {
                // implicit in every CRD schema
                continue;
            }
            let p = format!("{path}.{k}");
            if let Some(ps) = props.and_then(|p| p.get(k)) {
                validate(ps, kv, &p, errs);
            } else if let Some(ap) = s.get("additionalProperties") {
                if ap.is_object() {
                    validate(ap, kv, &p, errs);
                } else if ap == &Value::Bool(false) {
                    errs.push(format!("{p}: unknown field"));
                }
            } else if !preserve && props.is_some() {
                // the API server would prune it: for us it is a bug
                errs.push(format!("{p}: unknown field"));
            }
        }
    }
    let matches = |sub: &Value| {
        let mut e = Vec::new();
        validate(sub, v, path, &mut e);
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
    if let Some(all) = s.get("allOf").and_then(Value::as_array) {
        for a in all {
            validate(a, v, path, errs);
        }
    }
    if let Some(not) = s.get("not") {
        if matches(not) {
            errs.push(format!("{path}: matches a `not` schema"));
        }
    }
    if let Some(rules) = s.get("x-kubernetes-validations").and_then(Value::as_array) {
        for r in rules {
            let rule = r["rule"].as_str().unwrap();
            match cel(rule, v) {
                Some(true) => {}
                Some(false) => errs.push(format!("{path}: violates {rule}")),
                None => errs.push(format!(
                    "{path}: CEL rule not evaluated by this test: {rule}"
                )),
            }
        }
    }
}

fn dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// A built-in kind: the object read as Kubernetes' type and written back is the same JSON.
fn builtin<T: serde::de::DeserializeOwned + serde::Serialize>(obj: &Value) -> Vec<String> {
    match serde_json::from_value::<T>(obj.clone()) {
        Err(e) => vec![format!("not a valid object of its kind: {e}")],
        Ok(t) => {
            let back = serde_json::to_value(&t).unwrap();
            if &back == obj {
                Vec::new()
            } else {
                vec![format!(
                    "fields lost or changed when read as its kind: {back}"
                )]
            }
        }
    }
}

fn check(schemas: &Schemas, obj: &Value) -> Vec<String> {
    let av = obj["apiVersion"].as_str().unwrap_or("").to_string();
    let kind = obj["kind"].as_str().unwrap_or("").to_string();
    let name = obj["metadata"]["name"].as_str().unwrap_or("");
    let id = format!(
        "{kind} {}/{name}",
        obj["metadata"]["namespace"].as_str().unwrap_or("")
    );
    let mut errs = Vec::new();
    // a waypoint's name becomes its Deployment's and Service's: a DNS-1123 label; other
    // objects need a DNS-1123 subdomain
    if kind == "Gateway" {
        if !dns_label(name) {
            errs.push(format!("metadata.name {name:?} is not a DNS-1123 label"));
        }
    } else if name.len() > 253 || !name.split('.').all(dns_label) {
        errs.push(format!(
            "metadata.name {name:?} is not a DNS-1123 subdomain"
        ));
    }
    if !obj["metadata"]["namespace"].as_str().is_some_and(dns_label) {
        errs.push("metadata.namespace missing or invalid".to_string());
    }
    // built-in kinds: Kubernetes' own types (k8s-openapi, generated from its OpenAPI) read the
    // object back identically: right field names, types and nesting, nothing unknown
    match (av.as_str(), kind.as_str()) {
        ("networking.k8s.io/v1", "NetworkPolicy") => {
            errs.extend(builtin::<k8s_openapi::api::networking::v1::NetworkPolicy>(
                obj,
            ));
            return errs.into_iter().map(|e| format!("{id}: {e}")).collect();
        }
        ("v1", "ResourceQuota") => {
            errs.extend(builtin::<k8s_openapi::api::core::v1::ResourceQuota>(obj));
            return errs.into_iter().map(|e| format!("{id}: {e}")).collect();
        }
        _ => {}
    }
    let Some(schema) = schemas.by_kind.get(&(av.clone(), kind.clone())) else {
        return vec![format!("{id}: no CRD schema for {av} {kind}")];
    };
    validate(schema, obj, "", &mut errs);
    errs.into_iter().map(|e| format!("{id}: {e}")).collect()
}

fn recommended(index: &Index) -> Vec<Value> {
    let analysis = Analysis::run(index, &Options::default());
    let mut out = Vec::new();
    for f in analysis.findings(index) {
        // the HTTPRoute translations are validated by routes_schema.rs (every CEL rule by a
        // real interpreter)
        if f.rule.check == &ambient_lsp::rules::checks::ROUTES {
            continue;
        }
        for a in &f.actions {
            if let Action::Apply { resource, .. } | Action::DeployWaypoint { resource, .. } = a {
                out.push(resource.value());
            }
        }
    }
    out
}

fn index_of(paths: &[std::path::PathBuf]) -> Index {
    let mut index = Index::new();
    for p in expand(paths).unwrap() {
        let Ok(text) = read_manifest(&p, 8 << 20) else {
            continue;
        };
        let path = p.to_string_lossy().to_string();
        let id = index.id_for(&path);
        index.upsert(FileData::parse(
            id,
            path.as_str(),
            text.as_str(),
            &Limits::default(),
        ));
    }
    index
}

#[test]
fn the_validator_rejects_what_the_api_server_rejects() {
    let s = schemas();
    let mut bad = vec![
        // selector and targetRefs together
        serde_json::json!({"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
            "metadata": {"name": "a", "namespace": "n"},
            "spec": {"selector": {"matchLabels": {"app": "x"}}, "targetRefs": [{"kind": "Service", "group": "", "name": "x"}]}}),
        // unknown action
        serde_json::json!({"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
            "metadata": {"name": "a", "namespace": "n"}, "spec": {"action": "PERMIT"}}),
        // unknown field
        serde_json::json!({"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
            "metadata": {"name": "a", "namespace": "n"}, "spec": {"rule": []}}),
        // waypoint Gateway with two listeners of the same name
        serde_json::json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
            "metadata": {"name": "waypoint", "namespace": "n"},
            "spec": {"gatewayClassName": "istio-waypoint", "listeners": [
                {"name": "mesh", "port": 15008, "protocol": "HBONE"},
                {"name": "mesh", "port": 15009, "protocol": "HBONE"}]}}),
        // missing listeners
        serde_json::json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
            "metadata": {"name": "waypoint", "namespace": "n"}, "spec": {"gatewayClassName": "istio-waypoint"}}),
        // name too long
        serde_json::json!({"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
            "metadata": {"name": "a".repeat(254), "namespace": "n"}, "spec": {}}),
        // waypoint name that cannot be a Service name
        serde_json::json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
            "metadata": {"name": "way.point", "namespace": "n"},
            "spec": {"gatewayClassName": "istio-waypoint", "listeners": [{"name": "mesh", "port": 15008, "protocol": "HBONE"}]}}),
    ];
    bad.push(
        serde_json::json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": "a", "namespace": "n"},
        "spec": {"podSelector": {}, "ingress": [{"port": [{"port": 15008}]}]}}),
    );
    bad.push(
        serde_json::json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": "a", "namespace": "n"},
        "spec": {"podSelector": {}, "ingress": [{"ports": [{"port": [15008]}]}]}}),
    );
    for b in &bad {
        assert!(!check(&s, b).is_empty(), "accepted: {b}");
    }
    let good = serde_json::json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
        "metadata": {"name": "waypoint", "namespace": "n"},
        "spec": {"gatewayClassName": "istio-waypoint", "listeners": [{"name": "mesh", "port": 15008, "protocol": "HBONE"}]}});
    assert_eq!(check(&s, &good), Vec::<String>::new());
}

#[test]
fn objects_recommended_for_the_example_are_valid() {
    let s = schemas();
    let objs = recommended(&index_of(&[repo_root().join("examples")]));
    assert!(objs.len() >= 10, "{} objects", objs.len());
    let errs: Vec<String> = objs.iter().flat_map(|o| check(&s, o)).collect();
    assert!(errs.is_empty(), "{errs:#?}");
}

#[test]
fn objects_recommended_for_the_real_manifests_of_the_corpus_are_valid() {
    // Istio's own samples and analyzer test data, real apps: whatever they contain (CUSTOM
    // providers, JWT rules, Telemetry overrides, WasmPlugins…) our copies must stay valid.
    let s = schemas();
    let c = corpus();
    let mut total = 0;
    let mut errs = Vec::new();
    for dir in ["istio", "apps", "istio.io", "gateway-api/examples"] {
        let p = c.join(dir);
        if !p.exists() {
            continue;
        }
        for sub in std::fs::read_dir(&p).unwrap().flatten() {
            let objs = recommended(&index_of(&[sub.path()]));
            total += objs.len();
            errs.extend(objs.iter().flat_map(|o| check(&s, o)));
        }
    }
    eprintln!("{total} objects validated");
    assert!(total >= 20, "only {total} objects");
    assert!(
        errs.is_empty(),
        "{} invalid: {:#?}",
        errs.len(),
        &errs[..errs.len().min(40)]
    );
}

#[test]
fn objects_recommended_for_every_rule_fixture_case_are_valid() {
    // generated waypoints with a listener that admits other namespaces, copies, baselines…
    let s = schemas();
    let rules = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules");
    let control_plane =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/control-plane.yaml");
    let mut total = 0;
    let mut errs = Vec::new();
    let mut dirs: Vec<std::path::PathBuf> = std::fs::read_dir(&rules)
        .unwrap()
        .flatten()
        .flat_map(|r| {
            std::fs::read_dir(r.path())
                .unwrap()
                .flatten()
                .map(|c| c.path())
        })
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for dir in dirs {
        let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.is_file()
                    && matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
                    && p.file_name().is_some_and(|n| n != "case.yaml")
            })
            .collect();
        files.push(control_plane.clone());
        let objs = recommended(&index_of(&files));
        total += objs.len();
        errs.extend(
            objs.iter()
                .flat_map(|o| check(&s, o))
                .map(|e| format!("{}: {e}", dir.display())),
        );
    }
    assert!(total >= 50, "{total} objects");
    assert!(errs.is_empty(), "{errs:#?}");
}
