//! PR-SPIRE-003: SPIRE components are present (a workload labelled as SPIRE-managed, the SPIRE
//! agent or CSI driver, ClusterSPIFFEIDs): verify SPIRE is not Istio's CA.

use std::sync::Arc;

use crate::analysis::{ClusterCtx, NsCtx};
use crate::finding::Finding;
use crate::model::{Body, Resource};
use crate::rules;

/// The first workload of the namespace labelled spiffe.io/spire-managed-identity=true.
pub fn namespace(ctx: &mut NsCtx) {
    for r in ctx.view.resources.clone() {
        let Body::Workload(w) = &r.body else { continue };
        if let Some(l) = w
            .pod_labels
            .entry("spiffe.io/spire-managed-identity")
            .filter(|l| l.value == "true")
        {
            ctx.emit(
                Finding::new(&rules::PR_SPIRE_003, format!("SPIRE components present: \"{}\" is labeled spiffe.io/spire-managed-identity; verify SPIRE is not Istio's CA.", r.ns_name()))
                    .on_node(&r, l.key_span.cover(l.value_span)),
            );
            return;
        }
    }
}

pub fn cluster(g: &ClusterCtx, out: &mut Vec<Finding>) {
    let f = g.facts;
    let ds: Vec<&Arc<Resource>> = f
        .daemonsets
        .iter()
        .filter(|d| d.name.contains("spire-agent") || d.name.contains("spiffe-csi-driver"))
        .collect();
    let ids: Vec<&Arc<Resource>> = f
        .cluster_objects
        .iter()
        .filter(|r| matches!(r.body, Body::ClusterSpiffeId))
        .collect();
    if let Some(first) = ds.first().or(ids.first()) {
        out.push(
            Finding::new(&rules::PR_SPIRE_003, format!("SPIRE components present ({}); verify SPIRE is not Istio's certificate provider.", first.display()))
                .on_node(first, first.name_span),
        );
    }
}
