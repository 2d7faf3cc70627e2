//! CS-SC-004: an ingress/egress gateway Pod whose proxy cannot speak HBONE. Gateways keep their
//! proxies in ambient (they are not sidecars to remove), but they reach ambient workloads and
//! waypoints over HBONE only once they were injected with `ISTIO_META_ENABLE_HBONE` (the gateway
//! injection template copies `proxyMetadata` into the proxy's env and `PROXY_CONFIG`,
//! `files/gateway-injection-template.yaml`): restart them after the mesh config enables it.
//! Waypoints and ambient east-west gateways are HBONE-only and never concerned. While the mesh
//! config of the gateway's revision does not enable HBONE (CS-AMB-002 fails) a restart would
//! inject the same proxy again: the finding then says to fix the mesh config first and offers
//! no restart.

use crate::analysis::mesh::restart_controller;
use crate::analysis::mesh::{
    controller_of, is_gateway_pod, is_waypoint_pod, proxy_has_hbone, sidecar_revision,
};
use crate::analysis::NsCtx;
use crate::finding::Finding;
use crate::model::Body;
use crate::rules;

pub fn namespace(ctx: &mut NsCtx) {
    let ns = ctx.ns().to_string();
    for p in ctx.own("Pod") {
        let Body::Workload(w) = &p.body else { continue };
        let Some(proxy) = w.istio_proxy() else {
            continue;
        };
        if !is_gateway_pod(&w.pod_labels, &w.pod_annotations, w)
            || is_waypoint_pod(&w.pod_labels, &w.pod_annotations)
            || proxy_has_hbone(w)
        {
            continue;
        }
        let c = controller_of(ctx.index, &p);
        let (kind, name) = (c.kind.clone(), c.name.clone());
        let what = if kind == "Pod" {
            format!("Gateway Pod {ns}/{name}")
        } else {
            format!("Gateway {kind} {ns}/{name} (Pod {})", p.name)
        };
        let rev = sidecar_revision(w);
        let rev = ctx.facts.resolve_rev(&rev).to_string();
        let mesh = ctx.facts.mesh_for(&rev);
        let hbone_off = mesh.source.is_some() && mesh.hbone.as_deref() != Some("true");
        let f = if hbone_off {
            Finding::new(
                &rules::CS_SC_004,
                format!(
                    "{what} keeps its proxy in ambient, but the proxy was injected without ISTIO_META_ENABLE_HBONE, and the mesh config of revision \"{rev}\" still does not enable HBONE (CS-AMB-002): a restart now would inject the same proxy. Enable HBONE in the mesh config first (profile=ambient), then restart the gateway so it can reach ambient workloads and waypoints. It is a gateway, not a sidecar to remove."
                ),
            )
            .on_node(&p, proxy.span)
        } else {
            Finding::new(
                &rules::CS_SC_004,
                format!(
                    "{what} keeps its proxy in ambient, but the proxy was injected without ISTIO_META_ENABLE_HBONE: it cannot reach ambient workloads or waypoints over HBONE until it is restarted after the mesh config enables HBONE (profile=ambient). It is a gateway, not a sidecar to remove."
                ),
            )
            .on_node(&p, proxy.span)
            .action(restart_controller(ctx.index, &ns, &c, Some(&p)))
        };
        ctx.emit(f);
    }
}
