//! CS-AMB-001: an istiod does not run with PILOT_ENABLE_AMBIENT=true.

use crate::analysis::ClusterCtx;
use crate::finding::Finding;
use crate::rules;

pub fn cluster(g: &ClusterCtx, out: &mut Vec<Finding>) {
    for i in &g.facts.istiods {
        if !i.ambient_enabled() {
            let r = &i.res;
            out.push(
                Finding::new(
                    &rules::CS_AMB_001,
                    format!("istiod {} must have 'PILOT_ENABLE_AMBIENT=true'. Upgrade Istio with '--set profile=ambient'.", r.ns_name()),
                )
                .on_node(r, r.name_span),
            );
        }
    }
}
