//! Building the HTTPRoutes (and per-subset Services) of one VirtualService.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::order::{self, Entry, GwPath};
use super::vs::{self, DerivePort, Dest, HeaderOps, HttpRule, PathMatch, StrMatch, VsMatch};
use super::world::{SvcInfo, World};
use super::{Problem, ProblemKind, Translation, VsRef};
use crate::analysis::mesh::{normalize_host, service_fqdn};
use crate::yaml::{Node, Span};

const METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
];

/// Header and query parameter names the HTTPRoute CRD accepts.
fn valid_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 256
        && n.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// RFC 1123 hostnames (the CRD's pattern for redirect/rewrite hostnames).
fn valid_hostname(h: &str) -> bool {
    !h.is_empty()
        && h.len() <= 253
        && h.split('.').all(|l| {
            !l.is_empty()
                && l.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
}

/// A duration in the Gateway API format (`^([0-9]{1,5}(h|m|s|ms)){1,4}$`).
pub fn gw_duration(ms: u64) -> Option<String> {
    if ms == 0 {
        return Some("0s".into());
    }
    let parts = [
        (ms / 3_600_000, "h"),
        ((ms / 60_000) % 60, "m"),
        ((ms / 1000) % 60, "s"),
        (ms % 1000, "ms"),
    ];
    let mut out = String::new();
    for (v, u) in parts {
        if v > 0 {
            if v > 99_999 {
                return None;
            }
            out.push_str(&format!("{v}{u}"));
        }
    }
    Some(out)
}

struct Ctx<'a> {
    world: &'a dyn World,
    vs: &'a VsRef<'a>,
    problems: Vec<Problem>,
    notes: Vec<String>,
    /// Generated Services and DestinationRules by `Kind/ns/name`.
    extra: BTreeMap<String, Value>,
}

impl Ctx<'_> {
    fn problem(&mut self, kind: ProblemKind, field: Option<&str>, span: Span, message: String) {
        let p = Problem {
            kind,
            field: field.map(str::to_string),
            span,
            message,
            related: Vec::new(),
        };
        if !self.problems.contains(&p) {
            self.problems.push(p);
        }
    }
    fn field(&mut self, field: &str, span: Span, why: impl Into<String>) {
        let mut why = why.into();
        if !why.ends_with(['.', '!', '?']) {
            why.push('.');
        }
        self.problem(
            ProblemKind::Field,
            Some(field),
            span,
            format!("`{field}`: {why}"),
        );
    }
    fn note(&mut self, n: String) {
        if !self.notes.contains(&n) {
            self.notes.push(n);
        }
    }
}

/// A resolved backend: the Service name/namespace/port to reference.
struct Backend {
    name: String,
    namespace: String,
    port: u32,
}

pub fn translate(world: &dyn World, vs: &VsRef, spec: &Node) -> Translation {
    let parsed = vs::parse(spec);
    let domain = world.domain().to_string();
    let mut t = Translation::default();
    let mut targets: Vec<SvcInfo> = Vec::new();
    for (h, _) in &vs.hosts {
        let pat = normalize_host(h, vs.namespace, &domain);
        for s in world.services_for(&pat) {
            if !targets.contains(&s) {
                targets.push(s);
            }
        }
    }
    targets.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    t.targets = targets.iter().map(|s| s.ns_name()).collect();
    if targets.is_empty() {
        return t;
    }
    let mut cx = Ctx {
        world,
        vs,
        problems: Vec::new(),
        notes: Vec::new(),
        extra: BTreeMap::new(),
    };
    for g in &parsed.gaps {
        cx.field(&g.field, g.span, g.why.clone());
    }
    let rules: Vec<&HttpRule> = parsed.rules.iter().filter(|r| !r.inactive()).collect();
    if rules.is_empty() && parsed.gaps.is_empty() {
        // no mesh-active HTTP route: nothing to translate
        t.noop = true;
        return t;
    }
    for r in &rules {
        retries_check(&mut cx, r);
    }
    for s in &targets {
        let others = world.competing(s, vs.namespace, vs.name);
        if !others.is_empty() {
            cx.problem(
                ProblemKind::Order,
                None,
                vs.span,
                format!(
                    "Service \"{}\" is also routed by {}; Istio merges the routes of all of them in an order that depends on creation time (and on the Istio version for VirtualServices), so a translation of this VirtualService alone cannot keep its behaviour. Merge them into one VirtualService (or one HTTPRoute) first.",
                    s.ns_name(),
                    others.join(", ")
                ),
            );
        }
    }
    let mut routes: Vec<Value> = Vec::new();
    let mut all_noop = true;
    for s in &targets {
        let (rs, noop) = for_service(&mut cx, &rules, s, targets.len());
        all_noop &= noop;
        routes.extend(rs);
    }
    t.problems = std::mem::take(&mut cx.problems);
    t.notes = std::mem::take(&mut cx.notes);
    if !t.problems.is_empty() {
        t.problems
            .sort_by(|a, b| (a.span, a.kind, &a.message).cmp(&(b.span, b.kind, &b.message)));
        return t;
    }
    if all_noop || routes.is_empty() {
        // nothing the mesh would route differently without this VirtualService
        t.noop = true;
        return t;
    }
    t.objects = routes;
    // Services first, then their DestinationRules
    let mut svcs: Vec<Value> = Vec::new();
    let mut drs: Vec<Value> = Vec::new();
    for (k, v) in std::mem::take(&mut cx.extra) {
        if k.starts_with("Service/") {
            svcs.push(v);
        } else {
            drs.push(v);
        }
    }
    t.objects.extend(svcs);
    t.objects.extend(drs);
    t
}

