//! CS-AMB-003: istio-cni is installed without ambient support (a warning when its ConfigMap is
//! not in the input).

use crate::analysis::ClusterCtx;
use crate::finding::Finding;
use crate::model::Body;
use crate::rules;

pub fn cluster(g: &ClusterCtx, out: &mut Vec<Finding>) {
    let f = g.facts;
    for cni in &f.cnis {
        let cms: Vec<_> = f
            .cni_configs
            .iter()
            .filter(|c| c.namespace == cni.namespace)
            .collect();
        if cms.is_empty() {
            out.push(
                Finding::new(&rules::CS_AMB_003_UNVERIFIED, format!("Cannot verify ambient support of istio-cni {}: its ConfigMap (istio-cni-config) is not in the input.", cni.ns_name()))
                    .on_node(cni, cni.name_span),
            );
        }
        for cm in cms {
            let Body::ConfigMap(c) = &cm.body else {
                continue;
            };
            if c.get("AMBIENT_ENABLED") != Some("true") {
                let span = c
                    .get_spanned("AMBIENT_ENABLED")
                    .map(|(_, s)| s)
                    .unwrap_or(cm.name_span);
                out.push(
                    Finding::new(&rules::CS_AMB_003, format!("istio-cni is installed without ambient support (ConfigMap {} AMBIENT_ENABLED is not \"true\"). helm upgrade istio-cni … --set profile=ambient.", cm.ns_name()))
                        .on_node(cm, span),
                );
            }
        }
    }
}
