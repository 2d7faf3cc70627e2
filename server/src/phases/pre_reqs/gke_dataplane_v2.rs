//! PR-CNI-014: GKE Dataplane V2 (`kube-system/anetd`, a Cilium-based agent): istio.io documents
//! no Dataplane V2 step, Cilium's caveats may apply, and ambient HBONE problems have been
//! reported on it (istio/istio#59754).

use crate::analysis::ClusterCtx;
use crate::finding::Finding;
use crate::rules;

pub fn cluster(g: &ClusterCtx, out: &mut Vec<Finding>) {
    let Some(d) = g.facts.daemonset(Some("kube-system"), "anetd") else {
        return;
    };
    out.push(
        Finding::new(
            &rules::PR_CNI_014,
            format!(
                "GKE Dataplane V2 detected (DaemonSet {} runs a Cilium-based agent): istio.io's platform prerequisites have no Dataplane V2 step, the Cilium caveats (BPF masquerading, socket load balancing, probes under default-deny policies) may apply without a cilium-config to check, and node-local HBONE problems have been reported on it (istio/istio#59754). Validate health probes, NetworkPolicy enforcement and HBONE (port 15008) between pods of one node in a test cluster before migrating.",
                d.ns_name()
            ),
        )
        .on_node(d, d.name_span),
    );
}
