//! P004: the workloads must allow traffic from their waypoint: an ALLOW policy applies to them
//! and none admits the waypoint's identity, so an allow-from-waypoint policy is recommended
//! (recorded as pending for the ordering guard). When no ALLOW policy applies, an
//! informational finding says the waypoint is already allowed.

use std::sync::Arc;

use super::waypointed::{authz_applying, WaypointedService};
use crate::analysis::authz::allow_admits;
use crate::analysis::context::PendingObject;
use crate::analysis::{NsCtx, Target};
use crate::finding::{Action, Finding, Object};
use crate::fixes;
use crate::model::{AuthzAction, Body, Labels, Resource};
use crate::rules;

pub fn namespace(ctx: &mut NsCtx, wps: &[WaypointedService]) {
    if ctx.facts.auto_allow_waypoint {
        return;
    }
    let mut no_allow: Vec<String> = Vec::new();
    for wp in wps {
        // a headless Service enrolled only by its own label: no traffic to it passes the
        // waypoint (W018)
        if ctx.headless_label_only(wp.index) {
            continue;
        }
        let Some(applying) = authz_applying(ctx, wp) else {
            continue;
        };
        let allows: Vec<&Arc<Resource>> = applying
            .iter()
            .filter(|(p, _)| matches!(&p.body, Body::AuthorizationPolicy(ap) if ap.action == AuthzAction::Allow))
            .map(|(p, _)| p)
            .collect();
        if allows.is_empty() {
            no_allow.push(wp.name.clone());
            continue;
        }
        let id = wp.waypoint.identity(ctx.facts);
        let admitted = allows
            .iter()
            .any(|p| matches!(&p.body, Body::AuthorizationPolicy(ap) if allow_admits(ap, &id)));
        if !admitted {
            recommend(ctx, wp, &allows, &id.principal);
        }
    }
    if !no_allow.is_empty() {
        let f = ctx.at_anchor(Finding::new(
            &rules::P004_NO_ALLOW_POLICY,
            format!(
                "No ALLOW policy applies to {} in \"{}\": traffic from the waypoint is already allowed. Once every client is ambient you can make the waypoint mandatory with an ALLOW policy that admits only its identity (plus explicit exceptions such as ingress gateways or Prometheus).",
                no_allow.iter().map(|s| format!("Service \"{s}\"")).collect::<Vec<_>>().join(", "),
                ctx.ns()
            ),
        ));
        ctx.emit(f);
    }
}

/// The selectors of the allow-from-waypoint policies for one service: the Service's own when
/// an ALLOW policy applies to every workload behind it; otherwise those of the ALLOW policies
/// (a workload that no ALLOW policy covers allows everything, and a new ALLOW would deny all but
/// the waypoint to it, e.g. sidecar clients, which never use waypoints).
fn selectors(ctx: &NsCtx, wp: &WaypointedService, allows: &[&Arc<Resource>]) -> Vec<Labels> {
    let units: Vec<usize> = ctx.view.services[wp.index]
        .units
        .iter()
        .copied()
        .filter(|&u| ctx.unit(u).ambient_bound())
        .collect();
    let selected: Vec<Vec<usize>> = allows.iter().map(|p| ctx.selected(p)).collect();
    let all_covered = units.iter().all(|u| selected.iter().any(|s| s.contains(u)));
    if all_covered {
        return ctx.view.services[wp.index]
            .svc()
            .selector
            .clone()
            .into_iter()
            .collect();
    }
    let mut out: Vec<Labels> = Vec::new();
    for (p, sel) in allows.iter().zip(&selected) {
        let Body::AuthorizationPolicy(ap) = &p.body else {
            continue;
        };
        let Some(s) = &ap.selector else { continue };
        if sel.iter().any(|u| units.contains(u))
            && !out.iter().any(|o| o.to_json() == s.labels.to_json())
        {
            out.push(s.labels.clone());
        }
    }
    out
}

/// The allow-from-waypoint policy for one service.
fn recommend(ctx: &mut NsCtx, wp: &WaypointedService, allows: &[&Arc<Resource>], principal: &str) {
    for (i, selector) in selectors(ctx, wp, allows).iter().enumerate() {
        let base = if i == 0 {
            format!("{}-from-waypoint", wp.name)
        } else {
            format!("{}-from-waypoint-{}", wp.name, i + 1)
        };
        recommend_one(ctx, wp, allows, principal, selector, &base);
    }
}

fn recommend_one(
    ctx: &mut NsCtx,
    wp: &WaypointedService,
    allows: &[&Arc<Resource>],
    principal: &str,
    selector: &Labels,
    base: &str,
) {
    let ns = ctx.ns().to_string();
    let svc = ctx.view.services[wp.index].res.clone();
    let name = ctx.generate_name("AuthorizationPolicy", base);
    let obj = fixes::allow_from_waypoint(&name, &ns, selector, principal);
    let mut f = Finding::new(
        &rules::P004,
        format!(
            "Add AuthorizationPolicy/{}/{}: Service/{}/{} must allow traffic from its waypoint ({}).",
            ns, name, ns, wp.name, principal
        ),
    )
    .on_node(&svc, svc.name_span)
    .action(Action::Apply {
        resource: Object::new(&obj),
        reason: format!(
            "Service {}/{} must allow traffic from waypoint {}",
            ns,
            wp.name,
            wp.waypoint.display()
        ),
    });
    for p in allows {
        let Body::AuthorizationPolicy(ap) = &p.body else {
            continue;
        };
        f = f.related(
            p,
            ap.selector
                .as_ref()
                .map(|s| s.key_span)
                .unwrap_or(p.name_span),
            "ALLOW policy that does not admit the waypoint",
        );
    }
    ctx.emit(f);
    ctx.pending
        .entry(Target::service(&wp.name))
        .or_default()
        .push(PendingObject {
            item: format!("AuthorizationPolicy/{name}"),
            origin: String::new(),
        });
}
