//! Phase `deploy-waypoints`: which services need a waypoint, and the waypoint to deploy.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::{Global, NsCtx, Planned, RootHit, Target, TargetKind};
use crate::analysis::authz::{l7_fields, l7_names};
use crate::analysis::facts::Facts;
use crate::analysis::mesh::{
    host_matches, normalize_host, resolve_binding, waypoint_for, waypoint_sa, Binding, Traffic,
};
use crate::finding::{Action, Finding};
use crate::index::Index;
use crate::model::refs::RefKey;
use crate::model::{AuthzAction, Body, Resource, VirtualService};
use crate::rules::{self, Rule};

pub fn quoted(r: &Resource) -> String {
    format!("{} \"{}\"", r.kind, r.ns_name())
}

/// Resources of `kinds` in this namespace and in namespaces that reference it.
pub fn cross_ns(ctx: &NsCtx, kind: &str, extra_keys: &[RefKey]) -> Vec<Arc<Resource>> {
    let mut namespaces: BTreeSet<String> = BTreeSet::new();
    for n in ctx.index.users_of(&RefKey::Ns(ctx.ns().to_string())) {
        namespaces.insert(n.to_string());
    }
    for k in extra_keys {
        for n in ctx.index.users_of(k) {
            namespaces.insert(n.to_string());
        }
    }
    for n in ctx.index.wildcard_users() {
        namespaces.insert(n.to_string());
    }
    namespaces.remove(ctx.ns());
    let mut out = ctx.own(kind);
    for n in namespaces {
        out.extend(ctx.index.ns(&n).filter(|r| r.kind == kind).cloned());
    }
    out
}

/// Visible to namespace `to` given `exportTo` of a resource in `from` (absent = everywhere).
pub fn exported_to(export_to: &Option<Vec<String>>, from: &str, to: &str) -> bool {
    match export_to {
        None => true,
        Some(list) if list.is_empty() => true,
        Some(list) => list
            .iter()
            .any(|e| e == "*" || (e == "." && from == to) || e == to),
    }
}

/// The namespace of the waypoint a service will use: its binding's, else its own.
pub fn waypoint_ns_for(index: &Index, facts: &Facts, svc: &Resource) -> String {
    let ns_labels = index
        .namespace_object(&svc.namespace)
        .map(|n| n.labels.clone())
        .unwrap_or_default();
    match resolve_binding(
        index,
        facts,
        &svc.namespace,
        &ns_labels,
        &svc.labels,
        Traffic::Service,
    ) {
        Binding::Bound(w, _) => w.ns,
        Binding::Broken { ns, .. } => ns,
        _ => svc.namespace.to_string(),
    }
}

fn vs_targets<'v>(
    vs: &'v VirtualService,
    vs_ns: &str,
    fqdn: &str,
    domain: &str,
) -> Vec<&'v crate::model::Spanned<String>> {
    vs.hosts
        .iter()
        .filter(|h| host_matches(&normalize_host(&h.value, vs_ns, domain), fqdn))
        .collect()
}

/// HTTP features of the mesh-active routes of a VS for a service, or `None` when the VS is a
/// provable no-op for it (a single plain route to the service itself).
fn http_features(
    vs: &VirtualService,
    vs_ns: &str,
    fqdn: &str,
    ports: &[i64],
    domain: &str,
) -> Option<Vec<&'static str>> {
    let active: Vec<_> = vs
        .http
        .iter()
        .filter(|r| vs.route_mesh_active(&r.matches))
        .collect();
    if active.is_empty() {
        return None;
    }
    let mut feats: Vec<&'static str> = Vec::new();
    for r in &active {
        for f in &r.features {
            if !feats.contains(f) {
                feats.push(f);
            }
        }
    }
    let noop = active.len() == 1 && feats.is_empty() && active[0].destinations.len() == 1 && {
        let d = &active[0].destinations[0];
        host_matches(&normalize_host(&d.host, vs_ns, domain), fqdn)
            && d.subset.is_none()
            && d.port.is_none_or(|p| ports.contains(&p))
    };
    if noop {
        return None;
    }
    if feats.is_empty() {
        // a single route elsewhere (another host or port)
        feats.push("route");
    }
    Some(feats)
}

fn l4_route_needed(
    routes: &[crate::model::L4Route],
    vs: &VirtualService,
    vs_ns: &str,
    fqdn: &str,
    ports: &[i64],
    domain: &str,
) -> bool {
    let active: Vec<_> = routes
        .iter()
        .filter(|r| vs.route_mesh_active(&r.matches))
        .collect();
    if active.is_empty() {
        return false;
    }
    active.len() > 1
        || active.iter().any(|r| {
            r.destinations.len() > 1
                || r.destinations.iter().any(|d| {
                    d.subset.is_some()
                        || d.weight.is_some_and(|w| w != 100)
                        || !host_matches(&normalize_host(&d.host, vs_ns, domain), fqdn)
                        || d.port.is_some_and(|p| !ports.contains(&p))
                })
        })
}

