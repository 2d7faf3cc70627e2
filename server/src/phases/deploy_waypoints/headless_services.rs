//! W018: a headless service that needs a waypoint: clients address its pods directly, so a
//! service waypoint is bypassed.

use crate::analysis::NsCtx;
use crate::finding::Finding;
use crate::rules;

pub fn namespace(ctx: &mut NsCtx) {
    for si in super::plan::headless_needing(ctx) {
        let res = ctx.view.services[si].res.clone();
        let f = Finding::new(
            &rules::W018,
            format!(
                "\"{}\" is headless; clients address pods directly, so a service waypoint (default istio.io/waypoint-for: service) is bypassed. Use a waypoint with istio.io/waypoint-for: all (or workload) and enroll the pods (istio.io/use-waypoint on their pod template, or the namespace label): a label on the Service enrolls nothing, ztunnel uses a Service's waypoint only for traffic addressed to the Service. Service-targeted policies do not cover pod-addressed traffic.",
                res.ns_name()
            ),
        )
        .on_node(&res, res.name_span);
        ctx.emit(f);
    }
}
