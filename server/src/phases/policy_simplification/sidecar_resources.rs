//! S006: a Sidecar resource that no longer selects any sidecar can be deleted.

use crate::analysis::NsCtx;
use crate::finding::Finding;
use crate::fixes::{delete_action, delete_command};
use crate::model::Body;
use crate::rules;

pub fn namespace(ctx: &mut NsCtx) {
    for r in ctx.view.resources.clone() {
        let Body::Sidecar(sc) = &r.body else { continue };
        let units = ctx
            .view
            .select(sc.workload_selector.as_ref().map(|s| &s.labels));
        let any_sidecar = units.iter().any(|&u| ctx.unit(u).has_sidecar());
        if any_sidecar || (sc.workload_selector.is_none() && ctx.view.mode.injects()) {
            continue;
        }
        let cmd = delete_command("Sidecar", &r.namespace, &r.name);
        ctx.emit(
            Finding::new(
                &rules::S006,
                format!(
                    "Sidecar \"{}\" no longer selects any sidecar and can be deleted: {cmd}",
                    r.ns_name()
                ),
            )
            .on_node(&r, r.name_span)
            .action(delete_action(&r)),
        );
    }
}
