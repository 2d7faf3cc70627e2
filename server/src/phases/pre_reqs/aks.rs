//! PR-CNI-013: the AKS managed Istio add-on (namespace `aks-istio-system`, revisions
//! `asm-1-<minor>`): Azure installs and upgrades its control plane, so enabling ambient on it is
//! not a Helm/istioctl step of this migration.

use crate::analysis::ClusterCtx;
use crate::finding::Finding;
use crate::rules;

const ADDON_NS: &str = "aks-istio-system";

/// `asm-1-25`: the add-on's revision names.
fn is_addon_revision(rev: &str) -> bool {
    rev.strip_prefix("asm-1-")
        .is_some_and(|m| !m.is_empty() && m.chars().all(|c| c.is_ascii_digit()))
}

pub fn cluster(g: &ClusterCtx, out: &mut Vec<Finding>) {
    let f = g.facts;
    let mut evidence = Vec::new();
    let istiod = f
        .istiods
        .iter()
        .find(|i| i.res.namespace == ADDON_NS || is_addon_revision(&i.revision));
    if let Some(i) = istiod {
        evidence.push(format!(
            "istiod \"{}\" (revision {})",
            i.res.ns_name(),
            i.revision
        ));
    }
    let ns = g.index.namespace_object(ADDON_NS);
    if istiod.is_none() && (ns.is_some() || g.index.has_ns(ADDON_NS)) {
        evidence.push(format!("namespace {ADDON_NS}"));
    }
    if evidence.is_empty() {
        return;
    }
    let fi = Finding::new(
        &rules::PR_CNI_013,
        format!(
            "AKS managed Istio add-on detected ({}): Azure installs and upgrades its control plane (revisions asm-1-<minor>), so ambient mode (ztunnel, istio-cni, the ambient profile) cannot be enabled on it with Helm or istioctl. Check with the provider that the add-on revision supports ambient mode (az aks mesh get-revisions) before migrating, or migrate to a self-managed Istio first; istioctl needs --istioNamespace {ADDON_NS}.",
            evidence.join(", ")
        ),
    );
    out.push(match (istiod, ns) {
        (Some(i), _) => fi.on_node(&i.res, i.res.name_span),
        (None, Some(n)) => fi.on_node(n, n.name_span),
        (None, None) => fi,
    });
}

#[cfg(test)]
mod tests {
    #[test]
    fn addon_revisions() {
        assert!(super::is_addon_revision("asm-1-25"));
        assert!(!super::is_addon_revision("asm-1-"));
        assert!(!super::is_addon_revision("1-25-2"));
    }
}
