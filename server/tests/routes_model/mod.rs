//! An evaluator of both routing models, written for the tests (it shares no code with the
//! translator): a VirtualService as Istio turns it into Envoy routes (first match in list
//! order, plain string prefixes), and HTTPRoutes as the API server stores them (CRD defaults)
//! and Istio converts and sorts them (`pilot/pkg/config/kube/gateway/conversion.go`:
//! one route per match, `sortHTTPRoutes`, PathPrefix → path-separated prefix,
//! ReplacePrefixMatch/ReplaceFullPath, redirect ports, mirrors, retry). Both end in the same
//! small Envoy model (matching, rewrites, redirect Location) and give an `Outcome` per request.
#![allow(dead_code, clippy::type_complexity)]

use std::collections::BTreeMap;

use serde_json::Value;

// ------------------------------------------------------------------------------------------
// Requests and outcomes

#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    /// Path with query.
    pub path: String,
    /// Lower-case names.
    pub headers: Vec<(String, String)>,
    /// The Host header as sent.
    pub host: String,
    /// The Service port the request was sent to.
    pub port: u32,
}

impl Request {
    pub fn path_only(&self) -> &str {
        self.path.split(['?', '#']).next().unwrap_or("")
    }
    pub fn query(&self) -> Vec<(String, String)> {
        let Some((_, q)) = self.path.split_once('?') else {
            return Vec::new();
        };
        let q = q.split('#').next().unwrap_or("");
        q.split('&')
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((k, v)) => (k.to_string(), v.to_string()),
                None => (p.to_string(), String::new()),
            })
            .collect()
    }
    fn header(&self, n: &str) -> Option<&str> {
        if n == ":method" {
            return Some(&self.method);
        }
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.as_str())
    }
}

/// Where traffic lands: namespace, the pods' selector (sorted), the target port.
pub type BackendKey = (String, Vec<(String, String)>, String);

#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// No route matched: the proxy answers 404.
    NotFound,
    /// A backend that does not exist (Istio answers 500/503).
    Broken(String),
    Redirect {
        code: u32,
        location: String,
    },
    Route {
        /// backend → share of the traffic (reduced fraction).
        backends: BTreeMap<BackendKey, (u64, u64)>,
        /// Per backend: request/response header operations (route level + backend level).
        headers: BTreeMap<BackendKey, HeaderEffect>,
        path: String,
        authority: Option<String>,
        mirrors: Vec<(BackendKey, u32)>,
        timeout_ms: u64,
        retry: Option<RetryPolicy>,
    },
}

#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct HeaderEffect {
    pub req_set: Vec<(String, String)>,
    pub req_add: Vec<(String, String)>,
    pub req_remove: Vec<String>,
    pub resp_set: Vec<(String, String)>,
    pub resp_add: Vec<(String, String)>,
    pub resp_remove: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    pub num_retries: u32,
    pub retry_on: Vec<String>,
    pub codes: Vec<u32>,
    pub per_try_ms: Option<u64>,
}

// ------------------------------------------------------------------------------------------
// The Envoy-level route both models compile to

#[derive(Clone, Debug)]
pub enum PathSpec {
    Prefix(String),
    SepPrefix(String),
    Exact(String),
    Regex(String),
}

#[derive(Clone, Debug)]
pub enum Str {
    Exact(String),
    Prefix(String),
    Regex(String),
    Present,
}

impl Str {
    fn matches(&self, v: &str) -> bool {
        match self {
            Str::Exact(x) => v == x,
            Str::Prefix(p) => v.starts_with(p.as_str()),
            Str::Regex(r) => full_match(r, v),
            Str::Present => true,
        }
    }
}

