//! U008: policies must be in place before a waypoint is used. For a target already served by a
//! waypoint (blocking) or about to be enrolled: the recommended objects not yet applied and the
//! DENY policies that would deny the waypoint.

use super::enrollment::enrollment;
use crate::analysis::{NsCtx, Target};
use crate::finding::Finding;
use crate::rules;

pub fn namespace(ctx: &mut NsCtx) {
    let recommended = enrollment(ctx).map(|e| e.targets).unwrap_or_default();
    let observed: Vec<Target> = ctx
        .planned
        .iter()
        .filter(|(_, p)| p.bound)
        .map(|(t, _)| t.clone())
        .collect();
    let targets = observed
        .into_iter()
        .map(|t| (t, true))
        .chain(recommended.into_iter().map(|t| (t, false)));
    for (t, in_use) in targets {
        if let Some(f) = finding(ctx, &t, in_use) {
            ctx.emit(f);
        }
    }
}

fn finding(ctx: &NsCtx, t: &Target, in_use: bool) -> Option<Finding> {
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
    let msg = if in_use {
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
