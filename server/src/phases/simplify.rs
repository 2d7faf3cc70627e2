//! Phase `policy-simplification`: the sidecar-era originals that can go once their pods run
//! without sidecars — and the ones that must stay.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::waypoints::workloads_list;
use super::{Global, NsCtx, Target};
use crate::analysis::authz::{
    allow_admits, allow_rule_dropped, deny_effect, depends_on_source_identity, l7_fields,
    DenyEffect, Identity,
};
use crate::finding::{Action, Finding, Severity};
use crate::fixes::delete_command;
use crate::model::{AuthzAction, Body, Resource};
use crate::rules;

fn delete(r: &Resource) -> Action {
    Action::Delete {
        resource: r.ref_(),
        command: delete_command(&r.kind, &r.namespace, &r.name),
    }
}

fn keep(ctx: &mut NsCtx, r: &Arc<Resource>, with_sidecar: &[usize]) {
    let names: Vec<String> = with_sidecar.iter().map(|&u| ctx.unit(u).short()).collect();
    let f = Finding::new(&rules::S009,
        format!(
            "Keep \"{}\" until the pods of {} are migrated; sidecars do not use waypoint copies. After their sidecars are removed: {}",
            r.ns_name(),
            workloads_list(&names),
            delete_command(&r.kind, &r.namespace, &r.name)
        ),
    )
    .on_node(r, r.name_span);
    ctx.emit(f);
}

/// Waypointed services (planned) whose units intersect `units`.
fn waypointed_services(ctx: &NsCtx, units: &[usize]) -> Vec<String> {
    ctx.services_of(units)
        .into_iter()
        .filter(|s| ctx.planned.contains_key(&Target::svc(s)))
        .collect()
}