thread_local! {
    static REGEXES: std::cell::RefCell<std::collections::HashMap<String, Option<regex::Regex>>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// RE2 full match (Envoy `safe_regex`), compiled once per pattern.
pub fn full_match(re: &str, s: &str) -> bool {
    REGEXES.with(|c| {
        c.borrow_mut()
            .entry(re.to_string())
            .or_insert_with(|| regex::Regex::new(&format!("^(?:{re})$")).ok())
            .as_ref()
            .is_some_and(|r| r.is_match(s))
    })
}

#[derive(Clone, Debug)]
pub struct EMatch {
    pub path: PathSpec,
    pub case_sensitive: bool,
    pub headers: Vec<(String, Str)>,
    pub query: Vec<(String, Str)>,
    pub port: Option<u32>,
}

#[derive(Clone, Debug, Default)]
pub struct Ops {
    pub set: Vec<(String, String)>,
    pub add: Vec<(String, String)>,
    pub remove: Vec<String>,
}

#[derive(Clone, Debug, Default)]
pub struct HOps {
    pub req: Ops,
    pub resp: Ops,
}

/// A destination before resolution: a Service reference (VS: host + subset; HTTPRoute: name
/// + namespace) and a port (None: the request's port).
#[derive(Clone, Debug)]
pub struct Dst {
    pub ns: String,
    pub name: String,
    pub subset: Option<String>,
    pub port: Option<u32>,
    pub weight: u64,
    pub hops: HOps,
}

#[derive(Clone, Debug)]
pub enum Rewrite {
    Prefix(String),
    Regex(String, String),
}

#[derive(Clone, Debug)]
pub struct Redirect {
    pub host: String,
    pub path: String,
    pub scheme: Option<String>,
    /// `None`: no port_redirect (Envoy keeps/strips per processRequestHost).
    pub port: PortSpec,
    pub code: u32,
}

#[derive(Clone, Debug)]
pub enum PortSpec {
    None,
    FromRequest,
    FromProtocolDefault,
    Port(u32),
}

#[derive(Clone, Debug)]
pub enum Action {
    Route {
        dests: Vec<Dst>,
        rewrite: Option<Rewrite>,
        authority: Option<String>,
        mirrors: Vec<(Dst, u32)>,
        timeout_ms: u64,
        retry: Option<RetryPolicy>,
    },
    Redirect(Redirect),
    /// Gateway API: no backend with weight > 0.
    Status(u32),
}

#[derive(Clone, Debug)]
pub struct ERoute {
    pub m: EMatch,
    pub hops: HOps,
    pub action: Action,
}

fn eq_ci(a: &str, b: &str, cs: bool) -> bool {
    if cs {
        a == b
    } else {
        a.eq_ignore_ascii_case(b)
    }
}

fn starts_ci(s: &str, p: &str, cs: bool) -> bool {
    s.len() >= p.len() && s.is_char_boundary(p.len()) && eq_ci(&s[..p.len()], p, cs)
}

impl EMatch {
    fn matches(&self, r: &Request) -> bool {
        if self.port.is_some_and(|p| p != r.port) {
            return false;
        }
        let cs = self.case_sensitive;
        let po = r.path_only();
        let ok = match &self.path {
            PathSpec::Prefix(p) => starts_ci(&r.path, p, cs),
            PathSpec::SepPrefix(p) => {
                eq_ci(po, p, cs) || (starts_ci(po, p, cs) && po[p.len()..].starts_with('/'))
            }
            PathSpec::Exact(p) => eq_ci(po, p, cs),
            PathSpec::Regex(re) => full_match(re, po),
        };
        if !ok {
            return false;
        }
        for (n, m) in &self.headers {
            match r.header(n) {
                Some(v) if m.matches(v) => {}
                _ => return false,
            }
        }
        let q = r.query();
        for (n, m) in &self.query {
            match q.iter().find(|(k, _)| k == n) {
                Some((_, v)) if m.matches(v) => {}
                _ => return false,
            }
        }
        true
    }

    /// Length of the path portion the match consumed (for prefix_rewrite).
    fn matched_len(&self, r: &Request) -> usize {
        match &self.path {
            PathSpec::Prefix(p) | PathSpec::SepPrefix(p) => p.len(),
            PathSpec::Exact(_) | PathSpec::Regex(_) => r.path_only().len(),
        }
    }
}

// ------------------------------------------------------------------------------------------
// The workspace: Services and DestinationRule subsets

#[derive(Clone, Debug)]
pub struct Svc {
    pub ns: String,
    pub name: String,
    pub selector: Vec<(String, String)>,
    /// port → target port
    pub ports: Vec<(u32, String)>,
}

#[derive(Default, Clone, Debug)]
pub struct Mesh {
    pub services: Vec<Svc>,
    /// (fqdn host pattern, namespace of the DR) → subset name → labels
    pub subsets: Vec<(String, String, BTreeMap<String, Vec<(String, String)>>)>,
}

fn fqdn(host: &str, ns: &str) -> String {
    if host.contains('.') || host == "*" {
        host.to_string()
    } else {
        format!("{host}.{ns}.svc.cluster.local")
    }
}

impl Mesh {
    pub fn from_objects(objs: &[Value]) -> Mesh {
        let mut m = Mesh::default();
        for o in objs {
            m.add(o);
        }
        m
    }
    pub fn add(&mut self, o: &Value) {
        let ns = o["metadata"]["namespace"]
            .as_str()
            .unwrap_or("default")
            .to_string();
        let name = o["metadata"]["name"].as_str().unwrap_or("").to_string();
        match (o["apiVersion"].as_str(), o["kind"].as_str()) {
            (Some("v1"), Some("Service")) => {
                let mut selector: Vec<(String, String)> = o["spec"]["selector"]
                    .as_object()
                    .map(|s| {
                        s.iter()
                            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                            .collect()
                    })
                    .unwrap_or_default();
                selector.sort();
                let ports = o["spec"]["ports"]
                    .as_array()
                    .map(|ps| {
                        ps.iter()
                            .filter_map(|p| {
                                let port = p["port"].as_u64()? as u32;
                                let t = match &p["targetPort"] {
                                    Value::Null => port.to_string(),
                                    Value::String(s) => s.clone(),
                                    v => v.to_string(),
                                };
                                Some((port, t))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                self.services.retain(|s| !(s.ns == ns && s.name == name));
                self.services.push(Svc {
                    ns,
                    name,
                    selector,
                    ports,
                });
            }
            (Some(av), Some("DestinationRule")) if av.starts_with("networking.istio.io/") => {
                if o["spec"]["workloadSelector"].is_object() {
                    return;
                }
                let host = fqdn(o["spec"]["host"].as_str().unwrap_or(""), &ns);
                let mut subsets = BTreeMap::new();
                for s in o["spec"]["subsets"].as_array().into_iter().flatten() {
                    let mut labels: Vec<(String, String)> = s["labels"]
                        .as_object()
                        .map(|l| {
                            l.iter()
                                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                                .collect()
                        })
                        .unwrap_or_default();
                    labels.sort();
                    subsets.insert(s["name"].as_str().unwrap_or("").to_string(), labels);
                }
                self.subsets.push((host, ns, subsets));
            }
            _ => {}
        }
    }

    fn svc(&self, ns: &str, name: &str) -> Option<&Svc> {
        self.services.iter().find(|s| s.ns == ns && s.name == name)
    }

    /// VirtualService destination → backend.
    fn resolve(&self, d: &Dst, req_port: u32, vs_ns: &str) -> Result<BackendKey, String> {
        let svc = self
            .svc(&d.ns, &d.name)
            .ok_or_else(|| format!("no Service {}/{}", d.ns, d.name))?;
        // Istio GetDestinationCluster: a Service with one port uses it
        let only = (svc.ports.len() == 1).then(|| svc.ports[0].0);
        let port = d.port.or(only).unwrap_or(req_port);
        let target = svc
            .ports
            .iter()
            .find(|(p, _)| *p == port)
            .map(|(_, t)| t.clone())
            .ok_or_else(|| format!("no port {port} on {}/{}", d.ns, d.name))?;
        let mut sel = svc.selector.clone();
        if let Some(sub) = &d.subset {
            let host = format!("{}.{}.svc.cluster.local", d.name, d.ns);
            let labels = [d.ns.as_str(), vs_ns]
                .iter()
                .find_map(|ns| {
                    self.subsets.iter().find(|(h, dns, _)| {
                        dns == ns && (h == &host || (h.starts_with('*') && host.ends_with(&h[1..])))
                    })
                })
                .and_then(|(_, _, s)| s.get(sub))
                .ok_or_else(|| format!("no subset {sub} for {host}"))?;
            for (k, v) in labels {
                if let Some((_, mv)) = sel.iter().find(|(mk, _)| mk == k) {
                    if mv != v {
                        return Err("empty subset".into());
                    }
                } else {
                    sel.push((k.clone(), v.clone()));
                }
            }
            sel.sort();
        }
        Ok((d.ns.clone(), sel, target))
    }
}

// ------------------------------------------------------------------------------------------
// Evaluation

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

fn norm_ops(o: &Ops) -> (Vec<(String, String)>, Vec<(String, String)>, Vec<String>) {
    let low = |v: &Vec<(String, String)>| {
        let mut x: Vec<(String, String)> = v
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
            .collect();
        x.sort();
        x
    };
    let mut r: Vec<String> = o.remove.iter().map(|k| k.to_ascii_lowercase()).collect();
    r.sort();
    (low(&o.set), low(&o.add), r)
}

fn effect(route: &HOps, dest: &HOps) -> HeaderEffect {
    let mut req = route.req.clone();
    req.set.extend(dest.req.set.iter().cloned());
    req.add.extend(dest.req.add.iter().cloned());
    req.remove.extend(dest.req.remove.iter().cloned());
    let mut resp = route.resp.clone();
    resp.set.extend(dest.resp.set.iter().cloned());
    resp.add.extend(dest.resp.add.iter().cloned());
    resp.remove.extend(dest.resp.remove.iter().cloned());
    let (a, b, c) = norm_ops(&req);
    let (d, e, f) = norm_ops(&resp);
    HeaderEffect {
        req_set: a,
        req_add: b,
        req_remove: c,
        resp_set: d,
        resp_add: e,
        resp_remove: f,
    }
}

/// Envoy's `newUri` with Istio's `ApplyRedirect` (plaintext listener: scheme http).
fn location(rd: &Redirect, r: &Request) -> String {
    let scheme = rd.scheme.clone().unwrap_or_else(|| "http".into());
    let mut port_redirect = match rd.port {
        PortSpec::None | PortSpec::FromProtocolDefault => 0,
        PortSpec::FromRequest => r.port,
        PortSpec::Port(p) => p,
    };
    if !matches!(rd.port, PortSpec::None)
        && ((port_redirect == 80 && scheme == "http")
            || (port_redirect == 443 && scheme == "https"))
    {
        port_redirect = 0;
    }
    let final_port = if port_redirect != 0 {
        format!(":{port_redirect}")
    } else {
        String::new()
    };
    let host = if !rd.host.is_empty() {
        rd.host.clone()
    } else {
        let h = r.host.clone();
        match h.rfind(':') {
            Some(i) => {
                let port = &h[i..];
                let mut remove = !final_port.is_empty();
                if scheme != "http" {
                    remove |= port == ":80";
                }
                if remove {
                    h[..i].to_string()
                } else {
                    h
                }
            }
            None => h,
        }
    };
    let mut path = if !rd.path.is_empty() {
        if rd.path.contains('?') {
            rd.path.clone()
        } else {
            match r.path.find('?') {
                Some(i) => format!("{}{}", rd.path, &r.path[i..]),
                None => rd.path.clone(),
            }
        }
    } else {
        r.path.clone()
    };
    if !path.starts_with('/') {
        path = format!("/{path}");
    }
    format!("{scheme}://{host}{final_port}{path}")
}

fn envoy_sub(sub: &str) -> String {
    // RE2 `\1` → regex crate `${1}`
    let mut out = String::new();
    let mut chars = sub.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(d) = chars.peek().copied() {
                if d.is_ascii_digit() {
                    chars.next();
                    out.push_str(&format!("${{{d}}}"));
                    continue;
                }
            }
        }
        if c == '$' {
            out.push_str("$$");
        } else {
            out.push(c);
        }
    }
    out
}

pub fn evaluate(routes: &[ERoute], mesh: &Mesh, vs_ns: &str, r: &Request) -> Outcome {
    let Some(route) = routes.iter().find(|x| x.m.matches(r)) else {
        return Outcome::NotFound;
    };
    match &route.action {
        Action::Status(c) => Outcome::Broken(format!("status {c}")),
        Action::Redirect(rd) => Outcome::Redirect {
            code: rd.code,
            location: location(rd, r),
        },
        Action::Route {
            dests,
            rewrite,
            authority,
            mirrors,
            timeout_ms,
            retry,
        } => {
            let live: Vec<&Dst> = if dests.len() == 1 {
                dests.iter().collect()
            } else {
                dests.iter().filter(|d| d.weight > 0).collect()
            };
            if live.is_empty() {
                return Outcome::Broken("no destination".into());
            }
            let total: u64 = if live.len() == 1 {
                1
            } else {
                live.iter().map(|d| d.weight).sum()
            };
            let mut backends: BTreeMap<BackendKey, (u64, u64)> = BTreeMap::new();
            let mut headers = BTreeMap::new();
            for d in &live {
                let key = match mesh.resolve(d, r.port, vs_ns) {
                    Ok(k) => k,
                    Err(e) => return Outcome::Broken(e),
                };
                let w = if live.len() == 1 { 1 } else { d.weight };
                let e = backends.entry(key.clone()).or_insert((0, total));
                e.0 += w;
                headers.insert(key, effect(&route.hops, &d.hops));
            }
            for v in backends.values_mut() {
                let g = gcd(v.0, v.1).max(1);
                *v = (v.0 / g, v.1 / g);
            }
            let path = match rewrite {
                None => r.path.clone(),
                Some(Rewrite::Prefix(p)) => {
                    let n = route.m.matched_len(r).min(r.path.len());
                    format!("{p}{}", &r.path[n..])
                }
                Some(Rewrite::Regex(pat, sub)) => {
                    let po = r.path_only();
                    let rest = &r.path[po.len()..];
                    let re = regex::Regex::new(pat).unwrap();
                    format!("{}{rest}", re.replace_all(po, envoy_sub(sub).as_str()))
                }
            };
            let mut ms = Vec::new();
            for (d, pct) in mirrors {
                match mesh.resolve(d, r.port, vs_ns) {
                    Ok(k) => ms.push((k, *pct)),
                    Err(e) => return Outcome::Broken(format!("mirror: {e}")),
                }
            }
            ms.sort();
            Outcome::Route {
                backends,
                headers,
                path,
                authority: authority.clone(),
                mirrors: ms,
                timeout_ms: *timeout_ms,
                retry: retry.clone(),
            }
        }
    }
}

// ------------------------------------------------------------------------------------------
// Front end 1: VirtualService (Istio's own semantics)

pub fn duration_ms(v: &Value) -> Option<u64> {
    let s = v.as_str()?;
    let mut total = 0f64;
    let mut num = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            num.push(c);
            continue;
        }
        let mut unit = c.to_string();
        if c == 'm' && chars.peek() == Some(&'s') {
            chars.next();
            unit = "ms".into();
        }
        let n: f64 = num.parse().ok()?;
        num.clear();
        total += n * match unit.as_str() {
            "h" => 3_600_000.0,
            "m" => 60_000.0,
            "s" => 1000.0,
            "ms" => 1.0,
            _ => return None,
        };
    }
    if !num.is_empty() {
        return None;
    }
    Some(total.round() as u64)
}

fn str_match(v: &Value) -> Str {
    if let Some(x) = v.get("exact").and_then(Value::as_str) {
        Str::Exact(x.into())
    } else if let Some(x) = v.get("prefix").and_then(Value::as_str) {
        Str::Prefix(x.into())
    } else if let Some(x) = v.get("regex").and_then(Value::as_str) {
        if x == "*" {
            Str::Present
        } else {
            Str::Regex(x.into())
        }
    } else {
        Str::Present
    }
}

fn ops(v: &Value) -> Ops {
    let pairs = |x: &Value| -> Vec<(String, String)> {
        x.as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                    .collect()
            })
            .unwrap_or_default()
    };
    Ops {
        set: pairs(&v["set"]),
        add: pairs(&v["add"]),
        remove: v["remove"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
    }
}

