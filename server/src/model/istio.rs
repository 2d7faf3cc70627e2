//! Istio networking, security, telemetry and extensions kinds.

use super::{
    target_refs, workload_selector, Extractor, Labels, Spanned, TargetRef, WorkloadSelector,
};
use crate::yaml::{Node, Span};

// ------------------------------------------------------------------------------------------
// VirtualService

#[derive(Clone, Debug, Default)]
pub struct RouteMatch {
    pub gateways: Vec<String>,
    pub source_labels: Option<Span>,
    pub source_namespace: Option<Spanned<String>>,
    pub sni_hosts: Vec<String>,
    pub port: Option<i64>,
    pub span: Span,
}

#[derive(Clone, Debug, Default)]
pub struct Destination {
    pub host: String,
    pub subset: Option<String>,
    pub port: Option<i64>,
    pub weight: Option<i64>,
    pub span: Span,
}

#[derive(Clone, Debug, Default)]
pub struct HttpRoute {
    pub span: Span,
    pub matches: Vec<RouteMatch>,
    pub destinations: Vec<Destination>,
    /// HTTP features used, in the catalog's words (`retries`, `timeout`, `fault`, …).
    pub features: Vec<&'static str>,
}

#[derive(Clone, Debug, Default)]
pub struct L4Route {
    pub span: Span,
    pub matches: Vec<RouteMatch>,
    pub destinations: Vec<Destination>,
}

#[derive(Clone, Debug, Default)]
pub struct VirtualService {
    pub hosts: Vec<Spanned<String>>,
    pub hosts_span: Option<Span>,
    /// `spec.gateways` (absent ⇒ mesh).
    pub gateways: Option<Spanned<Vec<String>>>,
    pub export_to: Option<Vec<String>>,
    pub http: Vec<HttpRoute>,
    pub http_span: Option<Span>,
    pub tcp: Vec<L4Route>,
    pub tcp_span: Option<Span>,
    pub tls: Vec<L4Route>,
    pub tls_span: Option<Span>,
    pub delegate_only: bool,
}

fn route_matches(ex: &mut Extractor, route: &Node, what: &str) -> Vec<RouteMatch> {
    let mut out = Vec::new();
    if let Some(items) = ex.seq(route, "match", &format!("{what}.match")) {
        for m in items {
            let Some(m) = ex.as_map(m, "match item") else {
                continue;
            };
            out.push(RouteMatch {
                gateways: ex
                    .strings(m, "gateways", "match gateways")
                    .map(|s| s.value)
                    .unwrap_or_default(),
                source_labels: m
                    .entry("sourceLabels")
                    .filter(|e| !e.value.is_null())
                    .map(|e| e.key.span.cover(e.value.span)),
                source_namespace: ex.spanned_string(m, "sourceNamespace", "sourceNamespace"),
                sni_hosts: ex
                    .strings(m, "sniHosts", "sniHosts")
                    .map(|s| s.value)
                    .unwrap_or_default(),
                port: ex.int(m, "port", "match port"),
                span: m.span,
            });
        }
    }
    out
}

fn destinations(ex: &mut Extractor, route: &Node, what: &str) -> Vec<Destination> {
    let mut out = Vec::new();
    if let Some(items) = ex.seq(route, "route", &format!("{what}.route")) {
        for r in items {
            let Some(r) = ex.as_map(r, "route item") else {
                continue;
            };
            let Some(d) = ex.map(r, "destination", "route destination") else {
                continue;
            };
            out.push(Destination {
                host: ex.string(d, "host", "destination host").unwrap_or_default(),
                subset: ex.string(d, "subset", "destination subset"),
                port: d
                    .get("port")
                    .and_then(|p| ex.int(p, "number", "destination port number")),
                weight: ex.int(r, "weight", "route weight"),
                span: r.span,
            });
        }
    }
    out
}

