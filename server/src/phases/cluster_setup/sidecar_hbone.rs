//! CS-SC-001: a sidecar cannot speak HBONE (ENABLE_HBONE missing), so it cannot talk to
//! ambient workloads.

use crate::analysis::mesh::{has_sidecar, is_gateway_pod, proxy_has_hbone};
use crate::analysis::NsCtx;
use crate::finding::Finding;
use crate::model::Body;
use crate::rules;

pub fn namespace(ctx: &mut NsCtx) {
    for r in ctx.own("Pod") {
        let Body::Workload(w) = &r.body else { continue };
        if !has_sidecar(w)
            || is_gateway_pod(&w.pod_labels, &w.pod_annotations, w)
            || proxy_has_hbone(w)
        {
            continue;
        }
        let span = w.istio_proxy().map(|c| c.span).unwrap_or(r.name_span);
        ctx.emit(
            Finding::new(
                &rules::CS_SC_001,
                format!("Sidecar {} is missing 'ENABLE_HBONE'. Upgrade Istio with '--set profile=ambient' and restart the pod.", r.ns_name()),
            )
            .on_node(&r, span),
        );
    }
}