fn hops(v: &Value) -> HOps {
    HOps {
        req: ops(&v["request"]),
        resp: ops(&v["response"]),
    }
}

fn vs_dst(d: &Value, ns: &str) -> Dst {
    let host = fqdn(d["host"].as_str().unwrap_or(""), ns);
    let parts: Vec<&str> = host.split('.').collect();
    Dst {
        ns: parts.get(1).unwrap_or(&"").to_string(),
        name: parts.first().unwrap_or(&"").to_string(),
        subset: d["subset"].as_str().map(str::to_string),
        port: d["port"]["number"].as_u64().map(|p| p as u32),
        weight: 0,
        hops: HOps::default(),
    }
}

/// Istio `ConvertPolicy` (attempts ≤ 0: no retries).
fn convert_retry(
    attempts: i64,
    retry_on: Option<&str>,
    per_try: Option<u64>,
) -> Option<RetryPolicy> {
    if attempts <= 0 {
        return None;
    }
    let mut on: Vec<String> =
        "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes"
            .split(',')
            .map(str::to_string)
            .collect();
    let mut codes = Vec::new();
    if let Some(s) = retry_on.filter(|s| !s.is_empty()) {
        on.clear();
        for p in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match p.parse::<u32>() {
                Ok(c) => codes.push(c),
                Err(_) => on.push(p.to_string()),
            }
        }
        if !codes.is_empty() && !on.iter().any(|x| x == "retriable-status-codes") {
            on.push("retriable-status-codes".into());
        }
    }
    on.sort();
    on.dedup();
    codes.sort();
    Some(RetryPolicy {
        num_retries: attempts as u32,
        retry_on: on,
        codes,
        per_try_ms: per_try,
    })
}