impl VirtualService {
    pub fn extract(ex: &mut Extractor, spec: &Node) -> VirtualService {
        let mut vs = VirtualService::default();
        if let Some(e) = spec.entry("hosts") {
            vs.hosts_span = Some(e.key.span);
            if let Some(items) = ex.as_seq(&e.value, "spec.hosts") {
                for h in items {
                    if let Some(s) = ex.as_string(h, "host") {
                        vs.hosts.push(Spanned::new(s, h.span));
                    }
                }
            }
        }
        if let Some(e) = spec.entry("gateways") {
            if let Some(g) = ex.as_strings(&e.value, "spec.gateways") {
                vs.gateways = Some(Spanned::new(g, e.key.span.cover(e.value.span)));
            }
        }
        vs.export_to = ex
            .strings(spec, "exportTo", "spec.exportTo")
            .map(|s| s.value);
        if let Some(e) = spec.entry("http") {
            vs.http_span = Some(e.key.span);
            if let Some(items) = ex.as_seq(&e.value, "spec.http") {
                for r in items {
                    let Some(r) = ex.as_map(r, "http route") else {
                        continue;
                    };
                    let mut hr = HttpRoute {
                        span: r.span,
                        matches: route_matches(ex, r, "http"),
                        destinations: destinations(ex, r, "http"),
                        features: Vec::new(),
                    };
                    if !hr.matches.is_empty() {
                        hr.features.push("match");
                    }
                    for (key, feat) in [
                        ("retries", "retries"),
                        ("timeout", "timeout"),
                        ("fault", "fault"),
                        ("mirror", "mirror"),
                        ("mirrors", "mirror"),
                        ("mirrorPercentage", "mirror"),
                        ("mirrorPercent", "mirror"),
                        ("headers", "headers"),
                        ("rewrite", "rewrite"),
                        ("redirect", "redirect"),
                        ("directResponse", "directResponse"),
                        ("corsPolicy", "corsPolicy"),
                        ("delegate", "delegate"),
                    ] {
                        if r.get(key).is_some_and(|n| !n.is_null()) && !hr.features.contains(&feat)
                        {
                            hr.features.push(feat);
                        }
                    }
                    if hr.destinations.len() > 1
                        || hr
                            .destinations
                            .iter()
                            .any(|d| d.weight.is_some_and(|w| w != 100))
                    {
                        hr.features.push("weighted routes");
                    }
                    if hr.destinations.iter().any(|d| d.subset.is_some()) {
                        hr.features.push("subset");
                    }
                    vs.http.push(hr);
                }
            }
        }
        for (key, tls) in [("tcp", false), ("tls", true)] {
            if let Some(e) = spec.entry(key) {
                let mut routes = Vec::new();
                if let Some(items) = ex.as_seq(&e.value, &format!("spec.{key}")) {
                    for r in items {
                        let Some(r) = ex.as_map(r, "route") else {
                            continue;
                        };
                        routes.push(L4Route {
                            span: r.span,
                            matches: route_matches(ex, r, key),
                            destinations: destinations(ex, r, key),
                        });
                    }
                }
                if tls {
                    vs.tls = routes;
                    vs.tls_span = Some(e.key.span);
                } else {
                    vs.tcp = routes;
                    vs.tcp_span = Some(e.key.span);
                }
            }
        }
        vs.delegate_only = vs.hosts.is_empty();
        vs
    }

    /// D2: bound to the mesh (no `gateways`, or `mesh` among them).
    pub fn is_mesh_bound(&self) -> bool {
        match &self.gateways {
            None => true,
            Some(g) => g.value.is_empty() || g.value.iter().any(|x| x == "mesh"),
        }
    }

    /// A route applies to the mesh when it has no match, or one match with no gateways or
    /// `mesh` among them.
    pub fn route_mesh_active(&self, matches: &[RouteMatch]) -> bool {
        if matches.is_empty() {
            return true;
        }
        matches.iter().any(|m| {
            if m.gateways.is_empty() {
                self.is_mesh_bound()
            } else {
                m.gateways.iter().any(|g| g == "mesh")
            }
        })
    }
}

