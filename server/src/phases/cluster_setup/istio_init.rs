//! CS-AMB-004: no Istio CNI node agent; sidecars use the istio-init container.

use crate::analysis::ClusterCtx;
use crate::finding::Finding;
use crate::rules;

pub fn cluster(g: &ClusterCtx, out: &mut Vec<Finding>) {
    if !g.facts.cnis.is_empty() {
        return;
    }
    if let Some(l) = g.flag("istio-init") {
        let mut fi = Finding::new(&rules::CS_AMB_004, "Istio CNI node agent not installed (sidecars use istio-init). Install the istio/cni chart with profile=ambient.");
        fi.location = Some(l);
        out.push(fi);
    }
}
