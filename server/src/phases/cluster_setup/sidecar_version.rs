//! CS-SC-003: a sidecar proxy is too old (below 1.25) for ambient interop.

use crate::analysis::mesh::{has_sidecar, is_gateway_pod, proxy_version};
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
        let Some(proxy) = w.istio_proxy() else {
            continue;
        };
        if let Some(v) = proxy_version(proxy).filter(|v| !v.at_least(1, 25)) {
            ctx.emit(Finding::new(&rules::CS_SC_003, format!("Sidecar proxy {v} of {} is too old for ambient interop; restart it after the upgrade.", r.ns_name())).on_node(&r, proxy.span));
        }
    }
}
