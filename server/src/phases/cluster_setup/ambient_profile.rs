//! CS-AMB-005: why a control plane is not ambient-enabled, when its values say so: the Helm
//! profile it was rendered with (`profile` or `global.profile` of the values ConfigMap, 1.26+,
//! else of the injector ConfigMap) is not `ambient`, the profile that sets
//! `PILOT_ENABLE_AMBIENT`, the mesh's `ISTIO_META_ENABLE_HBONE` and `cni.ambient.enabled`
//! (`manifests/charts/istio-control/istio-discovery/files/profile-ambient.yaml`).

use crate::analysis::facts::json_path;
use crate::analysis::ClusterCtx;
use crate::finding::Finding;
use crate::rules;

pub fn cluster(g: &ClusterCtx, out: &mut Vec<Finding>) {
    let f = g.facts;
    // one finding per values ConfigMap and revision, however many istiods share them
    let mut seen = std::collections::BTreeSet::new();
    for i in &f.istiods {
        let mesh = f.mesh_for(&i.revision);
        let hbone_missing = mesh.source.is_some() && mesh.hbone.as_deref() != Some("true");
        let mut missing = Vec::new();
        if !i.ambient_enabled() {
            missing.push("PILOT_ENABLE_AMBIENT=true on istiod");
        }
        if hbone_missing {
            missing.push("ISTIO_META_ENABLE_HBONE in the mesh config");
        }
        if missing.is_empty() {
            continue;
        }
        let Some((values, cm)) = f.values_for(&i.revision) else {
            continue;
        };
        let profile = [&["profile"][..], &["global", "profile"][..]]
            .iter()
            .find_map(|p| {
                json_path(values, p)
                    .and_then(|v| v.as_str())
                    .filter(|s| !s.is_empty())
            });
        if profile == Some("ambient") || !seen.insert((cm.ns_name(), i.revision.clone())) {
            continue;
        }
        let rendered = match profile {
            Some(p) => format!("profile \"{p}\""),
            None => "no profile (the chart defaults)".to_string(),
        };
        out.push(
            Finding::new(
                &rules::CS_AMB_005,
                format!(
                    "Rendered profile of istiod \"{}\" (revision {}): {rendered} (ConfigMap {}). That is why it lacks {}: the ambient profile sets PILOT_ENABLE_AMBIENT=true, meshConfig.defaultConfig.proxyMetadata.ISTIO_META_ENABLE_HBONE=\"true\" and cni.ambient.enabled=true. Upgrade the revision with --set profile=ambient, keeping its other values.",
                    i.res.ns_name(),
                    i.revision,
                    cm.ns_name(),
                    missing.join(" and ")
                ),
            )
            .on_node(cm, cm.name_span)
            .related(&i.res, i.res.name_span, "the control plane"),
        );
    }
}
