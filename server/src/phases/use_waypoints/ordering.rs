//! U008: policies must be in place before a waypoint is used. For a target already served by a
//! waypoint (blocking), labelled to use a waypoint that the plan creates (creating it enables
//! it), or about to be enrolled: the recommended objects not yet applied and the DENY policies
//! that would deny the waypoint.

use super::enrollment::enrollment;
use crate::analysis::mesh::{generates_waypoint, resolve_binding, BindProblem, Binding, Traffic};
use crate::analysis::{NsCtx, Target, TargetKind};
use crate::finding::Finding;
use crate::model::Body;
use crate::rules;

pub fn namespace(ctx: &mut NsCtx) {
    let recommended = enrollment(ctx).map(|e| e.targets).unwrap_or_default();
    let observed: Vec<Target> = ctx
        .planned
        .iter()
        .filter(|(_, p)| p.bound)
        .map(|(t, _)| t.clone())
        .collect();
    let labelled = labelled_to_created(ctx);
    let targets = observed
        .into_iter()
        .map(|t| (t, Use::Served))
        .chain(labelled.into_iter().map(|t| (t, Use::OnCreation)))
        .chain(recommended.into_iter().map(|t| (t, Use::Enrolled)));
    for (t, how) in targets {
        if let Some(f) = finding(ctx, &t, how) {
            ctx.emit(f);
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Use {
    /// Already served by an existing waypoint.
    Served,
    /// Labelled to use a waypoint that does not exist and that the plan creates
    /// (recommended-waypoints.yaml): creating it enables it.
    OnCreation,
    /// About to be enrolled by a label of the plan.
    Enrolled,
}

/// Targets whose `istio.io/use-waypoint` label (own or namespace's) names a waypoint that does
/// not exist and that the plan generates under that name (W020): traffic goes through it as
/// soon as it is ready, with no other step (Istio 1.26 `fetchWaypointForTarget`).
fn labelled_to_created(ctx: &NsCtx) -> Vec<Target> {
    let ns_labels = ctx.view.mode.labels();
    let mut out = Vec::new();
    for (t, p) in &ctx.planned {
        if p.bound || p.exists {
            continue;
        }
        let binding = match t.kind {
            TargetKind::Service => ctx
                .view
                .services
                .iter()
                .find(|sv| sv.name() == t.name)
                .map(|sv| sv.binding.clone()),
            TargetKind::ServiceEntry => ctx
                .view
                .resources
                .iter()
                .find(|r| matches!(r.body, Body::ServiceEntry(_)) && r.name == t.name)
                .map(|r| {
                    resolve_binding(
                        ctx.index,
                        ctx.facts,
                        ctx.ns(),
                        &ns_labels,
                        &r.labels,
                        Traffic::Service,
                    )
                }),
        };
        if let Some(Binding::Broken {
            ns,
            name,
            problem: BindProblem::Missing,
            ..
        }) = binding
        {
            if ns == p.ns && name == p.name && generates_waypoint(ctx.index, &ns, &name) {
                out.push(t.clone());
            }
        }
    }
    out
}

fn finding(ctx: &NsCtx, t: &Target, how: Use) -> Option<Finding> {
    let in_use = how == Use::Served;
    let ns = ctx.ns();
    let pending = ctx.pending.get(t).cloned().unwrap_or_default();
    let blocked = ctx.blocked.get(t).cloned().unwrap_or_default();
    if pending.is_empty() && blocked.is_empty() {
        return None;
    }
    let denies = !blocked.is_empty() || pending.iter().any(|p| p.origin.is_empty());
    let effect = if denies {
        "deny traffic at the workload"
    } else {
        "skip L7 policy for ambient clients"
    };
    let wp = ctx.planned[t].display();
    let apply: Vec<String> = pending.iter().map(|p| p.item.clone()).collect();
    let mut problems: Vec<String> = Vec::new();
    if !apply.is_empty() {
        problems.push(if in_use {
            format!("these are missing: {}", apply.join(", "))
        } else {
            format!("apply {} first", apply.join(", "))
        });
    }
    if !blocked.is_empty() {
        problems.push(format!(
            "{} (change it before the waypoint is used)",
            blocked.join("; ")
        ));
    }
    let msg = if how == Use::OnCreation {
        format!(
            "Waypoint \"{wp}\" does not exist yet, but {} \"{}/{}\" is already labelled to use it: its traffic goes through the waypoint as soon as recommended-waypoints.yaml creates it: {}. Creating it now would {effect} (commands.sh creates it in use-waypoints, after recommended-policies.yaml).",
            t.kind_str(),
            ns,
            t.name,
            problems.join("; ")
        )
    } else if in_use {
        format!(
            "Waypoint \"{wp}\" already serves {} \"{}/{}\" but {}. Traffic through it will {effect}; {}.",
            t.kind_str(),
            ns,
            t.name,
            problems.join("; "),
            if blocked.is_empty() {
                "apply them now (recommended-policies.yaml)"
            } else {
                "fix this now"
            }
        )
    } else {
        format!(
            "Do not enable waypoint \"{wp}\" for \"{}/{}\" yet: {}. Enabling it now would {effect}.",
            ns,
            t.name,
            problems.join("; ")
        )
    };
    let rule = if in_use {
        &rules::U008_IN_USE
    } else if !blocked.is_empty() {
        &rules::U008_DENIED
    } else {
        &rules::U008
    };
    let f = Finding::new(rule, msg);
    let res = ctx
        .view
        .resources
        .iter()
        .find(|r| r.kind == t.kind_str() && r.name == t.name);
    Some(match res {
        Some(r) => f.on_node(r, r.name_span),
        None => ctx.at_anchor(f),
    })
}