fn pending_for(ctx: &NsCtx, services: &[String], origin: &Resource) -> Vec<String> {
    let key = format!("{}/{}", origin.kind, origin.name);
    let mut out = Vec::new();
    for s in services {
        if let Some(p) = ctx.pending.get(&Target::svc(s)) {
            for item in p {
                if item.origin == key {
                    out.push(item.item.clone());
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

fn after(pending: &[String]) -> String {
    if pending.is_empty() {
        String::new()
    } else {
        format!(
            " (after applying {} from recommended-policies.yaml)",
            pending.join(", ")
        )
    }
}

pub fn run(ctx: &mut NsCtx) {
    if ctx.is_root() {
        return;
    }
    let mut deletions = 0usize;
    let mut keepers: Vec<(Arc<Resource>, String)> = Vec::new();
    let own: Vec<Arc<Resource>> = ctx.v.resources.clone();
    for r in &own {
        match &r.body {
            Body::AuthorizationPolicy(ap) if ap.target_refs.is_empty() => {
                let units: Vec<usize> = ctx
                    .selected(r)
                    .into_iter()
                    .filter(|&u| ctx.unit(u).ambient_bound())
                    .collect();
                if units.is_empty() {
                    continue;
                }
                let svcs = waypointed_services(ctx, &units);
                if svcs.is_empty() {
                    continue;
                }
                // the allow-from-waypoint policy itself must stay (S004 below)
                let only_waypoint = svcs.iter().any(|s| {
                    let p = &ctx.planned[&Target::svc(s)];
                    crate::analysis::authz::admits_only(
                        ap,
                        &Identity {
                            principal: p.principal(ctx.facts),
                            namespace: p.ns.clone(),
                            service_account: format!("{}/{}", p.ns, p.sa),
                        },
                    )
                });
                if only_waypoint {
                    keepers.push((r.clone(), String::new()));
                    continue;
                }
                let with_sidecar: Vec<usize> = units
                    .iter()
                    .copied()
                    .filter(|&u| ctx.unit(u).has_sidecar())
                    .collect();
                let l7 = !l7_fields(ap).is_empty()
                    || matches!(ap.action, AuthzAction::Custom | AuthzAction::Audit);
                let identity = depends_on_source_identity(ap);
                let pending = pending_for(ctx, &svcs, r);
                let cmd = delete_command(&r.kind, &r.namespace, &r.name);
                if ap.selector.is_some() && (l7 || identity) {
                    if !with_sidecar.is_empty() {
                        keep(ctx, r, &with_sidecar);
                        continue;
                    }
                    deletions += 1;
                    if l7 {
                        // does keeping it change behaviour now that ztunnel enforces it?
                        let mut finding_rule = &rules::S001;
                        let mut effect = String::new();
                        if ap.action == AuthzAction::Allow
                            && ap.rules.iter().all(allow_rule_dropped)
                            && !ap.rules.is_empty()
                        {
                            let other_allow = ctx.scoped_policies().iter().any(|(o, _)| {
                                !Arc::ptr_eq(o, r)
                                    && matches!(&o.body, Body::AuthorizationPolicy(oa) if oa.action == AuthzAction::Allow && oa.rules.iter().any(|x| !allow_rule_dropped(x)))
                                    && ctx.selected(o).iter().any(|u| units.contains(u))
                            });
                            if !other_allow {
                                finding_rule = &rules::S001_ENFORCED_WITHOUT_HTTP;
                                effect = "it denies everything not otherwise allowed".to_string();
                            }
                        } else if ap.action == AuthzAction::Deny {
                            for rule in &ap.rules {
                                if let DenyEffect::Broader(w) = deny_effect(rule) {
                                    finding_rule = &rules::S001_ENFORCED_WITHOUT_HTTP;
                                    effect = w;
                                }
                            }
                        }
                        let mut msg = format!(
                            "AuthorizationPolicy was migrated and can be deleted: {cmd}{}",
                            after(&pending)
                        );
                        if finding_rule.severity == Severity::Error {
                            msg.push_str(&format!(". \"{}\" is now enforced by ztunnel without its HTTP rules ({effect}).", r.ns_name()));
                        }
                        ctx.emit(
                            Finding::new(finding_rule, msg)
                                .on_node(r, r.name_span)
                                .action(delete(r)),
                        );
                    } else {
                        let fw = svcs
                            .iter()
                            .map(|s| format!("\"{s}-from-waypoint\""))
                            .collect::<Vec<_>>()
                            .join(", ");
                        ctx.emit(
                            Finding::new(&rules::S002,
                                format!(
                                    "\"{}\" can be deleted{}: its checks are enforced at the waypoint; at the workload only {fw} is needed. Keeping it lets the clients it lists reach the pods directly, bypassing the waypoint's policies: {cmd}",
                                    r.ns_name(),
                                    after(&pending)
                                ),
                            )
                            .on_node(r, r.name_span)
                            .action(delete(r)),
                        );
                    }
                } else if ap.selector.is_none() && ap.action == AuthzAction::Allow {
                    // S003: namespace-wide baseline copied to the waypoint
                    if !with_sidecar.is_empty() {
                        keep(ctx, r, &with_sidecar);
                        continue;
                    }
                    let uncovered: Vec<String> = ctx
                        .v
                        .units
                        .iter()
                        .enumerate()
                        .filter(|(_, u)| u.ambient_bound())
                        .filter(|(ui, _)| {
                            !ctx.scoped_policies().iter().any(|(o, _)| {
                                !Arc::ptr_eq(o, r)
                                    && matches!(&o.body, Body::AuthorizationPolicy(oa) if oa.action == AuthzAction::Allow && oa.rules.iter().any(|x| !allow_rule_dropped(x)))
                                    && ctx.selected(o).contains(ui)
                            })
                        })
                        .map(|(_, u)| u.short())
                        .collect();
                    if uncovered.is_empty() {
                        deletions += 1;
                        ctx.emit(
                            Finding::new(
                                &rules::S003,
                                format!(
                                    "AuthorizationPolicy was migrated and can be deleted: {cmd}{}",
                                    after(&pending)
                                ),
                            )
                            .on_node(r, r.name_span)
                            .action(delete(r)),
                        );
                    } else {
                        ctx.emit(
                            Finding::new(&rules::S003_KEEP,
                                format!(
                                    "Keep \"{}\": {} have no other ALLOW policy and would become open (it is still ztunnel's default-deny for them).",
                                    r.ns_name(),
                                    workloads_list(&uncovered)
                                ),
                            )
                            .on_node(r, r.name_span),
                        );
                    }
                } else {
                    keepers.push((r.clone(), String::new()));
                }
            }
            Body::RequestAuthentication(_)
            | Body::Telemetry(_)
            | Body::WasmPlugin(_)
            | Body::EnvoyFilter(_) => {
                let Some(sel) = super::policy_selector(r) else {
                    continue;
                };
                let units: Vec<usize> = match sel {
                    // namespace-wide: RA/Wasm were copied to the Gateway; Telemetry already
                    // applies to waypoints and EnvoyFilters are never copied
                    None if !matches!(
                        r.body,
                        Body::RequestAuthentication(_) | Body::WasmPlugin(_)
                    ) =>
                    {
                        continue
                    }
                    None => ctx
                        .v
                        .units
                        .iter()
                        .enumerate()
                        .filter(|(_, u)| u.ambient_bound())
                        .map(|(i, _)| i)
                        .collect(),
                    Some(_) => ctx
                        .selected(r)
                        .into_iter()
                        .filter(|&u| ctx.unit(u).ambient_bound())
                        .collect(),
                };
                if units.is_empty() {
                    continue;
                }
                let copied = matches!(r.body, Body::EnvoyFilter(_))
                    || !waypointed_services(ctx, &units).is_empty();
                if !copied {
                    continue;
                }
                let with_sidecar: Vec<usize> = units
                    .iter()
                    .copied()
                    .filter(|&u| ctx.unit(u).has_sidecar())
                    .collect();
                if !with_sidecar.is_empty() {
                    keep(ctx, r, &with_sidecar);
                    continue;
                }
                deletions += 1;
                ctx.emit(
                    Finding::new(
                        &rules::S005,
                        format!(
                            "{} \"{}\" only affected sidecars and can be deleted: {}",
                            r.kind,
                            r.ns_name(),
                            delete_command(&r.kind, &r.namespace, &r.name)
                        ),
                    )
                    .on_node(r, r.name_span)
                    .action(delete(r)),
                );
            }
            Body::Sidecar(sc) => {
                let units: Vec<usize> = ctx
                    .v
                    .select(sc.workload_selector.as_ref().map(|s| &s.labels));
                let any_sidecar = units.iter().any(|&u| ctx.unit(u).has_sidecar());
                if any_sidecar || (sc.workload_selector.is_none() && ctx.v.mode.injects()) {
                    continue;
                }
                deletions += 1;
                let cmd = delete_command("Sidecar", &r.namespace, &r.name);
                ctx.emit(
                    Finding::new(&rules::S006, format!("Sidecar \"{}\" no longer selects any sidecar and can be deleted: {cmd}", r.ns_name()))
                        .on_node(r, r.name_span)
                        .action(delete(r)),
                );
            }
            _ => {}
        }
    }
    relocated(ctx, &mut deletions);
    // S004: what must stay, when this namespace has clean-up to do
    if deletions > 0 {
        for r in &own {
            let Body::AuthorizationPolicy(ap) = &r.body else {
                continue;
            };
            if !ap.target_refs.is_empty() {
                continue;
            }
            let units: Vec<usize> = ctx
                .selected(r)
                .into_iter()
                .filter(|&u| ctx.unit(u).ambient_bound())
                .collect();
            let svcs = waypointed_services(ctx, &units);
            if svcs.is_empty() {
                continue;
            }
            let why = if ap.action == AuthzAction::Allow
                && svcs.iter().any(|s| {
                    let p = &ctx.planned[&Target::svc(s)];
                    allow_admits(
                        ap,
                        &Identity {
                            principal: p.principal(ctx.facts),
                            namespace: p.ns.clone(),
                            service_account: format!("{}/{}", p.ns, p.sa),
                        },
                    )
                }) {
                Some("it lets the waypoint reach the workloads")
            } else if ap.action == AuthzAction::Deny
                && l7_fields(ap).is_empty()
                && !depends_on_source_identity(ap)
            {
                Some("an L4 DENY that does not depend on the client identity is still enforced by ztunnel")
            } else {
                None
            };
            if let Some(why) = why {
                ctx.emit(
                    Finding::new(&rules::S004, format!("Keep \"{}\": {why}.", r.ns_name()))
                        .on_node(r, r.name_span),
                );
            }
        }
        for (r, _) in keepers {
            let _ = r;
        }
    }
}

/// S008: client-side VirtualServices/DestinationRules relocated to the service's namespace.
fn relocated(ctx: &mut NsCtx, deletions: &mut usize) {
    let clients_with_sidecar = ctx.v.units.iter().any(|u| u.has_sidecar());
    if clients_with_sidecar {
        return;
    }
    let domain = ctx.facts.dns_domain.clone();
    for r in ctx.v.resources.clone() {
        let hosts: Vec<String> = match &r.body {
            Body::VirtualService(vs) if vs.is_mesh_bound() => {
                vs.hosts.iter().map(|h| h.value.clone()).collect()
            }
            Body::DestinationRule(dr)
                if dr.workload_selector.is_some()
                    || dr
                        .export_to
                        .as_ref()
                        .is_some_and(|e| e.iter().any(|x| x == ".")) =>
            {
                dr.host.iter().map(|h| h.value.clone()).collect()
            }
            _ => continue,
        };
        for h in hosts {
            let pat = crate::analysis::mesh::normalize_host(&h, &r.namespace, &domain);
            let Some(crate::model::refs::RefKey::Ns(target_ns)) =
                crate::model::refs::host_ref(&pat, &r.namespace)
            else {
                continue;
            };
            if target_ns == r.namespace {
                continue;
            }
            // a config for that host exists in the service's namespace: this one is the old copy
            let relocated = ctx.index.ns(&target_ns).any(|o| {
                o.kind == r.kind
                    && match &o.body {
                        Body::VirtualService(vs) => vs.hosts.iter().any(|oh| {
                            crate::analysis::mesh::normalize_host(&oh.value, &o.namespace, &domain)
                                == pat
                        }),
                        Body::DestinationRule(dr) => dr.host.as_ref().is_some_and(|oh| {
                            crate::analysis::mesh::normalize_host(&oh.value, &o.namespace, &domain)
                                == pat
                        }),
                        _ => false,
                    }
            });
            if !relocated {
                continue;
            }
            *deletions += 1;
            let cmd = delete_command(&r.kind, &r.namespace, &r.name);
            ctx.emit(
                Finding::new(
                    &rules::S008,
                    format!(
                        "{} \"{}\" was relocated to \"{}\": {cmd}",
                        r.kind,
                        r.ns_name(),
                        target_ns
                    ),
                )
                .on_node(&r, r.name_span)
                .action(delete(&r)),
            );
            break;
        }
    }
    let _: BTreeSet<()> = BTreeSet::new();
}

/// S007: no-op DestinationRules, once no sidecar remains anywhere.
pub fn global(g: &Global, out: &mut Vec<crate::finding::Finding>) {
    let sidecars_left: usize = g.results.values().map(|r| r.summary.sidecar_units).sum();
    if sidecars_left > 0 {
        return;
    }
    for r in g.results.values() {
        out.extend(r.summary.s007.iter().cloned());
    }
}