/// W001, W002 (service side) and W003, W004 (VirtualService side).
fn virtual_services(ctx: &mut NsCtx) {
    let domain = ctx.facts.dns_domain.clone();
    let vss = cross_ns(ctx, "VirtualService", &[]);
    for vsr in &vss {
        let Body::VirtualService(vs) = &vsr.body else {
            continue;
        };
        if !vs.is_mesh_bound() {
            continue;
        }
        for si in 0..ctx.v.services.len() {
            if ctx.v.services[si].infra {
                continue;
            }
            let fqdn = ctx.v.services[si].fqdn.clone();
            let svc_res = ctx.v.services[si].res.clone();
            let matched = vs_targets(vs, &vsr.namespace, &fqdn, &domain);
            let Some(host) = matched.first() else {
                continue;
            };
            let host_span = host.span;
            let ports: Vec<i64> = ctx.v.services[si]
                .svc()
                .ports
                .iter()
                .map(|p| p.port)
                .collect();
            let t = Target::svc(&svc_res.name);
            if let Some(feats) = http_features(vs, &vsr.namespace, &fqdn, &ports, &domain) {
                let msg = format!(
                    "Service \"{}\" depends on VirtualService \"{}\" ({}); ztunnel cannot apply HTTP routing, a waypoint is required to keep this behaviour.",
                    svc_res.ns_name(),
                    vsr.ns_name(),
                    feats.join(", ")
                );
                let f = Finding::new(&rules::W001, msg)
                    .on_node(vsr, vs.http_span.unwrap_or(host_span))
                    .ns(ctx.ns())
                    .related(
                        &svc_res,
                        svc_res.name_span,
                        format!("Service {} needs a waypoint", svc_res.ns_name()),
                    )
                    .related(vsr, host_span, "host matching the service");
                ctx.emit_need(f, vec![t.clone()]);
                ctx.add_reason(t.clone(), &rules::W001, quoted(vsr));
            }
            for (routes, span, is_tls) in
                [(&vs.tcp, vs.tcp_span, false), (&vs.tls, vs.tls_span, true)]
            {
                if !l4_route_needed(routes, vs, &vsr.namespace, &fqdn, &ports, &domain) {
                    continue;
                }
                let mut msg = format!(
                    "Service \"{}\" uses {} routing from VirtualService \"{}\"; ztunnel does not route by VirtualService, deploy a waypoint.",
                    svc_res.ns_name(),
                    if is_tls { "TLS" } else { "TCP" },
                    vsr.ns_name()
                );
                if is_tls {
                    let bad: Vec<String> = routes
                        .iter()
                        .flat_map(|r| r.matches.iter())
                        .filter(|m| {
                            !(m.sni_hosts.is_empty()
                                || (m.sni_hosts.len() == 1
                                    && host_matches(
                                        &normalize_host(&m.sni_hosts[0], &vsr.namespace, &domain),
                                        &fqdn,
                                    )))
                        })
                        .flat_map(|m| m.sni_hosts.clone())
                        .collect();
                    if !bad.is_empty() {
                        msg.push_str(&format!(
                            " TLS route match on sniHosts {bad:?} is not supported by waypoints (only a single sniHost equal to the service host); split it into one VirtualService per service."
                        ));
                    }
                }
                let f = Finding::new(&rules::W002, msg)
                    .on_node(vsr, span.unwrap_or(host_span))
                    .ns(ctx.ns())
                    .related(&svc_res, svc_res.name_span, "the service");
                ctx.emit_need(f, vec![t.clone()]);
                ctx.add_reason(t.clone(), &rules::W002, quoted(vsr));
            }
        }
    }
    // VirtualService-side rules, for the VirtualServices of this namespace
    let own = ctx.own("VirtualService");
    for vsr in own {
        let Body::VirtualService(vs) = &vsr.body else {
            continue;
        };
        if !vs.is_mesh_bound() {
            continue;
        }
        let mut w003_done = false;
        for (svc, host_span) in target_services(ctx, &vsr, vs) {
            let Body::Service(s) = &svc.body else {
                continue;
            };
            let fqdn = crate::analysis::mesh::service_fqdn(&svc.name, &svc.namespace, &domain);
            let ports: Vec<i64> = s.ports.iter().map(|p| p.port).collect();
            let effective = http_features(vs, &vsr.namespace, &fqdn, &ports, &domain).is_some()
                || l4_route_needed(&vs.tcp, vs, &vsr.namespace, &fqdn, &ports, &domain)
                || l4_route_needed(&vs.tls, vs, &vsr.namespace, &fqdn, &ports, &domain);
            if !effective {
                continue;
            }
            let wp_ns = waypoint_ns_for(ctx.index, ctx.facts, &svc);
            if !w003_done {
                w003_done = true;
                for m in vs.http.iter().flat_map(|r| r.matches.iter()).chain(
                    vs.tcp
                        .iter()
                        .chain(vs.tls.iter())
                        .flat_map(|r| r.matches.iter()),
                ) {
                    if let Some(sp) = m.source_labels {
                        let f = Finding::new(&rules::W003,
                            format!(
                                "VirtualService \"{}\" matches on client identity (sourceLabels); at a waypoint this match is dropped, so the route will behave differently. Use header-based matching or per-client Services.",
                                vsr.ns_name()
                            ),
                        )
                        .on_node(&vsr, sp);
                        ctx.emit(f);
                    }
                    if let Some(sn) = &m.source_namespace {
                        if sn.value != wp_ns {
                            let f = Finding::new(&rules::W003,
                                format!(
                                    "VirtualService \"{}\" matches on client identity (sourceNamespace: {}); at a waypoint this is compared with the waypoint's own namespace \"{}\", so the route will behave differently.",
                                    vsr.ns_name(),
                                    sn.value,
                                    wp_ns
                                ),
                            )
                            .on_node(&vsr, sn.span);
                            ctx.emit(f);
                        }
                    }
                }
            }
            let misplaced = vsr.namespace != svc.namespace && vsr.namespace != wp_ns;
            let hidden = !exported_to(&vs.export_to, &vsr.namespace, &wp_ns);
            if misplaced || hidden {
                let why = if misplaced {
                    format!("it lives in namespace \"{}\", but a waypoint only reads VirtualServices of the service's namespace (\"{}\") or its own (\"{}\")", vsr.namespace, svc.namespace, wp_ns)
                } else {
                    format!("its exportTo hides it from the waypoint's namespace \"{wp_ns}\"")
                };
                let f = Finding::new(&rules::W004,
                    format!(
                        "VirtualService \"{}\" applies to \"{}\" only from the client side ({}); the destination waypoint will ignore it. Move it to namespace \"{}\" (or merge it into the service's own config).",
                        vsr.ns_name(),
                        svc.ns_name(),
                        why,
                        svc.namespace
                    ),
                )
                .on_node(&vsr, host_span)
                .related(&svc, svc.name_span, "the destination service");
                ctx.emit(f);
            }
        }
    }
}

/// Services that a VS/DR host of this namespace names (this namespace or another).
fn target_services(
    ctx: &NsCtx,
    res: &Resource,
    vs: &VirtualService,
) -> Vec<(Arc<Resource>, crate::yaml::Span)> {
    let domain = &ctx.facts.dns_domain;
    let mut out: Vec<(Arc<Resource>, crate::yaml::Span)> = Vec::new();
    for h in &vs.hosts {
        let pat = normalize_host(&h.value, &res.namespace, domain);
        for svc in services_for_host(ctx, &pat) {
            if !out.iter().any(|(s, _)| Arc::ptr_eq(s, &svc)) {
                out.push((svc, h.span));
            }
        }
    }
    out
}

