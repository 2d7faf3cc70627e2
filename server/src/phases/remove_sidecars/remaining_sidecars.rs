//! R004: a Pod still has a sidecar: re-create it through what manages it once the namespace is
//! switched (`kubectl rollout restart` of its Deployment, DaemonSet or StatefulSet; a manual
//! step for a Job, CronJob, ReplicaSet or a Pod nothing owns, which must never be deleted).

use crate::analysis::mesh::restart_controller;
use crate::analysis::mesh::{controller_of, has_sidecar, injection_request};
use crate::analysis::NsCtx;
use crate::finding::{Action, Finding};
use crate::model::Body;
use crate::rules;

pub fn namespace(ctx: &mut NsCtx) {
    let ns = ctx.ns().to_string();
    for u in ctx.view.app_units() {
        // a template that asks for the sidecar itself: R003's template change is the restart
        // (restarting before it would inject the pods again)
        let by_template = matches!(ctx.unit(u).res.as_deref().map(|r| &r.body),
            Some(Body::Workload(t)) if injection_request(t).is_some());
        for p in ctx.unit(u).pods.clone() {
            let Body::Workload(w) = &p.body else { continue };
            if !has_sidecar(w) {
                continue;
            }
            let c = controller_of(ctx.index, &p);
            let f = Finding::new(
                &rules::R004,
                format!("sidecar found for Pod {}/{}", ns, p.name),
            )
            .on_node(&p, p.name_span);
            if by_template {
                ctx.emit(f.detail(
                    "its pod template asks for the sidecar (R003): the template change re-creates it",
                ));
                continue;
            }
            let action = restart_controller(ctx.index, &ns, &c, Some(&p));
            // the text says what commands.sh does: a restart command or a step by hand
            let f = match &action {
                _ if c.is_bare_pod() => f.detail("it has no controller (no ownerReferences): do not delete it, it would not come back"),
                Action::Restart { .. } => f.detail(format!("restart its owner {}", c.display())),
                Action::Manual { step, .. } => f.detail(format!("by hand: {step}")),
                _ => f,
            };
            ctx.emit(f.action(action));
        }
    }
}