fn retries_check(cx: &mut Ctx, r: &HttpRule) {
    let Some(rt) = &r.retries else { return };
    let field = format!("http[{}].retries", r.index);
    if !cx.world.retry_field() {
        cx.problem(
            ProblemKind::Retries,
            Some(&field),
            rt.span,
            format!("`{field}`: the HTTPRoute CRD in use (standard channel) has no `retry` field; without it the route would fall back to the mesh's default retry policy. Install the experimental-channel HTTPRoute CRD, or drop the retries knowingly."),
        );
        return;
    }
    if rt.attempts <= 0 {
        return;
    }
    if retry_codes(rt).is_err() {
        let why = retry_codes(rt).unwrap_err();
        cx.field(&format!("{field}.retryOn"), rt.span, why);
    }
}

/// The status codes of an HTTPRoute `retry` equivalent to the VirtualService's `retryOn`.
/// Istio converts an HTTPRoute retry to `connect-failure,refused-stream,unavailable,cancelled`
/// plus the codes; anything else has no HTTPRoute form.
fn retry_codes(rt: &vs::Retries) -> Result<Vec<u32>, String> {
    let Some(on) = &rt.retry_on else {
        return Err("without `retryOn` Istio retries on `connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes` (with no codes: codes a client lists in x-envoy-retriable-status-codes); an HTTPRoute retry cannot express that".into());
    };
    let mut conds = std::collections::BTreeSet::new();
    let mut codes = Vec::new();
    for part in on.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part.parse::<u32>() {
            Ok(c) if (400..=599).contains(&c) => codes.push(c),
            Ok(c) => {
                return Err(format!(
                    "status code {c} is outside the 400-599 an HTTPRoute retry accepts"
                ))
            }
            Err(_) => {
                conds.insert(part.to_string());
            }
        }
    }
    let base: std::collections::BTreeSet<String> = [
        "connect-failure",
        "refused-stream",
        "unavailable",
        "cancelled",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut rest = conds.clone();
    rest.remove("retriable-status-codes");
    if rest != base || (conds.contains("retriable-status-codes") && codes.is_empty()) {
        return Err(format!("an HTTPRoute retry always retries on exactly connect-failure, refused-stream, unavailable and cancelled plus status codes; `{on}` differs"));
    }
    codes.sort_unstable();
    codes.dedup();
    Ok(codes)
}

/// The HTTP-capable ports of the Service the routes apply to, and whether the route must be
/// split per port.
fn for_service(
    cx: &mut Ctx,
    rules: &[&HttpRule],
    s: &SvcInfo,
    n_targets: usize,
) -> (Vec<Value>, bool) {
    let ports: Vec<u32> = s
        .ports
        .iter()
        .filter(|p| p.http_capable())
        .map(|p| p.port)
        .collect();
    if ports.is_empty() {
        cx.note(format!(
            "Service \"{}\" has no HTTP port; the VirtualService's HTTP routes do not apply to it.",
            s.ns_name()
        ));
        return (Vec::new(), true);
    }
    let port_matches = rules
        .iter()
        .any(|r| r.matches.iter().any(|m| m.port.is_some()));
    let implicit_ports = rules.iter().any(|r| {
        r.route.iter().any(|d| d.port.is_none())
            || r.mirrors.iter().any(|m| m.dest.port.is_none())
            || r.redirect.as_ref().is_some_and(|rd| {
                rd.derive_port == Some(DerivePort::FromRequestPort) && rd.scheme.is_some()
            })
    });
    let split = port_matches || (ports.len() > 1 && implicit_ports);
    let groups: Vec<Option<u32>> = if split {
        ports.iter().map(|p| Some(*p)).collect()
    } else {
        vec![None]
    };
    let base = if n_targets == 1 {
        cx.vs.name.to_string()
    } else {
        format!("{}-{}", cx.vs.name, s.name)
    };
    let mut out = Vec::new();
    let mut noop = true;
    for g in groups {
        let listen = g.or(if ports.len() == 1 {
            Some(ports[0])
        } else {
            None
        });
        let name = match g {
            Some(p) => format!("{base}-{p}"),
            None => base.clone(),
        };
        if let Some((route, is_noop)) = route_for(cx, rules, s, g, listen, &name) {
            noop &= is_noop;
            out.push(route);
        }
    }
    (out, noop)
}

