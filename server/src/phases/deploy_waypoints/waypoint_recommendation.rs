//! W020: the waypoint to deploy for the namespace, with the services that need it and why
//! (the findings that state those needs are then summarised by this one in the text report).

use std::collections::BTreeSet;

use crate::analysis::mesh::Injection;
use crate::analysis::{NsCtx, Target};
use crate::finding::{Action, Finding, Object};
use crate::rules;

pub fn namespace(ctx: &mut NsCtx) {
    let Some(wp) = ctx.ns_waypoint.clone() else {
        return;
    };
    let served: Vec<Target> = ctx
        .planned
        .iter()
        .filter(|(t, p)| **p == wp && ctx.needs(t))
        .map(|(t, _)| t.clone())
        .collect();
    if wp.exists || served.is_empty() {
        return;
    }
    let ns = ctx.ns().to_string();
    let revision = match &ctx.view.mode.injection {
        Injection::Rev(r) => Some(r.clone()),
        _ => None,
    };
    let workload_traffic = !super::plan::headless_needing(ctx).is_empty();
    let object = crate::fixes::waypoint_gateway(
        &ns,
        &wp.name,
        revision.as_deref(),
        if workload_traffic { Some("all") } else { None },
    );
    let mut details = Vec::new();
    let mut reasons_flat = Vec::new();
    for t in &served {
        let rs: Vec<String> = ctx.reasons[t]
            .iter()
            .filter(|r| !r.rule.advisory || ctx.opts.strict_waypoints)
            .map(|r| r.what.clone())
            .collect();
        details.push(format!(
            "{} \"{}/{}\" depends on {}",
            t.kind_str(),
            ns,
            t.name,
            rs.join(", ")
        ));
        reasons_flat.extend(rs);
    }
    reasons_flat.sort();
    reasons_flat.dedup();
    let f = ctx
        .at_anchor(Finding::new(
            &rules::W020,
            format!("Namespace \"{ns}\" may require a waypoint for the following services:"),
        ))
        .ns(ns.clone())
        .details(details)
        .action(Action::DeployWaypoint {
            namespace: ns.clone(),
            waypoint: wp.name.clone(),
            services: served.iter().map(|t| t.name.clone()).collect(),
            reasons: reasons_flat,
            resource: Object::new(&object),
        });
    ctx.emit(f);
    // the findings that state these needs are listed by the block
    let served: BTreeSet<Target> = served.into_iter().collect();
    for (i, ts) in ctx.need_findings.clone() {
        if !ts.is_empty() && ts.iter().all(|t| served.contains(t)) {
            ctx.out[i].summarized = true;
        }
    }
}
