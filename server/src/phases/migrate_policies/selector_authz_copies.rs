//! P001 (a workload AuthorizationPolicy) and P003 (a root-namespace one): copy a selector
//! policy that only a waypoint can enforce (HTTP attributes, CUSTOM, AUDIT, or checks on the
//! client's identity) to the waypoint, once per waypointed Service; copy a mesh-wide one (no
//! selector) once to every waypoint.

use std::sync::Arc;

use serde_json::Value;

use super::copies::{copy, mesh_wide, Copy};
use super::waypointed::WaypointedService;
use crate::analysis::authz::{admits_only, needs_waypoint_copy};
use crate::analysis::{ClusterCtx, NsCtx, Target};
use crate::finding::Finding;
use crate::fixes;
use crate::model::{AuthorizationPolicy, Body, Resource};
use crate::rules;
use crate::yaml::Span;

pub fn namespace(ctx: &mut NsCtx, wps: &[WaypointedService]) {
    let ns = ctx.ns().to_string();
    for (pol, root) in ctx.scoped_policies() {
        let Body::AuthorizationPolicy(ap) = &pol.body else {
            continue;
        };
        if ap.selector.is_none() {
            continue;
        }
        if !needs_waypoint_copy(ap) {
            continue;
        }
        let sel = ctx.selected_ambient(&pol);
        if sel.is_empty() {
            continue;
        }
        let (rule, origin_desc) = if root {
            (&rules::P003, "mesh-wide policy")
        } else {
            (&rules::P001, "policy")
        };
        let action = ap.action.as_str().to_string();
        let provider = ap.provider.clone();
        let rules_json = ap.rules_json.value();
        let ns2 = ns.clone();
        let build = move |name: &str, refs: Vec<Value>| {
            fixes::authz_copy(name, &ns2, refs, &action, provider.as_deref(), &rules_json)
        };
        let c = Copy {
            headless: None,
            rule,
            kind: "AuthorizationPolicy",
            origin: &pol,
            origin_desc,
            at: ap
                .selector
                .as_ref()
                .map(|s| s.key_span)
                .unwrap_or(pol.name_span),
            build: &build,
        };
        for wp in wps {
            let svc_units = ctx.view.services[wp.index].units.clone();
            if !svc_units.iter().any(|u| sel.contains(u)) {
                continue;
            }
            if admits_only(ap, &wp.waypoint.identity(ctx.facts)) {
                continue;
            }
            if partial(ctx, &svc_units, &sel) {
                refuse_partial(ctx, &pol, c.at, wp);
                continue;
            }
            if ctx.view.services[wp.index].svc().is_headless() {
                refuse_headless(ctx, &pol, c.at, wp);
                continue;
            }
            let extra = caveats(ctx, ap, wp);
            copy(
                ctx,
                &c,
                &format!("{}-{}", wp.name, pol.name),
                vec![fixes::target_ref_service(&wp.name)],
                std::slice::from_ref(&wp.name),
                extra,
            );
        }
    }
}

/// P003 for root-namespace policies without selector.
pub fn cluster(g: &ClusterCtx, out: &mut Vec<Finding>) {
    mesh_wide(g, out, &rules::P003, "AuthorizationPolicy");
}

/// The original selects only some of the ambient-bound workloads behind the Service.
fn partial(ctx: &NsCtx, svc_units: &[usize], sel: &[usize]) -> bool {
    svc_units
        .iter()
        .filter(|u| ctx.unit(**u).ambient_bound())
        .any(|u| !sel.contains(u))
}

/// A copy attached to the Service would apply to every workload behind it: an ALLOW would deny
/// (and a DENY or CUSTOM would check) traffic to workloads the original never covered. No
/// copy is offered; the waypoint must not be used for this Service until the policy is split.
fn refuse_partial(ctx: &mut NsCtx, pol: &Arc<Resource>, at: Span, wp: &WaypointedService) {
    let f = Finding::new(
        &rules::P001_PARTIAL,
        format!(
            "AuthorizationPolicy \"{}\" selects only some workloads of Service \"{}\": a policy at waypoint \"{}\" can only be attached to the whole Service, so a copy would also apply to the workloads it does not select (an ALLOW copy would deny their traffic). Give the selected workloads their own Service (and route their traffic to it), or attach the copy to a waypoint dedicated to those pods (istio.io/waypoint-for: workload, targetRefs kind Gateway), before the waypoint is used for \"{}\".",
            pol.ns_name(),
            wp.name,
            wp.waypoint.display(),
            wp.name
        ),
    )
    .on_node(pol, at);
    ctx.emit(f);
    block(ctx, pol, wp);
}

