//! U001: a waypoint of this namespace that no label points at. A label that names it counts
//! even when the binding is refused (wrong `istio.io/waypoint-for`, not ready, attachment
//! denied): U003–U005 report those, and deleting the waypoint would not fix them.

use crate::analysis::mesh::{resolve_binding, serves, waypoint_for, Binding, Traffic};
use crate::analysis::NsCtx;
use crate::finding::Finding;
use crate::model::refs::RefKey;
use crate::model::{Body, Labels, Resource};
use crate::rules;

pub fn namespace(ctx: &mut NsCtx) {
    let ns = ctx.ns().to_string();
    for gw in ctx.view.waypoints.clone() {
        if is_used(ctx, &gw) {
            continue;
        }
        let for_ = waypoint_for(ctx.facts, &gw);
        let serves_nobody = !serves(&for_, Traffic::Service) && !serves(&for_, Traffic::Workload);
        let why = if serves_nobody {
            format!(" (istio.io/waypoint-for: {for_} serves neither services nor workloads)")
        } else {
            String::new()
        };
        let f = Finding::new(&rules::U001, format!("detected waypoint {}/{} but it is not used by anything{why}", ns, gw.name))
            .on_node(&gw, gw.name_span)
            .detail(format!(
                "Enroll the namespace or services that need it (istio.io/use-waypoint={}), or remove it: kubectl delete gateways.gateway.networking.k8s.io -n {} {}",
                gw.name, ns, gw.name
            ));
        ctx.emit(f);
    }
}

/// Whether a Service, ServiceEntry, workload or Namespace (of this namespace or one that
/// refers to it) binds to the waypoint.
fn is_used(ctx: &NsCtx, gw: &Resource) -> bool {
    let hits = |b: &Binding| match b {
        Binding::Bound(w, _) => w.ns == gw.namespace && w.name == gw.name,
        Binding::Broken { ns, name, .. } => *ns == gw.namespace && *name == gw.name,
        _ => false,
    };
    if ctx.view.services.iter().any(|s| hits(&s.binding)) {
        return true;
    }
    let mut namespaces = vec![ctx.ns().to_string()];
    namespaces.extend(
        ctx.index
            .users_of(&RefKey::Ns(ctx.ns().to_string()))
            .map(str::to_string),
    );
    for n in namespaces {
        let ns_labels = ctx
            .index
            .namespace_object(&n)
            .map(|m| m.labels.clone())
            .unwrap_or_default();
        if ns_labels.has("istio.io/use-waypoint")
            && hits(&resolve_binding(
                ctx.index,
                ctx.facts,
                &n,
                &ns_labels,
                &Labels::default(),
                Traffic::Service,
            ))
        {
            return true;
        }
        for r in ctx.index.ns(&n) {
            let (labels, traffic) = match &r.body {
                Body::Service(_) | Body::ServiceEntry(_) => (&r.labels, Traffic::Service),
                Body::WorkloadEntry(_) => (&r.labels, Traffic::Workload),
                Body::Workload(w) => (&w.pod_labels, Traffic::Workload),
                _ => continue,
            };
            if !labels.has("istio.io/use-waypoint") {
                continue;
            }
            if hits(&resolve_binding(
                ctx.index, ctx.facts, &n, &ns_labels, labels, traffic,
            )) {
                return true;
            }
        }
    }
    false
}