/// A VirtualService spec → Envoy routes for the mesh (a waypoint or sidecar).
pub fn vs_routes(spec: &Value, ns: &str) -> Vec<ERoute> {
    let mut out = Vec::new();
    for h in spec["http"].as_array().into_iter().flatten() {
        let mut hops_ = hops(&h["headers"]);
        let _ = &mut hops_;
        let action = if h["redirect"].is_object() {
            let rd = &h["redirect"];
            Action::Redirect(Redirect {
                host: rd["authority"].as_str().unwrap_or("").into(),
                path: rd["uri"].as_str().unwrap_or("").into(),
                scheme: rd["scheme"].as_str().map(str::to_string),
                port: if let Some(p) = rd["port"].as_u64() {
                    PortSpec::Port(p as u32)
                } else {
                    match rd["derivePort"].as_str() {
                        Some("FROM_REQUEST_PORT") => PortSpec::FromRequest,
                        Some("FROM_PROTOCOL_DEFAULT") => PortSpec::FromProtocolDefault,
                        _ => PortSpec::None,
                    }
                },
                code: rd["redirectCode"].as_u64().unwrap_or(301) as u32,
            })
        } else {
            let route = h["route"].as_array().cloned().unwrap_or_default();
            let dests: Vec<Dst> = route
                .iter()
                .map(|r| {
                    let mut d = vs_dst(&r["destination"], ns);
                    d.weight = r["weight"].as_u64().unwrap_or(0);
                    d.hops = hops(&r["headers"]);
                    d
                })
                .collect();
            let mut mirrors = Vec::new();
            if h["mirror"].is_object() {
                let n = if let Some(p) = h["mirrorPercentage"]["value"].as_f64() {
                    (p * 10000.0) as u32
                } else if let Some(p) = h["mirrorPercent"].as_u64() {
                    (p as u32) * 10000
                } else {
                    1_000_000
                };
                if n > 0 {
                    mirrors.push((vs_dst(&h["mirror"], ns), n));
                }
            }
            for m in h["mirrors"].as_array().into_iter().flatten() {
                let n = match m["percentage"]["value"].as_f64() {
                    Some(p) => (p * 10000.0) as u32,
                    None => 1_000_000,
                };
                if n > 0 {
                    mirrors.push((vs_dst(&m["destination"], ns), n));
                }
            }
            let rt = &h["retries"];
            let retry = if rt.is_object() {
                convert_retry(
                    rt["attempts"].as_i64().unwrap_or(0),
                    rt["retryOn"].as_str(),
                    duration_ms(&rt["perTryTimeout"]),
                )
            } else {
                None
            };
            Action::Route {
                dests,
                rewrite: h["rewrite"]["uri"]
                    .as_str()
                    .map(|u| Rewrite::Prefix(u.to_string())),
                authority: h["rewrite"]["authority"].as_str().map(str::to_string),
                mirrors,
                timeout_ms: duration_ms(&h["timeout"]).unwrap_or(0),
                retry,
            }
        };
        let matches: Vec<&Value> = h["match"]
            .as_array()
            .map(|a| a.iter().collect())
            .unwrap_or_default();
        let mk = |m: Option<&Value>| -> Option<EMatch> {
            let Some(m) = m else {
                return Some(EMatch {
                    path: PathSpec::Prefix("/".into()),
                    case_sensitive: true,
                    headers: Vec::new(),
                    query: Vec::new(),
                    port: None,
                });
            };
            if let Some(g) = m["gateways"].as_array() {
                if !g.is_empty() && !g.iter().any(|x| x == "mesh") {
                    return None;
                }
            }
            let path = match str_match(&m["uri"]) {
                _ if !m["uri"].is_object() => PathSpec::Prefix("/".into()),
                Str::Exact(v) => PathSpec::Exact(v),
                Str::Prefix(v) => PathSpec::Prefix(v),
                Str::Regex(v) => PathSpec::Regex(v),
                Str::Present => PathSpec::Prefix("/".into()),
            };
            let mut headers: Vec<(String, Str)> = m["headers"]
                .as_object()
                .map(|o| {
                    o.iter()
                        .map(|(k, v)| (k.to_ascii_lowercase(), str_match(v)))
                        .collect()
                })
                .unwrap_or_default();
            if m["method"].is_object() {
                headers.push((":method".into(), str_match(&m["method"])));
            }
            Some(EMatch {
                path,
                case_sensitive: !m["ignoreUriCase"].as_bool().unwrap_or(false),
                headers,
                query: m["queryParams"]
                    .as_object()
                    .map(|o| o.iter().map(|(k, v)| (k.clone(), str_match(v))).collect())
                    .unwrap_or_default(),
                port: m["port"].as_u64().map(|p| p as u32),
            })
        };
        if matches.is_empty() {
            out.push(ERoute {
                m: mk(None).unwrap(),
                hops: hops_.clone(),
                action: action.clone(),
            });
        } else {
            for m in matches {
                if let Some(em) = mk(Some(m)) {
                    out.push(ERoute {
                        m: em,
                        hops: hops_.clone(),
                        action: action.clone(),
                    });
                }
            }
        }
    }
    out
}

