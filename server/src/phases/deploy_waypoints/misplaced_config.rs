//! W004: a VirtualService or DestinationRule of this namespace applies to a service only from
//! the client side (wrong namespace, exportTo hiding it, a workloadSelector), so the
//! destination waypoint will ignore it.

use super::virtual_services::{effective_for, services_for_host, target_services};
use crate::analysis::mesh::{exported_to, normalize_host, waypoint_ns_for};
use crate::analysis::NsCtx;
use crate::finding::Finding;
use crate::model::Body;
use crate::rules;

/// The VirtualServices of this namespace.
pub fn virtual_services(ctx: &mut NsCtx) {
    let domain = ctx.facts.dns_domain.clone();
    for vsr in ctx.own("VirtualService") {
        let Body::VirtualService(vs) = &vsr.body else {
            continue;
        };
        if !vs.is_mesh_bound() {
            continue;
        }
        for (svc, host_span) in target_services(ctx, &vsr, vs) {
            if !effective_for(&vsr, vs, &svc, &domain) {
                continue;
            }
            let wp_ns = waypoint_ns_for(ctx.index, ctx.facts, &svc);
            let misplaced = vsr.namespace != svc.namespace && vsr.namespace != wp_ns;
            let hidden = !exported_to(&vs.export_to, &vsr.namespace, &wp_ns);
            if !misplaced && !hidden {
                continue;
            }
            // the fix names what is actually wrong: the namespace it lives in, or only its
            // exportTo (a VirtualService already in the service's or the waypoint's namespace is
            // fixed by widening exportTo, never by "moving" it where it already is)
            let (why, fix) = if misplaced {
                (
                    format!("it lives in namespace \"{}\", but a waypoint only reads VirtualServices of the service's namespace (\"{}\") or its own (\"{}\")", vsr.namespace, svc.namespace, wp_ns),
                    format!(
                        "Move it to namespace \"{}\" (or merge it into the service's own config){}.",
                        svc.namespace,
                        if exported_to(&vs.export_to, &svc.namespace, &wp_ns) {
                            String::new()
                        } else {
                            format!(" with an exportTo that includes \"{wp_ns}\"")
                        }
                    ),
                )
            } else {
                (
                    format!("its exportTo hides it from the waypoint's namespace \"{wp_ns}\""),
                    widen_export_to(&vs.export_to, &wp_ns),
                )
            };
            let f = Finding::new(
                &rules::W004,
                format!(
                    "VirtualService \"{}\" applies to \"{}\" only from the client side ({}); the destination waypoint will ignore it. {fix}",
                    vsr.ns_name(),
                    svc.ns_name(),
                    why,
                ),
            )
            .on_node(&vsr, host_span)
            .related(&svc, svc.name_span, "the destination service");
            ctx.emit(f);
        }
    }
}

/// The DestinationRules of this namespace that configure traffic.
pub fn destination_rules(ctx: &mut NsCtx) {
    let domain = ctx.facts.dns_domain.clone();
    for drr in ctx.own("DestinationRule") {
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
            let Some((why, span)) = why else { continue };
            let hidden = !exported_to(&dr.export_to, &drr.namespace, &wp_ns);
            let fix = if dr.workload_selector.is_none() && hidden {
                // only its visibility is wrong: it already lives where it is read from
                widen_export_to(&dr.export_to, &wp_ns)
            } else if drr.namespace == svc.namespace {
                format!(
                    "Remove its workloadSelector{}.",
                    if hidden {
                        format!(" and widen its exportTo to include \"{wp_ns}\"")
                    } else {
                        String::new()
                    }
                )
            } else {
                format!(
                    "Move it to namespace \"{}\" without workloadSelector and with an exportTo that includes the waypoint namespace.",
                    svc.namespace
                )
            };
            let f = Finding::new(
                &rules::W004,
                format!(
                    "DestinationRule \"{}\" applies to \"{}\" only from the client side ({}); the destination waypoint will ignore it. {fix}",
                    drr.ns_name(),
                    svc.ns_name(),
                    why,
                ),
            )
            .on_node(&drr, span)
            .related(&svc, svc.name_span, "the destination service");
            ctx.emit(f);
        }
    }
}

/// The fix for a config that lives in the right namespace but whose `exportTo` hides it from
/// the waypoint's namespace `wp_ns` (`exportTo` is read by `pilot/pkg/model/push_context.go`
/// `initVirtualServices` / `setDestinationRules` per namespace: `.` is its own, `*` every one).
fn widen_export_to(export_to: &Option<Vec<String>>, wp_ns: &str) -> String {
    // unset: the mesh default (defaultVirtualServiceExportTo / defaultDestinationRuleExportTo)
    // hides it; name its own namespace explicitly
    let mut list: Vec<String> = export_to.clone().unwrap_or_else(|| vec![".".to_string()]);
    list.push(wp_ns.to_string());
    format!(
        "Widen its exportTo to include \"{wp_ns}\" (e.g. exportTo: [{}]) — it already lives in the right namespace; do not move it.",
        list.iter()
            .map(|n| format!("\"{n}\""))
            .collect::<Vec<_>>()
            .join(", ")
    )
}