fn route_for(
    cx: &mut Ctx,
    rules: &[&HttpRule],
    s: &SvcInfo,
    port: Option<u32>,
    listen: Option<u32>,
    base_name: &str,
) -> Option<(Value, bool)> {
    // the entries (one per match) in first-match order; rules after a catch-all never match
    let mut entries: Vec<Entry> = Vec::new();
    let mut match_idx: Vec<usize> = Vec::new();
    let mut ok = true;
    let mut cut: Option<usize> = None;
    'rules: for r in rules {
        if let Some(c) = cut {
            cx.note(format!(
                "`http[{}]` comes after the catch-all `http[{c}]` and never matches; it is not translated.",
                r.index
            ));
            continue;
        }
        let mut ms: Vec<(usize, VsMatch)> = if r.had_matches {
            r.matches
                .iter()
                .enumerate()
                .filter(|(_, m)| port.is_none() || m.port.is_none() || m.port == port)
                .map(|(j, m)| (j, m.clone()))
                .collect()
        } else {
            vec![(
                0,
                VsMatch {
                    path: PathMatch::Any,
                    headers: Vec::new(),
                    query: Vec::new(),
                    method: None,
                    port: None,
                    span: r.span,
                },
            )]
        };
        if ms.is_empty() {
            continue;
        }
        let rewrite_uri = r.rewrite.as_ref().and_then(|w| w.uri.clone());
        for (j, m) in ms.drain(..) {
            let mut pinned = false;
            if let Some(u) = &rewrite_uri {
                let field = format!("http[{}].rewrite.uri", r.index);
                let span = r.rewrite.as_ref().map(|w| w.uri_span).unwrap_or(r.span);
                match &m.path {
                    PathMatch::Any | PathMatch::Prefix { .. } if m.path_is_all() => {
                        pinned = true;
                        if u != "/" && u.ends_with('/') {
                            cx.field(&field, span, format!("a prefix rewrite to \"{u}\" (ending in `/`) has no URLRewrite form: Istio drops the trailing `/` of ReplacePrefixMatch"));
                            ok = false;
                        }
                    }
                    PathMatch::Prefix { value, .. } => {
                        cx.field(&field, span, format!("the rewrite replaces the plain prefix \"{value}\", which also matches \"{value}x\"; URLRewrite ReplacePrefixMatch needs a PathPrefix match, which matches whole path segments only (the closest HTTPRoute, PathPrefix \"{}\" with ReplacePrefixMatch \"{u}\", would route different requests)", value.trim_end_matches('/')));
                        ok = false;
                    }
                    _ => {}
                }
                if !u.starts_with('/') || u.contains('\\') {
                    cx.field(
                        &field,
                        span,
                        format!(
                            "\"{u}\" is not an absolute path an HTTPRoute URLRewrite can carry"
                        ),
                    );
                    ok = false;
                }
            }
            let catch_all = m.is_catch_all();
            let path = order::natural(&m.path);
            if let GwPath::Regex(re) = &path {
                if regex::Regex::new(re).is_err() {
                    cx.field(
                        &format!("http[{}].match[{j}].uri", r.index),
                        m.span,
                        format!("\"{re}\" is not a valid RE2 regular expression"),
                    );
                    ok = false;
                }
            }
            entries.push(Entry {
                rule: r.index,
                match_sensitive: rewrite_uri.is_some(),
                vs: m,
                path,
                pinned,
                pad: 0,
            });
            match_idx.push(j);
            if catch_all {
                cut = Some(r.index);
                continue 'rules;
            }
        }
    }
    if entries.is_empty() {
        return None;
    }
    if let Err((a, b)) = order::refine(&mut entries) {
        let (ra, rb) = (entries[a].rule, entries[b].rule);
        let span_b = entries[b].vs.span;
        let msg = if a == b {
            format!("`http[{ra}]`: ordering its path match after the rules that precede it needs a regular expression longer than the 1024 characters an HTTPRoute allows")
        } else {
            format!(
                "`http[{ra}]` (match {}) must be tried before `http[{rb}]` (match {}) — some requests match both — but Gateway API precedence, as Istio sorts it (Exact, then PathPrefix, then RegularExpression, longer first), puts `http[{rb}]` first, and `http[{rb}]` cannot be rewritten as a regular expression because its prefix rewrite needs a PathPrefix match",
                match_idx[a], match_idx[b]
            )
        };
        cx.problems.push(Problem {
            kind: ProblemKind::Order,
            field: Some(format!("http[{rb}]")),
            span: span_b,
            message: msg,
            related: vec![(
                entries[a].vs.span,
                format!("http[{ra}] must be tried first"),
            )],
        });
        return None;
    }
    if !ok {
        return None;
    }
    // HTTPRoute rules: consecutive entries of one VirtualService rule share an HTTPRoute rule,
    // except with a path rewrite (ReplacePrefixMatch needs exactly one match per rule)
    let mut gw_rules: Vec<Value> = Vec::new();
    let mut total_matches = 0usize;
    let mut i = 0;
    let mut noop = true;
    while i < entries.len() {
        let r = rules
            .iter()
            .find(|r| r.index == entries[i].rule)
            .expect("entry of a rule");
        let mut j = i + 1;
        if r.rewrite.as_ref().and_then(|w| w.uri.as_ref()).is_none() {
            while j < entries.len() && entries[j].rule == entries[i].rule {
                j += 1;
            }
        }
        let group = &entries[i..j];
        let mut matches = Vec::new();
        for e in group {
            match gw_match(cx, r, e) {
                Some(m) => matches.push(m),
                None => ok = false,
            }
        }
        total_matches += matches.len();
        if matches.len() > 64 {
            cx.problem(
                ProblemKind::Limits,
                Some(&format!("http[{}].match", r.index)),
                r.span,
                format!(
                    "`http[{}]` has more than the 64 matches an HTTPRoute rule allows",
                    r.index
                ),
            );
            ok = false;
        }
        let single_catch_all = group.len() == 1 && group[0].vs.is_catch_all();
        match rule_body(cx, r, &group[0], s, listen) {
            Some((mut body, is_plain_self)) => {
                noop &= single_catch_all && is_plain_self && entries.len() == 1;
                let mut rule = Map::new();
                rule.insert("matches".into(), Value::Array(matches));
                for (k, v) in body.iter_mut() {
                    rule.insert(k.clone(), v.take());
                }
                gw_rules.push(Value::Object(rule));
            }
            None => ok = false,
        }
        i = j;
    }
    if gw_rules.len() > 16 || total_matches > 128 {
        cx.problem(
            ProblemKind::Limits,
            Some("http"),
            cx.vs.span,
            format!(
                "the HTTPRoute for Service \"{}\"{} would need {} rules and {} matches; an HTTPRoute allows 16 rules and 128 matches, and splitting it into several HTTPRoutes would leave their relative order to creation time",
                s.ns_name(),
                port.map(|p| format!(" port {p}")).unwrap_or_default(),
                gw_rules.len(),
                total_matches
            ),
        );
        ok = false;
    }
    if !ok {
        return None;
    }
    let mut name = crate::fixes::k8s_name(base_name);
    let mut k = 2;
    while cx.world.route_exists(&s.namespace, &name) {
        name = crate::fixes::k8s_name(&format!("{base_name}-{k}"));
        k += 1;
    }
    let mut parent = Map::new();
    parent.insert("group".into(), json!(""));
    parent.insert("kind".into(), json!("Service"));
    parent.insert("name".into(), json!(s.name));
    if let Some(p) = port {
        parent.insert("port".into(), json!(p));
    }
    Some((
        json!({
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": s.namespace},
            "spec": {
                "parentRefs": [Value::Object(parent)],
                "rules": gw_rules,
            }
        }),
        noop,
    ))
}

