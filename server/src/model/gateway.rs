//! Gateway API kinds (gateway.networking.k8s.io).

use super::{Extractor, LabelSelector, TargetRef};
use crate::yaml::{Node, Span};

#[derive(Clone, Debug, Default)]
pub struct Listener {
    pub name: String,
    pub port: Option<i64>,
    pub protocol: Option<String>,
    /// `allowedRoutes.namespaces.from` (`Same` when absent).
    pub allowed_from: Option<String>,
    pub allowed_selector: Option<LabelSelector>,
    pub span: Span,
}

#[derive(Clone, Debug, Default)]
pub struct Gateway {
    pub class: String,
    pub class_span: Option<Span>,
    pub listeners: Vec<Listener>,
    pub listeners_span: Option<Span>,
    /// `status.addresses` count; `None` when the object has no status (hand-written file).
    pub status_addresses: Option<usize>,
}

impl Gateway {
    pub fn extract(ex: &mut Extractor, node: &Node, spec: &Node) -> Gateway {
        let mut g = Gateway::default();
        if let Some(e) = spec.entry("gatewayClassName") {
            g.class = ex
                .as_string(&e.value, "spec.gatewayClassName")
                .unwrap_or_default();
            g.class_span = Some(e.key.span.cover(e.value.span));
        }
        if let Some(e) = spec.entry("listeners") {
            g.listeners_span = Some(e.key.span);
            if let Some(items) = ex.as_seq(&e.value, "spec.listeners") {
                for l in items {
                    let Some(l) = ex.as_map(l, "listener") else {
                        continue;
                    };
                    let ns = l
                        .path(&["allowedRoutes", "namespaces"])
                        .filter(|n| n.is_map());
                    g.listeners.push(Listener {
                        name: ex.string(l, "name", "listener name").unwrap_or_default(),
                        port: ex.int(l, "port", "listener port"),
                        protocol: ex.string(l, "protocol", "listener protocol"),
                        allowed_from: ns
                            .and_then(|n| ex.string(n, "from", "allowedRoutes.namespaces.from")),
                        allowed_selector: ns.and_then(|n| n.get("selector")).and_then(|s| {
                            LabelSelector::from_node(ex, s, "allowedRoutes.namespaces.selector")
                        }),
                        span: l.span,
                    });
                }
            }
        }
        if let Some(st) = node.get("status").filter(|s| s.is_map()) {
            g.status_addresses = Some(
                st.get("addresses")
                    .and_then(|a| a.as_seq())
                    .map(|a| a.len())
                    .unwrap_or(0),
            );
        }
        g
    }

    pub fn is_waypoint(&self) -> bool {
        self.class == "istio-waypoint"
    }

    /// The listener istiod uses for waypoint attachment: HBONE on 15008.
    pub fn hbone_listener(&self) -> Option<&Listener> {
        self.listeners
            .iter()
            .find(|l| l.port == Some(15008) && l.protocol.as_deref() == Some("HBONE"))
    }
}

#[derive(Clone, Debug, Default)]
pub struct GatewayClass {
    pub controller: Option<String>,
}

impl GatewayClass {
    pub fn extract(ex: &mut Extractor, spec: &Node) -> GatewayClass {
        GatewayClass {
            controller: ex.string(spec, "controllerName", "spec.controllerName"),
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct ParentRef {
    pub r: TargetRef,
    pub port: Option<i64>,
}

/// HTTPRoute, GRPCRoute, TCPRoute, TLSRoute.
#[derive(Clone, Debug, Default)]
pub struct Route {
    pub parent_refs: Vec<ParentRef>,
    pub parent_refs_span: Option<Span>,
    pub backend_refs: Vec<TargetRef>,
}

impl Route {
    pub fn extract(ex: &mut Extractor, spec: &Node) -> Route {
        let mut r = Route::default();
        if let Some(e) = spec.entry("parentRefs") {
            r.parent_refs_span = Some(e.key.span);
            if let Some(items) = ex.as_seq(&e.value, "spec.parentRefs") {
                for p in items {
                    let Some(mut t) = TargetRef::from_node(ex, p, "parentRefs item") else {
                        continue;
                    };
                    // Gateway API defaults: group gateway.networking.k8s.io, kind Gateway
                    if p.get("group").is_none() {
                        t.group = "gateway.networking.k8s.io".to_string();
                    }
                    if t.kind.is_empty() {
                        t.kind = "Gateway".to_string();
                    }
                    let port = p.get("port").and_then(|n| ex.as_int(n, "parentRef port"));
                    r.parent_refs.push(ParentRef { r: t, port });
                }
            }
        }
        if let Some(rules) = spec.get("rules").and_then(|n| n.as_seq()) {
            for rule in rules {
                if let Some(brs) = rule.get("backendRefs").and_then(|n| n.as_seq()) {
                    for b in brs {
                        if let Some(mut t) = TargetRef::from_node(ex, b, "backendRefs item") {
                            if t.kind.is_empty() {
                                t.kind = "Service".to_string();
                            }
                            r.backend_refs.push(t);
                        }
                    }
                }
            }
        }
        r
    }
}
