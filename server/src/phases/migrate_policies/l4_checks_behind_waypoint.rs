//! P006: an AuthorizationPolicy of this namespace checks the client's namespace or IP at the
//! workload; behind a waypoint the peer is the waypoint, so the check no longer sees the real
//! client.

use std::collections::BTreeSet;

use super::waypointed::{authz_applying, WaypointedService};
use crate::analysis::authz::namespace_or_ip_checks;
use crate::analysis::NsCtx;
use crate::finding::Finding;
use crate::model::Body;
use crate::rules;

pub fn namespace(ctx: &mut NsCtx, wps: &[WaypointedService]) {
    let mut reported: BTreeSet<String> = BTreeSet::new();
    for wp in wps {
        let Some(applying) = authz_applying(ctx, wp) else {
            continue;
        };
        for (p, root) in &applying {
            let Body::AuthorizationPolicy(ap) = &p.body else {
                continue;
            };
            if *root || !reported.insert(p.ns_name()) {
                continue;
            }
            let checks = namespace_or_ip_checks(ap);
            if checks.is_empty() {
                continue;
            }
            let mut fields: Vec<String> = Vec::new();
            for (n, _) in &checks {
                if !fields.contains(n) {
                    fields.push(n.clone());
                }
            }
            let f = Finding::new(
                &rules::P006,
                format!(
                    "\"{}\" checks the client's {} at the workload; behind a waypoint the peer is the waypoint (namespace \"{}\", its pod IP), so this check no longer sees the real client. Enforce it at the waypoint instead (the copy does).",
                    p.ns_name(),
                    fields.join(", "),
                    wp.waypoint.ns
                ),
            )
            .on_node(p, checks[0].1);
            ctx.emit(f);
        }
    }
}
