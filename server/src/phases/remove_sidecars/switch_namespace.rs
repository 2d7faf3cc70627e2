//! R001: switch a namespace that injects sidecars to ambient (relabel it, then restart its
//! workloads). Where it is reported is recorded for R008.

use std::collections::BTreeMap;

use crate::analysis::mesh::restart_controller;
use crate::analysis::mesh::{injection_request, Injection};
use crate::analysis::NsCtx;
use crate::finding::{Action, Finding, LabelTarget};
use crate::model::Body;
use crate::rules;

/// The kubectl command, the labels to remove and to set.
fn relabel(ctx: &NsCtx) -> (String, Vec<String>, BTreeMap<String, String>) {
    let ns = ctx.ns();
    let old = match &ctx.view.mode.injection {
        Injection::Rev(_) => "istio.io/rev",
        _ => "istio-injection",
    };
    let mut set = BTreeMap::from([("istio.io/dataplane-mode".to_string(), "ambient".to_string())]);
    if ctx.facts.inject_by_default.is_none() {
        let cmd = format!("kubectl label ns {ns} {old}- istio.io/dataplane-mode=ambient");
        return (cmd, vec![old.to_string()], set);
    }
    // injected by default: removing the label is not enough, disable injection explicitly
    set.insert("istio-injection".to_string(), "disabled".to_string());
    let remove: Vec<String> = [old]
        .into_iter()
        .filter(|k| *k != "istio-injection")
        .map(str::to_string)
        .collect();
    let mut cmd = format!("kubectl label ns {ns} istio-injection=disabled istio.io/dataplane-mode=ambient --overwrite");
    for k in &remove {
        cmd.push_str(&format!(" {k}-"));
    }
    (cmd, remove, set)
}

/// What re-creates the pods of the units that have a sidecar, once per controller. Units whose
/// pod template asks for a sidecar itself are left to R003: restarting them before their
/// template changes would inject them again.
fn restarts(ctx: &NsCtx, ns: &str) -> Vec<Action> {
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for u in ctx.view.app_units() {
        let unit = ctx.unit(u);
        if !unit.has_sidecar() {
            continue;
        }
        let (Some(r), Some(c)) = (&unit.res, &unit.controller) else {
            continue;
        };
        if matches!(&r.body, Body::Workload(w) if injection_request(w).is_some()) {
            continue;
        }
        if seen.insert(c.clone()) {
            out.push(restart_controller(
                ctx.index,
                ns,
                c,
                unit.pods.first().map(|p| &**p),
            ));
        }
    }
    out
}

pub fn namespace(ctx: &mut NsCtx) {
    let app_units = ctx.view.app_units();
    if !ctx.view.mode.switches(ctx.facts) || app_units.is_empty() {
        return;
    }
    let ns = ctx.ns().to_string();
    let (cmd, remove, set) = relabel(ctx);
    let restarts = restarts(ctx, &ns);
    let mut msg = format!("namespace {ns} can disable its sidecars: {cmd}");
    if ctx.view.mode.injection == Injection::Assumed {
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
            match a {
                Action::Restart { command, .. } => f = f.detail(command.clone()),
                Action::Manual { step, .. } => f = f.detail(format!("by hand: {step}")),
                _ => {}
            }
        }
        for a in restarts {
            f = f.action(a);
        }
    }
    ctx.summary.switching = f.location.map(|l| (l, f.resource.clone()));
    ctx.emit(f);
}
