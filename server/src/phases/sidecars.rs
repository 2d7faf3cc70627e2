//! Phase `remove-sidecars`: switching namespaces to ambient and what still holds them back.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::waypoints::workloads_list;
use super::{Global, NsCtx};
use crate::analysis::authz::{allow_rule_dropped, deny_effect, DenyEffect};
use crate::analysis::mesh::Injection;
use crate::finding::{Action, Finding, LabelTarget, Location, WorkloadTarget};
use crate::model::{AuthzAction, Body, Resource};
use crate::rules;

fn restart(kind: &str, ns: &str, name: &str) -> Action {
    let k = kind.to_ascii_lowercase();
    Action::Restart {
        workload: WorkloadTarget {
            kind: kind.to_string(),
            namespace: ns.to_string(),
            name: name.to_string(),
        },
        command: if kind == "Pod" {
            format!("kubectl delete pod -n {ns} {name}")
        } else {
            format!("kubectl rollout restart {k}/{name} -n {ns}")
        },
    }
}

/// The controller that owns a Pod (Deployment via its ReplicaSet, or a direct owner).
fn pod_owner(ctx: &NsCtx, pod: &Resource) -> Option<(String, String)> {
    let o = pod.owner_refs.first()?;
    if o.kind == "ReplicaSet" {
        if let Some((dep, _)) = o.name.rsplit_once('-') {
            if ctx
                .v
                .resources
                .iter()
                .any(|r| r.kind == "Deployment" && r.name == dep)
                || !ctx
                    .v
                    .resources
                    .iter()
                    .any(|r| r.kind == "ReplicaSet" && r.name == o.name)
            {
                return Some(("Deployment".to_string(), dep.to_string()));
            }
        }
    }
    Some((o.kind.clone(), o.name.clone()))
}