fn str_value(m: &StrMatch) -> (&'static str, String) {
    match m {
        StrMatch::Exact(v) if !v.is_empty() => ("Exact", v.clone()),
        StrMatch::Exact(_) => ("RegularExpression", "^$".into()),
        StrMatch::Prefix(p) => ("RegularExpression", format!("{}.*", order::re_escape(p))),
        StrMatch::Regex(r) if !r.is_empty() => ("RegularExpression", r.clone()),
        StrMatch::Regex(_) => ("RegularExpression", "^$".into()),
        StrMatch::Present => ("RegularExpression", ".*".into()),
    }
}

fn gw_match(cx: &mut Ctx, r: &HttpRule, e: &Entry) -> Option<Value> {
    let mut m = Map::new();
    let p = e.written_path();
    m.insert(
        "path".into(),
        json!({"type": p.type_name(), "value": p.value()}),
    );
    for (key, list, what) in [
        ("headers", &e.vs.headers, "headers"),
        ("queryParams", &e.vs.query, "queryParams"),
    ] {
        if list.is_empty() {
            continue;
        }
        if list.len() > 16 {
            cx.problem(
                ProblemKind::Limits,
                Some(&format!("http[{}].match", r.index)),
                e.vs.span,
                format!(
                    "a match of `http[{}]` has more than the 16 {what} an HTTPRoute match allows",
                    r.index
                ),
            );
            return None;
        }
        let mut items = Vec::new();
        for (n, sm) in list {
            if !valid_name(n) {
                cx.field(
                    &format!("http[{}].match.{what}.{n}", r.index),
                    e.vs.span,
                    format!("\"{n}\" is not a name an HTTPRoute match accepts"),
                );
                return None;
            }
            let (t, v) = str_value(sm);
            if let StrMatch::Regex(re) = sm {
                if regex::Regex::new(re).is_err() {
                    cx.field(
                        &format!("http[{}].match.{what}.{n}", r.index),
                        e.vs.span,
                        format!("\"{re}\" is not a valid RE2 regular expression"),
                    );
                    return None;
                }
            }
            if v.len() > if key == "headers" { 4096 } else { 1024 } {
                cx.field(
                    &format!("http[{}].match.{what}.{n}", r.index),
                    e.vs.span,
                    "value too long for an HTTPRoute match",
                );
                return None;
            }
            items.push(json!({"type": t, "name": n, "value": v}));
        }
        m.insert(key.into(), Value::Array(items));
    }
    if let Some(meth) = &e.vs.method {
        if !METHODS.contains(&meth.as_str()) {
            cx.field(
                &format!("http[{}].match.method", r.index),
                e.vs.span,
                format!(
                    "\"{meth}\" is not one of the methods an HTTPRoute can match ({})",
                    METHODS.join(", ")
                ),
            );
            return None;
        }
        m.insert("method".into(), json!(meth));
    }
    Some(Value::Object(m))
}

