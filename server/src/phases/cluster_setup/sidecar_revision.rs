//! CS-SC-002: a sidecar is managed by a revision that is not ambient-enabled.

use crate::analysis::mesh::{has_sidecar, is_gateway_pod, sidecar_revision};
use crate::analysis::NsCtx;
use crate::finding::Finding;
use crate::model::Body;
use crate::rules;

pub fn namespace(ctx: &mut NsCtx) {
    for r in ctx.own("Pod") {
        let Body::Workload(w) = &r.body else { continue };
        if !has_sidecar(w) || is_gateway_pod(&w.pod_labels, &w.pod_annotations, w) {
            continue;
        }
        let rev = sidecar_revision(w);
        let resolved = ctx.facts.resolve_rev(&rev).to_string();
        let Some(cp) = ctx.facts.istiods.iter().find(|i| i.revision == resolved) else {
            continue;
        };
        let mesh = ctx.facts.mesh_for(&cp.revision);
        let mesh_hbone = mesh.hbone.as_deref() == Some("true");
        if cp.ambient_enabled() && (mesh.source.is_none() || mesh_hbone) {
            continue;
        }
        let span = w.istio_proxy().map(|c| c.span).unwrap_or(r.name_span);
        ctx.emit(
            Finding::new(&rules::CS_SC_002, format!("Sidecar {} is managed by revision \"{rev}\" that is not ambient-enabled. Upgrade that revision or relabel the namespace to an ambient-enabled revision/tag.", r.ns_name()))
                .on_node(&r, span),
        );
    }
}
