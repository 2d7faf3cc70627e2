//! R004: a Pod still has a sidecar: restart its owner (or delete it) once the namespace is
//! switched.

use crate::analysis::mesh::has_sidecar;
use crate::analysis::NsCtx;
use crate::finding::Finding;
use crate::fixes::restart_action;
use crate::model::{Body, Resource};
use crate::rules;

/// The controller that owns a Pod (Deployment via its ReplicaSet, or a direct owner).
fn pod_owner(ctx: &NsCtx, pod: &Resource) -> Option<(String, String)> {
    let o = pod.owner_refs.first()?;
    if o.kind == "ReplicaSet" {
        if let Some((dep, _)) = o.name.rsplit_once('-') {
            let has = |kind: &str, name: &str| {
                ctx.view
                    .resources
                    .iter()
                    .any(|r| r.kind == kind && r.name == name)
            };
            if has("Deployment", dep) || !has("ReplicaSet", &o.name) {
                return Some(("Deployment".to_string(), dep.to_string()));
            }
        }
    }
    Some((o.kind.clone(), o.name.clone()))
}

pub fn namespace(ctx: &mut NsCtx) {
    let ns = ctx.ns().to_string();
    for u in ctx.view.app_units() {
        for p in ctx.unit(u).pods.clone() {
            let Body::Workload(w) = &p.body else { continue };
            if !has_sidecar(w) {
                continue;
            }
            let f = Finding::new(
                &rules::R004,
                format!("sidecar found for Pod {}/{}", ns, p.name),
            )
            .on_node(&p, p.name_span);
            let f = match pod_owner(ctx, &p) {
                Some((kind, name)) => f
                    .detail(format!("restart its owner {kind}/{name}"))
                    .action(restart_action(&kind, &ns, &name)),
                None => f.action(restart_action("Pod", &ns, &p.name)),
            };
            ctx.emit(f);
        }
    }
}
