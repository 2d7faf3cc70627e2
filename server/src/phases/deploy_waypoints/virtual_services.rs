//! What a VirtualService does for a service (shared by the VirtualService rules): whether its
//! mesh routes for the service do something only a waypoint can do, and which services its
//! hosts name.

use std::sync::Arc;

use crate::analysis::mesh::{host_matches, normalize_host, service_fqdn};
use crate::analysis::NsCtx;
use crate::model::refs::{host_ref, RefKey};
use crate::model::{L4Route, Resource, Spanned, VirtualService};
use crate::yaml::Span;

/// The hosts of `vs` (in namespace `vs_ns`) that cover the service `fqdn`.
pub fn hosts_for<'v>(
    vs: &'v VirtualService,
    vs_ns: &str,
    fqdn: &str,
    domain: &str,
) -> Vec<&'v Spanned<String>> {
    vs.hosts
        .iter()
        .filter(|h| host_matches(&normalize_host(&h.value, vs_ns, domain), fqdn))
        .collect()
}

/// HTTP features of the mesh-active routes of a VS for a service, or `None` when the VS is a
/// provable no-op for it (a single plain route to the service itself).
pub fn http_features(
    vs: &VirtualService,
    vs_ns: &str,
    fqdn: &str,
    ports: &[i64],
    domain: &str,
) -> Option<Vec<&'static str>> {
    let active: Vec<_> = vs
        .http
        .iter()
        .filter(|r| vs.route_mesh_active(&r.matches))
        .collect();
    if active.is_empty() {
        return None;
    }
    let mut feats: Vec<&'static str> = Vec::new();
    for r in &active {
        for f in &r.features {
            if !feats.contains(f) {
                feats.push(f);
            }
        }
    }
    let noop = active.len() == 1 && feats.is_empty() && active[0].destinations.len() == 1 && {
        let d = &active[0].destinations[0];
        host_matches(&normalize_host(&d.host, vs_ns, domain), fqdn)
            && d.subset.is_none()
            && d.port.is_none_or(|p| ports.contains(&p))
    };
    if noop {
        return None;
    }
    if feats.is_empty() {
        // a single route elsewhere (another host or port)
        feats.push("route");
    }
    Some(feats)
}

/// Whether the mesh-active TCP or TLS `routes` of a VS do more for a service than send its
/// traffic to itself.
pub fn l4_route_needed(
    routes: &[L4Route],
    vs: &VirtualService,
    vs_ns: &str,
    fqdn: &str,
    ports: &[i64],
    domain: &str,
) -> bool {
    let active: Vec<_> = routes
        .iter()
        .filter(|r| vs.route_mesh_active(&r.matches))
        .collect();
    if active.is_empty() {
        return false;
    }
    active.len() > 1
        || active.iter().any(|r| {
            r.destinations.len() > 1
                || r.destinations.iter().any(|d| {
                    d.subset.is_some()
                        || d.weight.is_some_and(|w| w != 100)
                        || !host_matches(&normalize_host(&d.host, vs_ns, domain), fqdn)
                        || d.port.is_some_and(|p| !ports.contains(&p))
                })
        })
}

/// Whether any mesh route of the VS (HTTP, TCP or TLS) matters for the service `svc`.
pub fn effective_for(vsr: &Resource, vs: &VirtualService, svc: &Resource, domain: &str) -> bool {
    let crate::model::Body::Service(s) = &svc.body else {
        return false;
    };
    let fqdn = service_fqdn(&svc.name, &svc.namespace, domain);
    let ports: Vec<i64> = s.ports.iter().map(|p| p.port).collect();
    http_features(vs, &vsr.namespace, &fqdn, &ports, domain).is_some()
        || l4_route_needed(&vs.tcp, vs, &vsr.namespace, &fqdn, &ports, domain)
        || l4_route_needed(&vs.tls, vs, &vsr.namespace, &fqdn, &ports, domain)
}

/// Services that a VS host of this namespace names (this namespace or another), each with the
/// first host naming it.
pub fn target_services(
    ctx: &NsCtx,
    res: &Resource,
    vs: &VirtualService,
) -> Vec<(Arc<Resource>, Span)> {
    let domain = &ctx.facts.dns_domain;
    let mut out: Vec<(Arc<Resource>, Span)> = Vec::new();
    for h in &vs.hosts {
        let pat = normalize_host(&h.value, &res.namespace, domain);
        for svc in services_for_host(ctx, &pat) {
            if !out.iter().any(|(s, _)| Arc::ptr_eq(s, &svc)) {
                out.push((svc, h.span));
            }
        }
    }
    out
}

/// The Services a (normalized) host pattern covers, in the namespace it names.
pub fn services_for_host(ctx: &NsCtx, pattern: &str) -> Vec<Arc<Resource>> {
    let domain = &ctx.facts.dns_domain;
    let Some(RefKey::Ns(ns)) = host_ref(pattern, ctx.ns()) else {
        return Vec::new();
    };
    let list: Vec<Arc<Resource>> = if ns == ctx.ns() {
        ctx.view
            .resources
            .iter()
            .filter(|r| r.kind == "Service" && r.group.is_empty())
            .cloned()
            .collect()
    } else {
        ctx.index
            .ns(&ns)
            .filter(|r| r.kind == "Service" && r.group.is_empty())
            .cloned()
            .collect()
    };
    list.into_iter()
        .filter(|s| host_matches(pattern, &service_fqdn(&s.name, &s.namespace, domain)))
        .collect()
}