fn services_for_host(ctx: &NsCtx, pattern: &str) -> Vec<Arc<Resource>> {
    let domain = &ctx.facts.dns_domain;
    let Some(crate::model::refs::RefKey::Ns(ns)) = crate::model::refs::host_ref(pattern, ctx.ns())
    else {
        return Vec::new();
    };
    let list: Vec<Arc<Resource>> = if ns == ctx.ns() {
        ctx.v
            .resources
            .iter()
            .filter(|r| r.kind == "Service" && r.group.is_empty())
            .cloned()
            .collect()
    } else {
        ctx.index
            .ns(&ns)
            .filter(|r| r.kind == "Service" && r.group.is_empty())
            .cloned()
            .collect()
    };
    list.into_iter()
        .filter(|s| {
            host_matches(
                pattern,
                &crate::analysis::mesh::service_fqdn(&s.name, &s.namespace, domain),
            )
        })
        .collect()
}

/// W005, W006, W007 (service side) and W004 for DestinationRules (DR side).
fn destination_rules(ctx: &mut NsCtx) {
    let domain = ctx.facts.dns_domain.clone();
    let drs = cross_ns(ctx, "DestinationRule", &[]);
    let vss = cross_ns(ctx, "VirtualService", &[]);
    for drr in &drs {
        let Body::DestinationRule(dr) = &drr.body else {
            continue;
        };
        let Some(host) = &dr.host else { continue };
        let pat = normalize_host(&host.value, &drr.namespace, &domain);
        for si in 0..ctx.v.services.len() {
            if ctx.v.services[si].infra || !host_matches(&pat, &ctx.v.services[si].fqdn) {
                continue;
            }
            let svc_res = ctx.v.services[si].res.clone();
            let fqdn = ctx.v.services[si].fqdn.clone();
            // subsets referenced by mesh VirtualService routes to this service
            let mut used_subsets: BTreeSet<String> = BTreeSet::new();
            for vsr in &vss {
                let Body::VirtualService(vs) = &vsr.body else {
                    continue;
                };
                if !vs.is_mesh_bound() {
                    continue;
                }
                for d in vs.http.iter().flat_map(|r| r.destinations.iter()).chain(
                    vs.tcp
                        .iter()
                        .chain(vs.tls.iter())
                        .flat_map(|r| r.destinations.iter()),
                ) {
                    if let Some(sub) = &d.subset {
                        if host_matches(&normalize_host(&d.host, &vsr.namespace, &domain), &fqdn) {
                            used_subsets.insert(sub.clone());
                        }
                    }
                }
            }
            let referenced: Vec<&str> = dr
                .subsets
                .iter()
                .filter(|s| used_subsets.contains(&s.name))
                .map(|s| s.name.as_str())
                .collect();
            let mut feats: Vec<String> = Vec::new();
            for f in &dr.features {
                let label = if f.scope == "trafficPolicy" {
                    f.name.clone()
                } else {
                    format!("{} ({})", f.name, f.scope)
                };
                if !feats.contains(&label) {
                    feats.push(label);
                }
            }
            if !referenced.is_empty() {
                feats.push(format!(
                    "subsets {} used by VirtualServices",
                    referenced.join(", ")
                ));
            }
            let t = Target::svc(&svc_res.name);
            if !feats.is_empty() {
                let span = dr
                    .features
                    .first()
                    .map(|f| f.span)
                    .or(dr.traffic_policy_span)
                    .or(dr.subsets_span)
                    .unwrap_or(host.span);
                let f = Finding::new(&rules::W005,
                    format!(
                        "Service \"{}\" has DestinationRule \"{}\" ({}); ztunnel ignores DestinationRules, these settings only apply through a waypoint.",
                        svc_res.ns_name(),
                        drr.ns_name(),
                        feats.join(", ")
                    ),
                )
                .on_node(drr, span)
                .ns(ctx.ns())
                .related(&svc_res, svc_res.name_span, "the service");
                ctx.emit_need(f, vec![t.clone()]);
                ctx.add_reason(t, &rules::W005, quoted(drr));
            } else if !dr.locality.is_empty() {
                let f = Finding::new(&rules::W007,
                    format!(
                        "DestinationRule \"{}\" only configures locality load balancing; ztunnel can do zone/node preference via the Service itself. Consider spec.trafficDistribution: PreferClose on Service \"{}\" (or the networking.istio.io/traffic-distribution annotation) instead of a waypoint; it has no distribute/failover weights.",
                        drr.ns_name(),
                        svc_res.ns_name()
                    ),
                )
                .on_node(drr, dr.locality[0])
                .ns(ctx.ns());
                ctx.emit(f);
            } else if !dr.tls_modes.is_empty() || !dr.subsets.is_empty() {
                let mut what: Vec<String> = dr
                    .tls_modes
                    .iter()
                    .map(|(m, _, _)| format!("tls.mode {m}"))
                    .collect();
                what.dedup();
                if !dr.subsets.is_empty() {
                    what.push("subsets that no mesh VirtualService uses".to_string());
                }
                let span = dr
                    .tls_modes
                    .first()
                    .map(|(_, _, s)| *s)
                    .or(dr.subsets_span)
                    .unwrap_or(host.span);
                let disable = dr.tls_modes.iter().any(|(m, _, _)| m == "DISABLE");
                let tail = if disable {
                    "; DISABLE cannot be expressed in ambient (traffic between mesh workloads is always HBONE)"
                } else {
                    ""
                };
                let f = Finding::new(&rules::W006,
                    format!(
                        "DestinationRule \"{}\" only sets {}; in ambient, mTLS between mesh workloads is always HBONE and this setting has no effect{}. No waypoint needed.",
                        drr.ns_name(),
                        what.join(" and "),
                        tail
                    ),
                )
                .on_node(drr, span)
                .ns(ctx.ns());
                ctx.emit(f);
                if drr.namespace == ctx.ns() {
                    ctx.summary.s007.push(
                        Finding::new(
                            &rules::S007,
                            format!(
                                "DestinationRule \"{}\" has no effect in ambient: {}",
                                drr.ns_name(),
                                crate::fixes::delete_command(
                                    "DestinationRule",
                                    &drr.namespace,
                                    &drr.name
                                )
                            ),
                        )
                        .on_node(drr, drr.name_span)
                        .action(Action::Delete {
                            resource: drr.ref_(),
                            command: crate::fixes::delete_command(
                                "DestinationRule",
                                &drr.namespace,
                                &drr.name,
                            ),
                        }),
                    );
                }
            }
        }
    }
    // DR side: W004 for DestinationRules of this namespace
    let own = ctx.own("DestinationRule");
    for drr in own {
        let Body::DestinationRule(dr) = &drr.body else {
            continue;
        };
        let Some(host) = &dr.host else { continue };
        if dr.features.is_empty() {
            continue;
        }
        let pat = normalize_host(&host.value, &drr.namespace, &domain);
        for svc in services_for_host(ctx, &pat) {
            let wp_ns = waypoint_ns_for(ctx.index, ctx.facts, &svc);
            let why = if let Some(ws) = &dr.workload_selector {
                Some((
                    "it has a workloadSelector (client-side only), which waypoints never use"
                        .to_string(),
                    ws.span,
                ))
            } else if !exported_to(&dr.export_to, &drr.namespace, &wp_ns) {
                Some((
                    format!("its exportTo hides it from the waypoint's namespace \"{wp_ns}\""),
                    host.span,
                ))
            } else {
                None
            };
            if let Some((why, span)) = why {
                let f = Finding::new(&rules::W004,
                    format!(
                        "DestinationRule \"{}\" applies to \"{}\" only from the client side ({}); the destination waypoint will ignore it. Move it to namespace \"{}\" without workloadSelector and with an exportTo that includes the waypoint namespace.",
                        drr.ns_name(),
                        svc.ns_name(),
                        why,
                        svc.namespace
                    ),
                )
                .on_node(&drr, span)
                .related(&svc, svc.name_span, "the destination service");
                ctx.emit(f);
            }
        }
    }
}