fn header_ops(cx: &mut Ctx, ops: &HeaderOps, field: &str, span: Span) -> Option<Value> {
    let mut m = Map::new();
    for (key, list) in [("set", &ops.set), ("add", &ops.add)] {
        if list.is_empty() {
            continue;
        }
        let mut seen = std::collections::BTreeSet::new();
        let mut items = Vec::new();
        for (n, v) in list {
            if !valid_name(n) || !seen.insert(n.to_ascii_lowercase()) || v.len() > 4096 {
                cx.field(
                    &format!("{field}.{key}.{n}"),
                    span,
                    "not a header an HTTPRoute header filter can carry (name, duplicate or length)",
                );
                return None;
            }
            items.push(json!({"name": n, "value": v}));
        }
        if items.len() > 16 {
            cx.problem(
                ProblemKind::Limits,
                Some(field),
                span,
                format!("`{field}.{key}` has more than the 16 headers an HTTPRoute filter allows"),
            );
            return None;
        }
        m.insert(key.into(), Value::Array(items));
    }
    if !ops.remove.is_empty() {
        if ops.remove.len() > 16 || ops.remove.iter().any(|n| !valid_name(n)) {
            cx.field(
                &format!("{field}.remove"),
                span,
                "more than 16 names, or a name an HTTPRoute header filter does not accept",
            );
            return None;
        }
        m.insert("remove".into(), json!(ops.remove));
    }
    Some(Value::Object(m))
}

fn header_filters(cx: &mut Ctx, h: &vs::Headers, field: &str, span: Span) -> Option<Vec<Value>> {
    let mut out = Vec::new();
    if !h.request.is_empty() {
        let v = header_ops(cx, &h.request, &format!("{field}.request"), span)?;
        out.push(json!({"type": "RequestHeaderModifier", "requestHeaderModifier": v}));
    }
    if !h.response.is_empty() {
        let v = header_ops(cx, &h.response, &format!("{field}.response"), span)?;
        out.push(json!({"type": "ResponseHeaderModifier", "responseHeaderModifier": v}));
    }
    Some(out)
}

