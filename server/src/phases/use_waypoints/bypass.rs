//! U010: who bypasses the waypoint. Only ambient clients (ztunnel) send a waypointed Service's
//! traffic to its waypoint; a sidecar client routes with its own Envoy and sends straight to the
//! pods (istiod's `EndpointBuilder` gives sidecars the Service's endpoints, not its waypoint:
//! "sidecar/ingress do not support sending traffic directly to workloads, only to services" and
//! service waypoints are resolved for ingress only with `istio.io/ingress-use-waypoint`), and
//! the server's own sidecar enforces its policies. So while sidecars remain, the original
//! policies must stay. Reported once per namespace whose Services get a waypoint while this
//! namespace still runs sidecars.

use crate::analysis::NsCtx;
use crate::analysis::Target;
use crate::finding::Finding;
use crate::rules;

pub fn namespace(ctx: &mut NsCtx) {
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
