//! S004: when the namespace has clean-up to do, the AuthorizationPolicies that must stay: the
//! ALLOW that lets the waypoint reach the workloads, and L4 DENYs that do not depend on the
//! client's identity (ztunnel still enforces them).

use crate::analysis::authz::{allow_admits, depends_on_source_identity, l7_fields};
use crate::analysis::{NsCtx, Target};
use crate::finding::{Action, Finding, Phase};
use crate::model::{AuthzAction, Body};
use crate::rules;

pub fn namespace(ctx: &mut NsCtx) {
    let cleanup = ctx.out.iter().any(|f| {
        f.phase() == Phase::PolicySimplification
            && f.actions.iter().any(|a| matches!(a, Action::Delete { .. }))
    });
    if !cleanup {
        return;
    }
    for r in ctx.view.resources.clone() {
        let Body::AuthorizationPolicy(ap) = &r.body else {
            continue;
        };
        if !ap.target_refs.is_empty() {
            continue;
        }
        let units = ctx.selected_ambient(&r);
        let svcs = ctx.waypointed_services(&units);
        if svcs.is_empty() {
            continue;
        }
        let lets_waypoint_in = ap.action == AuthzAction::Allow
            && svcs.iter().any(|s| {
                let p = &ctx.planned[&Target::service(s)];
                allow_admits(ap, &p.identity(ctx.facts))
            });
        let why = if lets_waypoint_in {
            "it lets the waypoint reach the workloads"
        } else if ap.action == AuthzAction::Deny
            && l7_fields(ap).is_empty()
            && !depends_on_source_identity(ap)
        {
            "an L4 DENY that does not depend on the client identity is still enforced by ztunnel"
        } else {
            continue;
        };
        ctx.emit(
            Finding::new(&rules::S004, format!("Keep \"{}\": {why}.", r.ns_name()))
                .on_node(&r, r.name_span),
        );
    }
}