/// Policies selecting ambient-bound workloads: W009–W015.
fn policies(ctx: &mut NsCtx) {
    for (pol, root) in ctx.scoped_policies() {
        let units: Vec<usize> = ctx
            .selected(&pol)
            .into_iter()
            .filter(|&u| ctx.unit(u).ambient_bound())
            .collect();
        let selector_span = match &pol.body {
            Body::AuthorizationPolicy(p) => p.selector.as_ref().map(|s| s.key_span),
            Body::RequestAuthentication(p) => p.selector.as_ref().map(|s| s.key_span),
            Body::Telemetry(p) => p.selector.as_ref().map(|s| s.key_span),
            Body::WasmPlugin(p) => p.selector.as_ref().map(|s| s.key_span),
            Body::EnvoyFilter(p) => p.workload_selector.as_ref().map(|s| s.key_span),
            _ => None,
        };
        let has_selector = selector_span.is_some();
        // EnvoyFilters without selector in application namespaces apply even with no workload seen
        let ef_ns_wide = matches!(pol.body, Body::EnvoyFilter(_))
            && !has_selector
            && !ctx.v.mode.system
            && !root;
        if units.is_empty() && !ef_ns_wide {
            continue;
        }
        let services = ctx.services_of(&units);
        let unit_names: Vec<String> = units.iter().map(|&u| ctx.unit(u).short()).collect();
        let workloads_txt = list(&unit_names, 3);
        let svc_txt = if services.is_empty() {
            "no Service fronts these pods (a workload waypoint would be needed)".to_string()
        } else {
            format!(
                "Service(s) {} need a waypoint",
                services
                    .iter()
                    .map(|s| format!("\"{}/{}\"", ctx.ns(), s))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        // `rule`: the rule the need is recorded under (not the variant the finding uses)
        let record = |ctx: &mut NsCtx, rule: &'static Rule, f: Finding| {
            for s in &services {
                ctx.add_reason(Target::svc(s), rule, quoted(&pol));
            }
            if root {
                ctx.summary.root_hits.push(RootHit {
                    policy: pol.clone(),
                    rule,
                    units: unit_names.clone(),
                    services: services
                        .iter()
                        .map(|s| format!("{}/{}", ctx.v.ns, s))
                        .collect(),
                });
            } else if rule.advisory {
                ctx.emit(f);
            } else {
                ctx.emit_need(f, services.iter().map(|s| Target::svc(s)).collect());
            }
        };
        match &pol.body {
            Body::AuthorizationPolicy(ap) => {
                let loc = selector_span.unwrap_or(pol.name_span);
                match ap.action {
                    AuthzAction::Custom => {
                        let provider = ap.provider.clone().unwrap_or_else(|| "?".to_string());
                        let f = Finding::new(&rules::W010,
                            format!(
                                "AuthorizationPolicy \"{}\" delegates to external authorizer \"{}\"; ztunnel ignores CUSTOM policies, so the check would silently stop for {} (fail-open). A waypoint is required; {}.",
                                pol.ns_name(),
                                provider,
                                workloads_txt,
                                svc_txt
                            ),
                        )
                        .on_node(&pol, loc);
                        record(ctx, &rules::W010, f);
                    }
                    AuthzAction::Audit => {
                        let f = Finding::new(&rules::W011,
                            format!(
                                "AUDIT policy \"{}\" is not supported by ztunnel; audit records for {} will stop unless it is attached to a waypoint.",
                                pol.ns_name(),
                                workloads_txt
                            ),
                        )
                        .on_node(&pol, loc);
                        record(ctx, &rules::W011, f);
                    }
                    AuthzAction::Allow | AuthzAction::Deny => {
                        let l7 = l7_fields(ap);
                        if l7.is_empty() {
                            continue;
                        }
                        let names = l7_names(&l7);
                        let msg = if ap.action == AuthzAction::Allow {
                            format!(
                                "AuthorizationPolicy \"{}\" uses HTTP attributes ({}). Once {} loses its sidecar, ztunnel drops every rule containing them, so matching traffic will be denied. {}; the policy must move to the waypoint.",
                                pol.ns_name(),
                                names.join(", "),
                                workloads_txt,
                                svc_txt
                            )
                        } else {
                            let effects: Vec<String> = ap
                                .rules
                                .iter()
                                .enumerate()
                                .filter_map(|(i, r)| match crate::analysis::authz::deny_effect(r) {
                                    crate::analysis::authz::DenyEffect::NoOp => Some(format!("rule {} will never match (its HTTP-only parts are dropped: fail-open)", i + 1)),
                                    crate::analysis::authz::DenyEffect::Broader(w) => Some(format!("rule {} will {}", i + 1, w)),
                                    crate::analysis::authz::DenyEffect::Unchanged => None,
                                })
                                .collect();
                            format!(
                                "AuthorizationPolicy \"{}\" uses HTTP attributes ({}). ztunnel enforces DENY rules without their HTTP parts once {} loses its sidecar: {}. {}; the policy must move to the waypoint.",
                                pol.ns_name(),
                                names.join(", "),
                                workloads_txt,
                                effects.join("; "),
                                svc_txt
                            )
                        };
                        let mut f = Finding::new(&rules::W009, msg).on_node(&pol, loc);
                        for l in &l7 {
                            f = f.related(&pol, l.span, format!("HTTP attribute {}", l.name));
                        }
                        record(ctx, &rules::W009, f);
                    }
                }
            }
            Body::RequestAuthentication(_) => {
                // error when an AuthorizationPolicy on the same workloads relies on the JWT
                let relies = ctx.scoped_policies().iter().any(|(other, _)| {
                    let Body::AuthorizationPolicy(ap) = &other.body else {
                        return false;
                    };
                    let sel = ctx.selected(other);
                    if !units.iter().any(|u| sel.contains(u)) {
                        return false;
                    }
                    ap.rules.iter().any(|r| {
                        r.from.iter().any(|s| {
                            s.fields.iter().any(|f| {
                                f.name == "requestPrincipals" || f.name == "notRequestPrincipals"
                            })
                        }) || r.when.iter().any(|c| c.key.starts_with("request.auth."))
                    })
                });
                let loc = selector_span.unwrap_or(pol.name_span);
                let rule = if relies {
                    &rules::W012_JWT_REQUIRED
                } else {
                    &rules::W012
                };
                let f = Finding::new(rule,
                    format!(
                        "RequestAuthentication \"{}\" is ignored by ztunnel; JWTs for {} will not be validated without a waypoint{}. {}.",
                        pol.ns_name(),
                        if services.is_empty() { workloads_txt.clone() } else { services.iter().map(|s| format!("\"{}/{}\"", ctx.ns(), s)).collect::<Vec<_>>().join(", ") },
                        if relies { ", and AuthorizationPolicies that check request.auth/requestPrincipals will deny (ALLOW) or never match (DENY)" } else { "" },
                        svc_txt
                    ),
                )
                .on_node(&pol, loc);
                record(ctx, &rules::W012, f);
            }
            Body::Telemetry(t) => {
                if !has_selector
                    || (t.access_logging.is_none() && t.tracing.is_none() && t.metrics.is_none())
                {
                    continue;
                }
                let f = Finding::new(&rules::W013,
                    format!(
                        "Telemetry \"{}\" targets sidecar workloads ({}); ztunnel emits only TCP telemetry and waypoints ignore selector-based Telemetry.",
                        pol.ns_name(),
                        workloads_txt
                    ),
                )
                .on_node(&pol, selector_span.unwrap_or(pol.name_span));
                record(ctx, &rules::W013, f);
            }
            Body::WasmPlugin(_) => {
                let f = Finding::new(&rules::W014,
                    format!(
                        "WasmPlugin \"{}\" runs in sidecars only ({}); ztunnel cannot run it and waypoints ignore selector-based plugins. {}.",
                        pol.ns_name(),
                        workloads_txt,
                        svc_txt
                    ),
                )
                .on_node(&pol, selector_span.unwrap_or(pol.name_span));
                record(ctx, &rules::W014, f);
            }
            Body::EnvoyFilter(ef) => {
                let sidecar_ctx = ef.contexts.is_empty()
                    || ef.contexts.iter().any(|c| {
                        matches!(c.as_str(), "SIDECAR_INBOUND" | "SIDECAR_OUTBOUND" | "ANY")
                    });
                if !sidecar_ctx {
                    continue;
                }
                let f = Finding::new(&rules::W015,
                    format!(
                        "EnvoyFilter \"{}\" patches sidecar Envoy config and has no effect in ambient{}. Porting it to a waypoint is Alpha and not supported by the official migration guide — manual review required.",
                        pol.ns_name(),
                        if units.is_empty() { String::new() } else { format!(" ({workloads_txt})") }
                    ),
                )
                .on_node(&pol, selector_span.or(ef.patches_span).unwrap_or(pol.name_span));
                record(ctx, &rules::W015, f);
            }
            _ => {}
        }
    }
}

/// W016: Gateway API routes whose parent is a Service of this namespace.
fn routes(ctx: &mut NsCtx) {
    let mut routes = Vec::new();
    for kind in ["HTTPRoute", "GRPCRoute", "TCPRoute", "TLSRoute"] {
        routes.extend(cross_ns(ctx, kind, &[]));
    }
    for rr in routes {
        let Body::Route(rt) = &rr.body else { continue };
        for p in &rt.parent_refs {
            let pns =
                p.r.namespace
                    .clone()
                    .unwrap_or_else(|| rr.namespace.to_string());
            if pns != ctx.ns() || !p.r.is_service() {
                continue;
            }
            let Some((_, sv)) = ctx.v.service(&p.r.name) else {
                continue;
            };
            let svc = sv.res.clone();
            let f = Finding::new(&rules::W016,
                format!(
                    "{} \"{}\" attaches to Service \"{}\"; in ambient only a waypoint serving that service applies it.",
                    rr.kind,
                    rr.ns_name(),
                    svc.ns_name()
                ),
            )
            .on_node(&rr, p.r.span)
            .ns(ctx.ns())
            .related(&svc, svc.name_span, "the parent service");
            ctx.emit_need(f, vec![Target::svc(&svc.name)]);
            ctx.add_reason(Target::svc(&svc.name), &rules::W016, quoted(&rr));
        }
    }
}

/// W017: ServiceEntries whose hosts carry L7 configuration.
fn service_entries(ctx: &mut NsCtx) {
    let domain = ctx.facts.dns_domain.clone();
    let ses = ctx.own("ServiceEntry");
    for ser in ses {
        let Body::ServiceEntry(se) = &ser.body else {
            continue;
        };
        let keys: Vec<RefKey> = se
            .hosts
            .iter()
            .map(|h| RefKey::Host(h.value.to_ascii_lowercase()))
            .collect();
        let mut users: Vec<String> = Vec::new();
        let mut tls_origination = false;
        let matches_host = |h: &str, res_ns: &str| -> bool {
            let n = normalize_host(h, res_ns, &domain);
            se.hosts.iter().any(|sh| {
                host_matches(&n, &sh.value.to_ascii_lowercase())
                    || host_matches(&sh.value.to_ascii_lowercase(), &n)
            })
        };
        let mut egress_steering: Vec<(Arc<Resource>, String, crate::yaml::Span)> = Vec::new();
        for vsr in cross_ns(ctx, "VirtualService", &keys) {
            let Body::VirtualService(vs) = &vsr.body else {
                continue;
            };
            if vs.is_mesh_bound()
                && vs
                    .hosts
                    .iter()
                    .any(|h| matches_host(&h.value, &vsr.namespace))
            {
                users.push(quoted(&vsr));
                if let Some((gw, span)) =
                    steers_to_egress_gateway(ctx.index, vs, &vsr.namespace, &domain)
                {
                    egress_steering.push((vsr.clone(), gw, span));
                }
            }
        }
        for (vsr, gw, span) in egress_steering {
            let f = Finding::new(&rules::W019,
                format!(
                    "VirtualService \"{}\" steers mesh traffic for ServiceEntry \"{}\" to egress gateway \"{gw}\" from client sidecars. Ambient clients do not evaluate VirtualServices, so this traffic would leave directly, bypassing the egress gateway. Use an egress waypoint for the ServiceEntry instead (label it istio.io/use-waypoint), and if egress must be enforced, an AuthorizationPolicy that admits only the waypoint.",
                    vsr.ns_name(),
                    ser.ns_name()
                ),
            )
            .on_node(&vsr, span)
            .ns(ctx.ns())
            .related(&ser, se.hosts_span.unwrap_or(ser.name_span), "the external service");
            ctx.emit_need(f, vec![Target::se(&ser.name)]);
            ctx.add_reason(Target::se(&ser.name), &rules::W019, quoted(&vsr));
        }
        for drr in cross_ns(ctx, "DestinationRule", &keys) {
            let Body::DestinationRule(dr) = &drr.body else {
                continue;
            };
            if dr
                .host
                .as_ref()
                .is_some_and(|h| matches_host(&h.value, &drr.namespace))
            {
                users.push(quoted(&drr));
                if dr
                    .tls_modes
                    .iter()
                    .any(|(m, _, _)| m == "SIMPLE" || m == "MUTUAL")
                {
                    tls_origination = true;
                }
            }
        }
        for r in &ctx.v.resources {
            let refs: Vec<&crate::model::TargetRef> = match &r.body {
                Body::AuthorizationPolicy(p) => p.target_refs.iter().collect(),
                Body::RequestAuthentication(p) => p.target_refs.iter().collect(),
                Body::WasmPlugin(p) => p.target_refs.iter().collect(),
                Body::Telemetry(p) => p.target_refs.iter().collect(),
                Body::Route(rt) => rt.parent_refs.iter().map(|p| &p.r).collect(),
                _ => Vec::new(),
            };
            if refs
                .iter()
                .any(|t| t.is_service_entry() && t.name == ser.name)
            {
                users.push(quoted(r));
            }
        }
        users.sort();
        users.dedup();
        if users.is_empty() {
            continue;
        }
        let wildcard = se.hosts.iter().any(|h| h.value.starts_with('*'));
        let hosts: Vec<String> = se.hosts.iter().map(|h| h.value.clone()).collect();
        let mut msg = format!(
            "ServiceEntry \"{}\" ({}) is used by {}; in ambient these are only applied when the ServiceEntry is bound to a waypoint (label it istio.io/use-waypoint).",
            ser.ns_name(),
            hosts.join(", "),
            users.join(", ")
        );
        if tls_origination {
            msg.push_str(" A DestinationRule originates TLS for it: without a waypoint the application's plaintext leaves the mesh unencrypted.");
        }
        if wildcard {
            msg.push_str(" Wildcard hosts get no VIP; from Istio 1.28 such a ServiceEntry stays inactive until bound to a valid waypoint.");
        }
        let rule = if tls_origination {
            &rules::W017_TLS_ORIGINATION
        } else {
            &rules::W017
        };
        let f = Finding::new(rule, msg).on_node(&ser, se.hosts_span.unwrap_or(ser.name_span));
        ctx.emit_need(f, vec![Target::se(&ser.name)]);
        for u in users {
            ctx.add_reason(Target::se(&ser.name), &rules::W017, u);
        }
    }
}

/// A mesh-active route of `vs` whose destination is an Istio egress gateway: its host and the
/// route's span. The gateway is recognised by its Service selecting `istio: egressgateway`, or
/// by name when the Service is not in the input.
fn steers_to_egress_gateway(
    index: &Index,
    vs: &VirtualService,
    vs_ns: &str,
    domain: &str,
) -> Option<(String, crate::yaml::Span)> {
    let suffix = format!(".svc.{domain}");
    let is_egress = |host: &str| -> bool {
        let fqdn = normalize_host(host, vs_ns, domain);
        let Some(short) = fqdn.strip_suffix(&suffix) else {
            return false;
        };
        let Some((name, ns)) = short.split_once('.') else {
            return false;
        };
        match index.find("", "Service", ns, name) {
            Some(svc) => match &svc.body {
                Body::Service(s) => s
                    .selector
                    .as_ref()
                    .is_some_and(|sel| sel.get("istio") == Some("egressgateway")),
                _ => false,
            },
            None => name.contains("egressgateway"),
        }
    };
    for r in &vs.http {
        if !vs.route_mesh_active(&r.matches) {
            continue;
        }
        if let Some(d) = r.destinations.iter().find(|d| is_egress(&d.host)) {
            return Some((d.host.clone(), r.span));
        }
    }
    for r in vs.tcp.iter().chain(vs.tls.iter()) {
        if !vs.route_mesh_active(&r.matches) {
            continue;
        }
        if let Some(d) = r.destinations.iter().find(|d| is_egress(&d.host)) {
            return Some((d.host.clone(), r.span));
        }
    }
    None
}

/// W018: headless services that need a waypoint.
fn headless(ctx: &mut NsCtx) -> bool {
    let mut any = false;
    for si in 0..ctx.v.services.len() {
        let sv = &ctx.v.services[si];
        if !sv.svc().is_headless() {
            continue;
        }
        let t = Target::svc(sv.name());
        if !ctx.needs(&t) {
            continue;
        }
        any = true;
        let res = sv.res.clone();
        let f = Finding::new(&rules::W018,
            format!(
                "\"{}\" is headless; clients address pods directly, so a service waypoint (default istio.io/waypoint-for: service) is bypassed. Use a waypoint with istio.io/waypoint-for: all (or workload) and enroll the pods; Service-targeted policies do not cover pod-addressed traffic.",
                res.ns_name()
            ),
        )
        .on_node(&res, res.name_span);
        ctx.emit(f);
    }
    any
}

/// W021 and the waypoint plan for this namespace.
fn plan(ctx: &mut NsCtx, workload_traffic: bool) {
    let ns = ctx.ns().to_string();
    // W021: existing waypoint Gateways that cannot work
    for gw in ctx.v.waypoints.clone() {
        let Body::Gateway(g) = &gw.body else { continue };
        if gw.name == "none" {
            ctx.emit(
                Finding::new(&rules::W021, format!("Gateway \"{}\" is not a valid waypoint: the name \"none\" is reserved (istio.io/use-waypoint: none means opt-out).", gw.ns_name()))
                    .on_node(&gw, gw.name_span),
            );
        } else if g.hbone_listener().is_none() {
            ctx.emit(
                Finding::new(&rules::W021,
                    format!(
                        "Gateway \"{}\" is not a valid waypoint: it has no listener with protocol HBONE on port 15008, so istiod cannot find its HBONE listener and only same-namespace attachment works.",
                        gw.ns_name()
                    ),
                )
                .on_node(&gw, g.listeners_span.unwrap_or(gw.name_span)),
            );
        }
    }
    // per target: what it is bound to now
    let mut targets: Vec<(Target, Binding)> = Vec::new();
    for sv in &ctx.v.services {
        if !sv.infra {
            targets.push((Target::svc(sv.name()), sv.binding.clone()));
        }
    }
    let ns_labels = ctx.v.mode.labels();
    for r in &ctx.v.resources {
        if let Body::ServiceEntry(_) = &r.body {
            let b = resolve_binding(
                ctx.index,
                ctx.facts,
                &ns,
                &ns_labels,
                &r.labels,
                Traffic::Service,
            );
            targets.push((Target::se(&r.name), b));
        }
    }
    let needs_new = targets
        .iter()
        .any(|(t, b)| ctx.needs(t) && matches!(b, Binding::None));
    if needs_new || ctx.v.mode.label("istio.io/use-waypoint").is_some() {
        // reuse a usable waypoint of this namespace, else plan a new one
        let usable: Vec<Arc<Resource>> = ctx
            .v
            .waypoints
            .iter()
            .filter(|gw| {
                let Body::Gateway(g) = &gw.body else {
                    return false;
                };
                gw.name != "none"
                    && g.hbone_listener().is_some()
                    && g.status_addresses != Some(0)
                    && matches!(waypoint_for(ctx.facts, gw).as_str(), "service" | "all")
            })
            .cloned()
            .collect();
        let chosen = usable
            .iter()
            .find(|g| g.name == ctx.opts.waypoint_name)
            .or(usable.first())
            .cloned();
        ctx.ns_waypoint = Some(match chosen {
            Some(gw) => Planned {
                ns: ns.clone(),
                name: gw.name.to_string(),
                sa: waypoint_sa(&gw),
                exists: true,
                bound: false,
            },
            None => {
                let mut name = ctx.opts.waypoint_name.clone();
                let clash = ctx
                    .v
                    .resources
                    .iter()
                    .find(|r| r.is("gateway.networking.k8s.io", "Gateway") && r.name == name)
                    .cloned();
                if let Some(other) = clash {
                    let alt = crate::fixes::k8s_name(&format!("{name}-ambient"));
                    ctx.emit(
                        Finding::new(&rules::W021,
                            format!(
                                "Gateway \"{}\" is not a waypoint but has the name a generated waypoint would use; the recommended waypoint is named \"{}\" instead.",
                                other.ns_name(),
                                alt
                            ),
                        )
                        .on_node(&other, other.name_span),
                    );
                    name = alt;
                }
                Planned {
                    ns: ns.clone(),
                    sa: name.clone(),
                    name,
                    exists: false,
                    bound: false,
                }
            }
        });
    }
    // enrollment scope: the namespace label when every service needs the waypoint (or the
    // namespace already carries the label)
    let svc_targets: Vec<&(Target, Binding)> = targets
        .iter()
        .filter(|(t, _)| t.kind == TargetKind::Service)
        .collect();
    ctx.ns_level = ctx.v.mode.label("istio.io/use-waypoint").is_some()
        || (!svc_targets.is_empty()
            && svc_targets
                .iter()
                .all(|(t, b)| ctx.needs(t) || !matches!(b, Binding::None))
            && needs_new);
    for (t, b) in targets {
        let p = match b {
            Binding::Bound(w, _) => Some(Planned {
                ns: w.ns.clone(),
                name: w.name.clone(),
                sa: w.sa.clone(),
                exists: true,
                bound: true,
            }),
            Binding::Broken { ns: wns, name, .. } => {
                let gw = ctx
                    .index
                    .find("gateway.networking.k8s.io", "Gateway", &wns, &name)
                    .cloned();
                Some(Planned {
                    ns: wns,
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
            Binding::None => {
                if ctx.needs(&t) || ctx.ns_level {
                    ctx.ns_waypoint.clone()
                } else {
                    None
                }
            }
        };
        if let Some(p) = p {
            ctx.planned.insert(t, p);
        }
    }
    let _ = workload_traffic;
}

/// W020: the waypoint to deploy.
fn recommend(ctx: &mut NsCtx, workload_traffic: bool) {
    let Some(wp) = ctx.ns_waypoint.clone() else {
        return;
    };
    let served: Vec<Target> = ctx
        .planned
        .iter()
        .filter(|(t, p)| **p == wp && ctx.needs(t))
        .map(|(t, _)| t.clone())
        .collect();
    if wp.exists || served.is_empty() {
        return;
    }
    let ns = ctx.ns().to_string();
    let revision = match &ctx.v.mode.injection {
        crate::analysis::mesh::Injection::Rev(r) => Some(r.clone()),
        _ => None,
    };
    let object = crate::fixes::waypoint_gateway(
        &ns,
        &wp.name,
        revision.as_deref(),
        if workload_traffic { Some("all") } else { None },
    );
    let mut details = Vec::new();
    let mut reasons_flat = Vec::new();
    for t in &served {
        let rs: Vec<String> = ctx.reasons[t]
            .iter()
            .filter(|r| !r.rule.advisory || ctx.opts.strict_waypoints)
            .map(|r| r.what.clone())
            .collect();
        details.push(format!(
            "{} \"{}/{}\" depends on {}",
            t.kind_str(),
            ns,
            t.name,
            rs.join(", ")
        ));
        reasons_flat.extend(rs);
    }
    reasons_flat.sort();
    reasons_flat.dedup();
    let f = ctx
        .at_anchor(Finding::new(
            &rules::W020,
            format!("Namespace \"{ns}\" may require a waypoint for the following services:"),
        ))
        .ns(ns.clone())
        .details(details)
        .action(Action::DeployWaypoint {
            namespace: ns.clone(),
            waypoint: wp.name.clone(),
            services: served.iter().map(|t| t.name.clone()).collect(),
            reasons: reasons_flat,
            resource: crate::finding::Object::new(&object),
        });
    ctx.emit(f);
    // the findings that state these needs are listed by the block
    let served_set: BTreeSet<Target> = served.into_iter().collect();
    for (i, ts) in ctx.need_findings.clone() {
        if !ts.is_empty() && ts.iter().all(|t| served_set.contains(t)) {
            ctx.out[i].summarized = true;
        }
    }
}

/// W022: HTTP/2 and gRPC services without any waypoint need.
fn request_lb(ctx: &mut NsCtx) {
    for sv in &ctx.v.services {
        if sv.infra
            || ctx.reasons.contains_key(&Target::svc(sv.name()))
            || sv.binding.waypoint().is_some()
            || !sv.units.iter().any(|&u| ctx.v.units[u].ambient_bound())
        {
            continue;
        }
        let h2 = sv.svc().ports.iter().find(|p| {
            matches!(
                p.app_protocol.as_deref(),
                Some("grpc" | "http2" | "kubernetes.io/h2c" | "grpc-web")
            ) || p.name.as_deref().is_some_and(|n| {
                n == "grpc" || n == "http2" || n.starts_with("grpc-") || n.starts_with("http2-")
            })
        });
        if let Some(p) = h2 {
            let f = Finding::new(&rules::W022,
                format!(
                    "\"{}\" speaks HTTP/2 or gRPC (port {}); without a waypoint ztunnel balances per connection, not per request. Consider a waypoint.",
                    sv.res.ns_name(),
                    p.port
                ),
            )
            .on_node(&sv.res, p.span);
            let f = f.ns(ctx.v.ns.clone());
            ctx.out.push(f);
        }
    }
}

pub fn run(ctx: &mut NsCtx) {
    virtual_services(ctx);
    destination_rules(ctx);
    policies(ctx);
    routes(ctx);
    service_entries(ctx);
    let workload_traffic = headless(ctx);
    plan(ctx, workload_traffic);
    recommend(ctx, workload_traffic);
    request_lb(ctx);
    // needs of targets that already have an effective waypoint are satisfied: not reported
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
                .push(format!("{} {}/{}", t.kind_str(), ctx.v.ns, t.name));
        }
    }
    ctx.summary.needs_new_waypoint = ctx.ns_waypoint.as_ref().is_some_and(|w| !w.exists);
    ctx.summary.has_waypoint = !ctx.planned.is_empty();
}

fn list(items: &[String], max: usize) -> String {
    if items.is_empty() {
        return "its workloads".to_string();
    }
    let mut v: Vec<String> = items.iter().take(max).map(|s| format!("\"{s}\"")).collect();
    if items.len() > max {
        v.push(format!("{} more", items.len() - max));
    }
    v.join(", ")
}

pub fn workloads_list(items: &[String]) -> String {
    list(items, 3)
}

/// Cluster-wide part: root-namespace policy findings (aggregated) and W023.
pub fn global(g: &Global, out: &mut Vec<Finding>) {
    // root-namespace policies that select workloads in several namespaces: one finding each
    type Hit = (&'static Rule, Arc<Resource>, Vec<String>, Vec<String>);
    let mut hits: BTreeMap<(String, &'static str), Hit> = BTreeMap::new();
    for res in g.results.values() {
        for h in &res.summary.root_hits {
            let e = hits
                .entry((h.policy.name.to_string() + "/" + &h.policy.kind, h.rule.id))
                .or_insert_with(|| (h.rule, h.policy.clone(), Vec::new(), Vec::new()));
            e.2.extend(h.units.iter().cloned());
            e.3.extend(h.services.iter().cloned());
        }
    }
    for (rule, pol, units, services) in hits.into_values() {
        let mut services = services;
        services.sort();
        services.dedup();
        let svc_txt = if services.is_empty() {
            "no Service fronts these pods".to_string()
        } else {
            format!("Service(s) {} need a waypoint", list(&services, 5))
        };
        let loc = match &pol.body {
            Body::AuthorizationPolicy(p) => p.selector.as_ref().map(|s| s.key_span),
            Body::RequestAuthentication(p) => p.selector.as_ref().map(|s| s.key_span),
            Body::Telemetry(p) => p.selector.as_ref().map(|s| s.key_span),
            Body::WasmPlugin(p) => p.selector.as_ref().map(|s| s.key_span),
            Body::EnvoyFilter(p) => p.workload_selector.as_ref().map(|s| s.key_span),
            _ => None,
        }
        .unwrap_or(pol.name_span);
        let scope = format!(
            "root-namespace (mesh-wide) {} \"{}\"",
            pol.kind,
            pol.ns_name()
        );
        let msg = match rule.id {
            "W009" => {
                let names = match &pol.body {
                    Body::AuthorizationPolicy(ap) => l7_names(&l7_fields(ap)).join(", "),
                    _ => String::new(),
                };
                format!("The {scope} uses HTTP attributes ({names}). Once {} lose their sidecars, ztunnel drops the rules containing them. {svc_txt}; the policy must be copied to the waypoints.", list(&units, 3))
            }
            "W010" => format!("The {scope} delegates to an external authorizer; ztunnel ignores CUSTOM policies, so the check silently stops for {} (fail-open). {svc_txt}.", list(&units, 3)),
            "W011" => format!("The {scope} is an AUDIT policy; ztunnel does not support it, audit records for {} stop unless attached to a waypoint.", list(&units, 3)),
            "W012" => format!("The {scope} is ignored by ztunnel; JWTs for {} will not be validated without a waypoint. {svc_txt}.", list(&units, 3)),
            "W013" => format!("The {scope} targets sidecar workloads ({}); ztunnel emits only TCP telemetry.", list(&units, 3)),
            "W014" => format!("The {scope} runs in sidecars only ({}); ztunnel cannot run it. {svc_txt}.", list(&units, 3)),
            _ => format!("The {scope} patches sidecar Envoy config of {} and has no effect in ambient; manual review required.", list(&units, 3)),
        };
        out.push(Finding::new(rule, msg).on_node(&pol, loc));
    }
    // W023: a waypoint is needed but the Gateway API is not installed
    let needing: Vec<&String> = g
        .results
        .iter()
        .filter(|(_, r)| r.summary.needs_new_waypoint)
        .map(|(n, _)| n)
        .collect();
    if !needing.is_empty() {
        let present = g.index.group_count("gateway.networking.k8s.io") > 0;
        if !g
            .facts
            .gateway_api
            .installed("gateways.gateway.networking.k8s.io", present)
        {
            out.push(Finding::new(&rules::W023,
                format!(
                    "Waypoints are Gateway API resources; install the Gateway API CRDs first (needed by namespace(s) {}).",
                    needing.iter().take(5).map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                ),
            ));
        }
    }
}
