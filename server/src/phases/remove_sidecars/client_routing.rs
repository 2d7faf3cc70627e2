//! R008: switching a namespace would make its clients lose sidecar routing/policy towards
//! services whose waypoints are not enabled yet.

use crate::analysis::ClusterCtx;
use crate::finding::Finding;
use crate::rules;

pub fn cluster(g: &ClusterCtx, out: &mut Vec<Finding>) {
    let mut unserved: Vec<&String> = g
        .results
        .values()
        .flat_map(|r| r.summary.unserved.iter())
        .collect();
    if unserved.is_empty() {
        return;
    }
    // the message is the same for every namespace: build it once (1 000+ namespaces)
    let listing = if unserved.len() > 5 {
        unserved.select_nth_unstable(5);
        let mut first: Vec<&String> = unserved[..5].to_vec();
        first.sort();
        format!(
            "{} and {} more",
            first
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            unserved.len() - 5
        )
    } else {
        unserved.sort();
        unserved
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    for (ns, r) in g.results.iter() {
        let Some((loc, res)) = &r.summary.switching else {
            continue;
        };
        let mut f = Finding::new(
            &rules::R008,
            format!(
                "Workloads in \"{ns}\" may call {listing} whose routing/policy still depends on client sidecars; enable their waypoints first."
            ),
        )
        .ns(ns.clone());
        f.location = Some(*loc);
        f.resource = res.clone();
        out.push(f);
    }
}
