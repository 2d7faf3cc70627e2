//! U010: who bypasses the waypoint. Only ambient clients (ztunnel) send a waypointed Service's
//! traffic to its waypoint; a sidecar client routes with its own Envoy and sends straight to the
//! pods (istiod's `EndpointBuilder` gives sidecars the Service's endpoints, not its waypoint:
//! "sidecar/ingress do not support sending traffic directly to workloads, only to services" and
//! service waypoints are resolved for ingress only with `istio.io/ingress-use-waypoint`), and
//! the server's own sidecar enforces its policies. So while sidecars remain, the original
//! policies must stay. Reported once per namespace whose Services get a waypoint while this
//! namespace still runs sidecars.
//!
//! Catalog E34, plaintext clients: a client outside the mesh (no sidecar, no ztunnel) sends
//! plaintext, which the destination's ztunnel accepts on its inbound passthrough port and hands
//! straight to the pod. Istio does not hairpin non-HBONE inbound traffic through the waypoint
//! (istio/istio `architecture/ambient/peer-authentication.md`, its waypoint section is marked
//! not implemented; istio/istio#44534), so what moved to the waypoint (HTTP rules, CUSTOM/AUDIT,
//! JWT, Wasm) never sees that traffic. ztunnel refuses it only when the effective
//! PeerAuthentication is STRICT (its selector policy, else the namespace's, else the root
//! namespace's; `UNSET` inherits; default PERMISSIVE; ztunnel ignores selector policies of the
//! root namespace, P012), or when the ALLOW policies it enforces admit no peer without an
//! identity, or a DENY refuses such peers (`notPrincipals: ["*"]`). Reported once per
//! waypointed Service whose policies move to the waypoint and whose ambient-bound workloads still
//! accept plaintext. Advice only: STRICT refuses those clients (an outage for them), so it is
//! the user's decision.

use crate::analysis::authz::{allow_rule_dropped, l7_fields};
use crate::analysis::peer_authn::effective_mtls;
use crate::analysis::NsCtx;
use crate::analysis::Target;
use crate::finding::Finding;
use crate::model::{AuthorizationPolicy, AuthzAction, AuthzRule, Body};
use crate::rules;

pub fn namespace(ctx: &mut NsCtx) {
    sidecar_clients(ctx);
    plaintext_clients(ctx);
}

fn sidecar_clients(ctx: &mut NsCtx) {
    let services: Vec<String> = ctx
        .view
        .services
        .iter()
        .filter(|s| !s.infra && ctx.planned.contains_key(&Target::service(s.name())))
        .map(|s| s.name().to_string())
        .collect();
    if services.is_empty() {
        return;
    }
    let sidecars: Vec<String> = ctx
        .view
        .units
        .iter()
        .filter(|u| !u.gateway && u.has_sidecar())
        .map(|u| format!("{} {}", u.kind, u.name))
        .collect();
    if sidecars.is_empty() {
        return;
    }
    let list = services
        .iter()
        .map(|s| format!("\"{}/{s}\"", ctx.ns()))
        .collect::<Vec<_>>()
        .join(", ");
    let f = ctx.at_anchor(Finding::new(
        &rules::U010,
        format!(
            "Until the clients of {list} are ambient, sidecar clients (here: {}{}, and any in other namespaces) and ingress gateways without istio.io/ingress-use-waypoint keep sending directly to the pods: routing is done by the client sidecar and server policy by the server sidecar, not by the waypoint. Keep the original policies until both sides are migrated.",
            sidecars.iter().take(5).cloned().collect::<Vec<_>>().join(", "),
            if sidecars.len() > 5 { format!(" and {} more", sidecars.len() - 5) } else { String::new() },
        ),
    ));
    ctx.emit(f);
}

/// At ztunnel, an ALLOW rule that a peer without an identity (plaintext) can match: not dropped
/// for HTTP attributes, and no source or `when` condition requires a principal or namespace.
fn admits_anonymous(r: &AuthzRule) -> bool {
    const IDENTITY: [&str; 3] = ["principals", "namespaces", "serviceAccounts"];
    !allow_rule_dropped(r)
        && (r.from.is_empty()
            || r.from.iter().any(|s| {
                !s.fields
                    .iter()
                    .any(|f| IDENTITY.contains(&f.name.as_str()) && !f.values.is_empty())
            }))
        && !r.when.iter().any(|c| {
            matches!(c.key.as_str(), "source.principal" | "source.namespace")
                && !c.values.is_empty()
        })
}

/// A DENY rule enforced at ztunnel that refuses every peer without an identity (istio.io's
/// "require mTLS" pattern: `notPrincipals: ["*"]`).
fn denies_anonymous(r: &AuthzRule) -> bool {
    r.to.is_empty()
        && r.when.is_empty()
        && r.from.iter().any(|s| {
            s.fields.len() == 1
                && matches!(s.fields[0].name.as_str(), "notPrincipals" | "notNamespaces")
                && s.fields[0].values.iter().any(|v| v == "*")
        })
}

