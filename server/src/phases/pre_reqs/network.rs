//! PR-MC-006: a network is configured (on the first sidecar of a namespace that sets
//! ISTIO_META_NETWORK, and on the control plane's namespace label).

use crate::analysis::{ClusterCtx, NsCtx};
use crate::finding::Finding;
use crate::model::Body;
use crate::rules;

pub fn namespace(ctx: &mut NsCtx) {
    for r in ctx.own("Pod") {
        let Body::Workload(w) = &r.body else { continue };
        let Some(proxy) = w.istio_proxy() else {
            continue;
        };
        if let Some(n) = proxy.env("ISTIO_META_NETWORK").filter(|n| !n.is_empty()) {
            ctx.emit(
                Finding::new(
                    &rules::PR_MC_006,
                    format!("Network \"{n}\" configured (Pod \"{}\").", r.ns_name()),
                )
                .on_node(&r, proxy.span),
            );
            return;
        }
    }
}

pub fn cluster(g: &ClusterCtx, out: &mut Vec<Finding>) {
    let f = g.facts;
    let Some(nso) = g.index.namespace_object(&f.istio_ns) else {
        return;
    };
    if let Some(l) = nso.labels.entry("topology.istio.io/network") {
        out.push(
            Finding::new(
                &rules::PR_MC_006,
                format!(
                    "Network \"{}\" configured on namespace {}.",
                    l.value, f.istio_ns
                ),
            )
            .on_node(nso, l.key_span.cover(l.value_span)),
        );
    }
}