// ------------------------------------------------------------------------------------------
// DestinationRule

#[derive(Clone, Debug)]
pub struct DrFeature {
    /// e.g. `loadBalancer.consistentHash`, `connectionPool`, `outlierDetection`.
    pub name: String,
    /// `trafficPolicy`, `subset v2`, `port 8080`…
    pub scope: String,
    pub span: Span,
}

#[derive(Clone, Debug, Default)]
pub struct Subset {
    pub name: String,
    pub labels: Labels,
    pub span: Span,
}

#[derive(Clone, Debug, Default)]
pub struct DestinationRule {
    pub host: Option<Spanned<String>>,
    pub export_to: Option<Vec<String>>,
    pub workload_selector: Option<WorkloadSelector>,
    /// Settings that only an Envoy applies (W005).
    pub features: Vec<DrFeature>,
    /// Every `tls.mode` set, with its scope.
    pub tls_modes: Vec<(String, String, Span)>,
    /// `loadBalancer.localityLbSetting` spans.
    pub locality: Vec<Span>,
    pub subsets: Vec<Subset>,
    pub subsets_span: Option<Span>,
    pub traffic_policy_span: Option<Span>,
}

impl DestinationRule {
    fn traffic_policy(&mut self, ex: &mut Extractor, tp: &Node, scope: &str, with_ports: bool) {
        let Some(tp) = ex.as_map(tp, "trafficPolicy") else {
            return;
        };
        if let Some(lb) = tp.get("loadBalancer").filter(|n| n.is_map()) {
            if let Some(e) = lb.entry("simple") {
                let v = e.value.as_str().unwrap_or("");
                if !matches!(v, "" | "LEAST_REQUEST" | "UNSPECIFIED") {
                    self.features.push(DrFeature {
                        name: format!("loadBalancer.simple: {v}"),
                        scope: scope.to_string(),
                        span: e.key.span.cover(e.value.span),
                    });
                }
            }
            if let Some(e) = lb.entry("consistentHash") {
                self.features.push(DrFeature {
                    name: "loadBalancer.consistentHash".to_string(),
                    scope: scope.to_string(),
                    span: e.key.span,
                });
            }
            for key in ["warmup", "warmupDurationSecs"] {
                if let Some(e) = lb.entry(key) {
                    self.features.push(DrFeature {
                        name: "loadBalancer.warmup".to_string(),
                        scope: scope.to_string(),
                        span: e.key.span,
                    });
                }
            }
            if let Some(e) = lb.entry("localityLbSetting") {
                self.locality.push(e.key.span);
            }
        }
        for (key, name) in [
            ("connectionPool", "connectionPool"),
            ("outlierDetection", "outlierDetection"),
            ("proxyProtocol", "proxyProtocol"),
            ("tunnel", "tunnel"),
            ("retryBudget", "retryBudget"),
        ] {
            if let Some(e) = tp.entry(key) {
                if !e.value.is_null() {
                    self.features.push(DrFeature {
                        name: name.to_string(),
                        scope: scope.to_string(),
                        span: e.key.span,
                    });
                }
            }
        }
        if let Some(tls) = tp.get("tls").filter(|n| n.is_map()) {
            if let Some(e) = tls.entry("mode") {
                let mode = e.value.as_str().unwrap_or("").to_string();
                let span = e.key.span.cover(e.value.span);
                if matches!(mode.as_str(), "SIMPLE" | "MUTUAL") {
                    self.features.push(DrFeature {
                        name: format!("tls.mode: {mode}"),
                        scope: scope.to_string(),
                        span,
                    });
                }
                self.tls_modes.push((mode, scope.to_string(), span));
            }
        }
        if with_ports {
            if let Some(items) = ex.seq(tp, "portLevelSettings", "portLevelSettings") {
                for it in items {
                    let port = it
                        .path(&["port", "number"])
                        .and_then(|n| n.as_str())
                        .unwrap_or("?")
                        .to_string();
                    self.traffic_policy(ex, it, &format!("{scope} port {port}"), false);
                }
            }
        }
    }

