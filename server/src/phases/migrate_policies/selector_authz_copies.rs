//! P001 (a workload AuthorizationPolicy) and P003 (a root-namespace one): copy a selector
//! policy that only a waypoint can enforce (HTTP attributes, CUSTOM, AUDIT, or checks on the
//! client's identity) to the waypoint, once per waypointed Service; copy a mesh-wide one (no
//! selector) once to every waypoint.

use serde_json::Value;

use super::copies::{copy, mesh_wide, Copy};
use super::waypointed::WaypointedService;
use crate::analysis::authz::{admits_only, depends_on_source_identity, l7_fields};
use crate::analysis::{ClusterCtx, NsCtx};
use crate::finding::Finding;
use crate::fixes;
use crate::model::{AuthorizationPolicy, AuthzAction, Body};
use crate::rules;

pub fn namespace(ctx: &mut NsCtx, wps: &[WaypointedService]) {
    let ns = ctx.ns().to_string();
    for (pol, root) in ctx.scoped_policies() {
        let Body::AuthorizationPolicy(ap) = &pol.body else {
            continue;
        };
        if ap.selector.is_none() {
            continue;
        }
        let needs_copy = !l7_fields(ap).is_empty()
            || matches!(ap.action, AuthzAction::Custom | AuthzAction::Audit)
            || depends_on_source_identity(ap);
        if !needs_copy {
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
            let extra = caveats(ctx, ap, wp, &svc_units, &sel);
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

/// What the copy does differently from the original, for the message.
fn caveats(
    ctx: &NsCtx,
    ap: &AuthorizationPolicy,
    wp: &WaypointedService,
    svc_units: &[usize],
    sel: &[usize],
) -> Option<String> {
    let mut extra = Vec::new();
    let partial = svc_units
        .iter()
        .filter(|u| ctx.unit(**u).ambient_bound())
        .count()
        > svc_units.iter().filter(|u| sel.contains(u)).count();
    if partial {
        extra.push(format!(
            "The original selects only some workloads of Service \"{}\"; the copy applies to all of them.",
            wp.name
        ));
    }
    if let Some(c) = port_caveat(ctx, ap, wp.index) {
        extra.push(c);
    }
    if let Some(c) = headless_caveat(ctx, wp.index) {
        extra.push(c);
    }
    if extra.is_empty() {
        None
    } else {
        Some(extra.join(" "))
    }
}

/// E25: a Service-attached policy does not cover pod-addressed traffic, which is all the
/// traffic of a headless Service.
fn headless_caveat(ctx: &NsCtx, si: usize) -> Option<String> {
    let sv = &ctx.view.services[si];
    if !sv.svc().is_headless() {
        return None;
    }
    Some(format!(
        "Service \"{}\" is headless: its clients address the pods, and a Service-attached policy does not apply to pod-addressed traffic through a waypoint (istio/istio#56505). To enforce it, attach the copy to a waypoint dedicated to these pods (istio.io/waypoint-for: workload, enrolled with istio.io/use-waypoint on the pods) with targetRefs kind Gateway; attaching it to a shared waypoint would apply it to every service behind that waypoint.",
        sv.name()
    ))
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
