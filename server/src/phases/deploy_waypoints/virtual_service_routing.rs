//! W001 (HTTP routing) and W002 (TCP/TLS routing): a mesh VirtualService does something for a
//! service of this namespace that only a waypoint can do once clients are ambient. One pass
//! over the VirtualService × service pairs finds both.

use super::virtual_services::{hosts_for, http_features, l4_route_needed};
use crate::analysis::mesh::{host_matches, normalize_host};
use crate::analysis::{NsCtx, Target};
use crate::finding::Finding;
use crate::model::{Body, L4Route, Resource};
use crate::rules;

pub fn namespace(ctx: &mut NsCtx) {
    let domain = ctx.facts.dns_domain.clone();
    // W001 findings are held until every VirtualService is seen: several for one service (E26)
    let mut http: Vec<(usize, Finding, Target, String)> = Vec::new();
    for vsr in ctx.visible("VirtualService", &[]) {
        let Body::VirtualService(vs) = &vsr.body else {
            continue;
        };
        if !vs.is_mesh_bound() {
            continue;
        }
        for si in 0..ctx.view.services.len() {
            let sv = &ctx.view.services[si];
            if sv.infra {
                continue;
            }
            let fqdn = sv.fqdn.clone();
            let svc = sv.res.clone();
            let Some(host) = hosts_for(vs, &vsr.namespace, &fqdn, &domain)
                .first()
                .cloned()
            else {
                continue;
            };
            let ports: Vec<i64> = sv.svc().ports.iter().map(|p| p.port).collect();
            let t = Target::service(&svc.name);
            if let Some(feats) = http_features(vs, &vsr.namespace, &fqdn, &ports, &domain) {
                let msg = format!(
                    "Service \"{}\" depends on VirtualService \"{}\" ({}); ztunnel cannot apply HTTP routing, a waypoint is required to keep this behaviour.",
                    svc.ns_name(),
                    vsr.ns_name(),
                    feats.join(", ")
                );
                let f = Finding::new(&rules::W001, msg)
                    .on_node(&vsr, vs.http_span.unwrap_or(host.span))
                    .ns(ctx.ns())
                    .related(
                        &svc,
                        svc.name_span,
                        format!("Service {} needs a waypoint", svc.ns_name()),
                    )
                    .related(&vsr, host.span, "host matching the service");
                http.push((si, f, t.clone(), vsr.quoted()));
            }
            for (routes, span, is_tls) in
                [(&vs.tcp, vs.tcp_span, false), (&vs.tls, vs.tls_span, true)]
            {
                if !l4_route_needed(routes, vs, &vsr.namespace, &fqdn, &ports, &domain) {
                    continue;
                }
                let mut msg = format!(
                    "Service \"{}\" uses {} routing from VirtualService \"{}\"; ztunnel does not route by VirtualService, deploy a waypoint.",
                    svc.ns_name(),
                    if is_tls { "TLS" } else { "TCP" },
                    vsr.ns_name()
                );
                if is_tls {
                    msg.push_str(&sni_note(routes, &vsr, &fqdn, &domain));
                }
                let f = Finding::new(&rules::W002, msg)
                    .on_node(&vsr, span.unwrap_or(host.span))
                    .ns(ctx.ns())
                    .related(&svc, svc.name_span, "the service");
                ctx.emit_need(f, vec![t.clone()]);
                ctx.add_reason(t.clone(), &rules::W002, vsr.quoted());
            }
        }
    }
    // E26: a waypoint of Istio 1.26 applies only the first VirtualService with `http` routes
    // among those of the service's (or its own) namespace whose hosts match the service
    // (`buildWaypointInboundHTTPRouteConfig` → `getVirtualServiceForWaypoint`, then
    // `slices.FindFunc` for the first with Http; istiod orders configuration by
    // creationTimestamp, then name). Sidecars merged them; 1.30 waypoints merge them again.
    for (si, mut f, t, reason) in http.clone() {
        let svc_ns = ctx.view.services[si].res.namespace.to_string();
        let others: Vec<&String> = http
            .iter()
            .filter(|(sj, g, _, r)| {
                *sj == si
                    && *r != reason
                    && g.resource.as_ref().is_some_and(|x| x.namespace == svc_ns)
            })
            .map(|(_, _, _, r)| r)
            .collect();
        if !others.is_empty() && f.resource.as_ref().is_some_and(|x| x.namespace == svc_ns) {
            f.message.push_str(&format!(
                " {} also routes this service with HTTP rules: a waypoint (before Istio 1.30) applies only one VirtualService per service, the oldest (creationTimestamp, then name), and ignores the others; merge them into one before the service uses a waypoint.",
                others.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            ));
        }
        ctx.emit_need(f, vec![t.clone()]);
        ctx.add_reason(t, &rules::W001, reason);
    }
}

/// Waypoints support TLS routes only on a single sniHost equal to the service host.
fn sni_note(routes: &[L4Route], vsr: &Resource, fqdn: &str, domain: &str) -> String {
    let bad: Vec<String> = routes
        .iter()
        .flat_map(|r| r.matches.iter())
        .filter(|m| {
            !(m.sni_hosts.is_empty()
                || (m.sni_hosts.len() == 1
                    && host_matches(
                        &normalize_host(&m.sni_hosts[0], &vsr.namespace, domain),
                        fqdn,
                    )))
        })
        .flat_map(|m| m.sni_hosts.clone())
        .collect();
    if bad.is_empty() {
        return String::new();
    }
    format!(
        " TLS route match on sniHosts {bad:?} is not supported by waypoints (only a single sniHost equal to the service host); split it into one VirtualService per service."
    )
}
