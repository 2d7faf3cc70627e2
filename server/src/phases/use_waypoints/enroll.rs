//! U002: enroll the namespace (or each service) in its waypoint with `istio.io/use-waypoint`.
//! A headless Service is enrolled through its pods: the label on the Service would enroll
//! nothing (see `headless`).

use super::enrollment::enrollment;
use crate::analysis::context::PlannedWaypoint;
use crate::analysis::mesh::{serves, waypoint_for, Traffic};
use crate::analysis::{NsCtx, TargetKind};
use crate::finding::Finding;
use crate::fixes::{label_action, label_template_actions};
use crate::rules;

pub fn namespace(ctx: &mut NsCtx) {
    let Some(e) = enrollment(ctx) else {
        return;
    };
    let ns = ctx.ns().to_string();
    let wp = &e.waypoint;
    let mut set = vec![("istio.io/use-waypoint", wp.name.clone())];
    let mut extra = String::new();
    if wp.ns != ns {
        set.push(("istio.io/use-waypoint-namespace", wp.ns.clone()));
        extra = format!(" istio.io/use-waypoint-namespace={}", wp.ns);
    }
    if e.namespace_label {
        let cmd = format!(
            "kubectl label namespace {ns} istio.io/use-waypoint={}{extra}",
            wp.name
        );
        let f = ctx
            .at_anchor(Finding::new(
                &rules::U002,
                format!("Detected namespace {ns} requires a waypoint, but not configured to use one. Configure it with: {cmd}"),
            ))
            .action(label_action("Namespace", &ns, &ns, &set, cmd));
        ctx.emit(f);
        return;
    }
    for t in &e.targets {
        if t.kind == TargetKind::Service
            && ctx
                .view
                .service(&t.name)
                .is_some_and(|(_, s)| s.svc().is_headless())
        {
            headless(ctx, &t.name, wp, &set);
            continue;
        }
        let (kind, res_kind) = match t.kind {
            TargetKind::Service => ("service", "Service"),
            TargetKind::ServiceEntry => ("serviceentries.networking.istio.io", "ServiceEntry"),
        };
        let cmd = format!(
            "kubectl label {kind} -n {ns} {} istio.io/use-waypoint={}{extra}",
            t.name, wp.name
        );
        let res = ctx
            .view
            .resources
            .iter()
            .find(|r| r.kind == res_kind && r.name == t.name)
            .cloned();
        let mut f = Finding::new(
            &rules::U002,
            format!(
                "Detected {} {}/{} requires a waypoint, but not configured to use one. Configure it with: {cmd}",
                if t.kind == TargetKind::Service { "service" } else { "ServiceEntry" },
                ns,
                t.name
            ),
        )
        .action(label_action(res_kind, &ns, &t.name, &set, cmd));
        if let Some(r) = res {
            f = f.on_node(&r, r.name_span);
        }
        ctx.emit(f);
    }
}

/// A headless Service has no VIP: its clients connect to pod IPs, and ztunnel uses a Service's
/// waypoint only for traffic addressed to the Service (ztunnel 1.26 `src/proxy/outbound.rs`
/// `build_request`: `fetch_service_waypoint` for a service-addressed destination, else
/// `fetch_workload_waypoint`, the pod's own). So `istio.io/use-waypoint` goes on the pod
/// templates of the workloads behind it (a bare Pod is labelled live), and the waypoint must
/// serve workloads (`istio.io/waypoint-for: workload|all`).
fn headless(ctx: &mut NsCtx, svc: &str, wp: &PlannedWaypoint, set: &[(&str, String)]) {
    let ns = ctx.ns().to_string();
    let Some((_, sv)) = ctx.view.service(svc) else {
        return;
    };
    let res = sv.res.clone();
    let mut controllers = Vec::new();
    for &u in &sv.units {
        if let Some(c) = &ctx.view.units[u].controller {
            if !controllers.contains(c) {
                controllers.push(c.clone());
            }
        }
    }
    let set: Vec<(&str, &str)> = set.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let what = set
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect::<Vec<_>>()
        .join(", ");
    let existing_service_only = wp.exists
        && ctx
            .index
            .find("gateway.networking.k8s.io", "Gateway", &wp.ns, &wp.name)
            .is_some_and(|gw| !serves(&waypoint_for(ctx.facts, gw), Traffic::Workload));
    let caveat = if existing_service_only {
        format!(
            " Waypoint \"{}/{}\" serves services only: set istio.io/waypoint-for: all on it first, or Istio refuses the pods' label.",
            wp.ns, wp.name
        )
    } else {
        String::new()
    };
    let whom = if controllers.is_empty() {
        "the pod templates of the workloads it selects (none is in the input)".to_string()
    } else {
        controllers
            .iter()
            .map(|c| c.display())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut f = Finding::new(
        &rules::U002,
        format!(
            "Detected headless service {ns}/{svc} requires a waypoint: its clients connect to the pods' IPs, so istio.io/use-waypoint on the Service would enroll nothing (ztunnel uses a Service's waypoint only for traffic addressed to the Service). Enroll its pods instead: add {what} to {whom}.{caveat}"
        ),
    )
    .on_node(&res, res.name_span);
    for c in controllers {
        for a in
            label_template_actions(ctx.index, &c.kind, &ns, &c.name, &set, &[], c.kind == "Pod")
        {
            f = f.action(a);
        }
    }
    ctx.emit(f);
}