pub fn run(ctx: &mut NsCtx) {
    let ns = ctx.ns().to_string();
    if ctx.v.mode.system {
        return;
    }
    let app_units: Vec<usize> = ctx
        .v
        .units
        .iter()
        .enumerate()
        .filter(|(_, u)| !u.gateway)
        .map(|(i, _)| i)
        .collect();
    let injects = ctx.v.mode.injects();
    // ---- R005: both injection and ambient labels
    if let Some(m) = ctx.v.mode.manifest.clone() {
        let inj = matches!(ctx.v.mode.injection, Injection::Enabled | Injection::Rev(_));
        if inj && ctx.v.mode.ambient {
            ctx.emit(
                Finding::new(&rules::R005,
                    format!("\"{ns}\" has both sidecar-injection and ambient labels; new pods get sidecars and are then NOT captured by ztunnel (the sidecar wins). Remove the injection label."),
                )
                .on_node(&m, m.labels.entry("istio.io/dataplane-mode").map(|l| l.key_span.cover(l.value_span)).unwrap_or(m.name_span)),
            );
        }
    }
    // ---- R001 / R002: switch the namespace
    if injects && !app_units.is_empty() {
        let by_default = ctx.facts.inject_by_default.is_some();
        let (cmd, remove, mut set) = match &ctx.v.mode.injection {
            Injection::Rev(_) => (
                format!("kubectl label ns {ns} istio.io/rev- istio.io/dataplane-mode=ambient"),
                vec!["istio.io/rev".to_string()],
                BTreeMap::from([("istio.io/dataplane-mode".to_string(), "ambient".to_string())]),
            ),
            _ => (
                format!("kubectl label ns {ns} istio-injection- istio.io/dataplane-mode=ambient"),
                vec!["istio-injection".to_string()],
                BTreeMap::from([("istio.io/dataplane-mode".to_string(), "ambient".to_string())]),
            ),
        };
        let (cmd, remove) = if by_default {
            set.insert("istio-injection".to_string(), "disabled".to_string());
            let rm: Vec<String> = remove
                .into_iter()
                .filter(|k| k != "istio-injection")
                .collect();
            let mut c = format!("kubectl label ns {ns} istio-injection=disabled istio.io/dataplane-mode=ambient --overwrite");
            for k in &rm {
                c.push_str(&format!(" {k}-"));
            }
            (c, rm)
        } else {
            (cmd, remove)
        };
        let mut restarts = Vec::new();
        for &u in &app_units {
            let unit = ctx.unit(u);
            if !unit.has_sidecar() {
                continue;
            }
            if let Some(r) = &unit.res {
                if r.kind != "Pod" {
                    restarts.push(restart(&r.kind, &ns, &r.name));
                }
            }
        }
        let mut msg = format!("namespace {ns} can disable its sidecars: {cmd}");
        if ctx.v.mode.injection == Injection::Assumed {
            msg.push_str(" (the Namespace manifest is not in the input: check its labels first)");
        }
        let mut f = ctx
            .at_anchor(Finding::new(&rules::R001, msg))
            .action(Action::Label {
                target: LabelTarget {
                    kind: "Namespace".to_string(),
                    namespace: None,
                    name: ns.clone(),
                },
                set,
                remove,
                command: cmd,
            });
        if !restarts.is_empty() {
            f = f.detail("then restart its workloads so they start without sidecars:");
            for a in &restarts {
                if let Action::Restart { command, .. } = a {
                    f = f.detail(command.clone());
                }
            }
            for a in restarts {
                f = f.action(a);
            }
        }
        ctx.summary.switching = Some((
            f.location.unwrap_or(Location {
                file: 0,
                span: Default::default(),
            }),
            f.resource.clone(),
        ));
        if f.location.is_none() {
            ctx.summary.switching = None;
        }
        ctx.emit(f);
        if let Some(src) = ctx.facts.inject_by_default.clone() {
            let f = ctx
                .at_anchor(Finding::new(&rules::R002,
                    format!(
                        "Removing the injection label is not enough for \"{ns}\": the injector injects every unlabeled namespace ({}). Set istio-injection=disabled on \"{ns}\".",
                        if matches!(src.body, Body::ConfigMap(_)) { "sidecarInjectorWebhook.enableNamespacesByDefault is true" } else { "an auto. injection webhook is configured" }
                    ),
                ))
                .related(&src, src.name_span, "enables injection by default");
            ctx.emit(f);
        }
        fail_closed(ctx, &app_units);
    }
    // ---- R003: workload-level injection requests
    for &u in &app_units {
        let unit = ctx.unit(u).clone();
        let Some(r) = &unit.res else { continue };
        let Body::Workload(w) = &r.body else { continue };
        if r.kind == "Pod" {
            continue;
        }
        let label = w
            .pod_labels
            .entry("sidecar.istio.io/inject")
            .filter(|l| l.value == "true")
            .or_else(|| w.pod_labels.entry("istio.io/rev"));
        let ann = w
            .pod_annotations
            .entry("sidecar.istio.io/inject")
            .filter(|l| l.value == "true");
        if let Some(l) = label.or(ann) {
            ctx.emit(
                Finding::new(&rules::R003,
                    format!("\"{}\" requests injection itself ({}: {}); remove it from the pod template (or set sidecar.istio.io/inject to \"false\").", unit.short(), l.key, l.value),
                )
                .on_node(r, l.key_span.cover(l.value_span)),
            );
        }
    }
    // ---- R004: pods that still have a sidecar
    for &u in &app_units {
        let unit = ctx.unit(u).clone();
        for p in &unit.pods {
            let Body::Workload(w) = &p.body else { continue };
            if !(w.pod_annotations.has("sidecar.istio.io/status") || w.istio_proxy().is_some()) {
                continue;
            }
            let mut f = Finding::new(
                &rules::R004,
                format!("sidecar found for Pod {}/{}", ns, p.name),
            )
            .on_node(p, p.name_span);
            match pod_owner(ctx, p) {
                Some((kind, name)) => {
                    f = f
                        .detail(format!("restart its owner {kind}/{name}"))
                        .action(restart(&kind, &ns, &name));
                }
                None => {
                    f = f.action(restart("Pod", &ns, &p.name));
                }
            }
            ctx.emit(f);
        }
    }
    // ---- R006: pods that will not be captured
    for &u in &app_units {
        let unit = ctx.unit(u).clone();
        if unit.status == crate::analysis::mesh::MeshStatus::Out && !injects {
            continue;
        }
        let reason = if unit.host_network {
            Some("it uses hostNetwork")
        } else if unit.ambient_opt_out {
            Some("its pods are labeled istio.io/dataplane-mode=none")
        } else if ctx.v.mode.dataplane_none {
            Some("its namespace is labeled istio.io/dataplane-mode=none")
        } else {
            None
        };
        if let (Some(reason), Some(r)) = (reason, &unit.res) {
            ctx.emit(
                Finding::new(&rules::R006, format!("\"{}\" will not join ambient ({reason}) after its sidecar is removed; it becomes an out-of-mesh workload.", unit.short()))
                    .on_node(r, r.name_span),
            );
        }
    }
    // ---- R007: waypoints that follow the namespace revision label
    if let Injection::Rev(rev) = ctx.v.mode.injection.clone() {
        for gw in ctx.v.waypoints.clone() {
            if gw.labels.has("istio.io/rev") {
                continue;
            }
            ctx.emit(
                Finding::new(&rules::R007,
                    format!(
                        "Removing istio.io/rev from \"{ns}\" also changes which control plane revision manages waypoint \"{}\". Pin the Gateway with istio.io/rev={rev} first.",
                        gw.ns_name()
                    ),
                )
                .on_node(&gw, gw.name_span),
            );
        }
    }
}

