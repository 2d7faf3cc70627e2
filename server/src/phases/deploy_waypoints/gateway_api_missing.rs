//! W023: a waypoint is needed but the Gateway API (which waypoints are made of) is not
//! installed.

use crate::analysis::ClusterCtx;
use crate::finding::Finding;
use crate::rules;

pub fn cluster(g: &ClusterCtx, out: &mut Vec<Finding>) {
    let needing: Vec<&String> = g.agg.needs_new_waypoint.iter().collect();
    if needing.is_empty() {
        return;
    }
    let present = g.index.group_count("gateway.networking.k8s.io") > 0;
    if g.facts
        .gateway_api
        .installed("gateways.gateway.networking.k8s.io", present)
    {
        return;
    }
    out.push(Finding::new(
        &rules::W023,
        format!(
            "Waypoints are Gateway API resources; install the Gateway API CRDs first (needed by namespace(s) {}).",
            needing.iter().take(5).map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
        ),
    ));
}
