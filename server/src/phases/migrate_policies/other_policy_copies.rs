//! P007 (RequestAuthentication), P008 (selector Telemetry) and P009 (WasmPlugin): copy the
//! policy to the waypoint of every waypointed Service whose workloads it selects (a
//! namespace-wide one to the waypoint, or to the Services when the waypoint is shared). One
//! pass over the policies keeps the copies in policy order. Mesh-wide RequestAuthentication and
//! WasmPlugin (root namespace, no selector) are copied once to every waypoint.

use serde_json::Value;

use super::copies::{copy, copy_namespace_wide, mesh_wide, Copy};
use super::waypointed::WaypointedService;
use crate::analysis::context::selector_span;
use crate::analysis::{ClusterCtx, NsCtx, Target};
use crate::finding::Finding;
use crate::fixes;
use crate::model::{AuthzAction, Body, Resource};
use crate::rules::{self, Rule};
use crate::yaml::Span;
use std::sync::Arc;

/// What to copy: the rule, how messages name the kind, the spec, whether it has a selector,
/// and what the copy does differently.
struct Original {
    rule: &'static Rule,
    kind_desc: &'static str,
    spec: Value,
    has_selector: bool,
    extra: Option<String>,
}

fn original(pol: &Resource) -> Option<Original> {
    match &pol.body {
        Body::RequestAuthentication(ra) => Some(Original {
            rule: &rules::P007,
            kind_desc: "RequestAuthentication",
            spec: ra.spec_json.value(),
            has_selector: ra.selector.is_some(),
            extra: (!ra.forward_original_token).then(|| "The waypoint removes the JWT after validating it (forwardOriginalToken: false), so policies at the workload that check request.auth.* fail for relayed requests (the allow-from-waypoint policy covers them).".to_string()),
        }),
        // root and namespace-wide Telemetry already apply to waypoints
        Body::Telemetry(t) if t.selector.is_some() => Some(Original {
            rule: &rules::P008,
            kind_desc: "Telemetry",
            spec: t.spec_json.value(),
            has_selector: true,
            extra: t.client_mode.then(|| "Its match.mode CLIENT settings have no waypoint equivalent (waypoints report as the server).".to_string()),
        }),
        Body::WasmPlugin(w) => Some(Original {
            rule: &rules::P009,
            kind_desc: "WasmPlugin",
            spec: w.spec_json.value(),
            has_selector: w.selector.is_some(),
            extra: w.client_mode.then(|| "It matches mode CLIENT, which runs on the client sidecar's outbound path; the waypoint runs plugins on its server side.".to_string()),
        }),
        _ => None,
    }
}

pub fn namespace(ctx: &mut NsCtx, wps: &[WaypointedService]) {
    let ns = ctx.ns().to_string();
    for (pol, root) in ctx.scoped_policies() {
        let Some(mut o) = original(&pol) else {
            continue;
        };
        if root && !o.has_selector {
            // a mesh-wide policy is copied once, to the waypoint GatewayClass (`cluster`)
            continue;
        }
        let sel = ctx.selected_ambient(&pol);
        let covered: Vec<&WaypointedService> = wps
            .iter()
            .filter(|wp| {
                ctx.view.services[wp.index]
                    .units
                    .iter()
                    .any(|u| sel.contains(u))
            })
            .collect();
        if covered.is_empty() {
            continue;
        }
        if matches!(&pol.body, Body::RequestAuthentication(ra) if !ra.forward_original_token)
            && deny_checks_request_principal(ctx, &sel)
        {
            forward_original_token(&mut o);
        }
        let api_version = pol.api_version.clone();
        let kind = pol.kind.clone();
        let ns2 = ns.clone();
        let spec = o.spec.clone();
        let build = move |name: &str, refs: Vec<Value>| {
            fixes::spec_copy(&api_version, &kind, name, &ns2, &spec, refs)
        };
        let desc = if root {
            format!("mesh-wide {}", o.kind_desc)
        } else if o.has_selector {
            o.kind_desc.to_string()
        } else {
            format!("namespace {}", o.kind_desc)
        };
        let c = Copy {
            rule: o.rule,
            headless: match &pol.body {
                Body::RequestAuthentication(_) => Some(&rules::P007_HEADLESS),
                Body::WasmPlugin(_) => Some(&rules::P009_HEADLESS),
                _ => None,
            },
            kind: &pol.kind,
            origin: &pol,
            origin_desc: &desc,
            at: selector_span(&pol).unwrap_or(pol.name_span),
            build: &build,
        };
        if o.has_selector || root {
            for wp in covered {
                if ctx.view.services[wp.index].svc().is_headless() {
                    refuse_headless(ctx, &pol, c.at, wp);
                    continue;
                }
                copy(
                    ctx,
                    &c,
                    &format!("{}-{}", wp.name, pol.name),
                    vec![fixes::target_ref_service(&wp.name)],
                    std::slice::from_ref(&wp.name),
                    o.extra.clone(),
                );
            }
        } else {
            copy_namespace_wide(ctx, &c, &covered, o.extra, false);
        }
    }
}

