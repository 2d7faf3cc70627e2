//! W017 (a ServiceEntry with L7 configuration needs an egress waypoint) and W019 (a
//! VirtualService steers its traffic to a sidecar-style egress gateway, which ambient clients
//! bypass). Both come from the same search: what uses each ServiceEntry of this namespace.

use std::sync::Arc;

use crate::analysis::mesh::{host_matches, normalize_host};
use crate::analysis::{NsCtx, Target};
use crate::finding::Finding;
use crate::index::Index;
use crate::model::refs::RefKey;
use crate::model::{Body, Resource, ServiceEntry, TargetRef, VirtualService};
use crate::rules;
use crate::yaml::Span;

/// What refers to a ServiceEntry.
#[derive(Default)]
struct Users {
    /// `Kind "ns/name"` of every user.
    names: Vec<String>,
    /// A DestinationRule originates TLS for it.
    tls_origination: bool,
    /// VirtualServices that route it to an egress gateway: (VS, gateway host, route).
    egress_steering: Vec<(Arc<Resource>, String, Span)>,
}

pub fn namespace(ctx: &mut NsCtx) {
    for ser in ctx.own("ServiceEntry") {
        let Body::ServiceEntry(se) = &ser.body else {
            continue;
        };
        let users = users(ctx, &ser, se);
        for (vsr, gw, span) in &users.egress_steering {
            egress_gateway(ctx, &ser, se, vsr, gw, *span);
        }
        if users.names.is_empty() {
            continue;
        }
        l7_configuration(ctx, &ser, se, users);
    }
}

fn users(ctx: &NsCtx, ser: &Resource, se: &ServiceEntry) -> Users {
    let domain = &ctx.facts.dns_domain;
    let keys: Vec<RefKey> = se
        .hosts
        .iter()
        .map(|h| RefKey::Host(h.value.to_ascii_lowercase()))
        .collect();
    let matches_host = |h: &str, res_ns: &str| -> bool {
        let n = normalize_host(h, res_ns, domain);
        se.hosts.iter().any(|sh| {
            host_matches(&n, &sh.value.to_ascii_lowercase())
                || host_matches(&sh.value.to_ascii_lowercase(), &n)
        })
    };
    let mut users = Users::default();
    for vsr in ctx.visible("VirtualService", &keys) {
        let Body::VirtualService(vs) = &vsr.body else {
            continue;
        };
        if vs.is_mesh_bound()
            && vs
                .hosts
                .iter()
                .any(|h| matches_host(&h.value, &vsr.namespace))
        {
            users.names.push(vsr.quoted());
            if let Some((gw, span)) =
                steers_to_egress_gateway(ctx.index, vs, &vsr.namespace, domain)
            {
                users.egress_steering.push((vsr.clone(), gw, span));
            }
        }
    }
    for drr in ctx.visible("DestinationRule", &keys) {
        let Body::DestinationRule(dr) = &drr.body else {
            continue;
        };
        if dr
            .host
            .as_ref()
            .is_some_and(|h| matches_host(&h.value, &drr.namespace))
        {
            users.names.push(drr.quoted());
            if dr
                .tls_modes
                .iter()
                .any(|(m, _, _)| m == "SIMPLE" || m == "MUTUAL")
            {
                users.tls_origination = true;
            }
        }
    }
    for r in &ctx.view.resources {
        let refs: Vec<&TargetRef> = match &r.body {
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
            users.names.push(r.quoted());
        }
    }
    users.names.sort();
    users.names.dedup();
    users
}

/// W019.
fn egress_gateway(
    ctx: &mut NsCtx,
    ser: &Arc<Resource>,
    se: &ServiceEntry,
    vsr: &Arc<Resource>,
    gw: &str,
    span: Span,
) {
    let f = Finding::new(
        &rules::W019,
        format!(
            "VirtualService \"{}\" steers mesh traffic for ServiceEntry \"{}\" to egress gateway \"{gw}\" from client sidecars. Ambient clients do not evaluate VirtualServices, so this traffic would leave directly, bypassing the egress gateway. Use an egress waypoint for the ServiceEntry instead (label it istio.io/use-waypoint), and if egress must be enforced, an AuthorizationPolicy that admits only the waypoint.",
            vsr.ns_name(),
            ser.ns_name()
        ),
    )
    .on_node(vsr, span)
    .ns(ctx.ns())
    .related(ser, se.hosts_span.unwrap_or(ser.name_span), "the external service");
    ctx.emit_need(f, vec![Target::service_entry(&ser.name)]);
    ctx.add_reason(Target::service_entry(&ser.name), &rules::W019, vsr.quoted());
}

/// W017 (an error when a DestinationRule originates TLS for it).
fn l7_configuration(ctx: &mut NsCtx, ser: &Arc<Resource>, se: &ServiceEntry, users: Users) {
    let wildcard = se.hosts.iter().any(|h| h.value.starts_with('*'));
    let hosts: Vec<String> = se.hosts.iter().map(|h| h.value.clone()).collect();
    let mut msg = format!(
        "ServiceEntry \"{}\" ({}) is used by {}; in ambient these are only applied when the ServiceEntry is bound to a waypoint (label it istio.io/use-waypoint).",
        ser.ns_name(),
        hosts.join(", "),
        users.names.join(", ")
    );
    if users.tls_origination {
        msg.push_str(" A DestinationRule originates TLS for it: without a waypoint the application's plaintext leaves the mesh unencrypted.");
    }
    if wildcard {
        msg.push_str(" Wildcard hosts get no VIP; from Istio 1.28 such a ServiceEntry stays inactive until bound to a valid waypoint.");
    }
    let rule = if users.tls_origination {
        &rules::W017_TLS_ORIGINATION
    } else {
        &rules::W017
    };
    let f = Finding::new(rule, msg).on_node(ser, se.hosts_span.unwrap_or(ser.name_span));
    ctx.emit_need(f, vec![Target::service_entry(&ser.name)]);
    for u in users.names {
        ctx.add_reason(Target::service_entry(&ser.name), &rules::W017, u);
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
) -> Option<(String, Span)> {
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
    let http = vs
        .http
        .iter()
        .map(|r| (&r.matches, &r.destinations, r.span));
    let l4 = vs
        .tcp
        .iter()
        .chain(vs.tls.iter())
        .map(|r| (&r.matches, &r.destinations, r.span));
    for (matches, destinations, span) in http.chain(l4) {
        if !vs.route_mesh_active(matches) {
            continue;
        }
        if let Some(d) = destinations.iter().find(|d| is_egress(&d.host)) {
            return Some((d.host.clone(), span));
        }
    }
    None
}
