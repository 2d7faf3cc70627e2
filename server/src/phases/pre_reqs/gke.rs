//! PR-CNI-008: on GKE, node-critical DaemonSets need kube-system (or a PriorityClass quota)
//! and the CNI binaries live in /home/kubernetes/bin.

use crate::analysis::facts::host_path;
use crate::analysis::{platform, ClusterCtx};
use crate::finding::Finding;
use crate::model::Body;
use crate::rules;

pub fn cluster(g: &ClusterCtx, out: &mut Vec<Finding>) {
    if platform::detect(g).is_none_or(|p| p.name != "GKE") {
        return;
    }
    let cni = g.facts.cnis.first();
    let ztunnel = g.facts.ztunnels.first();
    for d in [cni, ztunnel].into_iter().flatten() {
        if d.namespace == "kube-system" {
            continue;
        }
        let quota = g.index.ns(&d.namespace).any(|r| matches!(&r.body, Body::ResourceQuota(q) if q.priority_classes.iter().any(|c| c == "system-node-critical")));
        if !quota {
            out.push(
                Finding::new(
                    &rules::PR_CNI_008,
                    format!(
                        "On GKE, node-critical DaemonSet \"{}\" needs kube-system or a ResourceQuota for PriorityClass system-node-critical in \"{}\". Install with global.platform=gke (or resourceQuotas.enabled=true).",
                        d.ns_name(),
                        d.namespace
                    ),
                )
                .on_node(d, d.name_span),
            );
        }
    }
    if let Some(c) = cni {
        if let Some(p) = host_path(c, "cni-bin-dir") {
            if p.trim_end_matches('/') != "/home/kubernetes/bin" {
                out.push(Finding::new(&rules::PR_CNI_008, format!("GKE CNI binaries live in /home/kubernetes/bin, but istio-cni uses {p}. Install with global.platform=gke.")).on_node(c, c.name_span));
            }
        }
    }
}
