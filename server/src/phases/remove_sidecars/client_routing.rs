//! R008: switching a namespace would make its clients lose sidecar routing/policy towards
//! services whose waypoints are not enabled yet.

use crate::analysis::{ClusterCtx, NsResult};
use crate::finding::Finding;
use crate::rules;

/// What every namespace's finding says: the first five unserved targets of the whole cluster
/// (`None`: there are none, the rule reports nothing). Beyond five, "and more" without a count:
/// with a count, every edit that changes how many targets lack a waypoint would change the
/// finding of every switching namespace (every file of a large mesh republished per edit).
pub fn listing(g: &ClusterCtx) -> Option<String> {
    let total = g.agg.unserved_len;
    if total == 0 {
        return None;
    }
    // the message is the same for every namespace: build it once (1 000+ namespaces)
    let first: Vec<&str> = g
        .agg
        .unserved_sorted()
        .take(5)
        .map(|s| s.as_str())
        .collect();
    Some(if total > 5 {
        format!("{} and more", first.join(", "))
    } else {
        first.join(", ")
    })
}

/// The finding of namespace `ns` (when it switches), given the `listing`.
pub fn namespace(ns: &str, r: &NsResult, listing: &str, out: &mut Vec<Finding>) {
    let Some((loc, res)) = &r.summary.switching else {
        return;
    };
    let mut f = Finding::new(
        &rules::R008,
        format!(
            "Workloads in \"{ns}\" may call {listing} whose routing/policy still depends on client sidecars; enable their waypoints first."
        ),
    )
    .ns(ns.to_string());
    f.location = Some(*loc);
    f.resource = res.clone();
    out.push(f);
}
