//! PR-CNI-009: on OpenShift, ztunnel and istio-cni must run in kube-system with
//! platform=openshift (CNI paths, istiod's trusted node accounts).

use crate::analysis::facts::host_path;
use crate::analysis::{platform, ClusterCtx};
use crate::finding::Finding;
use crate::rules;

pub fn cluster(g: &ClusterCtx, out: &mut Vec<Finding>) {
    if platform::detect(g).is_none_or(|p| p.name != "OpenShift") {
        return;
    }
    let cni = g.facts.cnis.first();
    let ztunnel = g.facts.ztunnels.first();
    let mut problems = Vec::new();
    for d in [cni, ztunnel].into_iter().flatten() {
        if d.namespace != "kube-system" {
            problems.push(format!("{} runs in {}", d.ns_name(), d.namespace));
        }
    }
    if let Some(c) = cni {
        if host_path(c, "cni-bin-dir")
            .is_some_and(|p| p.trim_end_matches('/') != "/var/lib/cni/bin")
        {
            problems.push("cni-bin-dir is not /var/lib/cni/bin".to_string());
        }
        if host_path(c, "cni-net-dir")
            .is_some_and(|p| p.trim_end_matches('/') != "/etc/cni/multus/net.d")
        {
            problems.push("cni-net-dir is not /etc/cni/multus/net.d".to_string());
        }
    }
    for i in &g.facts.istiods {
        if let Some(v) = i.env("CA_TRUSTED_NODE_ACCOUNTS") {
            if !v.split(',').any(|a| a.trim() == "kube-system/ztunnel") {
                problems.push(format!("istiod CA_TRUSTED_NODE_ACCOUNTS is {v}"));
            }
        }
    }
    if problems.is_empty() {
        return;
    }
    let mut fi = Finding::new(
        &rules::PR_CNI_009,
        format!("OpenShift requires ztunnel and istio-cni in kube-system with platform=openshift ({}). Reinstall with global.platform=openshift (istioctl: profile=openshift-ambient).", problems.join("; ")),
    );
    if let Some(d) = cni.or(ztunnel) {
        fi = fi.on_node(d, d.name_span);
    }
    out.push(fi);
}