/// The Service (or generated subset Service) a destination refers to.
fn backend(cx: &mut Ctx, d: &Dest, listen: Option<u32>) -> Option<Backend> {
    let domain = cx.world.domain().to_string();
    let field = format!("{}.destination.host", d.path);
    let fqdn = normalize_host(&d.host, cx.vs.namespace, &domain);
    if fqdn.contains('*') {
        cx.field(
            &field,
            d.host_span,
            "a wildcard destination has no HTTPRoute backend form",
        );
        return None;
    }
    let svc = cx
        .world
        .services_for(&fqdn)
        .into_iter()
        .find(|s| service_fqdn(&s.name, &s.namespace, &domain) == fqdn);
    let Some(svc) = svc else {
        cx.field(&field, d.host_span, format!("\"{}\" is not a Kubernetes Service of the input (a ServiceEntry or external host would need Istio's own backend kinds)", d.host));
        return None;
    };
    // Istio's GetDestinationCluster: the destination's port, else the Service's only port,
    // else the port the request came in on.
    let only = (svc.ports.len() == 1).then(|| svc.ports[0].port);
    let Some(port) = d.port.or(only).or(listen) else {
        cx.field(
            &format!("{}.destination.port", d.path),
            d.span,
            "no port, and the Service has several: an HTTPRoute backend needs one",
        );
        return None;
    };
    let Some(sp) = svc.ports.iter().find(|p| p.port == port) else {
        cx.field(
            &format!("{}.destination.port", d.path),
            d.span,
            format!("Service \"{}\" has no port {port}", svc.ns_name()),
        );
        return None;
    };
    let Some(subset) = &d.subset else {
        return Some(Backend {
            name: svc.name.clone(),
            namespace: svc.namespace.clone(),
            port,
        });
    };
    let sfield = format!("{}.destination.subset", d.path);
    let info = match cx.world.subset(&fqdn, subset, cx.vs.namespace) {
        Ok(i) => i,
        Err(why) => {
            cx.field(&sfield, d.span, why);
            return None;
        }
    };
    let Some(selector) = &svc.selector else {
        cx.field(
            &sfield,
            d.span,
            format!(
                "Service \"{}\" has no selector, so no Service can select the subset's pods",
                svc.ns_name()
            ),
        );
        return None;
    };
    let mut merged: Vec<(String, String)> = selector.clone();
    for (k, v) in &info.labels {
        match merged.iter().find(|(mk, _)| mk == k) {
            Some((_, mv)) if mv != v => {
                cx.field(&sfield, d.span, format!("subset \"{subset}\" requires {k}={v} but Service \"{}\" selects {k}={mv}: the subset has no endpoints", svc.ns_name()));
                return None;
            }
            Some(_) => {}
            None => merged.push((k.clone(), v.clone())),
        }
    }
    let name = crate::fixes::k8s_name(&format!("{}-{}", svc.name, subset).replace('.', "-"));
    let _ = sp;
    let ports: Vec<Value> = svc
        .ports
        .iter()
        .map(|p| {
            let mut m = Map::new();
            if let Some(n) = &p.name {
                m.insert("name".into(), json!(n));
            }
            m.insert("port".into(), json!(p.port));
            if let Some(t) = &p.target_port {
                match t.parse::<u32>() {
                    Ok(n) => m.insert("targetPort".into(), json!(n)),
                    Err(_) => m.insert("targetPort".into(), json!(t)),
                };
            }
            if let Some(pr) = &p.protocol {
                m.insert("protocol".into(), json!(pr));
            }
            if let Some(a) = &p.app_protocol {
                m.insert("appProtocol".into(), json!(a));
            }
            Value::Object(m)
        })
        .collect();
    let same_set = |a: &[(String, String)], b: &[(String, String)]| {
        let mut x = a.to_vec();
        let mut y = b.to_vec();
        x.sort();
        y.sort();
        x == y
    };
    if let Some(existing) = cx.world.service_named(&svc.namespace, &name) {
        let ok = existing
            .selector
            .as_deref()
            .is_some_and(|s| same_set(s, &merged))
            && existing
                .ports
                .iter()
                .map(|p| (p.port, p.target_port.clone()))
                .collect::<Vec<_>>()
                == svc
                    .ports
                    .iter()
                    .map(|p| (p.port, p.target_port.clone()))
                    .collect::<Vec<_>>();
        if !ok {
            cx.field(&sfield, d.span, format!("a Service \"{}/{name}\" already exists with another selector or ports; the subset Service cannot take its name", svc.namespace));
            return None;
        }
        cx.note(format!(
            "Subset \"{subset}\" of \"{}\" uses the existing Service \"{}/{name}\".",
            svc.ns_name(),
            svc.namespace
        ));
    } else {
        // Istio merges the DestinationRule's and the subset's policies per port
        // (MergeSubsetTrafficPolicy); the copy must give each port the same policy.
        let svc_ports: Vec<u32> = svc.ports.iter().map(|p| p.port).collect();
        let policy = match super::policy::subset_service_policy(
            info.dr_policy.as_ref(),
            info.subset_policy.as_ref(),
            &svc_ports,
        ) {
            Ok(p) => p,
            Err(why) => {
                cx.field(&sfield, d.span, format!("the traffic policy of subset \"{subset}\" (DestinationRule \"{}\") cannot be copied to a DestinationRule for the subset Service: {why}", info.destination_rule));
                return None;
            }
        };
        let mut sel = Map::new();
        for (k, v) in &merged {
            sel.insert(k.clone(), json!(v));
        }
        cx.extra.insert(
            format!("Service/{}/{name}", svc.namespace),
            json!({
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": name, "namespace": svc.namespace},
                "spec": {"selector": Value::Object(sel), "ports": ports},
            }),
        );
        if let Some(tp) = &policy {
            cx.extra.insert(
                format!("DestinationRule/{}/{name}", svc.namespace),
                json!({
                    "apiVersion": "networking.istio.io/v1",
                    "kind": "DestinationRule",
                    "metadata": {"name": name, "namespace": svc.namespace},
                    "spec": {"host": service_fqdn(&name, &svc.namespace, &domain), "trafficPolicy": tp},
                }),
            );
            cx.note(format!("DestinationRule \"{}\" keeps applying to Service \"{}\"; its traffic policy for subset \"{subset}\" is copied to DestinationRule \"{}/{name}\" for the subset Service.", info.destination_rule, svc.ns_name(), svc.namespace));
        } else {
            cx.note(format!("Subset \"{subset}\" of \"{}\" (DestinationRule \"{}\") becomes Service \"{}/{name}\" (the Service's selector plus the subset's labels).", svc.ns_name(), info.destination_rule, svc.namespace));
        }
    }
    Some(Backend {
        name,
        namespace: svc.namespace.clone(),
        port,
    })
}

fn backend_ref(b: &Backend, route_ns: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("name".into(), json!(b.name));
    if b.namespace != route_ns {
        m.insert("namespace".into(), json!(b.namespace));
    }
    m.insert("port".into(), json!(b.port));
    m
}

/// Mirror percentages Istio turns into the same Envoy fraction (`uint32(percent * 10000)` per
/// million) as the VirtualService's.
fn mirror_fraction(pct: f64) -> Option<Value> {
    let target = (pct * 10000.0) as u32;
    if pct.fract() == 0.0 {
        return Some(json!({"percent": pct as u32}));
    }
    for den in [1000u32, 10_000, 100_000, 1_000_000] {
        let num = (pct * den as f64 / 100.0).round() as u32;
        let istio = 100.0 * num as f64 / den as f64;
        if (istio * 10000.0) as u32 == target && num <= den {
            return Some(json!({"fraction": {"numerator": num, "denominator": den}}));
        }
    }
    None
}

