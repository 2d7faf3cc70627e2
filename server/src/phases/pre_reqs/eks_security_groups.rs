//! PR-CNI-007: EKS security groups for pods in strict mode drop ambient's link-local probe
//! traffic.

use crate::analysis::facts::workload_env;
use crate::analysis::ClusterCtx;
use crate::finding::Finding;
use crate::rules;

pub fn cluster(g: &ClusterCtx, out: &mut Vec<Finding>) {
    let Some(d) = g.facts.daemonset(Some("kube-system"), "aws-node") else {
        return;
    };
    if workload_env(d, "ENABLE_POD_ENI") == Some("true")
        && g.flag("security-group-policy").is_some()
        && workload_env(d, "POD_SECURITY_GROUP_ENFORCING_MODE") != Some("standard")
    {
        out.push(Finding::new(&rules::PR_CNI_007, "EKS pod security groups in strict mode drop ambient's link-local probe traffic; health probes will fail. Set POD_SECURITY_GROUP_ENFORCING_MODE=standard on aws-node and recycle pods, or use exec probes.").on_node(d, d.name_span));
    }
}
