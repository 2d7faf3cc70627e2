//! R006: workloads that will not join ambient after their sidecar is removed (hostNetwork,
//! `istio.io/dataplane-mode=none` on the pods or the namespace).

use crate::analysis::mesh::MeshStatus;
use crate::analysis::NsCtx;
use crate::finding::Finding;
use crate::rules;

pub fn namespace(ctx: &mut NsCtx) {
    let injects = ctx.view.mode.switches(ctx.facts);
    for u in ctx.view.app_units() {
        let unit = ctx.unit(u).clone();
        if unit.status == MeshStatus::Out && !injects {
            continue;
        }
        let reason = if unit.host_network {
            "it uses hostNetwork"
        } else if unit.ambient_opt_out {
            "its pods are labeled istio.io/dataplane-mode=none"
        } else if ctx.view.mode.dataplane_none {
            "its namespace is labeled istio.io/dataplane-mode=none"
        } else {
            continue;
        };
        if let Some(r) = &unit.res {
            ctx.emit(
                Finding::new(&rules::R006, format!("\"{}\" will not join ambient ({reason}) after its sidecar is removed; it becomes an out-of-mesh workload.", unit.short()))
                    .on_node(r, r.name_span),
            );
        }
    }
}
