//! Phase `use-waypoints`: enrollment (istio.io/use-waypoint) and its pitfalls.

use std::collections::BTreeMap;

use super::{NsCtx, Target, TargetKind};
use crate::analysis::mesh::{
    resolve_binding, waypoint_for, BindProblem, Binding, LabelSite, Traffic,
};
use crate::finding::{Action, Finding, LabelTarget};
use crate::model::refs::RefKey;
use crate::model::{Body, Labels, Resource};
use crate::rules::{self, Rule};
use crate::yaml::Span;

fn label_span(r: &Resource, key: &str) -> Span {
    r.labels
        .entry(key)
        .map(|l| l.key_span.cover(l.value_span))
        .unwrap_or(r.name_span)
}

fn broken_message(
    obj: &str,
    wp: &str,
    problem: &BindProblem,
    site: LabelSite,
    traffic: Traffic,
    consumer_ns: &str,
) -> (&'static Rule, String) {
    let no_fallback = if site == LabelSite::Object {
        " and the namespace-level waypoint will NOT be used instead"
    } else {
        ""
    };
    match problem {
        BindProblem::Missing => (
            &rules::U003,
            format!("\"{obj}\" is labeled to use waypoint \"{wp}\" which does not exist; traffic will bypass it (status WaypointIsNotReady){no_fallback}."),
        ),
        BindProblem::NotWaypoint => (
            &rules::U003,
            format!("\"{obj}\" is labeled to use \"{wp}\", which is not a waypoint (its gatewayClassName is not istio-waypoint); traffic will bypass it{no_fallback}."),
        ),
        BindProblem::NotReady => (
            &rules::U003,
            format!("\"{obj}\" is labeled to use waypoint \"{wp}\" which is not ready (no address in its status); traffic will bypass it (status WaypointIsNotReady){no_fallback}."),
        ),
        BindProblem::TrafficType(v) => (
            &rules::U004,
            format!(
                "\"{obj}\" binds to \"{wp}\" which does not handle {} traffic (istio.io/waypoint-for={v}); no waypoint will be used.",
                if traffic == Traffic::Service { "service" } else { "workload" }
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

/// U003/U004/U005 for the labels of this namespace.
fn broken(ctx: &mut NsCtx) {
    let ns = ctx.ns().to_string();
    let ns_labels = ctx.v.mode.labels();
    let mut ns_reported = false;
    // services and service entries (service traffic)
    let mut objs: Vec<(std::sync::Arc<Resource>, Binding)> = ctx
        .v
        .services
        .iter()
        .filter(|s| !s.infra)
        .map(|s| (s.res.clone(), s.binding.clone()))
        .collect();
    for r in &ctx.v.resources {
        if r.kind == "ServiceEntry" {
            objs.push((
                r.clone(),
                resolve_binding(
                    ctx.index,
                    ctx.facts,
                    &ns,
                    &ns_labels,
                    &r.labels,
                    Traffic::Service,
                ),
            ));
        }
    }
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
        if site == LabelSite::Namespace {
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
            );
            let f = match &ctx.v.mode.manifest {
                Some(m) => {
                    Finding::new(rule, msg).on_node(m, label_span(m, "istio.io/use-waypoint"))
                }
                None => ctx.at_anchor(Finding::new(rule, msg)),
            };
            ctx.emit(f);
            continue;
        }
        let (rule, msg) = broken_message(&r.ns_name(), &wp, &problem, site, Traffic::Service, &ns);
        ctx.emit(Finding::new(rule, msg).on_node(&r, label_span(&r, "istio.io/use-waypoint")));
    }
    // pods and workload entries (workload traffic): only their own labels
    for r in ctx.v.resources.clone() {
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
            );
            let span = labels
                .entry("istio.io/use-waypoint")
                .map(|l| l.key_span.cover(l.value_span))
                .unwrap_or(r.name_span);
            ctx.emit(Finding::new(rule, msg).on_node(&r, span));
        }
    }
}

