//! CS-CRD-004: a Gateway API CRD whose `gateway.networking.k8s.io/bundle-version` is below what
//! the control plane's Istio release requires (or is missing or unparsable): istiod's CRD
//! watcher ignores that CRD, so every object of its kind is silently not processed
//! (`pkg/kube/kclient/crdwatcher.go` `minimumVersionFilter`; IST0176 from 1.30.1).

use crate::analysis::compat::{self, bundle_semver};
use crate::analysis::ClusterCtx;
use crate::finding::Finding;
use crate::rules;

const BUNDLE_VERSION: &str = "gateway.networking.k8s.io/bundle-version";

pub fn cluster(g: &ClusterCtx, out: &mut Vec<Finding>) {
    let f = g.facts;
    for (name, crd) in &f.gateway_api.crds {
        // the strictest minimum among the control planes
        let Some((istiod, min)) = f
            .istiods
            .iter()
            .filter_map(|i| Some((i, compat::crd_minimum(i.version.as_ref()?, name)?)))
            .max_by_key(|(_, m)| bundle_semver(m))
        else {
            continue;
        };
        let iv = istiod
            .version
            .as_ref()
            .map(|v| v.to_string())
            .unwrap_or_default();
        let label = crd.annotations.entry(BUNDLE_VERSION);
        let (problem, span) = match label {
            None => (format!("has no {BUNDLE_VERSION} annotation"), crd.name_span),
            Some(l) => match bundle_semver(&l.value) {
                None => (
                    format!("has an unparsable {BUNDLE_VERSION} \"{}\"", l.value),
                    l.value_span,
                ),
                Some(have) if Some(have) < bundle_semver(min) => (
                    format!(
                        "is at version \"{}\" but Istio requires at least \"{min}\"",
                        l.value
                    ),
                    l.value_span,
                ),
                Some(_) => continue,
            },
        };
        out.push(
            Finding::new(
                &rules::CS_CRD_004,
                format!(
                    "Gateway API CRD \"{name}\" {problem} (Istio {iv}, istiod \"{}\"): istiod ignores the CRD, so resources of this kind will not be processed. Upgrade the Gateway API CRDs (standard channel) to satisfy the minimum version.",
                    istiod.res.ns_name()
                ),
            )
            .on_node(crd, span),
        );
    }
}
