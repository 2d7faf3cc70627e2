//! W021: an existing waypoint Gateway cannot work (the reserved name `none`, no HBONE
//! listener), or a Gateway that is not a waypoint has the name a new waypoint would get (the
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
            ctx.emit(
                Finding::new(
                    &rules::W021,
                    format!(
                        "Gateway \"{}\" is not a valid waypoint: it has no listener with protocol HBONE on port 15008, so istiod cannot find its HBONE listener and only same-namespace attachment works.",
                        gw.ns_name()
                    ),
                )
                .on_node(&gw, g.listeners_span.unwrap_or(gw.name_span)),
            );
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
