//! CS-CRD-002: Gateway API route CRDs (HTTPRoute, GRPCRoute, ReferenceGrant) are missing while
//! the core ones are installed.

use crate::analysis::ClusterCtx;
use crate::finding::Finding;
use crate::rules;

pub fn cluster(g: &ClusterCtx, out: &mut Vec<Finding>) {
    let gw = &g.facts.gateway_api;
    if !gw.has_gateway_crds() {
        return;
    }
    for name in [
        "httproutes.gateway.networking.k8s.io",
        "grpcroutes.gateway.networking.k8s.io",
        "referencegrants.gateway.networking.k8s.io",
    ] {
        if !gw.crds.contains_key(name) {
            out.push(Finding::new(
                &rules::CS_CRD_002,
                format!("Gateway API CRD {name} missing; install the standard channel."),
            ));
        }
    }
}
