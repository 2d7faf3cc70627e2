//! The waypoint plan of a namespace (not a rule): once the needs are known, which waypoint
//! each Service and ServiceEntry will use — the one it is bound to, else the namespace's own
//! (an existing usable waypoint, or a new one) — and whether to enroll the whole namespace.
//! Later phases read the plan from the context; `finish` drops the needs a waypoint already
//! meets and records what the cluster-wide rules need.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::analysis::context::PlannedWaypoint;
use crate::analysis::mesh::{resolve_binding, serves, waypoint_for, waypoint_sa, Binding, Traffic};
use crate::analysis::{NsCtx, Target, TargetKind};
use crate::model::{Body, Resource};

/// Services (indices) that are headless and need a waypoint (W018; the waypoint then serves
/// workloads too).
pub fn headless_needing(ctx: &NsCtx) -> Vec<usize> {
    (0..ctx.view.services.len())
        .filter(|&si| {
            let sv = &ctx.view.services[si];
            sv.svc().is_headless() && ctx.needs(&Target::service(sv.name()))
        })
        .collect()
}

/// Every target of the namespace with its current binding.
fn targets(ctx: &NsCtx) -> Vec<(Target, Binding)> {
    let mut targets: Vec<(Target, Binding)> = Vec::new();
    for sv in &ctx.view.services {
        if !sv.infra {
            targets.push((Target::service(sv.name()), sv.binding.clone()));
        }
    }
    let ns_labels = ctx.view.mode.labels();
    for r in &ctx.view.resources {
        if let Body::ServiceEntry(_) = &r.body {
            let b = resolve_binding(
                ctx.index,
                ctx.facts,
                ctx.ns(),
                &ns_labels,
                &r.labels,
                Traffic::Service,
            );
            targets.push((Target::service_entry(&r.name), b));
        }
    }
    targets
}

/// A waypoint of this namespace that can serve services. One without its HBONE listener is
/// still a waypoint (W021 blocks until the listener is added): it is used, not duplicated.
fn usable(ctx: &NsCtx, gw: &Resource) -> bool {
    let Body::Gateway(g) = &gw.body else {
        return false;
    };
    gw.name != "none"
        && g.status_addresses != Some(0)
        && serves(&waypoint_for(ctx.facts, gw), Traffic::Service)
}

/// The namespace's waypoint: a usable existing one (preferring the configured name), else a
/// new one — renamed when a Gateway that is not a waypoint has the name.
fn namespace_waypoint(ctx: &mut NsCtx) -> PlannedWaypoint {
    let ns = ctx.ns().to_string();
    let usable: Vec<Arc<Resource>> = ctx
        .view
        .waypoints
        .iter()
        .filter(|gw| usable(ctx, gw))
        .cloned()
        .collect();
    let chosen = usable
        .iter()
        .find(|g| g.name == ctx.opts.waypoint_name)
        .or(usable.first());
    if let Some(gw) = chosen {
        return PlannedWaypoint {
            ns,
            name: gw.name.to_string(),
            sa: waypoint_sa(gw),
            exists: true,
            bound: false,
        };
    }
    let mut name = ctx.opts.waypoint_name.clone();
    let clash = ctx
        .view
        .resources
        .iter()
        .find(|r| r.is("gateway.networking.k8s.io", "Gateway") && r.name == name)
        .cloned();
    if let Some(other) = clash {
        name = crate::fixes::k8s_name(&format!("{name}-ambient"));
        ctx.waypoint_name_taken = Some((other, name.clone()));
    }
    PlannedWaypoint {
        ns,
        sa: name.clone(),
        name,
        exists: false,
        bound: false,
    }
}

/// Where a target's traffic will go.
fn planned_for(ctx: &NsCtx, t: &Target, b: Binding) -> Option<PlannedWaypoint> {
    match b {
        Binding::Bound(w, _) => Some(PlannedWaypoint {
            ns: w.ns.clone(),
            name: w.name.clone(),
            sa: w.sa.clone(),
            exists: true,
            bound: true,
        }),
        Binding::Broken { ns, name, .. } => {
            let gw = ctx
                .index
                .find("gateway.networking.k8s.io", "Gateway", &ns, &name)
                .cloned();
            Some(PlannedWaypoint {
                ns,
                sa: gw
                    .as_ref()
                    .map(|g| waypoint_sa(g))
                    .unwrap_or_else(|| name.clone()),
                exists: gw.is_some(),
                name,
                bound: false,
            })
        }
        Binding::OptOut(_) => None,
        Binding::None if ctx.needs(t) || ctx.ns_level => ctx.ns_waypoint.clone(),
        Binding::None => None,
    }
}

/// Plan the waypoints of the namespace.
pub fn plan(ctx: &mut NsCtx) {
    let targets = targets(ctx);
    let needs_new = targets
        .iter()
        .any(|(t, b)| ctx.needs(t) && matches!(b, Binding::None));
    let ns_labelled = ctx.view.mode.label("istio.io/use-waypoint").is_some();
    if needs_new || ns_labelled {
        ctx.ns_waypoint = Some(namespace_waypoint(ctx));
    }
    // enrollment scope: the namespace label when every service needs the waypoint (or the
    // namespace already carries the label)
    let services: Vec<&(Target, Binding)> = targets
        .iter()
        .filter(|(t, _)| t.kind == TargetKind::Service)
        .collect();
    ctx.ns_level = ns_labelled
        || (!services.is_empty()
            && services
                .iter()
                .all(|(t, b)| ctx.needs(t) || !matches!(b, Binding::None))
            && needs_new);
    for (t, b) in targets {
        if let Some(p) = planned_for(ctx, &t, b) {
            ctx.planned.insert(t, p);
        }
    }
}

/// Needs of targets that already use a waypoint are met: their findings go. Then what the
/// cluster-wide rules need: targets left without a waypoint, whether a waypoint is new.
pub fn finish(ctx: &mut NsCtx) {
    let satisfied: BTreeSet<usize> = ctx
        .need_findings
        .iter()
        .filter(|(_, ts)| {
            !ts.is_empty()
                && ts
                    .iter()
                    .all(|t| ctx.planned.get(t).is_some_and(|p| p.bound))
        })
        .map(|(i, _)| *i)
        .collect();
    if !satisfied.is_empty() {
        let mut i = 0;
        ctx.out.retain(|_| {
            let keep = !satisfied.contains(&i);
            i += 1;
            keep
        });
        ctx.need_findings.clear();
    }
    for t in ctx.needing_targets() {
        let bound = ctx.planned.get(&t).is_some_and(|p| p.bound);
        if !bound {
            ctx.summary
                .unserved
                .push(format!("{} {}/{}", t.kind_str(), ctx.view.ns, t.name));
        }
    }
    ctx.summary.needs_new_waypoint = ctx.ns_waypoint.as_ref().is_some_and(|w| !w.exists);
    ctx.summary.has_waypoint = !ctx.planned.is_empty();
}