/// The Service is headless: its clients address the pods, and pod-addressed traffic enters the
/// waypoint on its direct chain, whose HTTP filters are built without a Service (Istio 1.26
/// `pilot/pkg/networking/core/listener_waypoint.go`: `buildWaypointInboundHTTPFilters(nil, cc)`
/// → `buildWaypointHTTPFilters(nil)` keeps the waypoint-wide authn builder, `WasmPluginsByListenerInfo`
/// without a Service and `Telemetry.HTTPFilters(node, cls, nil)`), so only RequestAuthentications,
/// WasmPlugins and Telemetry attached to the waypoint Gateway or GatewayClass apply there. A copy
/// with targetRefs kind Service would never be enforced: no copy is offered. For a
/// RequestAuthentication (JWT validation) or a WasmPlugin (often an auth filter) that is a
/// security control lost once the original goes: blocking, like P001's headless variant, and
/// the original is kept (S005 skips it, R009/U008 see the block). A Telemetry copy would only
/// lose observability: a warning, and the original is kept too.
fn refuse_headless(ctx: &mut NsCtx, pol: &Arc<Resource>, at: Span, wp: &WaypointedService) {
    let (rule, lost) = match &pol.body {
        Body::RequestAuthentication(_) => {
            (&rules::P007_HEADLESS, "its JWT validation would be lost")
        }
        Body::WasmPlugin(_) => (&rules::P009_HEADLESS, "its filter would no longer run"),
        _ => (
            &rules::P008_HEADLESS,
            "its telemetry settings would no longer apply",
        ),
    };
    let f = Finding::new(
        rule,
        format!(
            "{} \"{}\" cannot be copied to waypoint \"{}\" for Service \"{}\": the Service is headless, its clients address the pods, and a waypoint applies to pod-addressed traffic only what is attached to its Gateway (or GatewayClass), so a copy with targetRefs kind Service would never be enforced and {lost} once the sidecars are gone. Attach the copy instead to a waypoint dedicated to the pods this policy selects (istio.io/waypoint-for: workload or all, enrolled with istio.io/use-waypoint on their pod template; targetRefs [{{kind: Gateway, group: gateway.networking.k8s.io, name: <that waypoint>}}]) — a Gateway-attached copy on a waypoint shared with other workloads would apply to them too. Until then keep the original (and, for these pods, their sidecars).",
            pol.kind,
            pol.ns_name(),
            wp.waypoint.display(),
            wp.name
        ),
    )
    .on_node(pol, at);
    ctx.emit(f);
    ctx.refuse_copy(pol, Target::service(&wp.name), rule.blocking);
}

/// Whether a DENY AuthorizationPolicy that applies to one of `units` checks the request
/// principal (`requestPrincipals`, `notRequestPrincipals`, `request.auth.*` conditions). While
/// those workloads keep their sidecar, that check runs there on requests the waypoint relays;
/// a waypoint that strips the JWT after validating it (`forwardOriginalToken: false`, the
/// default) leaves no request principal, so e.g. istio.io's "require JWT" pattern (DENY
/// `notRequestPrincipals: ["*"]`) would deny every relayed request.
fn deny_checks_request_principal(ctx: &NsCtx, units: &[usize]) -> bool {
    ctx.scoped_policies().iter().any(|(p, _)| {
        let Body::AuthorizationPolicy(ap) = &p.body else {
            return false;
        };
        ap.action == AuthzAction::Deny
            && ap.rules.iter().any(|r| {
                r.from.iter().any(|s| {
                    s.fields
                        .iter()
                        .any(|f| f.name == "requestPrincipals" || f.name == "notRequestPrincipals")
                }) || r.when.iter().any(|c| c.key.starts_with("request.auth."))
            })
            && ctx.selected(p).iter().any(|u| units.contains(u))
    })
}

/// The copy forwards the token to the workload (every `jwtRules` entry gets
/// `forwardOriginalToken: true`), so the sidecar's own request-principal checks still see it.
fn forward_original_token(o: &mut Original) {
    if let Some(rules) = o.spec.get_mut("jwtRules").and_then(|r| r.as_array_mut()) {
        for r in rules.iter_mut() {
            if let Value::Object(m) = r {
                m.insert("forwardOriginalToken".into(), Value::Bool(true));
            }
        }
    }
    o.extra = Some("The copy sets forwardOriginalToken: true: a DENY policy at the workload checks the request principal, and its sidecar must still see the JWT the waypoint validated (without it, every relayed request would be denied). Once the sidecars are removed you may drop the setting.".to_string());
}

/// P007 and P009 for root-namespace policies without selector.
pub fn cluster(g: &ClusterCtx, out: &mut Vec<Finding>) {
    mesh_wide(g, out, &rules::P007, "RequestAuthentication");
    mesh_wide(g, out, &rules::P009, "WasmPlugin");
}
