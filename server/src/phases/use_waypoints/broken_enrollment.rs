//! U003 (the waypoint is missing, not a waypoint, or not ready), U004 (it does not handle that
//! traffic type) and U005 (cross-namespace use not allowed): an `istio.io/use-waypoint` label
//! of this namespace that binds to nothing. One binding check decides between the three.

use std::sync::Arc;

use crate::analysis::mesh::{
    generates_waypoint, resolve_binding, waypoint_meant_elsewhere, BindProblem, Binding, LabelSite,
    Traffic,
};
use crate::analysis::NsCtx;
use crate::finding::Finding;
use crate::index::Index;
use crate::model::{Body, Labels, Resource};
use crate::rules::{self, Rule};
use crate::yaml::Span;

fn label_span(labels: &Labels, r: &Resource) -> Span {
    labels
        .entry("istio.io/use-waypoint")
        .map(|l| l.key_span.cover(l.value_span))
        .unwrap_or(r.name_span)
}

/// What the plan does about a missing waypoint `wp` (`ns/name`) that an object with `labels`
/// in `obj_ns` names (the Namespace's own label: empty `labels`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Plan {
    /// W020 generates it under that name (`analysis::mesh::missing_waypoint_requests`)
    Generated,
    /// not generated: the object's Namespace names another waypoint namespace (U006)
    MeantElsewhere,
    /// not generated: a namespace the input does not hold, or not a valid name
    None,
}

fn plan(index: &Index, obj_ns: &str, labels: &Labels, wp: &str) -> Plan {
    let (ns, name) = wp.split_once('/').unwrap_or(("", ""));
    if waypoint_meant_elsewhere(index, obj_ns, labels) {
        Plan::MeantElsewhere
    } else if generates_waypoint(index, ns, name) {
        Plan::Generated
    } else {
        Plan::None
    }
}

/// The rule and message for a broken binding of `obj` to waypoint `wp`.
fn broken_message(
    obj: &str,
    wp: &str,
    problem: &BindProblem,
    site: LabelSite,
    traffic: Traffic,
    consumer_ns: &str,
    plan: Plan,
) -> (&'static Rule, String) {
    let no_fallback = if site == LabelSite::Object {
        " and the namespace-level waypoint will NOT be used instead"
    } else {
        ""
    };
    match problem {
        // its namespace is analysed: W020 there generates it under that name
        // (`analysis::mesh::missing_waypoint_requests`), so applying recommended-waypoints.yaml
        // in deploy-waypoints makes the label work
        BindProblem::Missing if plan == Plan::Generated =>
        {
            (
            &rules::U003_GENERATED,
            format!("\"{obj}\" is labeled to use waypoint \"{wp}\" which does not exist yet; until it does, traffic bypasses it (status WaypointIsNotReady){no_fallback}. recommended-waypoints.yaml creates it under that name (deploy-waypoints, W020): apply it before relying on the label, or relabel to an existing waypoint."),
            )
        }
        BindProblem::Missing if plan == Plan::MeantElsewhere => (
            &rules::U003,
            format!("\"{obj}\" is labeled to use waypoint \"{wp}\" which does not exist; traffic will bypass it (status WaypointIsNotReady){no_fallback}. Its Namespace names another waypoint namespace, which applies only to the Namespace's own label (U006): label the object istio.io/use-waypoint-namespace too, or relabel."),
        ),
        BindProblem::Missing => (
            &rules::U003,
            format!("\"{obj}\" is labeled to use waypoint \"{wp}\" which does not exist, in a namespace the input does not hold or under a name a waypoint cannot have (a DNS label); traffic will bypass it (status WaypointIsNotReady){no_fallback}. Create the waypoint there (istioctl waypoint apply -n {} --name {}) or relabel to an existing waypoint.", wp.split('/').next().unwrap_or(""), wp.split('/').nth(1).unwrap_or("")),
        ),
        BindProblem::NotWaypoint => (
            &rules::U003,
            format!("\"{obj}\" is labeled to use \"{wp}\", which is not a waypoint (its gatewayClassName is not istio-waypoint); traffic will bypass it{no_fallback}."),
        ),
        BindProblem::NotReady => (
            &rules::U003,
            format!("\"{obj}\" is labeled to use waypoint \"{wp}\" which is not ready (no address in its status); traffic will bypass it (status WaypointIsNotReady){no_fallback}."),
        ),
        // Istio 1.26 `fetchWaypointForService` / `fetchWaypointForWorkload` refuse it
        BindProblem::TrafficType(v) => (
            &rules::U004,
            format!(
                "\"{obj}\" binds to \"{wp}\" which does not handle {} traffic (istio.io/waypoint-for={v}); no waypoint will be used. {}",
                if traffic == Traffic::Service { "service" } else { "workload" },
                match (traffic, v.as_str()) {
                    (Traffic::Service, "workload") => "Label the pods instead (istio.io/use-waypoint on their pod template: pods use a workload waypoint), or set istio.io/waypoint-for: all on the waypoint.",
                    (Traffic::Service, _) => "Set istio.io/waypoint-for: service (or all) on the waypoint, or point the label at a waypoint that serves services.",
                    _ => "Set istio.io/waypoint-for: workload (or all) on the waypoint, or point the label at a waypoint that serves workloads.",
                }
            ),
        ),
        BindProblem::NotAllowed => (
            &rules::U005,
            format!(
                "\"{obj}\" uses waypoint \"{wp}\" in another namespace but the waypoint does not allow routes from \"{consumer_ns}\" (AttachmentDenied); add allowedRoutes.namespaces (from: All or Selector) to its HBONE listener."
            ),
        ),
    }
}

