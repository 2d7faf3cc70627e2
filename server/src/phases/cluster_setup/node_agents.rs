//! CS-DS-001 (ztunnel) and CS-DS-002 (istio-cni): the node agents are not deployed (only
//! meaningful when a control plane is in the input).

use crate::analysis::ClusterCtx;
use crate::finding::Finding;
use crate::rules;

pub fn cluster(g: &ClusterCtx, out: &mut Vec<Finding>) {
    let f = g.facts;
    let Some(istiod) = f.istiods.first() else {
        return;
    };
    if f.ztunnels.is_empty() {
        out.push(Finding::new(&rules::CS_DS_001, "ztunnel not found. Install it: helm install ztunnel istio/ztunnel -n istio-system (include its DaemonSet in --from-files if it exists).").on_node(&istiod.res, istiod.res.name_span));
    }
    if f.cnis.is_empty() {
        out.push(Finding::new(&rules::CS_DS_002, "istio-cni node agent not found. Install the istio/cni chart with profile=ambient (include its DaemonSet in --from-files if it exists).").on_node(&istiod.res, istiod.res.name_span));
    }
}
