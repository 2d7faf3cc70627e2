//! P010: an EnvoyFilter cannot be translated to a waypoint automatically (and one whose
//! targetRefs name anything but a Gateway or GatewayClass applies to nothing).

use crate::analysis::NsCtx;
use crate::finding::Finding;
use crate::model::Body;
use crate::rules;

pub fn namespace(ctx: &mut NsCtx) {
    let wp_name = ctx
        .ns_waypoint
        .as_ref()
        .map(|w| w.name.clone())
        .unwrap_or_else(|| ctx.opts.waypoint_name.clone());
    for r in ctx.view.resources.clone() {
        let Body::EnvoyFilter(ef) = &r.body else {
            continue;
        };
        if !ef.target_refs.is_empty() {
            // E24: EnvoyFilters are matched per proxy, without service context; only
            // Gateway/GatewayClass targetRefs bind (catalog §6 item 2)
            if let Some(t) = ef
                .target_refs
                .iter()
                .find(|t| !matches!(t.kind.as_str(), "Gateway" | "GatewayClass"))
            {
                let f = Finding::new(
                    &rules::P010,
                    format!(
                        "EnvoyFilter \"{}\" targets {} \"{}\": EnvoyFilters are matched per proxy without service context, so only Gateway/GatewayClass targetRefs bind and this one applies to nothing. To target the waypoint use targetRefs: [{{kind: Gateway, group: gateway.networking.k8s.io, name: {wp_name}}}] with patch context SIDECAR_INBOUND. Officially unsupported; consider a WasmPlugin.",
                        r.ns_name(),
                        t.kind,
                        t.name
                    ),
                )
                .on_node(&r, t.span);
                ctx.emit(f);
            }
            continue;
        }
        if !ef.patches_sidecars() {
            continue;
        }
        let applies = match &ef.workload_selector {
            Some(s) => ctx
                .view
                .select(Some(&s.labels))
                .iter()
                .any(|&u| ctx.unit(u).ambient_bound()),
            None => !ctx.view.mode.system || ctx.is_root(),
        };
        if !applies {
            continue;
        }
        let target = if ctx.is_root() {
            "targetRefs: [{kind: GatewayClass, group: gateway.networking.k8s.io, name: istio-waypoint}] in the root namespace".to_string()
        } else {
            format!("targetRefs: [{{kind: Gateway, group: gateway.networking.k8s.io, name: {wp_name}}}] in namespace \"{}\"", ctx.ns())
        };
        let f = Finding::new(
            &rules::P010,
            format!(
                "EnvoyFilter \"{}\" cannot be translated automatically. To target a waypoint it needs {}, patch context SIDECAR_INBOUND, and listener/cluster matches rewritten for waypoint listener names. Officially unsupported; consider a WasmPlugin.",
                r.ns_name(),
                target
            ),
        )
        .on_node(&r, ef.workload_selector.as_ref().map(|s| s.key_span).or(ef.patches_span).unwrap_or(r.name_span));
        ctx.emit(f);
    }
}