/// The Service is headless: its clients address the pods, and pod-addressed traffic enters the
/// waypoint on its `direct-http` chain, whose filters are built without a Service
/// (`buildWaypointInboundHTTPFilters(nil, cc)`, istio 1.26
/// `pilot/pkg/networking/core/listener_waypoint.go`), so only policies attached to the waypoint
/// Gateway or GatewayClass apply there (`ShouldAttachPolicy`, `pilot/pkg/model/policyattachment.go`).
/// A copy attached to the Service would never be enforced: the L7 control would be lost
/// silently once the original is deleted. No copy is offered.
fn refuse_headless(ctx: &mut NsCtx, pol: &Arc<Resource>, at: Span, wp: &WaypointedService) {
    let f = Finding::new(
        &rules::P001_HEADLESS,
        format!(
            "AuthorizationPolicy \"{}\" cannot be copied to waypoint \"{}\" for Service \"{}\": the Service is headless, its clients address the pods, and a waypoint applies only policies attached to its Gateway (or GatewayClass) to pod-addressed traffic, so a copy with targetRefs kind Service would never be enforced. Attach the copy instead to a waypoint dedicated to the pods this policy selects (istio.io/waypoint-for: workload or all, enrolled with istio.io/use-waypoint on their pod template; targetRefs [{{kind: Gateway, group: gateway.networking.k8s.io, name: <that waypoint>}}]) — a Gateway-attached copy on a waypoint shared with other workloads would apply to them too. Until then keep the sidecars (and the original) for these pods.",
            pol.ns_name(),
            wp.waypoint.display(),
            wp.name
        ),
    )
    .on_node(pol, at);
    ctx.emit(f);
    block(ctx, pol, wp);
}

/// No copy exists for this Service: the waypoint must not be used for it (U008), and the
/// original must not be advised for deletion (S001, R009).
fn block(ctx: &mut NsCtx, pol: &Arc<Resource>, wp: &WaypointedService) {
    ctx.refuse_copy(pol, Target::service(&wp.name), true);
}

/// What the copy does differently from the original, for the message.
fn caveats(ctx: &NsCtx, ap: &AuthorizationPolicy, wp: &WaypointedService) -> Option<String> {
    let mut extra = Vec::new();
    if let Some(c) = port_caveat(ctx, ap, wp.index) {
        extra.push(c);
    }
    if extra.is_empty() {
        None
    } else {
        Some(extra.join(" "))
    }
}

/// E10: ports in copied rules are workload ports; warn when the Service maps them.
fn port_caveat(ctx: &NsCtx, ap: &AuthorizationPolicy, si: usize) -> Option<String> {
    let uses_ports = ap.rules.iter().any(|r| {
        r.to.iter().any(|o| {
            o.fields
                .iter()
                .any(|f| f.name == "ports" || f.name == "notPorts")
        }) || r.when.iter().any(|c| c.key == "destination.port")
    });
    if !uses_ports {
        return None;
    }
    let svc = ctx.view.services[si].svc();
    let mapped: Vec<String> = svc
        .ports
        .iter()
        .filter(|p| p.target_number() != Some(p.port))
        .map(|p| format!("{}→{}", p.port, p.target_port.clone().unwrap_or_default()))
        .collect();
    if mapped.is_empty() {
        return None;
    }
    Some(format!(
        "Its rules match ports, which Istio defines as workload (target) ports; Service \"{}\" maps {} — verify the port match at the waypoint.",
        ctx.view.services[si].res.name,
        mapped.join(", ")
    ))
}
