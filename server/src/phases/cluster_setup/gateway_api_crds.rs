//! CS-CRD-001: the Gateway API CRDs (Gateway, GatewayClass) are not installed.

use crate::analysis::ClusterCtx;
use crate::finding::Finding;
use crate::rules;

pub fn cluster(g: &ClusterCtx, out: &mut Vec<Finding>) {
    let present = g.index.group_count("gateway.networking.k8s.io") > 0;
    let gw = &g.facts.gateway_api;
    let core_missing: Vec<&str> = [
        "gateways.gateway.networking.k8s.io",
        "gatewayclasses.gateway.networking.k8s.io",
    ]
    .into_iter()
    .filter(|n| !gw.installed(n, present))
    .collect();
    if core_missing.is_empty() {
        return;
    }
    let message = if gw.has_gateway_crds() {
        format!("Gateway API CRDs not found: {}.", core_missing.join(", "))
    } else {
        "Gateway API CRDs not found.".to_string()
    };
    out.push(Finding::new(&rules::CS_CRD_001, message).detail("kubectl get crd gateways.gateway.networking.k8s.io || kubectl apply --server-side -f https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.3.0/standard-install.yaml"));
}
