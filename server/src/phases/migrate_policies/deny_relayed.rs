//! P005: a DENY policy at the workload would deny traffic relayed by the waypoint (it denies
//! sources other than those it lists, and the waypoint's identity is not among them). The
//! policies found are recorded for the ordering guard (U008).

use std::collections::BTreeSet;

use super::waypointed::{authz_applying, WaypointedService};
use crate::analysis::authz::{deny_catches, Tri};
use crate::analysis::{NsCtx, Target};
use crate::finding::Finding;
use crate::model::Body;
use crate::rules;

pub fn namespace(ctx: &mut NsCtx, wps: &[WaypointedService]) {
    let ns = ctx.ns().to_string();
    let mut reported: BTreeSet<(String, String, String)> = BTreeSet::new();
    for wp in wps {
        let Some(applying) = authz_applying(ctx, wp) else {
            continue;
        };
        let id = wp.waypoint.identity(ctx.facts);
        for (p, _) in &applying {
            let Body::AuthorizationPolicy(ap) = &p.body else {
                continue;
            };
            let Some((ri, m)) = deny_catches(ap, &id) else {
                continue;
            };
            ctx.blocked
                .entry(Target::service(&wp.name))
                .or_default()
                .push(format!(
                    "DENY policy {} still denies the waypoint",
                    p.ns_name()
                ));
            let key = (
                p.ns_name(),
                wp.waypoint.ns.clone(),
                wp.waypoint.name.clone(),
            );
            if !reported.insert(key) {
                continue;
            }
            let span = ap.rules[ri]
                .from
                .first()
                .map(|s| s.span)
                .unwrap_or(ap.rules[ri].span);
            let sure = if m == Tri::Yes { "will" } else { "may" };
            let f = Finding::new(
                &rules::P005,
                format!(
                    "AuthorizationPolicy \"{}\" denies sources other than those it lists; traffic relayed by waypoint \"{}\" carries identity {} and {} be denied at the workload. Add the waypoint to the exceptions (e.g. notPrincipals) and enforce the original check at the waypoint.",
                    p.ns_name(),
                    wp.waypoint.display(),
                    id.principal,
                    sure
                ),
            )
            .on_node(p, span)
            .ns(ns.clone());
            ctx.emit(f);
        }
    }
}
