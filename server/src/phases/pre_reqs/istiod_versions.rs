//! PR-VER-002 (below 1.25), PR-VER-003 (unknown or pre-release version) and PR-VER-004
//! (upstream build): the version of each istiod.

use crate::analysis::ClusterCtx;
use crate::finding::Finding;
use crate::rules;

pub fn cluster(g: &ClusterCtx, out: &mut Vec<Finding>) {
    for i in &g.facts.istiods {
        let r = &i.res;
        match &i.version {
            None => out.push(
                Finding::new(
                    &rules::PR_VER_003,
                    format!(
                        "Cannot determine the Istio version of istiod \"{}\" (revision {}): image {} has no version tag. Add app.kubernetes.io/version, use a tagged image, or include the values ConfigMap.",
                        r.ns_name(),
                        i.revision,
                        i.image.clone().unwrap_or_else(|| "?".to_string())
                    ),
                )
                .on_node(r, r.name_span),
            ),
            Some(v) if !v.at_least(1, 25) => out.push(
                Finding::new(
                    &rules::PR_VER_002,
                    format!(
                        "istiod \"{}\" (revision {}) runs Istio {}; ambient migration requires 1.25+ on every control plane. Upgrade that revision (you can enable ambient in the same step) or retire it.",
                        r.ns_name(),
                        i.revision,
                        v
                    ),
                )
                .on_node(r, r.name_span),
            ),
            Some(v) => {
                if !v.is_solo() {
                    out.push(
                        Finding::new(
                            &rules::PR_VER_004,
                            format!("istiod \"{}\" uses an upstream build ({v}); the zero-downtime path requires Solo.io builds of Istio (tags ending in -solo).", r.ns_name()),
                        )
                        .on_node(r, r.name_span),
                    );
                }
                if v.is_prerelease() {
                    out.push(
                        Finding::new(&rules::PR_VER_003, format!("istiod \"{}\" runs a pre-release build ({v}).", r.ns_name()))
                            .on_node(r, r.name_span),
                    );
                }
            }
        }
    }
}
