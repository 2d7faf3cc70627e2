//! PR-MC-003: meshNetworks defines networks (sidecar multi-network config to redo for ambient).

use crate::analysis::ClusterCtx;
use crate::finding::Finding;
use crate::model::Body;
use crate::rules;

pub fn cluster(g: &ClusterCtx, out: &mut Vec<Finding>) {
    for (rev, m) in &g.facts.mesh_by_rev {
        if m.networks.is_empty() {
            continue;
        }
        let Some(src) = &m.source else { continue };
        let span = match &src.body {
            Body::ConfigMap(c) => c
                .get_spanned("meshNetworks")
                .map(|(_, s)| s)
                .unwrap_or(src.name_span),
            _ => src.name_span,
        };
        out.push(
            Finding::new(
                &rules::PR_MC_003,
                format!("meshNetworks (revision {rev}) defines networks {}; sidecar multi-network config must be re-done for ambient (topology.istio.io/network + istio-east-west gateway).", m.networks.join(", ")),
            )
            .on_node(src, span),
        );
    }
}
