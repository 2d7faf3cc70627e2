//! W005 (traffic policy that needs a waypoint), W006 (settings with no effect in ambient) and
//! W007 (locality load balancing only): what a DestinationRule configures for a service of this
//! namespace. One classification per DestinationRule × service decides between the three.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::analysis::mesh::{host_matches, normalize_host, SvcView};
use crate::analysis::{NsCtx, Target};
use crate::finding::Finding;
use crate::model::{Body, DestinationRule, Resource};
use crate::rules;

pub fn namespace(ctx: &mut NsCtx) {
    let domain = ctx.facts.dns_domain.clone();
    let drs = ctx.visible("DestinationRule", &[]);
    let vss = ctx.visible("VirtualService", &[]);
    for drr in &drs {
        let Body::DestinationRule(dr) = &drr.body else {
            continue;
        };
        let Some(host) = &dr.host else { continue };
        let pat = normalize_host(&host.value, &drr.namespace, &domain);
        // W006 is about the DestinationRule itself: once, however many services it matches
        let mut no_effect_reported = false;
        for si in 0..ctx.view.services.len() {
            let sv = &ctx.view.services[si];
            if sv.infra || !host_matches(&pat, &sv.fqdn) {
                continue;
            }
            let svc = sv.res.clone();
            let feats = features(dr, sv, &vss, &domain);
            if !feats.is_empty() {
                let span = dr
                    .features
                    .first()
                    .map(|f| f.span)
                    .or(dr.traffic_policy_span)
                    .or(dr.subsets_span)
                    .unwrap_or(host.span);
                let f = Finding::new(
                    &rules::W005,
                    format!(
                        "Service \"{}\" has DestinationRule \"{}\" ({}); ztunnel ignores DestinationRules, these settings only apply through a waypoint.",
                        svc.ns_name(),
                        drr.ns_name(),
                        feats.join(", ")
                    ),
                )
                .on_node(drr, span)
                .ns(ctx.ns())
                .related(&svc, svc.name_span, "the service");
                let t = Target::service(&svc.name);
                ctx.emit_need(f, vec![t.clone()]);
                ctx.add_reason(t, &rules::W005, drr.quoted());
            } else if !dr.locality.is_empty() {
                let f = Finding::new(
                    &rules::W007,
                    format!(
                        "DestinationRule \"{}\" only configures locality load balancing; ztunnel can do zone/node preference via the Service itself. Consider spec.trafficDistribution: PreferClose on Service \"{}\" (or the networking.istio.io/traffic-distribution annotation) instead of a waypoint; it has no distribute/failover weights.",
                        drr.ns_name(),
                        svc.ns_name()
                    ),
                )
                .on_node(drr, dr.locality[0])
                .ns(ctx.ns());
                ctx.emit(f);
            } else if (!dr.tls_modes.is_empty() || !dr.subsets.is_empty()) && !no_effect_reported {
                no_effect_reported = true;
                no_effect(ctx, drr, dr, host.span);
            }
        }
    }
}

/// The settings of `dr` that need a waypoint for the service: its traffic-policy features and
/// the subsets that mesh VirtualServices route to.
fn features(
    dr: &DestinationRule,
    sv: &SvcView,
    vss: &[Arc<Resource>],
    domain: &str,
) -> Vec<String> {
    let mut used_subsets: BTreeSet<String> = BTreeSet::new();
    for vsr in vss {
        let Body::VirtualService(vs) = &vsr.body else {
            continue;
        };
        if !vs.is_mesh_bound() {
            continue;
        }
        let destinations = vs.http.iter().flat_map(|r| r.destinations.iter()).chain(
            vs.tcp
                .iter()
                .chain(vs.tls.iter())
                .flat_map(|r| r.destinations.iter()),
        );
        for d in destinations {
            if let Some(sub) = &d.subset {
                if host_matches(&normalize_host(&d.host, &vsr.namespace, domain), &sv.fqdn) {
                    used_subsets.insert(sub.clone());
                }
            }
        }
    }
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
    let referenced: Vec<&str> = dr
        .subsets
        .iter()
        .filter(|s| used_subsets.contains(&s.name))
        .map(|s| s.name.as_str())
        .collect();
    if !referenced.is_empty() {
        feats.push(format!(
            "subsets {} used by VirtualServices",
            referenced.join(", ")
        ));
    }
    feats
}

/// W006: only TLS modes or unused subsets: no effect in ambient, no waypoint needed. A
/// DestinationRule of this namespace is also recorded for S007 (delete it once no sidecar is
/// left).
fn no_effect(
    ctx: &mut NsCtx,
    drr: &Arc<Resource>,
    dr: &DestinationRule,
    host_span: crate::yaml::Span,
) {
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
        .unwrap_or(host_span);
    let disable = dr.tls_modes.iter().any(|(m, _, _)| m == "DISABLE");
    let tail = if disable {
        "; DISABLE cannot be expressed in ambient (traffic between mesh workloads is always HBONE)"
    } else {
        ""
    };
    let f = Finding::new(
        &rules::W006,
        format!(
            "DestinationRule \"{}\" only sets {}; in ambient, mTLS between mesh workloads is always HBONE and this setting has no effect{}. No waypoint needed.",
            drr.ns_name(),
            what.join(" and "),
            tail
        ),
    )
    .on_node(drr, span)
    .ns(drr.namespace.to_string());
    ctx.emit(f);
    if drr.namespace == ctx.ns() {
        ctx.summary.noop_destination_rules.push(drr.clone());
    }
}
