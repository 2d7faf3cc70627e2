//! PR-CNI-012: kind (kindnet) detected; nothing platform-specific is documented for it.

use crate::analysis::ClusterCtx;
use crate::finding::Finding;
use crate::rules;

pub fn cluster(g: &ClusterCtx, out: &mut Vec<Finding>) {
    if let Some(d) = g.facts.daemonset(Some("kube-system"), "kindnet") {
        out.push(
            Finding::new(
                &rules::PR_CNI_012,
                "kind (kindnet) detected; no platform-specific ambient settings documented.",
            )
            .on_node(d, d.name_span),
        );
    }
}
