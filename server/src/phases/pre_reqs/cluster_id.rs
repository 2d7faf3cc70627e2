//! PR-MC-002: a sidecar runs with a non-default cluster ID (reported for the first such Pod of
//! a namespace).

use crate::analysis::NsCtx;
use crate::finding::Finding;
use crate::model::Body;
use crate::rules;

pub fn namespace(ctx: &mut NsCtx) {
    for r in ctx.own("Pod") {
        let Body::Workload(w) = &r.body else { continue };
        let Some(proxy) = w.istio_proxy() else {
            continue;
        };
        if let Some(id) = proxy.env("ISTIO_META_CLUSTER_ID") {
            if id != "Kubernetes" {
                ctx.emit(
                    Finding::new(&rules::PR_MC_002, format!("Non-default cluster ID \"{id}\" on Pod \"{}\" suggests a multicluster setup.", r.ns_name()))
                        .on_node(&r, proxy.span),
                );
                return;
            }
        }
    }
}