    pub fn extract(ex: &mut Extractor, spec: &Node) -> DestinationRule {
        let mut dr = DestinationRule {
            host: ex.spanned_string(spec, "host", "spec.host"),
            export_to: ex
                .strings(spec, "exportTo", "spec.exportTo")
                .map(|s| s.value),
            workload_selector: workload_selector(ex, spec, "workloadSelector", "matchLabels"),
            ..Default::default()
        };
        if let Some(e) = spec.entry("trafficPolicy") {
            dr.traffic_policy_span = Some(e.key.span);
            dr.traffic_policy(ex, &e.value, "trafficPolicy", true);
        }
        if let Some(e) = spec.entry("subsets") {
            dr.subsets_span = Some(e.key.span);
            if let Some(items) = ex.as_seq(&e.value, "spec.subsets") {
                for s in items {
                    let Some(s) = ex.as_map(s, "subset") else {
                        continue;
                    };
                    let name = ex.string(s, "name", "subset name").unwrap_or_default();
                    let labels = s
                        .get("labels")
                        .map(|l| Labels::from_node(ex, l, "subset labels"))
                        .unwrap_or_default();
                    if let Some(tp) = s.get("trafficPolicy") {
                        dr.traffic_policy(ex, tp, &format!("subset {name}"), true);
                    }
                    dr.subsets.push(Subset {
                        name,
                        labels,
                        span: s.span,
                    });
                }
            }
        }
        dr
    }
}

// ------------------------------------------------------------------------------------------
// Gateway (networking.istio.io), ServiceEntry, Sidecar, EnvoyFilter, WorkloadEntry

#[derive(Clone, Debug, Default)]
pub struct IstioServer {
    pub port: Option<i64>,
    pub protocol: Option<String>,
    pub tls_mode: Option<String>,
    pub hosts: Vec<String>,
    pub span: Span,
}

#[derive(Clone, Debug, Default)]
pub struct IstioGateway {
    pub selector: Labels,
    pub servers: Vec<IstioServer>,
}

impl IstioGateway {
    pub fn extract(ex: &mut Extractor, spec: &Node) -> IstioGateway {
        let mut g = IstioGateway::default();
        if let Some(s) = spec.get("selector") {
            g.selector = Labels::from_node(ex, s, "spec.selector");
        }
        if let Some(items) = ex.seq(spec, "servers", "spec.servers") {
            for s in items {
                let Some(s) = ex.as_map(s, "server") else {
                    continue;
                };
                let port = s.get("port").filter(|p| p.is_map());
                g.servers.push(IstioServer {
                    port: port.and_then(|p| ex.int(p, "number", "server port number")),
                    protocol: port.and_then(|p| ex.string(p, "protocol", "server port protocol")),
                    tls_mode: s
                        .get("tls")
                        .filter(|t| t.is_map())
                        .and_then(|t| ex.string(t, "mode", "tls mode")),
                    hosts: ex
                        .strings(s, "hosts", "server hosts")
                        .map(|s| s.value)
                        .unwrap_or_default(),
                    span: s.span,
                });
            }
        }
        g
    }
}

#[derive(Clone, Debug, Default)]
pub struct ServiceEntry {
    pub hosts: Vec<Spanned<String>>,
    pub hosts_span: Option<Span>,
    pub location: Option<String>,
    pub resolution: Option<String>,
    pub export_to: Option<Vec<String>>,
    pub workload_selector: Option<WorkloadSelector>,
}

impl ServiceEntry {
    pub fn extract(ex: &mut Extractor, spec: &Node) -> ServiceEntry {
        let mut se = ServiceEntry::default();
        if let Some(e) = spec.entry("hosts") {
            se.hosts_span = Some(e.key.span);
            if let Some(items) = ex.as_seq(&e.value, "spec.hosts") {
                for h in items {
                    if let Some(s) = ex.as_string(h, "host") {
                        se.hosts.push(Spanned::new(s, h.span));
                    }
                }
            }
        }
        se.location = ex.string(spec, "location", "spec.location");
        se.resolution = ex.string(spec, "resolution", "spec.resolution");
        se.export_to = ex
            .strings(spec, "exportTo", "spec.exportTo")
            .map(|s| s.value);
        se.workload_selector = workload_selector(ex, spec, "workloadSelector", "labels");
        se
    }
}

