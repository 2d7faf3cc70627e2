//! CS-AMB-006: ztunnel's `XDS_ADDRESS` (`istiod[-<rev>].<istioNamespace>.svc:15012` in the
//! ztunnel chart's `daemonset.yaml`; `istiod.istio-system.svc:15012` when unset) names a Service
//! that does not exist, that fronts no istiod, or whose istiods are not ambient-enabled: ztunnel
//! gets no workloads and no policies. `CA_ADDRESS` is set separately by the chart (`caAddress`)
//! and may name an external CA (cert-manager istio-csr, …): only when it is unset, so ztunnel's
//! default istiod address is its CA, must that Service exist and front an istiod.

use std::collections::BTreeSet;

use crate::analysis::facts::{address_service, agent_address};
use crate::analysis::ClusterCtx;
use crate::finding::Finding;
use crate::model::Body;
use crate::rules;

pub fn cluster(g: &ClusterCtx, out: &mut Vec<Finding>) {
    let f = g.facts;
    if f.istiods.is_empty() {
        return;
    }
    for z in &f.ztunnels {
        let mut seen = BTreeSet::new();
        for key in ["XDS_ADDRESS", "CA_ADDRESS"] {
            let Some((addr, set)) = agent_address(z, key) else {
                continue;
            };
            let Some((ns, name)) = address_service(addr, &z.namespace) else {
                continue;
            };
            // An explicit CA_ADDRESS may be any CA that signs mesh certificates.
            if key == "CA_ADDRESS" && set {
                continue;
            }
            if !seen.insert((ns.clone(), name.clone())) {
                continue;
            }
            let needs_ambient = key == "XDS_ADDRESS";
            let how = if set {
                format!("{key}={addr}")
            } else {
                format!("{key} unset, so ztunnel's default {addr}")
            };
            let problem = match g.index.find("", "Service", &ns, &name) {
                None => Some(format!(
                    "Service {ns}/{name} does not exist (include it in the input if it exists)"
                )),
                Some(s) => {
                    let behind = f.istiods_behind(s);
                    if behind.is_empty() {
                        Some(format!(
                            "Service {ns}/{name} selects no istiod of the input"
                        ))
                    } else if needs_ambient && behind.iter().all(|i| !i.ambient_enabled()) {
                        Some(format!(
                            "the istiod behind Service {ns}/{name} ({}) does not run with PILOT_ENABLE_AMBIENT=true",
                            behind
                                .iter()
                                .map(|i| i.res.ns_name())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ))
                    } else {
                        None
                    }
                }
            };
            let Some(problem) = problem else { continue };
            let loses = if needs_ambient {
                "ztunnel gets no configuration (workloads, services, policies) from it"
            } else {
                "ztunnel, whose CA_ADDRESS is unset, gets no certificates from it"
            };
            let span = match &z.body {
                Body::Workload(w) if set => w
                    .containers
                    .iter()
                    .find(|c| c.has_env(key))
                    .map(|c| c.span)
                    .unwrap_or(z.name_span),
                _ => z.name_span,
            };
            out.push(
                Finding::new(
                    &rules::CS_AMB_006,
                    format!(
                        "ztunnel {} points to control plane {addr} ({how}), but {problem}: {loses}, so ambient pods on its nodes lose traffic. Align the ztunnel chart's revision and istioNamespace (or {}) with an ambient-enabled istiod.",
                        z.ns_name(),
                        if needs_ambient { "xdsAddress" } else { "caAddress, or an external CA's address" }
                    ),
                )
                .on_node(z, span),
            );
        }
    }
}
