//! U006: `istio.io/use-waypoint-namespace` is read from the same object as
//! `istio.io/use-waypoint` (Istio 1.26 `getUseWaypoint`,
//! `pilot/pkg/serviceregistry/kube/controller/ambient/waypoints.go`: the namespace override is
//! looked up in `meta.Labels` of the object whose `use-waypoint` label is used, and nowhere
//! else). So a Service, ServiceEntry or workload with its own `use-waypoint` and no
//! `-namespace` looks for the waypoint in its own namespace even when its Namespace carries
//! `use-waypoint-namespace`; and a `-namespace` label on an object without `use-waypoint` is
//! ignored. The fix (a label) is offered only when the label would make the object bind to a
//! valid waypoint (`resolve_binding`): never a fix that creates U003/U004/U005.

use std::sync::Arc;

use crate::analysis::mesh::{missing_waypoint_requests, resolve_binding, Binding, Traffic};
use crate::analysis::NsCtx;
use crate::finding::{Action, Finding};
use crate::fixes::{label_action, label_template_actions};
use crate::model::{Body, Labels, Resource};
use crate::rules;
use crate::yaml::Span;

const WP: &str = "istio.io/use-waypoint";
const WP_NS: &str = "istio.io/use-waypoint-namespace";

/// An object whose own labels decide its waypoint: its labels (a workload's pod template
/// labels), the traffic it carries, and how to label it.
struct Obj {
    res: Arc<Resource>,
    labels: Labels,
    traffic: Traffic,
}

fn objects(ctx: &NsCtx) -> Vec<Obj> {
    let mut out = Vec::new();
    for sv in ctx.view.services.iter().filter(|s| !s.infra) {
        out.push(Obj {
            res: sv.res.clone(),
            labels: sv.res.labels.clone(),
            traffic: Traffic::Service,
        });
    }
    for r in &ctx.view.resources {
        match &r.body {
            _ if r.kind == "ServiceEntry" => out.push(Obj {
                res: r.clone(),
                labels: r.labels.clone(),
                traffic: Traffic::Service,
            }),
            // a Pod that something owns gets its labels from its controller's template
            Body::Workload(w) if r.kind != "Pod" || r.owner_refs.is_empty() => out.push(Obj {
                res: r.clone(),
                labels: w.pod_labels.clone(),
                traffic: Traffic::Workload,
            }),
            _ => {}
        }
    }
    out
}

fn span_of(labels: &Labels, key: &str, r: &Resource) -> Span {
    labels
        .entry(key)
        .map(|l| l.key_span.cover(l.value_span))
        .unwrap_or(r.name_span)
}

/// The label fix for `o`, when with it `o` binds to a valid waypoint.
fn fix(ctx: &NsCtx, o: &Obj, key: &'static str, value: &str) -> Vec<Action> {
    let ns = ctx.ns();
    let labels = Labels::from_pairs(
        o.labels
            .iter()
            .filter(|(k, _)| *k != key)
            .chain(std::iter::once((key, value))),
    );
    let b = resolve_binding(
        ctx.index,
        ctx.facts,
        ns,
        &ctx.view.mode.labels(),
        &labels,
        o.traffic,
    );
    if !matches!(b, Binding::Bound(..)) {
        return Vec::new();
    }
    let r = &o.res;
    match r.kind.as_str() {
        "Service" | "ServiceEntry" => {
            let kind = if r.kind == "Service" {
                "service"
            } else {
                "serviceentries.networking.istio.io"
            };
            let cmd = format!("kubectl label {kind} {} -n {ns} {key}={value}", r.name);
            vec![label_action(
                &r.kind,
                ns,
                &r.name,
                &[(key, value.to_string())],
                cmd,
            )]
        }
        _ => label_template_actions(ctx.index, &r.kind, ns, &r.name, &[(key, value)], &[], true),
    }
}

/// Whether waypoint `ns/name` is one the advice may send an object to: a Gateway of the input,
/// or one that `recommended-waypoints.yaml` generates because labels already name it (W020).
/// `None`: it exists nowhere, and the message says to create it rather than name it as if it
/// did.
fn known_waypoint(ctx: &NsCtx, ns: &str, name: &str) -> Option<&'static str> {
    if ctx
        .index
        .find("gateway.networking.k8s.io", "Gateway", ns, name)
        .is_some()
    {
        return Some("it exists");
    }
    missing_waypoint_requests(ctx.index, ctx.facts, ns)
        .iter()
        .any(|r| r.name == name)
        .then_some("recommended-waypoints.yaml creates it")
}