#[derive(Clone, Debug, Default)]
pub struct SidecarRes {
    pub workload_selector: Option<WorkloadSelector>,
    pub egress_hosts: Vec<String>,
    pub egress_span: Option<Span>,
    pub outbound_mode: Option<Spanned<String>>,
    pub egress_proxy: Option<Span>,
    pub ingress: Option<Span>,
    pub inbound_connection_pool: Option<Span>,
}

impl SidecarRes {
    pub fn extract(ex: &mut Extractor, spec: &Node) -> SidecarRes {
        let mut s = SidecarRes {
            workload_selector: workload_selector(ex, spec, "workloadSelector", "labels"),
            ..Default::default()
        };
        if let Some(e) = spec.entry("egress") {
            s.egress_span = Some(e.key.span);
            if let Some(items) = ex.as_seq(&e.value, "spec.egress") {
                for it in items {
                    if let Some(h) = it.get("hosts") {
                        s.egress_hosts
                            .extend(ex.as_strings(h, "egress hosts").unwrap_or_default());
                    }
                }
            }
        }
        if let Some(otp) = spec.entry("outboundTrafficPolicy") {
            if let Some(m) = otp.value.entry("mode") {
                if let Some(v) = m.value.as_str() {
                    s.outbound_mode = Some(Spanned::new(
                        v.to_string(),
                        otp.key.span.cover(m.value.span),
                    ));
                }
            }
            if let Some(ep) = otp.value.entry("egressProxy") {
                s.egress_proxy = Some(ep.key.span);
            }
        }
        s.ingress = spec
            .entry("ingress")
            .filter(|e| !e.value.is_null())
            .map(|e| e.key.span);
        s.inbound_connection_pool = spec
            .entry("inboundConnectionPool")
            .filter(|e| !e.value.is_null())
            .map(|e| e.key.span);
        s
    }
}

#[derive(Clone, Debug, Default)]
pub struct EnvoyFilter {
    pub workload_selector: Option<WorkloadSelector>,
    pub target_refs: Vec<TargetRef>,
    /// `match.context` of every patch (`ANY` when absent).
    pub contexts: Vec<String>,
    pub patches_span: Option<Span>,
}

impl EnvoyFilter {
    /// Whether it patches sidecars: a patch with context SIDECAR_INBOUND, SIDECAR_OUTBOUND or
    /// ANY (or no patch context at all).
    pub fn patches_sidecars(&self) -> bool {
        self.contexts.is_empty()
            || self
                .contexts
                .iter()
                .any(|c| matches!(c.as_str(), "SIDECAR_INBOUND" | "SIDECAR_OUTBOUND" | "ANY"))
    }

    pub fn extract(ex: &mut Extractor, spec: &Node) -> EnvoyFilter {
        let mut f = EnvoyFilter {
            workload_selector: workload_selector(ex, spec, "workloadSelector", "labels"),
            ..Default::default()
        };
        f.target_refs = target_refs(ex, spec).0;
        if let Some(e) = spec.entry("configPatches") {
            f.patches_span = Some(e.key.span);
            if let Some(items) = ex.as_seq(&e.value, "spec.configPatches") {
                for p in items {
                    let ctx = p
                        .path(&["match", "context"])
                        .and_then(|n| n.as_str())
                        .unwrap_or("ANY")
                        .to_string();
                    f.contexts.push(ctx);
                }
            }
        }
        f
    }
}

#[derive(Clone, Debug, Default)]
pub struct WorkloadEntry {
    pub labels: Labels,
    pub address: Option<String>,
    pub network: Option<String>,
}

