//! The services of the namespace that will use a waypoint, shared by the rules of this phase.

use std::sync::Arc;

use crate::analysis::context::PlannedWaypoint;
use crate::analysis::{NsCtx, Target};
use crate::model::{Body, Resource};

/// A Service of this namespace with a planned waypoint.
#[derive(Clone)]
pub struct WaypointedService {
    /// Index in the namespace view's services.
    pub index: usize,
    pub name: String,
    pub waypoint: PlannedWaypoint,
}

pub fn waypointed(ctx: &NsCtx) -> Vec<WaypointedService> {
    let mut out = Vec::new();
    for (index, sv) in ctx.view.services.iter().enumerate() {
        if sv.infra {
            continue;
        }
        if let Some(p) = ctx.planned.get(&Target::service(sv.name())) {
            out.push(WaypointedService {
                index,
                name: sv.name().to_string(),
                waypoint: p.clone(),
            });
        }
    }
    out
}

/// The AuthorizationPolicies that apply to the ambient-bound workloads behind a waypointed
/// service (policy, is_root); `None` when none of its workloads will be ambient.
pub fn authz_applying(ctx: &NsCtx, wp: &WaypointedService) -> Option<Vec<(Arc<Resource>, bool)>> {
    let units: Vec<usize> = ctx.view.services[wp.index]
        .units
        .iter()
        .copied()
        .filter(|&u| ctx.unit(u).ambient_bound())
        .collect();
    if units.is_empty() {
        return None;
    }
    Some(
        ctx.scoped_policies()
            .into_iter()
            .filter(|(p, _)| matches!(p.body, Body::AuthorizationPolicy(_)))
            .filter(|(p, _)| {
                let sel = ctx.selected(p);
                units.iter().any(|u| sel.contains(u))
            })
            .collect(),
    )
}
