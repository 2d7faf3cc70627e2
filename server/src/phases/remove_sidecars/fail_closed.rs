//! R009: policies that become deny-all (or deny more) the moment the pods lose their sidecars:
//! ztunnel enforces them without their HTTP rules.

use std::collections::HashMap;
use std::sync::Arc;

use crate::analysis::authz::{allow_admits, allow_rule_dropped, deny_effect, DenyEffect};
use crate::analysis::{NsCtx, Target};
use crate::finding::{workloads_list, Finding};
use crate::model::{AuthorizationPolicy, AuthzAction, Body, Resource};
use crate::rules;

pub fn namespace(ctx: &mut NsCtx) {
    // every unit that loses its sidecar in this migration: by the namespace switch (R001) or by
    // its own template change (R003)
    let units: Vec<usize> = ctx
        .view
        .app_units()
        .into_iter()
        .filter(|&u| ctx.unit(u).has_sidecar() && ctx.unit(u).ambient_bound())
        .collect();
    if units.is_empty() {
        return;
    }
    let scoped = ctx.scoped_policies();
    let mut admitters = Admitters::default();
    for (p, _) in &scoped {
        let Body::AuthorizationPolicy(ap) = &p.body else {
            continue;
        };
        let sel: Vec<usize> = ctx
            .selected(p)
            .into_iter()
            .filter(|u| units.contains(u))
            .collect();
        if sel.is_empty() {
            continue;
        }
        let Some((effect, affected)) = effect(ctx, &scoped, &mut admitters, p, ap, sel) else {
            continue;
        };
        let names: Vec<String> = affected.iter().map(|&u| ctx.unit(u).short()).collect();
        let at = ap
            .selector
            .as_ref()
            .map(|s| s.key_span)
            .unwrap_or(p.name_span);
        let fix = if ctx
            .refused_copies
            .contains(&format!("{}/{}", p.kind, p.name))
        {
            "No waypoint copy of it can be enforced as things are (P001): keep these sidecars, and the policy, until a copy is attached where the waypoint enforces it; do not delete it before."
        } else {
            "Delete or convert it first (apply the waypoint copies and the allow-from-waypoint policy, then delete it)."
        };
        ctx.emit(
            Finding::new(
                &rules::R009,
                format!(
                    "Removing the sidecar of {} activates ztunnel enforcement of \"{}\" without its HTTP rules ({}). {fix}",
                    workloads_list(&names),
                    p.ns_name(),
                    effect
                ),
            )
            .on_node(p, at),
        );
    }
}

/// What changes for the selected units, and which of them it affects.
fn effect(
    ctx: &NsCtx,
    scoped: &[(Arc<Resource>, bool)],
    admitters: &mut Admitters,
    p: &Arc<Resource>,
    ap: &AuthorizationPolicy,
    sel: Vec<usize>,
) -> Option<(String, Vec<usize>)> {
    match ap.action {
        AuthzAction::Allow if ap.rules.iter().any(allow_rule_dropped) => {
            // traffic the dropped rules allowed still works when it is relayed by a waypoint
            // the workload admits (the allow-from-waypoint policy is in place)
            let affected: Vec<usize> = sel
                .into_iter()
                .filter(|&u| !compensated(ctx, scoped, admitters, p, u))
                .collect();
            if affected.is_empty() {
                return None;
            }
            let what = if ap.rules.iter().all(allow_rule_dropped) {
                "it matches nothing, so every connection it allowed is denied"
            } else {
                "its rules with HTTP attributes are dropped, so the clients they allowed are denied"
            };
            Some((what.to_string(), affected))
        }
        AuthzAction::Deny => {
            let broader: Vec<String> = ap
                .rules
                .iter()
                .filter_map(|r| match deny_effect(r) {
                    DenyEffect::Broader(w) => Some(w),
                    _ => None,
                })
                .collect();
            if broader.is_empty() {
                return None;
            }
            Some((broader.join("; "), sel))
        }
        _ => None,
    }
}

/// Per unit, the scoped ALLOW policies that select it and admit the (planned) waypoint of one
/// of its services: computed once per unit, not once per policy (N policies on one workload
/// stay linear).
type Admitters = HashMap<usize, Vec<Arc<Resource>>>;

/// A unit whose traffic through its (planned) waypoint is admitted by an existing ALLOW policy
/// other than `this`.
fn compensated(
    ctx: &NsCtx,
    scoped: &[(Arc<Resource>, bool)],
    admitters: &mut Admitters,
    this: &Arc<Resource>,
    u: usize,
) -> bool {
    let list = admitters.entry(u).or_insert_with(|| {
        let ids: Vec<_> = ctx
            .services_of(&[u])
            .iter()
            .filter_map(|s| ctx.planned.get(&Target::service(s)))
            .map(|p| p.identity(ctx.facts))
            .collect();
        if ids.is_empty() {
            return Vec::new();
        }
        scoped
            .iter()
            .filter(|(o, _)| {
                matches!(&o.body, Body::AuthorizationPolicy(oa) if ids.iter().any(|id| allow_admits(oa, id)))
                    && ctx.selected(o).contains(&u)
            })
            .map(|(o, _)| o.clone())
            .collect()
    });
    list.iter().any(|o| !Arc::ptr_eq(o, this))
}
