//! U007: a service or workload opts out of waypoints (`istio.io/use-waypoint: none`) although
//! it needs one.

use crate::analysis::mesh::{Binding, LabelSite};
use crate::analysis::{NsCtx, Target};
use crate::finding::Finding;
use crate::model::Body;
use crate::rules;

pub fn namespace(ctx: &mut NsCtx) {
    services(ctx);
    workloads(ctx);
}

fn services(ctx: &mut NsCtx) {
    let mut found = Vec::new();
    for sv in &ctx.view.services {
        let t = Target::service(sv.name());
        if !matches!(sv.binding, Binding::OptOut(LabelSite::Object)) || !ctx.needs(&t) {
            continue;
        }
        let reasons: Vec<String> = ctx.reasons[&t].iter().map(|r| r.what.clone()).collect();
        let res = &sv.res;
        let span = res
            .labels
            .entry("istio.io/use-waypoint")
            .map(|l| l.key_span.cover(l.value_span))
            .unwrap_or(res.name_span);
        found.push(
            Finding::new(
                &rules::U007,
                format!("\"{}\" opts out of its namespace waypoint (istio.io/use-waypoint=none) but depends on {}.", res.ns_name(), reasons.join(", ")),
            )
            .on_node(res, span),
        );
    }
    for f in found {
        ctx.emit(f);
    }
}

fn workloads(ctx: &mut NsCtx) {
    for u in ctx.view.units.clone() {
        if u.labels.get("istio.io/use-waypoint") != Some("none") {
            continue;
        }
        let needing: Vec<String> = u
            .services
            .iter()
            .map(|&s| ctx.view.services[s].name().to_string())
            .filter(|n| ctx.needs(&Target::service(n)))
            .collect();
        if needing.is_empty() {
            continue;
        }
        let Some(r) = &u.res else { continue };
        let Body::Workload(w) = &r.body else { continue };
        let span = w
            .pod_labels
            .entry("istio.io/use-waypoint")
            .map(|l| l.key_span.cover(l.value_span))
            .unwrap_or(r.name_span);
        ctx.emit(
            Finding::new(
                &rules::U007,
                format!(
                    "\"{}\" opts out of waypoints (istio.io/use-waypoint=none) but Service(s) {} in front of it need one.",
                    u.short(),
                    needing.join(", ")
                ),
            )
            .on_node(r, span),
        );
    }
}
