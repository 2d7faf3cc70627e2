//! PR-VER-005: namespaces naming a revision or tag that has no control plane, or control planes
//! of different versions. (A revision tag pointing at a missing revision is CS-WH-004.)

use crate::analysis::{ClusterCtx, NsCtx};
use crate::finding::Finding;
use crate::rules;

/// A namespace labelled with a revision or tag that no istiod serves.
pub fn namespace(ctx: &mut NsCtx) {
    let Some(m) = ctx.view.mode.manifest.clone() else {
        return;
    };
    let Some(l) = m.labels.entry("istio.io/rev") else {
        return;
    };
    if ctx.facts.istiods.is_empty() {
        return;
    }
    let rev = ctx.facts.resolve_rev(&l.value);
    if !ctx.facts.revision_exists(rev) {
        let f = Finding::new(
            &rules::PR_VER_005,
            format!(
                "Namespace \"{}\" references revision/tag \"{}\" that has no control plane.",
                ctx.ns(),
                l.value
            ),
        )
        .on_node(&m, l.key_span.cover(l.value_span));
        ctx.emit(f);
    }
}

/// Control planes of different versions.
pub fn cluster(g: &ClusterCtx, out: &mut Vec<Finding>) {
    let f = g.facts;
    if f.istiods.is_empty() {
        return;
    }
    let versions: std::collections::BTreeSet<String> = f
        .istiods
        .iter()
        .filter_map(|i| i.version.as_ref().map(|v| v.minor_str()))
        .collect();
    if versions.len() > 1 {
        let desc: Vec<String> = f
            .istiods
            .iter()
            .map(|i| {
                format!(
                    "{} ({})",
                    i.revision,
                    i.version
                        .as_ref()
                        .map(|v| v.to_string())
                        .unwrap_or_else(|| "?".into())
                )
            })
            .collect();
        let r = &f.istiods[0].res;
        out.push(Finding::new(&rules::PR_VER_005, format!("Several control plane revisions run different Istio versions: {}. Each referenced revision must pass the version check.", desc.join(", "))).on_node(r, r.name_span));
    }
}
