//! PR-MC-001: remote secrets make this a multicluster mesh (an error when the cluster is also a
//! remote member).

use crate::analysis::ClusterCtx;
use crate::finding::Finding;
use crate::rules;

pub fn cluster(g: &ClusterCtx, out: &mut Vec<Finding>) {
    let f = g.facts;
    let Some(r) = f.remote_secrets.first() else {
        return;
    };
    let clusters: Vec<String> = f
        .remote_secrets
        .iter()
        .map(|s| {
            s.name
                .trim_start_matches("istio-remote-secret-")
                .to_string()
        })
        .collect();
    let rule = if g.remote_control_plane_signals().is_empty() {
        &rules::PR_MC_001
    } else {
        &rules::PR_MC_001_REMOTE
    };
    out.push(
        Finding::new(
            rule,
            format!(
                "Multicluster mesh detected (remote secrets for clusters {}); ambient multicluster is alpha and limited to multi-primary, multi-network. Review the ambient multicluster limitations and migrate one cluster at a time.",
                clusters.join(", ")
            ),
        )
        .on_node(r, r.name_span),
    );
}
