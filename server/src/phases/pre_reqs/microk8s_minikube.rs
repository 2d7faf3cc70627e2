//! PR-CNI-011: on MicroK8s and minikube, istio-cni must use the platform's CNI paths.

use crate::analysis::facts::host_path;
use crate::analysis::{platform, ClusterCtx};
use crate::finding::Finding;
use crate::rules;

pub fn cluster(g: &ClusterCtx, out: &mut Vec<Finding>) {
    let Some(p) = platform::detect(g).filter(|p| matches!(p.name, "MicroK8s" | "minikube")) else {
        return;
    };
    let p = p.name;
    let Some(c) = g.facts.cnis.first() else {
        return;
    };
    let wrong = if p == "MicroK8s" {
        host_path(c, "cni-net-dir").is_some_and(|n| {
            n.trim_end_matches('/') != "/var/snap/microk8s/current/args/cni-network"
        }) || host_path(c, "cni-bin-dir")
            .is_some_and(|n| n.trim_end_matches('/') != "/var/snap/microk8s/current/opt/cni/bin")
    } else {
        host_path(c, "cni-netns-dir")
            .is_some_and(|n| n.trim_end_matches('/') != "/var/run/docker/netns")
    };
    if wrong {
        let plat = if p == "MicroK8s" {
            "microk8s"
        } else {
            "minikube"
        };
        out.push(
            Finding::new(
                &rules::PR_CNI_011,
                format!("istio-cni paths do not match {p}. Install with global.platform={plat}."),
            )
            .on_node(c, c.name_span),
        );
    }
}
