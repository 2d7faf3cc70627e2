//! U012: a VirtualService served by the waypoint of Service A that routes to another Service B
//! with its own waypoint. Confirmed in Istio 1.26 (the catalog marks it [INFERRED]): a waypoint
//! builds outbound clusters for services its routes send to outside what it serves
//! (`filterWaypointOutboundServices`, `pilot/pkg/networking/core/waypoint.go`), and their
//! endpoints are B's pods, not B's waypoint: `EndpointBuilder.findServiceWaypoint`
//! (`pilot/pkg/xds/endpoints/endpoint_builder.go`) resolves a service's waypoint only for
//! `model.Router` proxies (ingress gateways with istio.io/ingress-use-waypoint), and a waypoint
//! is `model.Waypoint`. So B's waypoint policies and routing do not apply to that traffic; B's
//! workloads see the waypoint of A as the client (ztunnel L4 policies still apply). When one
//! waypoint serves both Services, B is "inbound" for it and its policies apply: silent. Only
//! Services of the same namespace are compared (another namespace's plan is not known here).

use std::collections::BTreeSet;

use crate::analysis::mesh::{host_matches, normalize_host};
use crate::analysis::{NsCtx, Target};
use crate::finding::Finding;
use crate::model::Body;
use crate::rules;

pub fn namespace(ctx: &mut NsCtx) {
    let ns = ctx.ns().to_string();
    let domain = ctx.facts.dns_domain.clone();
    // the Services of this namespace with a planned waypoint: (name, fqdn, waypoint)
    let waypointed: Vec<(String, String, String)> = ctx
        .view
        .services
        .iter()
        .filter(|s| !s.infra)
        .filter_map(|s| {
            ctx.planned
                .get(&Target::service(s.name()))
                .map(|p| (s.name().to_string(), s.fqdn.clone(), p.display()))
        })
        .collect();
    if waypointed.len() < 2 {
        return;
    }
    let mut found = Vec::new();
    for vsr in ctx.own("VirtualService") {
        let Body::VirtualService(vs) = &vsr.body else {
            continue;
        };
        // the waypointed Services this VirtualService routes for (its hosts)
        let served: Vec<&(String, String, String)> = waypointed
            .iter()
            .filter(|(_, fqdn, _)| {
                vs.hosts
                    .iter()
                    .any(|h| host_matches(&normalize_host(&h.value, &ns, &domain), fqdn))
            })
            .collect();
        if served.is_empty() {
            continue;
        }
        let mut seen = BTreeSet::new();
        for r in vs.http.iter().filter(|r| vs.route_mesh_active(&r.matches)) {
            for d in &r.destinations {
                let host = normalize_host(&d.host, &ns, &domain);
                let Some((b, _, bwp)) = waypointed.iter().find(|(_, fqdn, _)| *fqdn == host) else {
                    continue;
                };
                // one waypoint serving both routes to B's inbound side: B's policies apply
                let Some((a, _, awp)) = served
                    .iter()
                    .find(|(a, _, awp)| a != b && awp != bwp)
                    .copied()
                else {
                    continue;
                };
                if !seen.insert(b.clone()) {
                    continue;
                }
                found.push(
                    Finding::new(
                        &rules::U012,
                        format!(
                            "VirtualService \"{}\" routes traffic for \"{ns}/{a}\" to \"{ns}/{b}\". Traffic routed by waypoint \"{awp}\" to \"{b}\" is sent straight to {b}'s endpoints: {b}'s waypoint \"{bwp}\" (its L7 policies and routing) does not apply to it, and {b}'s workloads see \"{awp}\" as the client. If {b}'s waypoint policies must apply to it, enforce them at \"{awp}\" too (a policy attached to Service \"{a}\"), or serve both Services with one waypoint; and an ALLOW policy at {b}'s workloads must admit \"{awp}\" for this traffic.",
                            vsr.ns_name()
                        ),
                    )
                    .on_node(&vsr, d.span),
                );
            }
        }
    }
    for f in found {
        ctx.emit(f);
    }
}