pub fn namespace(ctx: &mut NsCtx) {
    services(ctx);
    workloads(ctx);
}

/// Services and ServiceEntries (service traffic); a namespace label is reported once, on the
/// Namespace.
fn services(ctx: &mut NsCtx) {
    let ns = ctx.ns().to_string();
    let ns_labels = ctx.view.mode.labels();
    let mut objs: Vec<(Arc<Resource>, Binding)> = ctx
        .view
        .services
        .iter()
        .filter(|s| !s.infra)
        .map(|s| (s.res.clone(), s.binding.clone()))
        .collect();
    for r in &ctx.view.resources {
        if r.kind == "ServiceEntry" {
            let b = resolve_binding(
                ctx.index,
                ctx.facts,
                &ns,
                &ns_labels,
                &r.labels,
                Traffic::Service,
            );
            objs.push((r.clone(), b));
        }
    }
    let mut ns_reported = false;
    for (r, b) in objs {
        let Binding::Broken {
            ns: wns,
            name,
            problem,
            site,
        } = b
        else {
            continue;
        };
        let wp = format!("{wns}/{name}");
        if site == LabelSite::Object {
            let (rule, msg) = broken_message(
                &r.ns_name(),
                &wp,
                &problem,
                site,
                Traffic::Service,
                &ns,
                plan(ctx.index, &ns, &r.labels, &wp),
            );
            ctx.emit(Finding::new(rule, msg).on_node(&r, label_span(&r.labels, &r)));
            continue;
        }
        if ns_reported {
            continue;
        }
        ns_reported = true;
        let (rule, msg) = broken_message(
            &format!("Namespace {ns}"),
            &wp,
            &problem,
            site,
            Traffic::Service,
            &ns,
            plan(ctx.index, &ns, &Labels::default(), &wp),
        );
        let f = match &ctx.view.mode.manifest {
            Some(m) => Finding::new(rule, msg).on_node(m, label_span(&m.labels, m)),
            None => ctx.at_anchor(Finding::new(rule, msg)),
        };
        ctx.emit(f);
    }
}

/// Pods, controllers and WorkloadEntries (workload traffic): only their own labels.
fn workloads(ctx: &mut NsCtx) {
    let ns = ctx.ns().to_string();
    let ns_labels = ctx.view.mode.labels();
    for r in ctx.view.resources.clone() {
        let labels: Labels = match &r.body {
            Body::Workload(w) => w.pod_labels.clone(),
            Body::WorkloadEntry(_) => r.labels.clone(),
            _ => continue,
        };
        if !labels.has("istio.io/use-waypoint") {
            continue;
        }
        let b = resolve_binding(
            ctx.index,
            ctx.facts,
            &ns,
            &ns_labels,
            &labels,
            Traffic::Workload,
        );
        if let Binding::Broken {
            ns: wns,
            name,
            problem,
            site,
        } = b
        {
            let (rule, msg) = broken_message(
                &r.ns_name(),
                &format!("{wns}/{name}"),
                &problem,
                site,
                Traffic::Workload,
                &ns,
                plan(ctx.index, &ns, &labels, &format!("{wns}/{name}")),
            );
            ctx.emit(Finding::new(rule, msg).on_node(&r, label_span(&labels, &r)));
        }
    }
}
