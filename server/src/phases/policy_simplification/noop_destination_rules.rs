//! S007: DestinationRules with no effect in ambient (found by W006) can be deleted once no
//! sidecar remains anywhere in the mesh.

use crate::analysis::{ClusterCtx, NsResult};
use crate::finding::Finding;
use crate::fixes::{delete_action, delete_command};
use crate::rules;

/// Whether the rule reports at all: no sidecar is left anywhere.
pub fn applies(g: &ClusterCtx) -> bool {
    g.agg.sidecar_units == 0
}

/// The findings of one namespace (when the rule `applies`).
pub fn namespace(r: &NsResult, out: &mut Vec<Finding>) {
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
