//! The sidecar-era AuthorizationPolicies the waypoint now enforces (shared by S001–S003): a
//! policy of this namespace without targetRefs that selects ambient-bound workloads behind
//! waypointed services, and is not itself what lets the waypoint in.

use crate::analysis::authz::admits_only;
use crate::analysis::{NsCtx, Target};
use crate::model::{AuthorizationPolicy, Resource};

pub struct Original {
    /// The ambient-bound units it selects.
    pub units: Vec<usize>,
    /// The waypointed services in front of them.
    pub services: Vec<String>,
    /// Those units that still have a sidecar (the original must stay for them: S009).
    pub with_sidecar: Vec<usize>,
}

pub fn original(ctx: &NsCtx, r: &Resource, ap: &AuthorizationPolicy) -> Option<Original> {
    if !ap.target_refs.is_empty() {
        return None;
    }
    let units = ctx.selected_ambient(r);
    if units.is_empty() {
        return None;
    }
    let services = ctx.waypointed_services(&units);
    if services.is_empty() {
        return None;
    }
    // the allow-from-waypoint policy itself must stay (S004)
    let only_waypoint = services.iter().any(|s| {
        let p = &ctx.planned[&Target::service(s)];
        admits_only(ap, &p.identity(ctx.facts))
    });
    if only_waypoint {
        return None;
    }
    let with_sidecar = units
        .iter()
        .copied()
        .filter(|&u| ctx.unit(u).has_sidecar())
        .collect();
    Some(Original {
        units,
        services,
        with_sidecar,
    })
}

/// The objects generated in this run from `origin` for the services (to apply first).
pub fn pending_for(ctx: &NsCtx, services: &[String], origin: &Resource) -> Vec<String> {
    let key = format!("{}/{}", origin.kind, origin.name);
    let mut out = Vec::new();
    for s in services {
        if let Some(p) = ctx.pending.get(&Target::service(s)) {
            for item in p {
                if item.origin == key {
                    out.push(item.item.clone());
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// ` (after applying … from recommended-policies.yaml)`, or nothing.
pub fn after(pending: &[String]) -> String {
    if pending.is_empty() {
        String::new()
    } else {
        format!(
            " (after applying {} from recommended-policies.yaml)",
            pending.join(", ")
        )
    }
}