/// Filters, backendRefs, timeouts and retry of an HTTPRoute rule for one VirtualService rule.
/// Also says whether the rule is a plain route to the Service itself.
fn rule_body(
    cx: &mut Ctx,
    r: &HttpRule,
    e: &Entry,
    s: &SvcInfo,
    listen: Option<u32>,
) -> Option<(Map<String, Value>, bool)> {
    let base = format!("http[{}]", r.index);
    let mut filters: Vec<Value> = Vec::new();
    let mut ok = true;
    if let Some(h) = &r.headers {
        match header_filters(cx, h, &format!("{base}.headers"), r.span) {
            Some(f) => filters.extend(f),
            None => ok = false,
        }
    }
    if r.redirect.is_some() && r.rewrite.is_some() {
        cx.field(
            &format!("{base}.rewrite"),
            r.span,
            "a rewrite together with a redirect has no HTTPRoute form",
        );
        ok = false;
    }
    if let Some(rd) = &r.redirect {
        let mut m = Map::new();
        let f = format!("{base}.redirect");
        if let Some(sc) = &rd.scheme {
            if sc != "http" && sc != "https" {
                cx.field(
                    &format!("{f}.scheme"),
                    rd.span,
                    "an HTTPRoute redirect scheme is http or https",
                );
                ok = false;
            }
            m.insert("scheme".into(), json!(sc));
        }
        if let Some(a) = &rd.authority {
            if !valid_hostname(a) {
                cx.field(&format!("{f}.authority"), rd.span, format!("\"{a}\" is not a hostname an HTTPRoute redirect accepts (no port, lower case)"));
                ok = false;
            }
            m.insert("hostname".into(), json!(a));
        }
        if let Some(u) = &rd.uri {
            if !u.is_empty() {
                m.insert(
                    "path".into(),
                    json!({"type": "ReplaceFullPath", "replaceFullPath": u}),
                );
            }
        }
        // Istio: a VirtualService redirect without port keeps no port in the Location; an
        // HTTPRoute redirect without port uses the request's port (without scheme) or the
        // scheme's default port (with scheme). Port 80 with http is dropped from the Location.
        match (rd.port, rd.derive_port) {
            (Some(p), _) => {
                m.insert("port".into(), json!(p));
            }
            (None, Some(DerivePort::FromRequestPort)) => {
                if rd.scheme.is_some() {
                    match listen {
                        Some(l) => {
                            m.insert("port".into(), json!(l));
                        }
                        None => {
                            cx.field(&format!("{f}.derivePort"), rd.span, "FROM_REQUEST_PORT with a scheme needs the port of the request, and the Service has several");
                            ok = false;
                        }
                    }
                }
            }
            (None, _) => {
                if rd.scheme.is_none() {
                    m.insert("port".into(), json!(80));
                }
            }
        }
        let code = rd.code.unwrap_or(301);
        if ![301, 302, 303, 307, 308].contains(&code) {
            cx.field(
                &format!("{f}.redirectCode"),
                rd.span,
                format!("{code} is not a redirect code an HTTPRoute accepts"),
            );
            ok = false;
        }
        m.insert("statusCode".into(), json!(code));
        filters.push(json!({"type": "RequestRedirect", "requestRedirect": Value::Object(m)}));
    }
    if let Some(rw) = &r.rewrite {
        let mut m = Map::new();
        if let Some(a) = &rw.authority {
            if !valid_hostname(a) {
                cx.field(&format!("{base}.rewrite.authority"), rw.span, format!("\"{a}\" is not a hostname an HTTPRoute URLRewrite accepts (no port, lower case)"));
                ok = false;
            }
            m.insert("hostname".into(), json!(a));
        }
        if let Some(u) = &rw.uri {
            if e.pinned {
                m.insert(
                    "path".into(),
                    json!({"type": "ReplacePrefixMatch", "replacePrefixMatch": u}),
                );
            } else {
                m.insert(
                    "path".into(),
                    json!({"type": "ReplaceFullPath", "replaceFullPath": u}),
                );
            }
        }
        if !m.is_empty() {
            filters.push(json!({"type": "URLRewrite", "urlRewrite": Value::Object(m)}));
        }
    }
    for (k, mirror) in r.mirrors.iter().enumerate() {
        if mirror.percent <= 0.0 {
            continue;
        }
        let Some(b) = backend(cx, &mirror.dest, listen) else {
            ok = false;
            continue;
        };
        let mut m = Map::new();
        m.insert(
            "backendRef".into(),
            Value::Object(backend_ref(&b, &s.namespace)),
        );
        if mirror.percent < 100.0 {
            match mirror_fraction(mirror.percent) {
                Some(Value::Object(f)) => m.extend(f),
                _ => {
                    cx.field(
                        &format!("{base}.mirrors[{k}].percentage"),
                        mirror.dest.span,
                        "no HTTPRoute mirror fraction gives Istio the same percentage",
                    );
                    ok = false;
                }
            }
        }
        filters.push(json!({"type": "RequestMirror", "requestMirror": Value::Object(m)}));
    }
    if filters.len() > 16 {
        cx.problem(
            ProblemKind::Limits,
            Some(&base),
            r.span,
            format!("`{base}` needs more than the 16 filters an HTTPRoute rule allows"),
        );
        ok = false;
    }
    let mut body = Map::new();
    let mut plain_self = filters.is_empty() && r.timeout_ms.is_none() && r.retries.is_none();
    if !filters.is_empty() {
        body.insert("filters".into(), Value::Array(filters));
    }
    if r.redirect.is_none() {
        if r.route.is_empty() {
            cx.field(&format!("{base}.route"), r.span, "no destination");
            return None;
        }
        if r.route.len() > 16 {
            cx.problem(
                ProblemKind::Limits,
                Some(&format!("{base}.route")),
                r.span,
                format!("`{base}` has more than the 16 destinations an HTTPRoute rule allows"),
            );
            return None;
        }
        if r.route.len() > 1 && r.route.iter().all(|d| d.weight.unwrap_or(0) == 0) {
            cx.field(
                &format!("{base}.route"),
                r.span,
                "several destinations and no weight: Istio cannot build this route",
            );
            return None;
        }
        let mut refs = Vec::new();
        for d in &r.route {
            // Istio drops zero-weight destinations of a weighted route before building
            // clusters; an HTTPRoute backend of weight 0 gets no traffic either.
            if r.route.len() > 1 && d.weight.unwrap_or(0) == 0 {
                continue;
            }
            let Some(b) = backend(cx, d, listen) else {
                ok = false;
                continue;
            };
            plain_self &= r.route.len() == 1
                && b.name == s.name
                && b.namespace == s.namespace
                && d.headers.is_none()
                && listen.is_none_or(|l| l == b.port);
            let mut m = backend_ref(&b, &s.namespace);
            if r.route.len() > 1 {
                let w = d.weight.unwrap_or(0);
                if w > 1_000_000 {
                    cx.field(
                        &format!("{}.weight", d.path),
                        d.span,
                        "weight above the 1000000 an HTTPRoute accepts",
                    );
                    ok = false;
                }
                m.insert("weight".into(), json!(w));
            }
            if let Some(h) = &d.headers {
                match header_filters(cx, h, &format!("{}.headers", d.path), d.span) {
                    Some(f) if !f.is_empty() => {
                        m.insert("filters".into(), Value::Array(f));
                    }
                    Some(_) => {}
                    None => ok = false,
                }
            }
            refs.push(Value::Object(m));
        }
        body.insert("backendRefs".into(), Value::Array(refs));
    } else {
        plain_self = false;
        if !r.route.is_empty() {
            cx.field(
                &format!("{base}.route"),
                r.span,
                "a redirect together with destinations has no HTTPRoute form",
            );
            ok = false;
        }
    }
    let mut timeouts = Map::new();
    if let Some(ms) = r.timeout_ms {
        match gw_duration(ms) {
            Some(d) => {
                timeouts.insert("request".into(), json!(d));
            }
            None => {
                cx.field(
                    &format!("{base}.timeout"),
                    r.span,
                    "too long for an HTTPRoute timeout",
                );
                ok = false;
            }
        }
    }
    if let Some(rt) = &r.retries {
        if cx.world.retry_field() {
            let mut m = Map::new();
            m.insert("attempts".into(), json!(rt.attempts.max(0)));
            if rt.attempts > 0 {
                if let Ok(codes) = retry_codes(rt) {
                    if !codes.is_empty() {
                        m.insert("codes".into(), json!(codes));
                    }
                }
                if let Some(pt) = rt.per_try_timeout_ms {
                    if r.timeout_ms.is_some_and(|t| t != 0 && pt > t) {
                        cx.field(&format!("{base}.retries.perTryTimeout"), rt.span, "longer than the route timeout, which an HTTPRoute rejects (timeouts.backendRequest > timeouts.request)");
                        ok = false;
                    }
                    match gw_duration(pt) {
                        Some(d) => {
                            timeouts.insert("backendRequest".into(), json!(d));
                        }
                        None => ok = false,
                    }
                }
            }
            body.insert("retry".into(), Value::Object(m));
        }
    }
    if !timeouts.is_empty() {
        body.insert("timeouts".into(), Value::Object(timeouts));
    }
    ok.then_some((body, plain_self))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(vs::duration_ms("5s"), Some(5000));
        assert_eq!(vs::duration_ms("0.5s"), Some(500));
        assert_eq!(vs::duration_ms("1m30s"), Some(90_000));
        assert_eq!(vs::duration_ms("100ms"), Some(100));
        assert_eq!(vs::duration_ms("1.0001s"), None);
        assert_eq!(vs::duration_ms("abc"), None);
        assert_eq!(gw_duration(90_000).as_deref(), Some("1m30s"));
        assert_eq!(gw_duration(500).as_deref(), Some("500ms"));
        assert_eq!(gw_duration(0).as_deref(), Some("0s"));
        assert_eq!(gw_duration(3_600_000 * 2 + 5).as_deref(), Some("2h5ms"));
    }

    #[test]
    fn mirror_fractions_reproduce_istio_numerators() {
        for pct in [0.5, 12.5, 33.3333, 0.0001, 99.99, 50.0] {
            let v = mirror_fraction(pct).expect("fraction");
            let istio = if let Some(p) = v.get("percent") {
                p.as_f64().unwrap()
            } else {
                let f = &v["fraction"];
                100.0 * f["numerator"].as_f64().unwrap() / f["denominator"].as_f64().unwrap()
            };
            assert_eq!((istio * 10000.0) as u32, (pct * 10000.0) as u32, "{pct}");
        }
    }
}
