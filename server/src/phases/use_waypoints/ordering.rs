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
    let mut missing: Vec<String> = pending.iter().map(|p| p.item.clone()).collect();
    missing.extend(
        blocked
            .iter()
            .map(|b| format!("{b} still denies the waypoint")),
    );
    if missing.is_empty() {
        return None;
    }
    let denies = !blocked.is_empty() || pending.iter().any(|p| p.origin.is_empty());
    let effect = if denies {
        "deny traffic at the workload"
    } else {
        "skip L7 policy for ambient clients"
    };
    let wp = ctx.planned[t].display();
    let msg = if in_use {
        format!(
            "Waypoint \"{wp}\" already serves {} \"{}/{}\" but these are missing: {}. Traffic through it will {effect}; apply them now (recommended-policies.yaml).",
            t.kind_str(),
            ns,
            t.name,
            missing.join(", ")
        )
    } else {
        format!(
            "Do not enable waypoint \"{wp}\" for \"{}/{}\" yet: apply {} first. Enabling it now would {effect}.",
            ns,
            t.name,
            missing.join(", ")
        )
    };
    let rule = if in_use {
        &rules::U008_IN_USE
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
