//! R007: removing the namespace's `istio.io/rev` label also moves its waypoints (that do not
//! pin a revision) to another control plane.

use crate::analysis::mesh::Injection;
use crate::analysis::NsCtx;
use crate::finding::Finding;
use crate::rules;

pub fn namespace(ctx: &mut NsCtx) {
    let Injection::Rev(rev) = ctx.view.mode.injection.clone() else {
        return;
    };
    for gw in ctx.view.waypoints.clone() {
        if gw.labels.has("istio.io/rev") {
            continue;
        }
        ctx.emit(
            Finding::new(
                &rules::R007,
                format!(
                    "Removing istio.io/rev from \"{}\" also changes which control plane revision manages waypoint \"{}\". Pin the Gateway with istio.io/rev={rev} first.",
                    ctx.ns(),
                    gw.ns_name()
                ),
            )
            .on_node(&gw, gw.name_span),
        );
    }
}
