//! CS-SC-001: a sidecar cannot speak HBONE (ENABLE_HBONE missing), so it cannot talk to
//! ambient workloads.

use crate::analysis::mesh::{has_sidecar, is_gateway_pod};
use crate::analysis::NsCtx;
use crate::finding::Finding;
use crate::model::{Body, Workload};
use crate::rules;

/// Whether a sidecar container can speak HBONE.
fn has_hbone(w: &Workload) -> bool {
    if w.pod_labels.has("networking.istio.io/tunnel") {
        return true;
    }
    let Some(p) = w.istio_proxy() else {
        return false;
    };
    if p.env("ISTIO_META_ENABLE_HBONE") == Some("true") {
        return true;
    }
    p.env("PROXY_CONFIG")
        .and_then(|cfg| serde_json::from_str::<serde_json::Value>(cfg).ok())
        .is_some_and(|v| {
            v.pointer("/proxyMetadata/ISTIO_META_ENABLE_HBONE")
                .and_then(|x| x.as_str())
                == Some("true")
        })
}

pub fn namespace(ctx: &mut NsCtx) {
    for r in ctx.own("Pod") {
        let Body::Workload(w) = &r.body else { continue };
        if !has_sidecar(w) || is_gateway_pod(&w.pod_labels, &w.pod_annotations, w) || has_hbone(w) {
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
