//! PR-VER-001: no Istio control plane in the input (unless the cluster is a remote member,
//! which PR-MC-005 reports).

use crate::analysis::ClusterCtx;
use crate::finding::Finding;
use crate::rules;

pub fn cluster(g: &ClusterCtx, out: &mut Vec<Finding>) {
    if g.facts.istiods.is_empty() && g.remote_control_plane_signals().is_empty() {
        out.push(Finding::new(
            &rules::PR_VER_001,
            "No Istio control plane (istiod) found. Include the istiod Deployment (usually in istio-system) in --from-files, or run against the right cluster.",
        ));
    }
}
