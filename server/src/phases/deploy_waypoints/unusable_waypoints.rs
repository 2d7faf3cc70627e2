//! W021: an existing waypoint Gateway cannot work (the reserved name `none`; no HBONE
//! listener, or a wrong one: its own variant, blocking), or a Gateway that is not a waypoint has the name a new waypoint would get (the
//! plan then names it `<name>-ambient`).

use crate::analysis::NsCtx;
use crate::finding::Finding;
use crate::model::Body;
use crate::rules;

pub fn namespace(ctx: &mut NsCtx) {
    for gw in ctx.view.waypoints.clone() {
        let Body::Gateway(g) = &gw.body else { continue };
        if gw.name == "none" {
            ctx.emit(
                Finding::new(&rules::W021, format!("Gateway \"{}\" is not a valid waypoint: the name \"none\" is reserved (istio.io/use-waypoint: none means opt-out).", gw.ns_name()))
                    .on_node(&gw, gw.name_span),
            );
        } else if g.hbone_listener().is_none() {
            // Still a waypoint (its class is istio-waypoint: istiod deploys it and the plan uses
            // it), but broken: istiod's deployment controller makes the waypoint's Service
            // ports from the listeners (`extractServicePorts`), so the Service has no 15008,
            // and ztunnel drops waypoint endpoints without that port (`load_balance` in
            // ServiceResolutionMode::Waypoint, ztunnel 1.26 src/state.rs): traffic of what is
            // enrolled fails. Cross-namespace attachment falls back to Same (`makeAllowedRoutes`).
            let on_port = g.listeners.iter().find(|l| l.port == Some(15008));
            let hbone_elsewhere = g
                .listeners
                .iter()
                .find(|l| l.protocol.as_deref() == Some("HBONE"));
            let fix =
                "Add the listener {name: mesh, port: 15008, protocol: HBONE} to spec.listeners";
            let f = match (on_port, hbone_elsewhere) {
                // the Service has port 15008: traffic flows, but istiod does not see an HBONE
                // listener, so only same-namespace attachment works
                (Some(l), _) => Finding::new(
                    &rules::W021,
                    format!(
                        "Waypoint \"{}\": its listener \"{}\" on port 15008 has protocol {} instead of HBONE, so istiod finds no HBONE listener and allows only same-namespace use (makeAllowedRoutes falls back to Same): other namespaces cannot use it whatever its allowedRoutes say. Set protocol: HBONE on that listener.",
                        gw.ns_name(),
                        l.name,
                        l.protocol.as_deref().unwrap_or("(none)")
                    ),
                )
                .on_node(&gw, l.span),
                (None, l) => Finding::new(
                    &rules::W021_NO_HBONE,
                    format!(
                        "Waypoint \"{}\" (class istio-waypoint) cannot carry traffic: {}. Its Service then has no port 15008 (istiod makes the Service ports from the listeners) and ztunnel finds no waypoint endpoint, so the traffic of everything enrolled in it fails; cross-namespace use is refused too. {fix} before anything uses it.",
                        gw.ns_name(),
                        match l {
                            Some(l) => format!(
                                "its HBONE listener \"{}\" is on port {} instead of 15008",
                                l.name,
                                l.port.map(|p| p.to_string()).unwrap_or_else(|| "(none)".into())
                            ),
                            None => "it has no listener on port 15008 with protocol HBONE".to_string(),
                        }
                    ),
                )
                .on_node(
                    &gw,
                    l.map(|l| l.span).or(g.listeners_span).unwrap_or(gw.name_span),
                ),
            };
            ctx.emit(f);
        }
    }
    if let Some((other, renamed)) = ctx.waypoint_name_taken.clone() {
        let what = match &other.body {
            Body::Gateway(g) if g.class == "istio-waypoint" => format!(
                "is a waypoint that does not handle Service traffic (istio.io/waypoint-for: {})",
                crate::analysis::mesh::waypoint_for(ctx.facts, &other)
            ),
            _ => "is not a waypoint".to_string(),
        };
        ctx.emit(
            Finding::new(
                &rules::W021,
                format!(
                    "Gateway \"{}\" {what} but has the name a generated waypoint would use; the recommended waypoint is named \"{}\" instead.",
                    other.ns_name(),
                    renamed
                ),
            )
            .on_node(&other, other.name_span),
        );
    }
}
