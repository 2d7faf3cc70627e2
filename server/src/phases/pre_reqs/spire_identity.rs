//! PR-SPIRE-001: a workload with a sidecar gets its identity from SPIRE (a csi.spiffe.io
//! volume); ambient does not support SPIRE.

use crate::analysis::NsCtx;
use crate::finding::Finding;
use crate::model::Body;
use crate::rules;

pub fn namespace(ctx: &mut NsCtx) {
    for r in ctx.view.resources.clone() {
        let Body::Workload(w) = &r.body else { continue };
        let spire_vol = w
            .volumes
            .iter()
            .find(|v| v.csi_driver.as_deref() == Some("csi.spiffe.io"));
        let proxied = w.istio_proxy().is_some() || w.pod_annotations.has("sidecar.istio.io/status");
        if let (Some(v), true) = (spire_vol, proxied) {
            ctx.emit(
                Finding::new(
                    &rules::PR_SPIRE_001,
                    format!(
                        "Workload \"{}\" gets its Istio identity from SPIRE (volume \"{}\" uses csi.spiffe.io); ambient does not support SPIRE. Keep these workloads on sidecars or drop SPIRE before migrating.",
                        r.ns_name(),
                        v.name
                    ),
                )
                .on_node(&r, w.pod_meta_span),
            );
        }
    }
}
