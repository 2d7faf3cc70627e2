//! P015: an ingress gateway routes to a service that gets a waypoint; ingress gateways send
//! straight to the pods unless `istio.io/ingress-use-waypoint=true` (catalog E17), so the
//! waypoint's policies would not apply to that traffic.

use std::sync::Arc;

use super::waypointed::WaypointedService;
use crate::analysis::mesh::normalize_host;
use crate::analysis::NsCtx;
use crate::finding::Finding;
use crate::fixes::label_action;
use crate::model::{Body, Resource};
use crate::rules;
use crate::yaml::Span;

pub fn namespace(ctx: &mut NsCtx, wps: &[WaypointedService]) {
    if wps.is_empty() {
        return;
    }
    let ns = ctx.ns().to_string();
    let ns_opt_in = ctx.view.mode.label("istio.io/ingress-use-waypoint") == Some("true");
    let vss = ctx.visible("VirtualService", &[]);
    let mut routes = ctx.visible("HTTPRoute", &[]);
    routes.extend(ctx.visible("GRPCRoute", &[]));
    for wp in wps {
        let svc = ctx.view.services[wp.index].res.clone();
        if ns_opt_in || svc.labels.get("istio.io/ingress-use-waypoint") == Some("true") {
            continue;
        }
        let mut via = ingress_virtual_services(ctx, &vss, wp);
        via.extend(ingress_routes(ctx, &routes, &svc));
        let Some((first, span)) = via.first().cloned() else {
            continue;
        };
        let names: Vec<String> = via.iter().map(|(r, _)| r.quoted()).collect();
        let mut f = Finding::new(
            &rules::P015,
            format!(
                "Ingress traffic to \"{}\" ({}) goes straight to the pods and skips waypoint \"{}\" unless the Service or Namespace has istio.io/ingress-use-waypoint=true: the waypoint copies of policies will not apply to it, and once the original policies are removed, \"{}-from-waypoint\" will block the gateway.",
                svc.ns_name(),
                names.join(", "),
                format_args!("{}/{}", wp.waypoint.ns, wp.waypoint.name),
                svc.name
            ),
        )
        .on_node(&first, span)
        .ns(ns.clone())
        .related(&svc, svc.name_span, "the service behind the ingress route")
        .action(label_action(
            "Service",
            &ns,
            &svc.name,
            &[("istio.io/ingress-use-waypoint", "true".to_string())],
            format!(
                "kubectl label service -n {ns} {} istio.io/ingress-use-waypoint=true",
                svc.name
            ),
        ));
        for (r, s) in via.iter().skip(1) {
            f = f.related(r, *s, "another ingress route to the service");
        }
        ctx.emit(f);
    }
}

/// Gateway-bound VirtualServices with a destination that is the service.
fn ingress_virtual_services(
    ctx: &NsCtx,
    vss: &[Arc<Resource>],
    wp: &WaypointedService,
) -> Vec<(Arc<Resource>, Span)> {
    let domain = &ctx.facts.dns_domain;
    let fqdn = &ctx.view.services[wp.index].fqdn;
    let mut via = Vec::new();
    for vsr in vss {
        let Body::VirtualService(vs) = &vsr.body else {
            continue;
        };
        let Some(g) = &vs.gateways else { continue };
        if !g.value.iter().any(|x| x != "mesh") {
            continue;
        }
        let mut dests = vs
            .http
            .iter()
            .flat_map(|r| r.destinations.iter())
            .chain(vs.tcp.iter().flat_map(|r| r.destinations.iter()))
            .chain(vs.tls.iter().flat_map(|r| r.destinations.iter()));
        if let Some(d) = dests.find(|d| normalize_host(&d.host, &vsr.namespace, domain) == *fqdn) {
            via.push((vsr.clone(), d.span));
        }
    }
    via
}

/// HTTP/gRPC routes of an ingress Gateway (not a waypoint) with a backend that is the service.
fn ingress_routes(
    ctx: &NsCtx,
    routes: &[Arc<Resource>],
    svc: &Resource,
) -> Vec<(Arc<Resource>, Span)> {
    let mut via = Vec::new();
    for rr in routes {
        let Body::Route(route) = &rr.body else {
            continue;
        };
        let ingress_parent = route.parent_refs.iter().any(|p| {
            p.r.kind == "Gateway" && p.r.group == "gateway.networking.k8s.io" && {
                let pns = p.r.namespace.as_deref().unwrap_or(&rr.namespace);
                // a parent Gateway that is a waypoint is not an ingress
                !ctx.index
                    .find("gateway.networking.k8s.io", "Gateway", pns, &p.r.name)
                    .is_some_and(|g| matches!(&g.body, Body::Gateway(gw) if gw.is_waypoint()))
            }
        });
        if !ingress_parent {
            continue;
        }
        if let Some(b) = route.backend_refs.iter().find(|b| {
            (b.kind.is_empty() || b.kind == "Service")
                && b.name == svc.name
                && b.namespace.as_deref().unwrap_or(&rr.namespace) == ctx.ns()
        }) {
            via.push((rr.clone(), b.span));
        }
    }
    via
}
