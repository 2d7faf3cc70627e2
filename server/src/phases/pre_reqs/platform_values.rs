//! PR-CNI-016: the platform Istio was rendered for (`global.platform`, or `platform`, of the
//! values ConfigMap; Helm applies `files/profile-platform-<p>.yaml`) is not the platform the
//! cluster looks like.

use crate::analysis::facts::json_path;
use crate::analysis::{platform, ClusterCtx};
use crate::finding::Finding;
use crate::rules;

/// The `global.platform` value a detected platform needs (`""`: none, the chart defaults).
fn platform_value(name: &str) -> &'static str {
    match name {
        "GKE" => "gke",
        "OpenShift" => "openshift",
        "k3d" => "k3d",
        "k3s" => "k3s",
        "MicroK8s" => "microk8s",
        "minikube" => "minikube",
        _ => "",
    }
}

pub fn cluster(g: &ClusterCtx, out: &mut Vec<Finding>) {
    let Some(p) = platform::detect(g).filter(|p| p.confidence != "low") else {
        return;
    };
    let want = platform_value(p.name);
    let mut seen = std::collections::BTreeSet::new();
    for i in &g.facts.istiods {
        let Some((values, cm)) = g.facts.values_for(&i.revision) else {
            continue;
        };
        if !seen.insert(cm.ns_name()) {
            continue;
        }
        // the chart reads `coalesce .Values.platform .Values.global.platform`
        let rendered = [&["platform"][..], &["global", "platform"][..]]
            .iter()
            .find_map(|path| {
                json_path(values, path)
                    .and_then(|v| v.as_str())
                    .filter(|s| !s.is_empty())
            })
            .unwrap_or("");
        if rendered == want {
            continue;
        }
        let shown = |v: &str| {
            if v.is_empty() {
                "no platform (the chart defaults)".to_string()
            } else {
                format!("global.platform={v}")
            }
        };
        out.push(
            Finding::new(
                &rules::PR_CNI_016,
                format!(
                    "Istio revision {} was rendered with {} (ConfigMap {}), but the cluster looks like {} ({}; confidence {}), which needs {}. The platform profiles set the CNI paths, the trusted ztunnel namespace and the node-critical quotas: re-render with the right global.platform (istioctl applies it to every component; with Helm, pass it to the istiod, istio-cni and ztunnel releases alike).",
                    i.revision,
                    shown(rendered),
                    cm.ns_name(),
                    p.name,
                    p.evidence,
                    p.confidence,
                    shown(want)
                ),
            )
            .on_node(cm, cm.name_span),
        );
    }
}