impl WorkloadEntry {
    pub fn extract(ex: &mut Extractor, spec: &Node) -> WorkloadEntry {
        WorkloadEntry {
            labels: spec
                .get("labels")
                .map(|l| Labels::from_node(ex, l, "spec.labels"))
                .unwrap_or_default(),
            address: ex.string(spec, "address", "spec.address"),
            network: ex.string(spec, "network", "spec.network"),
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct ProxyConfigRes {
    pub selector: Option<WorkloadSelector>,
}

impl ProxyConfigRes {
    pub fn extract(ex: &mut Extractor, spec: &Node) -> ProxyConfigRes {
        ProxyConfigRes {
            selector: workload_selector(ex, spec, "selector", "matchLabels"),
        }
    }
}

// ------------------------------------------------------------------------------------------
// security.istio.io

#[derive(Clone, Debug, Default)]
pub struct PeerAuthentication {
    pub selector: Option<WorkloadSelector>,
    pub mode: Option<Spanned<String>>,
    /// (port, mode, span)
    pub port_level: Vec<(String, String, Span)>,
}

impl PeerAuthentication {
    /// Where it disables mTLS: `mtls.mode: DISABLE`, else the first port-level DISABLE.
    pub fn disable_span(&self) -> Option<Span> {
        self.mode
            .as_ref()
            .filter(|m| m.value == "DISABLE")
            .map(|m| m.span)
            .or_else(|| {
                self.port_level
                    .iter()
                    .find(|(_, m, _)| m == "DISABLE")
                    .map(|(_, _, s)| *s)
            })
    }

    pub fn extract(ex: &mut Extractor, spec: &Node) -> PeerAuthentication {
        let mut pa = PeerAuthentication {
            selector: workload_selector(ex, spec, "selector", "matchLabels"),
            ..Default::default()
        };
        if let Some(m) = spec.get("mtls").filter(|n| n.is_map()) {
            if let Some(e) = m.entry("mode") {
                if let Some(v) = e.value.as_str() {
                    pa.mode = Some(Spanned::new(v.to_string(), e.key.span.cover(e.value.span)));
                }
            }
        }
        if let Some(pl) = spec.get("portLevelMtls") {
            if let Some(entries) = ex.as_map(pl, "spec.portLevelMtls").and_then(|n| n.as_map()) {
                for e in entries {
                    let port = e.key.as_str().unwrap_or("").to_string();
                    let mode = e
                        .value
                        .get("mode")
                        .and_then(|n| n.as_str())
                        .unwrap_or("")
                        .to_string();
                    pa.port_level
                        .push((port, mode, e.key.span.cover(e.value.span)));
                }
            }
        }
        pa
    }
}

#[derive(Clone, Debug, Default)]
pub struct RequestAuthentication {
    pub selector: Option<WorkloadSelector>,
    pub target_refs: Vec<TargetRef>,
    pub target_refs_span: Option<Span>,
    pub jwt_rules: crate::model::Object,
    pub jwt_span: Option<Span>,
    pub forward_original_token: bool,
    pub spec_json: crate::model::Object,
}

impl RequestAuthentication {
    pub fn extract(ex: &mut Extractor, spec: &Node) -> RequestAuthentication {
        let (target_refs, target_refs_span) = target_refs(ex, spec);
        let mut ra = RequestAuthentication {
            selector: workload_selector(ex, spec, "selector", "matchLabels"),
            target_refs,
            target_refs_span,
            jwt_rules: Default::default(),
            spec_json: crate::model::Object::new(&spec.to_json()),
            ..Default::default()
        };
        if let Some(e) = spec.entry("jwtRules") {
            ra.jwt_span = Some(e.key.span);
            ra.jwt_rules = crate::model::Object::new(&e.value.to_json());
            if let Some(items) = ex.as_seq(&e.value, "spec.jwtRules") {
                ra.forward_original_token = items
                    .iter()
                    .any(|r| r.get("forwardOriginalToken").and_then(|n| n.as_bool()) == Some(true));
            }
        }
        ra
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthzAction {
    Allow,
    Deny,
    Audit,
    Custom,
}

impl AuthzAction {
    pub fn as_str(&self) -> &'static str {
        match self {
            AuthzAction::Allow => "ALLOW",
            AuthzAction::Deny => "DENY",
            AuthzAction::Audit => "AUDIT",
            AuthzAction::Custom => "CUSTOM",
        }
    }
}

/// One attribute of a `source`/`operation` (e.g. `methods: [GET]`).
#[derive(Clone, Debug)]
pub struct AttrField {
    pub name: String,
    pub values: Vec<String>,
    pub span: Span,
}

/// A `from[].source` or `to[].operation`.
#[derive(Clone, Debug, Default)]
pub struct AttrSet {
    pub fields: Vec<AttrField>,
    pub span: Span,
}

impl AttrSet {
    pub fn field(&self, name: &str) -> Option<&AttrField> {
        self.fields.iter().find(|f| f.name == name)
    }
}

#[derive(Clone, Debug)]
pub struct Condition {
    pub key: String,
    pub values: Vec<String>,
    pub not_values: Vec<String>,
    pub span: Span,
}

#[derive(Clone, Debug, Default)]
pub struct AuthzRule {
    pub from: Vec<AttrSet>,
    pub to: Vec<AttrSet>,
    pub when: Vec<Condition>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct AuthorizationPolicy {
    pub selector: Option<WorkloadSelector>,
    pub target_refs: Vec<TargetRef>,
    pub target_refs_span: Option<Span>,
    pub action: AuthzAction,
    pub action_span: Option<Span>,
    pub provider: Option<String>,
    pub rules: Vec<AuthzRule>,
    pub rules_span: Option<Span>,
    /// `spec.rules` as written (for copies), `Null` when absent.
    pub rules_json: crate::model::Object,
    /// Span of `spec` (or of the object when there is no spec).
    pub spec_span: Span,
    pub has_spec: bool,
}

fn attr_sets(ex: &mut Extractor, items: &[Node], inner: &str) -> Vec<AttrSet> {
    let mut out = Vec::new();
    for it in items {
        let Some(it) = ex.as_map(it, "rule entry") else {
            continue;
        };
        let Some(body) = it.get(inner) else {
            out.push(AttrSet {
                fields: Vec::new(),
                span: it.span,
            });
            continue;
        };
        let Some(body) = ex.as_map(body, inner) else {
            out.push(AttrSet {
                fields: Vec::new(),
                span: it.span,
            });
            continue;
        };
        let mut set = AttrSet {
            fields: Vec::new(),
            span: body.span,
        };
        for e in body.as_map().unwrap_or(&[]) {
            let Some(name) = e.key.as_str() else { continue };
            let values = ex
                .as_strings(&e.value, &format!("{inner}.{name}"))
                .unwrap_or_default();
            set.fields.push(AttrField {
                name: name.to_string(),
                values,
                span: e.key.span.cover(e.value.span),
            });
        }
        out.push(set);
    }
    out
}

impl AuthorizationPolicy {
    pub fn extract(
        ex: &mut Extractor,
        spec_raw: Option<&Node>,
        spec: &Node,
    ) -> AuthorizationPolicy {
        let (target_refs, target_refs_span) = target_refs(ex, spec);
        let action_entry = spec.entry("action");
        let action = match action_entry.and_then(|e| e.value.as_str()) {
            None | Some("ALLOW") => AuthzAction::Allow,
            Some("DENY") => AuthzAction::Deny,
            Some("AUDIT") => AuthzAction::Audit,
            Some("CUSTOM") => AuthzAction::Custom,
            Some(other) => {
                if let Some(e) = action_entry {
                    ex.problem(e.value.span, format!("unknown AuthorizationPolicy action \"{other}\" (ALLOW, DENY, AUDIT or CUSTOM)"));
                }
                AuthzAction::Allow
            }
        };
        let mut ap = AuthorizationPolicy {
            selector: workload_selector(ex, spec, "selector", "matchLabels"),
            target_refs,
            target_refs_span,
            action,
            action_span: action_entry.map(|e| e.key.span.cover(e.value.span)),
            provider: spec
                .path(&["provider", "name"])
                .and_then(|n| n.as_str())
                .map(str::to_string),
            rules: Vec::new(),
            rules_span: None,
            rules_json: Default::default(),
            spec_span: spec_raw.map(|s| s.span).unwrap_or(spec.span),
            has_spec: spec_raw.is_some_and(|s| s.is_map()),
        };
        if let Some(e) = spec.entry("rules") {
            ap.rules_span = Some(e.key.span);
            ap.rules_json = crate::model::Object::new(&e.value.to_json());
            if let Some(items) = ex.as_seq(&e.value, "spec.rules") {
                for r in items {
                    let Some(r) = ex.as_map(r, "rule") else {
                        continue;
                    };
                    let from = ex
                        .seq(r, "from", "rule.from")
                        .map(|s| attr_sets(ex, s, "source"))
                        .unwrap_or_default();
                    let to = ex
                        .seq(r, "to", "rule.to")
                        .map(|s| attr_sets(ex, s, "operation"))
                        .unwrap_or_default();
                    let mut when = Vec::new();
                    if let Some(items) = ex.seq(r, "when", "rule.when") {
                        for c in items {
                            let Some(c) = ex.as_map(c, "condition") else {
                                continue;
                            };
                            when.push(Condition {
                                key: ex.string(c, "key", "condition key").unwrap_or_default(),
                                values: ex
                                    .strings(c, "values", "condition values")
                                    .map(|s| s.value)
                                    .unwrap_or_default(),
                                not_values: ex
                                    .strings(c, "notValues", "condition notValues")
                                    .map(|s| s.value)
                                    .unwrap_or_default(),
                                span: c.span,
                            });
                        }
                    }
                    ap.rules.push(AuthzRule {
                        from,
                        to,
                        when,
                        span: r.span,
                    });
                }
            }
        }
        ap
    }
}

// ------------------------------------------------------------------------------------------
// Telemetry, WasmPlugin

#[derive(Clone, Debug, Default)]
pub struct Telemetry {
    pub selector: Option<WorkloadSelector>,
    pub target_refs: Vec<TargetRef>,
    pub access_logging: Option<Span>,
    pub tracing: Option<Span>,
    pub metrics: Option<Span>,
    /// Any `match.mode: CLIENT` (no waypoint equivalent).
    pub client_mode: bool,
    pub spec_json: crate::model::Object,
}

impl Telemetry {
    pub fn extract(ex: &mut Extractor, spec: &Node) -> Telemetry {
        let (target_refs, _) = target_refs(ex, spec);
        let key = |k: &str| {
            spec.entry(k)
                .filter(|e| !e.value.is_null())
                .map(|e| e.key.span)
        };
        Telemetry {
            selector: workload_selector(ex, spec, "selector", "matchLabels"),
            target_refs,
            access_logging: key("accessLogging"),
            tracing: key("tracing"),
            metrics: key("metrics"),
            client_mode: super::mentions_key_value(spec, "mode", "CLIENT"),
            spec_json: crate::model::Object::new(&spec.to_json()),
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct WasmPlugin {
    pub selector: Option<WorkloadSelector>,
    pub target_refs: Vec<TargetRef>,
    pub url: Option<String>,
    pub client_mode: bool,
    pub spec_json: crate::model::Object,
}

impl WasmPlugin {
    pub fn extract(ex: &mut Extractor, spec: &Node) -> WasmPlugin {
        let (target_refs, _) = target_refs(ex, spec);
        WasmPlugin {
            selector: workload_selector(ex, spec, "selector", "matchLabels"),
            target_refs,
            url: ex.string(spec, "url", "spec.url"),
            client_mode: super::mentions_key_value(spec, "mode", "CLIENT"),
            spec_json: crate::model::Object::new(&spec.to_json()),
        }
    }
}