// ------------------------------------------------------------------------------------------
// Front end 2: HTTPRoutes (API-server defaults, Istio conversion and sort)

/// The CRD's defaults for what we read (a rule without matches, a match without path, types).
fn defaulted_matches(rule: &Value) -> Vec<Value> {
    match rule.get("matches") {
        None | Some(Value::Null) => {
            vec![serde_json::json!({"path": {"type": "PathPrefix", "value": "/"}})]
        }
        Some(Value::Array(a)) => a
            .iter()
            .map(|m| {
                let mut m = m.clone();
                if m.get("path").is_none() {
                    m["path"] = serde_json::json!({"type": "PathPrefix", "value": "/"});
                }
                m
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn gw_str(v: &Value) -> Str {
    let val = v["value"].as_str().unwrap_or("").to_string();
    match v["type"].as_str().unwrap_or("Exact") {
        "RegularExpression" => Str::Regex(val),
        _ => Str::Exact(val),
    }
}

fn gw_ops(v: &Value) -> Ops {
    let list = |x: &Value| -> Vec<(String, String)> {
        let mut seen = std::collections::BTreeSet::new();
        x.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|h| {
                        let n = h["name"].as_str()?.to_ascii_lowercase();
                        seen.insert(n.clone())
                            .then(|| (n, h["value"].as_str().unwrap_or("").to_string()))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    Ops {
        set: list(&v["set"]),
        add: list(&v["add"]),
        remove: v["remove"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
    }
}

fn gw_dst(b: &Value, route_ns: &str) -> Dst {
    Dst {
        ns: b["namespace"].as_str().unwrap_or(route_ns).to_string(),
        name: b["name"].as_str().unwrap_or("").to_string(),
        subset: None,
        port: b["port"].as_u64().map(|p| p as u32),
        weight: b.get("weight").and_then(Value::as_u64).unwrap_or(1),
        hops: HOps::default(),
    }
}

struct IstioRoute {
    rank: i32,
    len: usize,
    method: bool,
    headers: usize,
    query: usize,
    no_match: bool,
    route: ERoute,
}

/// HTTPRoutes attached to one Service (and port) → Envoy routes in Istio's order.
pub fn gateway_routes(routes: &[Value], port: u32) -> Vec<ERoute> {
    let mut out: Vec<IstioRoute> = Vec::new();
    for hr in routes {
        let ns = hr["metadata"]["namespace"].as_str().unwrap_or("default");
        let parent_port = hr["spec"]["parentRefs"][0]["port"]
            .as_u64()
            .map(|p| p as u32);
        if parent_port.is_some_and(|p| p != port) {
            continue;
        }
        for rule in hr["spec"]["rules"].as_array().into_iter().flatten() {
            let mut hops_ = HOps::default();
            let mut redirect = None;
            let mut rewrite_path: Option<(String, String)> = None;
            let mut authority = None;
            let mut mirrors = Vec::new();
            for f in rule["filters"].as_array().into_iter().flatten() {
                match f["type"].as_str().unwrap_or("") {
                    "RequestHeaderModifier" => hops_.req = gw_ops(&f["requestHeaderModifier"]),
                    "ResponseHeaderModifier" => hops_.resp = gw_ops(&f["responseHeaderModifier"]),
                    "RequestRedirect" => {
                        let rd = &f["requestRedirect"];
                        let scheme = rd["scheme"].as_str().map(str::to_string);
                        redirect = Some(Redirect {
                            host: rd["hostname"].as_str().unwrap_or("").into(),
                            path: rd["path"]["replaceFullPath"].as_str().unwrap_or("").into(),
                            port: match rd["port"].as_u64() {
                                Some(p) => PortSpec::Port(p as u32),
                                None if scheme.is_some() => PortSpec::FromProtocolDefault,
                                None => PortSpec::FromRequest,
                            },
                            scheme,
                            // CRD default 302
                            code: rd["statusCode"].as_u64().unwrap_or(302) as u32,
                        });
                    }
                    "URLRewrite" => {
                        let u = &f["urlRewrite"];
                        authority = u["hostname"].as_str().map(str::to_string);
                        if let Some(t) = u["path"]["type"].as_str() {
                            let v = if t == "ReplacePrefixMatch" {
                                u["path"]["replacePrefixMatch"].as_str()
                            } else {
                                u["path"]["replaceFullPath"].as_str()
                            };
                            rewrite_path = Some((t.to_string(), v.unwrap_or("").to_string()));
                        }
                    }
                    "RequestMirror" => {
                        let m = &f["requestMirror"];
                        let pct = if let Some(fr) = m.get("fraction") {
                            100.0 * fr["numerator"].as_f64().unwrap()
                                / fr.get("denominator")
                                    .and_then(Value::as_f64)
                                    .unwrap_or(100.0)
                        } else {
                            m.get("percent").and_then(Value::as_f64).unwrap_or(100.0)
                        };
                        if pct > 0.0 {
                            mirrors.push((gw_dst(&m["backendRef"], ns), (pct * 10000.0) as u32));
                        }
                    }
                    other => panic!("filter {other} not modelled"),
                }
            }
            let refs: Vec<Dst> = rule["backendRefs"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|b| b.get("weight").and_then(Value::as_u64).unwrap_or(1) > 0)
                .map(|b| {
                    let mut d = gw_dst(b, ns);
                    for f in b["filters"].as_array().into_iter().flatten() {
                        match f["type"].as_str().unwrap_or("") {
                            "RequestHeaderModifier" => {
                                d.hops.req = gw_ops(&f["requestHeaderModifier"])
                            }
                            "ResponseHeaderModifier" => {
                                d.hops.resp = gw_ops(&f["responseHeaderModifier"])
                            }
                            other => panic!("backend filter {other} not modelled"),
                        }
                    }
                    d
                })
                .collect();
            let timeout = rule["timeouts"]["request"]
                .as_str()
                .and_then(|_| duration_ms(&rule["timeouts"]["request"]))
                .unwrap_or(0);
            let retry = rule.get("retry").and_then(|rt| {
                let attempts = rt.get("attempts").and_then(Value::as_i64).unwrap_or(2);
                let mut on = "connect-failure,refused-stream,unavailable,cancelled".to_string();
                for c in rt["codes"].as_array().into_iter().flatten() {
                    on.push_str(&format!(",{c}"));
                }
                convert_retry(
                    attempts,
                    Some(if attempts == 0 { "" } else { &on }),
                    duration_ms(&rule["timeouts"]["backendRequest"]),
                )
            });
            // split per match (Istio: one route per match)
            let matches = defaulted_matches(rule);
            let list: Vec<Option<&Value>> = if matches.is_empty() {
                vec![None]
            } else {
                matches.iter().map(Some).collect()
            };
            for m in list {
                let (path, rank, len) = match m {
                    None => (PathSpec::Prefix("/".into()), -1, 0),
                    Some(m) => {
                        let t = m["path"]["type"].as_str().unwrap_or("PathPrefix");
                        let v = m["path"]["value"].as_str().unwrap_or("/").to_string();
                        match t {
                            "Exact" => (PathSpec::Exact(v.clone()), 3, v.len()),
                            "RegularExpression" => (PathSpec::Regex(v.clone()), 1, v.len()),
                            _ => {
                                let p = if v != "/" {
                                    v.strip_suffix('/').unwrap_or(&v).to_string()
                                } else {
                                    v
                                };
                                let len = p.len();
                                if p == "/" {
                                    (PathSpec::Prefix(p), 2, len)
                                } else {
                                    (PathSpec::SepPrefix(p), 2, len)
                                }
                            }
                        }
                    }
                };
                let mut headers: Vec<(String, Str)> = Vec::new();
                let mut seen = std::collections::BTreeSet::new();
                for h in m
                    .and_then(|m| m["headers"].as_array())
                    .into_iter()
                    .flatten()
                {
                    let n = h["name"].as_str().unwrap_or("").to_ascii_lowercase();
                    if seen.insert(n.clone()) {
                        headers.push((n, gw_str(h)));
                    }
                }
                let n_headers = headers.len();
                let method = m.and_then(|m| m["method"].as_str()).map(str::to_string);
                if let Some(me) = &method {
                    headers.push((":method".into(), Str::Exact(me.clone())));
                }
                let query: Vec<(String, Str)> = m
                    .and_then(|m| m["queryParams"].as_array())
                    .into_iter()
                    .flatten()
                    .map(|q| (q["name"].as_str().unwrap_or("").to_string(), gw_str(q)))
                    .collect();
                let em = EMatch {
                    path: path.clone(),
                    case_sensitive: true,
                    headers,
                    query: query.clone(),
                    port: None,
                };
                let action = if let Some(rd) = &redirect {
                    Action::Redirect(rd.clone())
                } else if refs.is_empty() {
                    Action::Status(500)
                } else {
                    let rewrite = rewrite_path.as_ref().map(|(t, v)| {
                        if t == "ReplacePrefixMatch" {
                            let mut uri = v.strip_suffix('/').unwrap_or(v).to_string();
                            if uri.is_empty() {
                                uri = "/".into();
                            }
                            if uri == "/" {
                                let sep = match &path {
                                    PathSpec::SepPrefix(p) => p.clone(),
                                    _ => String::new(),
                                };
                                Rewrite::Regex(
                                    format!("^{}(/?)(.*)", regex::escape(&sep)),
                                    r"/\2".into(),
                                )
                            } else {
                                Rewrite::Prefix(uri)
                            }
                        } else {
                            Rewrite::Regex("/.*".into(), v.clone())
                        }
                    });
                    Action::Route {
                        dests: refs.clone(),
                        rewrite,
                        authority: authority.clone(),
                        mirrors: mirrors.clone(),
                        timeout_ms: timeout,
                        retry: retry.clone(),
                    }
                };
                out.push(IstioRoute {
                    rank,
                    len,
                    method: method.is_some(),
                    headers: n_headers,
                    query: query.len(),
                    no_match: m.is_none(),
                    route: ERoute {
                        m: em,
                        hops: hops_.clone(),
                        action,
                    },
                });
            }
        }
    }
    // Istio's sortHTTPRoutes (stable)
    out.sort_by(|a, b| {
        use std::cmp::Ordering::*;
        if a.no_match && b.no_match {
            return Equal;
        }
        if a.no_match {
            return Greater;
        }
        if b.no_match {
            return Less;
        }
        (b.rank, b.len, b.method, b.headers, b.query)
            .cmp(&(a.rank, a.len, a.method, a.headers, a.query))
    });
    out.into_iter().map(|r| r.route).collect()
}