/// What to say about using `other/name` through the object's own
/// `istio.io/use-waypoint-namespace` label.
fn to_use(ctx: &NsCtx, other: &str, name: &str, how: &str, otherwise: &str) -> String {
    match known_waypoint(ctx, other, name) {
        Some(which) => format!("To use \"{other}/{name}\" ({which}), {how}."),
        None => format!(
            "No waypoint \"{name}\" exists in \"{other}\" and none is generated there: to use a waypoint of \"{other}\", create it first (a Gateway of class istio-waypoint named \"{name}\" in \"{other}\"), then {how}; {otherwise}."
        ),
    }
}

pub fn namespace(ctx: &mut NsCtx) {
    let ns = ctx.ns().to_string();
    let ns_labels = ctx.view.mode.labels();
    let mut found = Vec::new();
    for o in objects(ctx) {
        let r = &o.res;
        match (o.labels.get(WP), o.labels.get(WP_NS)) {
            // its own use-waypoint, the -namespace only on the Namespace
            (Some(name), None) if name != "none" => {
                let Some(other) = ns_labels.get(WP_NS).filter(|x| *x != ns) else {
                    continue;
                };
                let msg = format!(
                    "istio.io/use-waypoint-namespace is read from the same object as istio.io/use-waypoint; \"{}\" will look for \"{name}\" in \"{ns}\", not in \"{other}\" (the label on Namespace {ns} applies only to the Namespace's own istio.io/use-waypoint). {}",
                    r.ns_name(),
                    to_use(
                        ctx,
                        other,
                        name,
                        &format!("label it istio.io/use-waypoint-namespace={other}"),
                        "otherwise relabel it to an existing waypoint"
                    )
                );
                let mut f = Finding::new(&rules::U006, msg).on_node(r, span_of(&o.labels, WP, r));
                for a in fix(ctx, &o, WP_NS, other) {
                    f = f.action(a);
                }
                found.push(f);
            }
            // the -namespace without its use-waypoint: ignored
            (None, Some(other)) => {
                let msg = match ns_labels.get(WP).filter(|v| *v != "none") {
                    Some(v) => format!(
                        "istio.io/use-waypoint-namespace is read from the same object as istio.io/use-waypoint; \"{}\" has no istio.io/use-waypoint of its own, so its istio.io/use-waypoint-namespace={other} is ignored and it follows Namespace {ns} (istio.io/use-waypoint={v}{}). {}",
                        r.ns_name(),
                        ns_labels
                            .get(WP_NS)
                            .map(|x| format!(", looked up in \"{x}\""))
                            .unwrap_or_else(|| format!(", looked up in \"{ns}\"")),
                        to_use(
                            ctx,
                            other,
                            v,
                            &format!("label it istio.io/use-waypoint={v} too"),
                            "otherwise remove the label"
                        ),
                    ),
                    None => format!(
                        "istio.io/use-waypoint-namespace is read from the same object as istio.io/use-waypoint; \"{}\" has no istio.io/use-waypoint, so its istio.io/use-waypoint-namespace={other} is ignored (it uses no waypoint through it).",
                        r.ns_name()
                    ),
                };
                let mut f =
                    Finding::new(&rules::U006, msg).on_node(r, span_of(&o.labels, WP_NS, r));
                if let Some(v) = ns_labels.get(WP).filter(|v| *v != "none") {
                    for a in fix(ctx, &o, WP, v) {
                        f = f.action(a);
                    }
                }
                found.push(f);
            }
            _ => {}
        }
    }
    // the Namespace: a -namespace label without its use-waypoint, reported once when no
    // object above already explains it
    if found.is_empty() && !ns_labels.has(WP) {
        if let (Some(other), Some(m)) = (ns_labels.get(WP_NS), ctx.view.mode.manifest.clone()) {
            found.push(
                Finding::new(
                    &rules::U006,
                    format!(
                        "istio.io/use-waypoint-namespace is read from the same object as istio.io/use-waypoint; Namespace {ns} has no istio.io/use-waypoint, so its istio.io/use-waypoint-namespace={other} is ignored: it neither enrolls the namespace nor applies to the labels of its Services or workloads."
                    ),
                )
                .on_node(&m, span_of(&m.labels, WP_NS, &m)),
            );
        }
    }
    for f in found {
        ctx.emit(f);
    }
}
