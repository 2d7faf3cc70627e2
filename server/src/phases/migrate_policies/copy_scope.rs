//! P014: what a waypoint copy cannot express of the original's `selector`. A copy for the
//! waypoint attaches by `targetRefs`, and Istio accepts only Service, ServiceEntry, Gateway and
//! GatewayClass targets there (no pod selector for waypoint-enforced policies,
//! istio/istio#56505). So a copy of a selector policy (P001, P007, P008, P009):
//! - widens the scope when the policy selects only some workloads of the Service (for an
//!   AuthorizationPolicy that is P001's blocking variant, not repeated here);
//! - does not exist for workloads behind no Service: a service waypoint never sees their
//!   traffic, so what only a waypoint enforces is lost for them;
//! - is made once per Service for workloads behind several Services.

use super::waypointed::WaypointedService;
use crate::analysis::authz::{admits_only, l7_fields, needs_waypoint_copy};
use crate::analysis::context::selector_span;
use crate::analysis::NsCtx;
use crate::finding::Finding;
use crate::model::{AuthzAction, Body, Resource};
use crate::rules;

/// What is copied of a selector policy, and whether it is lost for workloads no waypoint
/// serves (something only a waypoint enforces, not only an identity check that ztunnel keeps
/// doing when no waypoint is in the path).
fn copied(pol: &Resource) -> Option<(&'static str, bool)> {
    match &pol.body {
        Body::AuthorizationPolicy(ap) if ap.selector.is_some() && needs_waypoint_copy(ap) => {
            let waypoint_only = !l7_fields(ap).is_empty()
                || matches!(ap.action, AuthzAction::Custom | AuthzAction::Audit);
            Some(("AuthorizationPolicy", waypoint_only))
        }
        Body::RequestAuthentication(ra) if ra.selector.is_some() => {
            Some(("RequestAuthentication", true))
        }
        Body::Telemetry(t) if t.selector.is_some() => Some(("Telemetry", true)),
        Body::WasmPlugin(w) if w.selector.is_some() => Some(("WasmPlugin", true)),
        _ => None,
    }
}

pub fn namespace(ctx: &mut NsCtx, wps: &[WaypointedService]) {
    for (pol, _) in ctx.scoped_policies() {
        let Some((kind, waypoint_only)) = copied(&pol) else {
            continue;
        };
        let sel = ctx.selected_ambient(&pol);
        if sel.is_empty() {
            continue;
        }
        let at = selector_span(&pol).unwrap_or(pol.name_span);
        let is_authz = matches!(pol.body, Body::AuthorizationPolicy(_));

        // workloads behind no Service
        let unfronted: Vec<String> = sel
            .iter()
            .filter(|&&u| {
                ctx.unit(u)
                    .services
                    .iter()
                    .all(|&s| ctx.view.services[s].infra)
            })
            .map(|&u| format!("{} {}", ctx.unit(u).kind, ctx.unit(u).name))
            .collect();
        if waypoint_only && !unfronted.is_empty() {
            let f = Finding::new(
                &rules::P014,
                format!(
                    "{kind} \"{}\" selects {} but no Service fronts {}: a waypoint attached to Services never sees {} traffic, so no copy can enforce it there. Attach a copy to a workload waypoint (a Gateway with istio.io/waypoint-for: workload or all, enrolled with istio.io/use-waypoint on the pod template; targetRefs kind Gateway), or accept that only ztunnel's L4 checks apply to {} once the sidecar is gone.",
                    pol.ns_name(),
                    unfronted.join(", "),
                    if unfronted.len() == 1 { "it" } else { "them" },
                    if unfronted.len() == 1 { "its" } else { "their" },
                    if unfronted.len() == 1 { "it" } else { "them" },
                ),
            )
            .on_node(&pol, at);
            ctx.emit(f);
        }

        // the Services that get a copy
        let mut copied_to: Vec<&WaypointedService> = Vec::new();
        for wp in wps {
            let svc_units = &ctx.view.services[wp.index].units;
            if !svc_units.iter().any(|u| sel.contains(u)) {
                continue;
            }
            let partial = svc_units
                .iter()
                .any(|&u| ctx.unit(u).ambient_bound() && !sel.contains(&u));
            if let Body::AuthorizationPolicy(ap) = &pol.body {
                // P001 refuses a partial copy and one for a headless Service, and makes none
                // that admits only the waypoint
                if partial
                    || ctx.view.services[wp.index].svc().is_headless()
                    || admits_only(ap, &wp.waypoint.identity(ctx.facts))
                {
                    continue;
                }
            }
            if partial && !is_authz {
                let n = svc_units.iter().filter(|u| sel.contains(u)).count();
                let m = svc_units
                    .iter()
                    .filter(|&&u| ctx.unit(u).ambient_bound())
                    .count();
                let others: Vec<String> = svc_units
                    .iter()
                    .filter(|&&u| ctx.unit(u).ambient_bound() && !sel.contains(&u))
                    .map(|&u| format!("{} {}", ctx.unit(u).kind, ctx.unit(u).name))
                    .collect();
                let f = Finding::new(
                    &rules::P014,
                    format!(
                        "The copy of {kind} \"{}\" to Service \"{}\" widens its scope from {n} to {m} workloads: a policy at waypoint \"{}\" can only be attached to the whole Service, so it also applies to {} (not selected by the original). If that is not acceptable, give the selected workloads their own Service, or attach the copy to a waypoint dedicated to those pods (istio.io/waypoint-for: workload, targetRefs kind Gateway).",
                        pol.ns_name(),
                        wp.name,
                        wp.waypoint.display(),
                        others.join(", "),
                    ),
                )
                .on_node(&pol, at);
                ctx.emit(f);
            }
            copied_to.push(wp);
        }

        // workloads behind several Services: one copy each
        let shared: Vec<String> = sel
            .iter()
            .filter(|&&u| {
                copied_to
                    .iter()
                    .filter(|wp| ctx.view.services[wp.index].units.contains(&u))
                    .count()
                    > 1
            })
            .map(|&u| format!("{} {}", ctx.unit(u).kind, ctx.unit(u).name))
            .collect();
        if !shared.is_empty() {
            let names: Vec<String> = copied_to
                .iter()
                .map(|w| format!("\"{}\"", w.name))
                .collect();
            let f = Finding::new(
                &rules::P014,
                format!(
                    "{} selected by {kind} \"{}\" {} behind several Services ({}): the waypoint enforces one copy per Service, each only for traffic addressed to its Service. Keep the copies identical when you change the policy, and delete all of them together.",
                    shared.join(", "),
                    pol.ns_name(),
                    if shared.len() == 1 { "is" } else { "are" },
                    names.join(", "),
                ),
            )
            .on_node(&pol, at);
            ctx.emit(f);
        }
    }
}
