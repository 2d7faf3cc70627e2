//! CS-CRD-005: the Gateway API release installed (the `bundle-version` of its CRDs) is another
//! minor than the one the control plane's Istio release was built against (`go.mod`
//! `sigs.k8s.io/gateway-api` at its tag). Informational: older CRDs lack fields Istio knows,
//! newer ones have fields this istiod does not.

use std::collections::BTreeSet;

use crate::analysis::compat::{self, bundle_semver};
use crate::analysis::ClusterCtx;
use crate::finding::Finding;
use crate::rules;

const BUNDLE_VERSION: &str = "gateway.networking.k8s.io/bundle-version";

/// The CRDs that say which release is installed, most telling first.
const WITNESSES: &[&str] = &[
    "gateways.gateway.networking.k8s.io",
    "gatewayclasses.gateway.networking.k8s.io",
    "httproutes.gateway.networking.k8s.io",
];

pub fn cluster(g: &ClusterCtx, out: &mut Vec<Finding>) {
    let f = g.facts;
    let Some((crd, label)) = WITNESSES.iter().find_map(|n| {
        let crd = f.gateway_api.crds.get(*n)?;
        Some((crd, crd.annotations.entry(BUNDLE_VERSION)?))
    }) else {
        return;
    };
    let Some((maj, min, _)) = bundle_semver(&label.value) else {
        return; // CS-CRD-004 says what an unparsable version means
    };
    let mut seen = BTreeSet::new();
    for i in &f.istiods {
        let Some(v) = &i.version else { continue };
        let Some(built) = compat::gateway_api_built_against(v) else {
            continue;
        };
        let Some((bmaj, bmin, _)) = bundle_semver(built) else {
            continue;
        };
        if (maj, min) == (bmaj, bmin) || !seen.insert(v.minor_str()) {
            continue;
        }
        let effect = if (maj, min) < (bmaj, bmin) {
            "Gateway API features of the newer release are not available until the CRDs are upgraded"
        } else {
            "fields added after that release are not understood by this istiod"
        };
        out.push(
            Finding::new(
                &rules::CS_CRD_005,
                format!(
                    "Cluster has Gateway API {} (CRD \"{}\"); Istio {v} (istiod \"{}\") was built against {built}: {effect}.",
                    label.value,
                    crd.name,
                    i.res.ns_name()
                ),
            )
            .on_node(crd, label.value_span),
        );
    }
}
