//! PR-CNI-020: the Kubernetes platform detected (informational; the platform rules depend on
//! it).

use crate::analysis::platform;
use crate::analysis::ClusterCtx;
use crate::finding::Finding;
use crate::rules;

pub fn cluster(g: &ClusterCtx, out: &mut Vec<Finding>) {
    if let Some(p) = platform::detect(g) {
        out.push(Finding::new(
            &rules::PR_CNI_020,
            format!(
                "Detected platform: {} (confidence {}; {}).",
                p.name, p.confidence, p.evidence
            ),
        ));
    }
}
