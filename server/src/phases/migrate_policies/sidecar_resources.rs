//! P011: a Sidecar resource will stop applying; the settings it has that ambient does not
//! enforce (outbound restriction, egress proxy, ingress listeners, connection pool) are listed.
//! Only configuration scoping is informational.

use crate::analysis::NsCtx;
use crate::finding::Finding;
use crate::model::{Body, SidecarRes};
use crate::rules;

/// What ambient does not enforce: (is it more than scoping, message).
fn unsupported(sc: &SidecarRes) -> Vec<(bool, &'static str)> {
    let mut items = Vec::new();
    if !sc.egress_hosts.is_empty() {
        items.push((false, "Configuration scoping is detected. Typically, this is used for scalability purposes, which is not necessary with ambient."));
    }
    if sc
        .outbound_mode
        .as_ref()
        .is_some_and(|m| m.value == "REGISTRY_ONLY")
    {
        items.push((true, "Outbound restriction (outboundTrafficPolicy REGISTRY_ONLY) is not enforced in ambient: ztunnel passes unknown destinations through. Use an egress waypoint plus NetworkPolicy/AuthorizationPolicy."));
    }
    if sc.egress_proxy.is_some() {
        items.push((
            true,
            "egressProxy is not enforced in ambient; use an egress waypoint.",
        ));
    }
    if sc.ingress.is_some() {
        items.push((
            true,
            "Custom ingress listeners (ingress) are not applicable in ambient.",
        ));
    }
    if sc.inbound_connection_pool.is_some() {
        items.push((true, "inboundConnectionPool is not applicable in ambient."));
    }
    items
}

pub fn namespace(ctx: &mut NsCtx) {
    for r in ctx.view.resources.clone() {
        let Body::Sidecar(sc) = &r.body else { continue };
        let units: Vec<usize> = ctx
            .view
            .select(sc.workload_selector.as_ref().map(|s| &s.labels))
            .into_iter()
            .filter(|&u| ctx.unit(u).ambient_bound())
            .collect();
        if units.is_empty() && !ctx.is_root() {
            continue;
        }
        let items = unsupported(sc);
        if items.is_empty() {
            continue;
        }
        let rule = if items.iter().any(|(more, _)| *more) {
            &rules::P011
        } else {
            &rules::P011_SCOPING_ONLY
        };
        let f = Finding::new(
            rule,
            format!(
                "Sidecar/{}/{} will be removed in a later step: Found unsupported configurations:",
                r.namespace, r.name
            ),
        )
        .on_node(
            &r,
            sc.workload_selector
                .as_ref()
                .map(|s| s.key_span)
                .or(sc.egress_span)
                .unwrap_or(r.name_span),
        )
        .details(items.into_iter().map(|(_, m)| m.to_string()));
        ctx.emit(f);
    }
}
