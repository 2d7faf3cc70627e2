//! Which targets the migration enrolls in the namespace's waypoint (not a rule; U002
//! recommends it, U008 guards it): the targets planned on the namespace waypoint that are not
//! bound yet and have no label of their own — all through the Namespace label when the plan
//! enrolls the whole namespace, else those that need the waypoint, one by one.

use crate::analysis::context::PlannedWaypoint;
use crate::analysis::mesh::Binding;
use crate::analysis::{NsCtx, Target, TargetKind};

pub struct Enrollment {
    pub waypoint: PlannedWaypoint,
    /// Through the Namespace label (else one label per target).
    pub namespace_label: bool,
    pub targets: Vec<Target>,
}

pub fn enrollment(ctx: &NsCtx) -> Option<Enrollment> {
    let wp = ctx.ns_waypoint.clone()?;
    let unbound: Vec<Target> = ctx
        .planned
        .iter()
        .filter(|(_, p)| **p == wp && !p.bound)
        .filter(|(t, _)| match t.kind {
            TargetKind::Service => ctx
                .view
                .service(&t.name)
                .is_some_and(|(_, s)| matches!(s.binding, Binding::None)),
            TargetKind::ServiceEntry => true,
        })
        .map(|(t, _)| t.clone())
        .collect();
    let ns_has_label = ctx.view.mode.label("istio.io/use-waypoint").is_some();
    if ctx.ns_level {
        if ns_has_label || unbound.is_empty() {
            return None;
        }
        return Some(Enrollment {
            waypoint: wp,
            namespace_label: true,
            targets: unbound,
        });
    }
    let targets: Vec<Target> = unbound.into_iter().filter(|t| ctx.needs(t)).collect();
    Some(Enrollment {
        waypoint: wp,
        namespace_label: false,
        targets,
    })
}
