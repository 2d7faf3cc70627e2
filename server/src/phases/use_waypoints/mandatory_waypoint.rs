//! U011: enrolling a Service in a waypoint does not force its traffic through it: while the
//! waypoint is missing or not ready, and for traffic addressed to pod IPs, clients reach the
//! pods directly, and an ALLOW policy at the workload that admits clients (not only the
//! waypoint) lets them. Only an allow-from-waypoint policy as the sole ALLOW (plus explicit
//! exceptions) makes the bypass impossible (istio.io "Require traffic to traverse the
//! waypoint"; ztunnel allows a request when an ALLOW policy matches it). Advice, not an
//! `apply`: removing the other ALLOW policies while sidecar clients remain would deny them
//! (U010), so it belongs after every client is ambient (policy-simplification, S002).

use crate::analysis::authz::admits_only;
use crate::analysis::NsCtx;
use crate::finding::Finding;
use crate::model::{AuthzAction, Body};
use crate::rules;

pub fn namespace(ctx: &mut NsCtx) {
    if ctx.facts.auto_allow_waypoint {
        return;
    }
    let mut found = Vec::new();
    for (sv, wp, t, units) in ctx.waypointed_ambient_services() {
        let id = wp.identity(ctx.facts);
        let mut from_waypoint: Vec<String> = Vec::new();
        let mut others: Vec<String> = Vec::new();
        for (p, _) in ctx.scoped_policies() {
            let Body::AuthorizationPolicy(ap) = &p.body else {
                continue;
            };
            // an ALLOW without rules (allow-nothing) admits nobody
            if ap.action != AuthzAction::Allow || !ap.target_refs.is_empty() || ap.rules.is_empty()
            {
                continue;
            }
            let sel = ctx.selected(&p);
            if !units.iter().any(|u| sel.contains(u)) {
                continue;
            }
            if admits_only(ap, &id) {
                from_waypoint.push(p.ns_name());
            } else {
                others.push(p.ns_name());
            }
        }
        // the allow-from-waypoint policy P004 recommends
        for po in ctx.pending.get(&t).into_iter().flatten() {
            if po.origin.is_empty() {
                let name = po.item.rsplit('/').next().unwrap_or(&po.item);
                from_waypoint.push(format!("{}/{name}", ctx.ns()));
            }
        }
        // no ALLOW at all: P004 (its informational variant) already says the waypoint is
        // allowed and how to make it mandatory
        if others.is_empty() {
            continue;
        }
        let allow = if from_waypoint.is_empty() {
            format!(
                "an ALLOW policy that admits only the waypoint's identity ({})",
                id.principal
            )
        } else {
            format!("\"{}\"", from_waypoint.join("\", \""))
        };
        let msg = format!(
            "Enrollment alone does not force traffic through \"{}\" (a missing or unready waypoint, and pod-IP traffic, go direct to the pods of \"{}/{}\"): {} still admit{} clients at the workload. Once every client is ambient, keep {allow} as the only ALLOW policy of these workloads (plus explicit exceptions such as ingress gateways or Prometheus) to make bypass impossible; the originals are deleted in policy-simplification.",
            wp.display(),
            ctx.ns(),
            sv.name(),
            others.iter().map(|o| format!("\"{o}\"")).collect::<Vec<_>>().join(", "),
            if others.len() == 1 { "s" } else { "" },
        );
        found.push(Finding::new(&rules::U011, msg).on_node(&sv.res, sv.res.name_span));
    }
    for f in found {
        ctx.emit(f);
    }
}
