//! U002: enroll the namespace (or each service) in its waypoint with `istio.io/use-waypoint`.

use super::enrollment::enrollment;
use crate::analysis::{NsCtx, TargetKind};
use crate::finding::Finding;
use crate::fixes::label_action;
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
