//! S007: DestinationRules with no effect in ambient (found by W006) can be deleted once no
//! sidecar remains anywhere in the mesh.

use crate::analysis::ClusterCtx;
use crate::finding::Finding;
use crate::fixes::{delete_action, delete_command};
use crate::rules;

pub fn cluster(g: &ClusterCtx, out: &mut Vec<Finding>) {
    let sidecars_left: usize = g.results.values().map(|r| r.summary.sidecar_units).sum();
    if sidecars_left > 0 {
        return;
    }
    for r in g.results.values() {
        for drr in &r.summary.noop_destination_rules {
            let cmd = delete_command("DestinationRule", &drr.namespace, &drr.name);
            out.push(
                Finding::new(
                    &rules::S007,
                    format!(
                        "DestinationRule \"{}\" has no effect in ambient: {cmd}",
                        drr.ns_name()
                    ),
                )
                .on_node(drr, drr.name_span)
                .action(delete_action(drr)),
            );
        }
    }
}
