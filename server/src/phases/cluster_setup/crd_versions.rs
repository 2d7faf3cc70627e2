//! CS-CRD-003: a Gateway API CRD does not serve the versions Istio needs (v1beta1: IST0156,
//! an error; v1: IST0172, a warning).

use crate::analysis::ClusterCtx;
use crate::finding::Finding;
use crate::model::Body;
use crate::rules;

pub fn cluster(g: &ClusterCtx, out: &mut Vec<Finding>) {
    let gw = &g.facts.gateway_api;
    if !gw.has_gateway_crds() {
        return;
    }
    for (name, crd) in &gw.crds {
        let Body::Crd(c) = &crd.body else { continue };
        if c.versions.is_empty() {
            continue;
        }
        let span = c.versions_span.unwrap_or(crd.name_span);
        if matches!(
            c.plural.as_str(),
            "gateways" | "gatewayclasses" | "httproutes" | "referencegrants"
        ) && !c.serves("v1beta1")
        {
            out.push(
                Finding::new(&rules::CS_CRD_003, format!("The Gateway API CRD {name} does not serve v1beta1 (IST0156); upgrade the Gateway API CRDs."))
                    .on_node(crd, span),
            );
        }
        if matches!(
            c.plural.as_str(),
            "gateways" | "gatewayclasses" | "httproutes" | "grpcroutes"
        ) && !c.serves("v1")
        {
            out.push(
                Finding::new(&rules::CS_CRD_003_V1, format!("The Gateway API CRD {name} does not serve v1 (IST0172); upgrade the Gateway API CRDs."))
                    .on_node(crd, span),
            );
        }
    }
}
