//! CS-DS-005: a ztunnel or istio-cni DaemonSet whose pods are not `system-node-critical` (both
//! charts set it unconditionally): under node pressure they may be evicted or never scheduled,
//! and every ambient pod of the node loses traffic (ztunnel) or capture (istio-cni).

use crate::analysis::ClusterCtx;
use crate::finding::Finding;
use crate::model::Body;
use crate::rules;

pub fn cluster(g: &ClusterCtx, out: &mut Vec<Finding>) {
    let f = g.facts;
    for d in f.ztunnels.iter().chain(f.cnis.iter()) {
        let Body::Workload(w) = &d.body else { continue };
        let pc = w.priority_class.as_deref();
        if pc == Some("system-node-critical") {
            continue;
        }
        let now = match pc {
            Some(p) => format!("priorityClassName is \"{p}\""),
            None => "no priorityClassName".to_string(),
        };
        out.push(
            Finding::new(
                &rules::CS_DS_005,
                format!(
                    "Node agent {} is not marked node-critical ({now}); the Istio charts give ztunnel and istio-cni priorityClassName system-node-critical so that they are scheduled first and evicted last. Restore it (a post-renderer or an old chart removed it).",
                    d.ns_name()
                ),
            )
            .on_node(d, d.name_span),
        );
    }
}
