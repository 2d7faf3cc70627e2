//! U009: a waypoint reaches the pods behind its Service over HBONE only. Istio 1.26's
//! `EndpointBuilder` (`pilot/pkg/xds/endpoints/endpoint_builder.go`, `buildIstioEndpoint` and
//! `supportTunnel`) keeps legacy Istio mTLS only for sidecar and gateway clients: "waypoints
//! (TrafficDirectionInboundVIP) do not support legacy mTLS". A server Pod that still runs a
//! sidecar injected before HBONE was enabled (no `networking.istio.io/tunnel` label, no
//! `ISTIO_META_ENABLE_HBONE`) cannot be reached by the waypoint: enabling the waypoint for its
//! Service breaks its traffic until the Pod is re-created with an HBONE-capable sidecar. The
//! fix is the restart of its controller (a manual step for kinds `kubectl rollout restart` does
//! not know); while the mesh config of its revision does not enable HBONE (CS-AMB-002) a restart
//! would inject the same sidecar again, so none is offered then.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::analysis::mesh::restart_controller;
use crate::analysis::mesh::{
    controller_of, has_sidecar, is_gateway_pod, proxy_has_hbone, sidecar_revision, Controller,
};
use crate::analysis::{NsCtx, Target};
use crate::finding::Finding;
use crate::model::{Body, Resource};
use crate::rules;

pub fn namespace(ctx: &mut NsCtx) {
    let ns = ctx.ns().to_string();
    let mut found: Vec<Finding> = Vec::new();
    for sv in &ctx.view.services {
        if sv.infra {
            continue;
        }
        let Some(wp) = ctx.planned.get(&Target::service(sv.name())) else {
            continue;
        };
        // the pods without HBONE, by controller
        let mut by_owner: BTreeMap<Controller, Vec<Arc<Resource>>> = BTreeMap::new();
        for &u in &sv.units {
            for p in &ctx.unit(u).pods {
                let Body::Workload(w) = &p.body else { continue };
                if !has_sidecar(w)
                    || proxy_has_hbone(w)
                    || is_gateway_pod(&w.pod_labels, &w.pod_annotations, w)
                {
                    continue;
                }
                by_owner
                    .entry(controller_of(ctx.index, p))
                    .or_default()
                    .push(p.clone());
            }
        }
        for (c, pods) in by_owner {
            let first = &pods[0];
            let Body::Workload(w) = &first.body else {
                continue;
            };
            let names: Vec<String> = pods.iter().map(|p| format!("\"{}\"", p.name)).collect();
            let rev = ctx.facts.resolve_rev(&sidecar_revision(w)).to_string();
            let mesh = ctx.facts.mesh_for(&rev);
            let hbone_off = mesh.source.is_some() && mesh.hbone.as_deref() != Some("true");
            let pod_word = if pods.len() == 1 { "Pod" } else { "Pods" };
            let has = if pods.len() == 1 { "has" } else { "have" };
            let owner = if c.is_bare_pod() {
                String::new()
            } else {
                format!(" ({})", c.display())
            };
            let head = format!(
                "{pod_word} {}{owner} behind Service \"{ns}/{}\" {has} a sidecar without HBONE support; waypoint \"{}\" can only reach {} over HBONE, so enabling it for \"{}\" would break this traffic.",
                names.join(", "),
                sv.name(),
                wp.display(),
                if pods.len() == 1 { "it" } else { "them" },
                sv.name(),
            );
            let span = w.istio_proxy().map(|p| p.span).unwrap_or(first.name_span);
            let f = if hbone_off {
                Finding::new(
                    &rules::U009,
                    format!("{head} The mesh config of revision \"{rev}\" does not enable HBONE yet (CS-AMB-002): a restart now would inject the same sidecar. Enable it (profile=ambient), restart the workload, then enable the waypoint."),
                )
                .on_node(first, span)
            } else {
                let step = if c.is_bare_pod() {
                    "Re-create the Pod from its manifest (it has no controller: do not just delete it)"
                } else {
                    "Restart the workload"
                };
                Finding::new(
                    &rules::U009,
                    format!("{head} {step} before enabling the waypoint."),
                )
                .on_node(first, span)
                .action(restart_controller(ctx.index, &ns, &c, Some(first)))
            };
            found.push(f);
        }
    }
    for f in found {
        ctx.emit(f);
    }
}
