//! CS-DS-003: a ztunnel or istio-cni DaemonSet is not ready (informational when its status is
//! not in the input).

use crate::analysis::ClusterCtx;
use crate::finding::Finding;
use crate::model::Body;
use crate::rules;

pub fn cluster(g: &ClusterCtx, out: &mut Vec<Finding>) {
    for d in g.facts.ztunnels.iter().chain(g.facts.cnis.iter()) {
        let Body::Workload(w) = &d.body else { continue };
        let Some(st) = &w.ds_status else {
            out.push(
                Finding::new(&rules::CS_DS_003_UNVERIFIED, format!("DaemonSet {} readiness is not verifiable offline (no status in the input).", d.ns_name()))
                    .on_node(d, d.name_span),
            );
            continue;
        };
        let desired = st.desired.unwrap_or(0);
        let ready = st.ready.unwrap_or(0);
        let bad = ready < desired
            || st.updated.is_some_and(|u| u < desired)
            || st.unavailable.unwrap_or(0) > 0
            || matches!((st.observed_generation, w.generation), (Some(o), Some(g)) if o < g);
        if bad {
            out.push(
                Finding::new(&rules::CS_DS_003, format!("DaemonSet {}: {ready}/{desired} ready. Inspect its failing pods (quota on GKE, paths, privileges).", d.ns_name()))
                    .on_node(d, d.name_span),
            );
        }
    }
}