/// What ztunnel cannot enforce and the waypoint copy carries.
fn moves_to_waypoint(ap: &AuthorizationPolicy) -> bool {
    !l7_fields(ap).is_empty() || matches!(ap.action, AuthzAction::Custom | AuthzAction::Audit)
}

fn plaintext_clients(ctx: &mut NsCtx) {
    let policies = ctx.scoped_policies();
    let mut found = Vec::new();
    for (sv, wp, t, units) in ctx.waypointed_ambient_services() {
        // the policies whose enforcement moves to the waypoint: originals ztunnel cannot
        // enforce, copies already attached to the Service, and copies still to apply
        let mut moved: Vec<String> = Vec::new();
        for (p, _) in &policies {
            if let Body::AuthorizationPolicy(ap) = &p.body {
                let sel = ctx.selected(p);
                if moves_to_waypoint(ap) && units.iter().any(|u| sel.contains(u)) {
                    moved.push(format!("AuthorizationPolicy \"{}\"", p.ns_name()));
                }
            }
        }
        for r in &ctx.view.resources {
            let refs = match &r.body {
                Body::AuthorizationPolicy(ap) if moves_to_waypoint(ap) => &ap.target_refs,
                Body::RequestAuthentication(ra) => &ra.target_refs,
                Body::WasmPlugin(w) => &w.target_refs,
                _ => continue,
            };
            if refs
                .iter()
                .any(|tr| tr.kind == "Service" && tr.name == sv.name())
            {
                moved.push(format!("{} \"{}\"", r.kind, r.ns_name()));
            }
        }
        // copies still to apply (RequestAuthentication, WasmPlugin…): name their originals
        for po in ctx.pending.get(&t).into_iter().flatten() {
            if let Some((kind, name)) = po.origin.split_once('/') {
                let full = policies
                    .iter()
                    .find(|(p, _)| p.kind == kind && p.name == name)
                    .map_or_else(|| name.to_string(), |(p, _)| p.ns_name());
                moved.push(format!("{kind} \"{full}\""));
            }
        }
        if moved.is_empty() {
            continue;
        }
        moved.sort();
        moved.dedup();
        // the allow-from-waypoint policy P004 adds admits only the waypoint's identity
        let from_waypoint = ctx
            .pending
            .get(&t)
            .is_some_and(|v| v.iter().any(|po| po.origin.is_empty()));
        let mut open: Vec<(String, String)> = Vec::new();
        for &u in &units {
            let mut allows = from_waypoint;
            let mut anonymous_allowed = false;
            let mut anonymous_denied = false;
            for (p, _) in &policies {
                let Body::AuthorizationPolicy(ap) = &p.body else {
                    continue;
                };
                if !ctx.selected(p).contains(&u) {
                    continue;
                }
                match ap.action {
                    AuthzAction::Allow => {
                        allows = true;
                        anonymous_allowed |= ap.rules.iter().any(admits_anonymous);
                    }
                    AuthzAction::Deny => {
                        anonymous_denied |= ap.rules.iter().any(denies_anonymous);
                    }
                    _ => {}
                }
            }
            let mtls = effective_mtls(ctx, u);
            let (mode, from) = (mtls.mode.as_str(), mtls.source.describe());
            let plaintext_port = mtls.plaintext_port();
            if (mode == "STRICT" && !plaintext_port)
                || anonymous_denied
                || (allows && !anonymous_allowed)
            {
                continue;
            }
            let unit = ctx.unit(u);
            let why = if mode == "STRICT" {
                "STRICT with a port-level exception".to_string()
            } else {
                format!("{mode}, {from}")
            };
            open.push((format!("{} {}", unit.kind, unit.name), why));
        }
        if open.is_empty() {
            continue;
        }
        let msg = format!(
            "Clients outside the mesh (plaintext, no sidecar and no ztunnel) reach the pods of \"{}/{}\" through ztunnel without passing waypoint \"{}\": Istio does not send inbound non-HBONE traffic through the waypoint (istio/istio#44534), so the rules of {} (enforced at the waypoint) will not apply to them once the sidecars are gone. {} still accept{} plaintext. Decide before removing the sidecars: a STRICT PeerAuthentication makes ztunnel refuse them (an outage for every plaintext caller: bring them into the mesh first), or keep them out (e.g. a NetworkPolicy).",
            ctx.ns(),
            sv.name(),
            wp.display(),
            moved.join(", "),
            open.iter()
                .map(|(w, why)| format!("{w} ({why})"))
                .collect::<Vec<_>>()
                .join(", "),
            if open.len() == 1 { "s" } else { "" },
        );
        found.push(Finding::new(&rules::U010, msg).on_node(&sv.res, sv.res.name_span));
    }
    for f in found {
        ctx.emit(f);
    }
}
