//! PR-CNI-010: on k3s and k3d, istio-cni must use the platform's CNI paths.

use crate::analysis::facts::host_path;
use crate::analysis::{platform, ClusterCtx};
use crate::finding::Finding;
use crate::rules;

pub fn cluster(g: &ClusterCtx, out: &mut Vec<Finding>) {
    let Some(p) = platform::detect(g).filter(|p| matches!(p.name, "k3s" | "k3d")) else {
        return;
    };
    let p = p.name;
    let Some(c) = g.facts.cnis.first() else {
        return;
    };
    let net = host_path(c, "cni-net-dir");
    let bin = host_path(c, "cni-bin-dir");
    let net_ok = net
        .as_deref()
        .is_none_or(|n| n.trim_end_matches('/') == "/var/lib/rancher/k3s/agent/etc/cni/net.d");
    let bin_ok = bin.as_deref().is_none_or(|b| {
        let b = b.trim_end_matches('/');
        if p == "k3d" {
            b == "/bin"
        } else {
            b == "/var/lib/rancher/k3s/data/cni" || b == "/var/lib/rancher/k3s/data/current/bin"
        }
    });
    if !net_ok || !bin_ok {
        out.push(
            Finding::new(
                &rules::PR_CNI_010,
                format!("istio-cni paths ({} / {}) do not match the {p} CNI locations; pods will not be captured. Install with global.platform={p}.", net.unwrap_or_default(), bin.unwrap_or_default()),
            )
            .on_node(c, c.name_span),
        );
    }
}