/// R009: policies that become deny-all (or deny more) the moment the pods lose their sidecars.
fn fail_closed(ctx: &mut NsCtx, app_units: &[usize]) {
    let units: Vec<usize> = app_units
        .iter()
        .copied()
        .filter(|&u| ctx.unit(u).has_sidecar() && ctx.unit(u).ambient_bound())
        .collect();
    if units.is_empty() {
        return;
    }
    let scoped = ctx.scoped_policies();
    for (p, _) in &scoped {
        let Body::AuthorizationPolicy(ap) = &p.body else {
            continue;
        };
        let sel: Vec<usize> = ctx
            .selected(p)
            .into_iter()
            .filter(|u| units.contains(u))
            .collect();
        if sel.is_empty() {
            continue;
        }
        let effect = match ap.action {
            AuthzAction::Allow if ap.rules.iter().any(allow_rule_dropped) => {
                // traffic the dropped rules allowed still works when it is relayed by a
                // waypoint the workload admits (the allow-from-waypoint policy is in place)
                let affected: Vec<usize> = sel
                    .iter()
                    .copied()
                    .filter(|&u| !compensated(ctx, &scoped, p, u))
                    .collect();
                if affected.is_empty() {
                    continue;
                }
                let what = if ap.rules.iter().all(allow_rule_dropped) {
                    "it matches nothing, so every connection it allowed is denied"
                } else {
                    "its rules with HTTP attributes are dropped, so the clients they allowed are denied"
                };
                (what.to_string(), affected)
            }
            AuthzAction::Deny => {
                let broader: Vec<String> = ap
                    .rules
                    .iter()
                    .filter_map(|r| {
                        if let DenyEffect::Broader(w) = deny_effect(r) {
                            Some(w)
                        } else {
                            None
                        }
                    })
                    .collect();
                if broader.is_empty() {
                    continue;
                }
                (broader.join("; "), sel.clone())
            }
            _ => continue,
        };
        let names: Vec<String> = effect.1.iter().map(|&u| ctx.unit(u).short()).collect();
        let loc = ap
            .selector
            .as_ref()
            .map(|s| s.key_span)
            .unwrap_or(p.name_span);
        ctx.emit(
            Finding::new(&rules::R009,
                format!(
                    "Removing the sidecar of {} activates ztunnel enforcement of \"{}\" without its HTTP rules ({}). Delete or convert it first (apply the waypoint copies and the allow-from-waypoint policy, then delete it).",
                    workloads_list(&names),
                    p.ns_name(),
                    effect.0
                ),
            )
            .on_node(p, loc),
        );
    }
}

/// A unit whose traffic through its (planned) waypoint is admitted by an existing ALLOW policy.
fn compensated(
    ctx: &NsCtx,
    scoped: &[(Arc<Resource>, bool)],
    this: &Arc<Resource>,
    u: usize,
) -> bool {
    let services = ctx.services_of(&[u]);
    services.iter().any(|s| {
        let Some(p) = ctx.planned.get(&super::Target::svc(s)) else { return false };
        let id = crate::analysis::authz::Identity {
            principal: p.principal(ctx.facts),
            namespace: p.ns.clone(),
            service_account: format!("{}/{}", p.ns, p.sa),
        };
        scoped.iter().any(|(o, _)| {
            !Arc::ptr_eq(o, this) && matches!(&o.body, Body::AuthorizationPolicy(oa) if crate::analysis::authz::allow_admits(oa, &id)) && ctx.selected(o).contains(&u)
        })
    })
}

/// R008: clients would lose sidecar routing before their servers' waypoints are enabled.
pub fn global(g: &Global, out: &mut Vec<Finding>) {
    let mut unserved: Vec<&String> = g
        .results
        .values()
        .flat_map(|r| r.summary.unserved.iter())
        .collect();
    if unserved.is_empty() {
        return;
    }
    // the message is the same for every namespace: build it once (1 000+ namespaces)
    let listing = if unserved.len() > 5 {
        unserved.select_nth_unstable(5);
        let mut first: Vec<&String> = unserved[..5].to_vec();
        first.sort();
        format!(
            "{} and {} more",
            first
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            unserved.len() - 5
        )
    } else {
        unserved.sort();
        unserved
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    for (ns, r) in g.results.iter() {
        let Some((loc, res)) = &r.summary.switching else {
            continue;
        };
        let mut f = Finding::new(&rules::R008,
            format!(
                "Workloads in \"{ns}\" may call {listing} whose routing/policy still depends on client sidecars; enable their waypoints first."
            ),
        )
        .ns(ns.clone());
        f.location = Some(*loc);
        f.resource = res.clone();
        out.push(f);
    }
}