/// U001: waypoints nothing resolves to.
fn unused(ctx: &mut NsCtx) {
    let ns = ctx.ns().to_string();
    for gw in ctx.v.waypoints.clone() {
        let used = waypoint_for(ctx.facts, &gw) != "none" && is_used(ctx, &gw);
        if used {
            continue;
        }
        let f = Finding::new(&rules::U001, format!("detected waypoint {}/{} but it is not used by anything", ns, gw.name))
            .on_node(&gw, gw.name_span)
            .detail(format!(
                "Enroll the namespace or services that need it (istio.io/use-waypoint={}), or remove it: kubectl delete gateways.gateway.networking.k8s.io -n {} {}",
                gw.name, ns, gw.name
            ));
        ctx.emit(f);
    }
}

fn is_used(ctx: &NsCtx, gw: &Resource) -> bool {
    let hits = |b: &Binding| matches!(b, Binding::Bound(w, _) if w.ns == gw.namespace && w.name == gw.name);
    if ctx.v.services.iter().any(|s| hits(&s.binding)) {
        return true;
    }
    // namespaces (this one and those that reference it)
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

pub(super) fn label_action(
    kind: &str,
    ns: &str,
    name: &str,
    set: &[(&str, String)],
    command: String,
) -> Action {
    Action::Label {
        target: LabelTarget {
            kind: kind.to_string(),
            namespace: if kind == "Namespace" {
                None
            } else {
                Some(ns.to_string())
            },
            name: name.to_string(),
        },
        set: set
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect::<BTreeMap<_, _>>(),
        remove: Vec::new(),
        command,
    }
}

/// U002 (enrollment), U007 (opt-out), U008 (ordering).
fn enrollment(ctx: &mut NsCtx) {
    let ns = ctx.ns().to_string();
    let ns_has_label = ctx.v.mode.label("istio.io/use-waypoint").is_some();
    let mut recommended: Vec<Target> = Vec::new();
    if let Some(wp) = ctx.ns_waypoint.clone() {
        let unbound: Vec<Target> = ctx
            .planned
            .iter()
            .filter(|(_t, p)| **p == wp && !p.bound)
            .filter(|(t, _)| {
                // only targets without a label of their own
                match t.kind {
                    TargetKind::Service => ctx
                        .v
                        .service(&t.name)
                        .is_some_and(|(_, s)| matches!(s.binding, Binding::None)),
                    TargetKind::ServiceEntry => true,
                }
            })
            .map(|(t, _)| t.clone())
            .collect();
        let mut set = vec![("istio.io/use-waypoint", wp.name.clone())];
        let mut extra = String::new();
        if wp.ns != ns {
            set.push(("istio.io/use-waypoint-namespace", wp.ns.clone()));
            extra = format!(" istio.io/use-waypoint-namespace={}", wp.ns);
        }
        if ctx.ns_level && !ns_has_label && !unbound.is_empty() {
            let cmd = format!(
                "kubectl label namespace {ns} istio.io/use-waypoint={}{extra}",
                wp.name
            );
            let f = ctx
                .at_anchor(Finding::new(&rules::U002,
                    format!("Detected namespace {ns} requires a waypoint, but not configured to use one. Configure it with: {cmd}"),
                ))
                .action(label_action("Namespace", &ns, &ns, &set, cmd));
            ctx.emit(f);
            recommended.extend(unbound);
        } else if !ctx.ns_level {
            for t in unbound {
                if !ctx.needs(&t) {
                    continue;
                }
                let (kind, res_kind) = match t.kind {
                    TargetKind::Service => ("service", "Service"),
                    TargetKind::ServiceEntry => {
                        ("serviceentries.networking.istio.io", "ServiceEntry")
                    }
                };
                let cmd = format!(
                    "kubectl label {kind} -n {ns} {} istio.io/use-waypoint={}{extra}",
                    t.name, wp.name
                );
                let res = ctx
                    .v
                    .resources
                    .iter()
                    .find(|r| r.kind == res_kind && r.name == t.name)
                    .cloned();
                let mut f = Finding::new(&rules::U002,
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
                recommended.push(t);
            }
        }
    }
    // U007: explicit opt-out on something that needs a waypoint
    for sv in &ctx.v.services {
        let t = Target::svc(sv.name());
        if matches!(sv.binding, Binding::OptOut(LabelSite::Object)) && ctx.needs(&t) {
            let reasons: Vec<String> = ctx.reasons[&t].iter().map(|r| r.what.clone()).collect();
            let res = sv.res.clone();
            let f = Finding::new(&rules::U007,
                format!("\"{}\" opts out of its namespace waypoint (istio.io/use-waypoint=none) but depends on {}.", res.ns_name(), reasons.join(", ")),
            )
            .on_node(&res, label_span(&res, "istio.io/use-waypoint"))
            .ns(ns.clone());
            ctx.out.push(f);
        }
    }
    for u in ctx.v.units.clone() {
        if u.labels.get("istio.io/use-waypoint") != Some("none") {
            continue;
        }
        let needing: Vec<String> = u
            .services
            .iter()
            .map(|&s| ctx.v.services[s].name().to_string())
            .filter(|n| ctx.needs(&Target::svc(n)))
            .collect();
        if needing.is_empty() {
            continue;
        }
        if let Some(r) = &u.res {
            let Body::Workload(w) = &r.body else { continue };
            let span = w
                .pod_labels
                .entry("istio.io/use-waypoint")
                .map(|l| l.key_span.cover(l.value_span))
                .unwrap_or(r.name_span);
            let f = Finding::new(&rules::U007,
                format!(
                    "\"{}\" opts out of waypoints (istio.io/use-waypoint=none) but Service(s) {} in front of it need one.",
                    u.short(),
                    needing.join(", ")
                ),
            )
            .on_node(r, span);
            ctx.emit(f);
        }
    }
    // U008: ordering guard
    let observed: Vec<Target> = ctx
        .planned
        .iter()
        .filter(|(_, p)| p.bound)
        .map(|(t, _)| t.clone())
        .collect();
    for (t, is_observed) in observed
        .into_iter()
        .map(|t| (t, true))
        .chain(recommended.into_iter().map(|t| (t, false)))
    {
        let pending = ctx.pending.get(&t).cloned().unwrap_or_default();
        let mut missing: Vec<String> = pending.iter().map(|p| p.item.clone()).collect();
        let blocked = ctx.blocked.get(&t).cloned().unwrap_or_default();
        missing.extend(
            blocked
                .iter()
                .map(|b| format!("{b} still denies the waypoint")),
        );
        if missing.is_empty() {
            continue;
        }
        let denies = !blocked.is_empty() || pending.iter().any(|p| p.origin.is_empty());
        let effect = if denies {
            "deny traffic at the workload"
        } else {
            "skip L7 policy for ambient clients"
        };
        let wp = ctx.planned[&t].display();
        let res = ctx
            .v
            .resources
            .iter()
            .find(|r| r.kind == t.kind_str() && r.name == t.name)
            .cloned();
        let msg = if is_observed {
            format!(
                "Waypoint \"{wp}\" already serves {} \"{}/{}\" but these are missing: {}. Traffic through it will {effect}; apply them now (recommended-policies.yaml).",
                t.kind_str(),
                ns,
                t.name,
                missing.join(", ")
            )
        } else {
            format!(
                "Do not enable waypoint \"{wp}\" for \"{}/{}\" yet: apply {} first. Enabling it now would {effect}.",
                ns,
                t.name,
                missing.join(", ")
            )
        };
        let rule = if is_observed {
            &rules::U008_IN_USE
        } else {
            &rules::U008
        };
        let mut f = Finding::new(rule, msg);
        if let Some(r) = res {
            f = f.on_node(&r, r.name_span);
        } else {
            f = ctx.at_anchor(f);
        }
        ctx.emit(f);
    }
}

pub fn run(ctx: &mut NsCtx) {
    broken(ctx);
    unused(ctx);
    enrollment(ctx);
    let _ = Span::default();
}
