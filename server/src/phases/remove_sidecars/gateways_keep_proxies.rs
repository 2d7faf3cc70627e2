//! R012: gateways (and waypoints) of a namespace that switches to ambient keep their Envoy: the
//! migration neither restarts nor relabels them (D8's exclusions; waypoint pods carry
//! `istio.io/dataplane-mode: none`, `manifests/charts/.../waypoint.yaml`, and a pod with a
//! `sidecar.istio.io/status` is never captured by istio-cni).
//!
//! One kind of gateway breaks, though: a gateway injected with the `gateway` template
//! (`inject.istio.io/templates: gateway`, container image `auto`) that gets injected only
//! because its namespace has the injection label. Once the label is gone, its next pod is not
//! injected (the `object.` webhooks need `sidecar.istio.io/inject: "true"` on the pod when the
//! namespace has no injection label, `mutatingwebhook.yaml`) and starts with the image `auto`,
//! which does not exist. That is the warning variant, with the template change that keeps it
//! injected.

use crate::analysis::mesh::injection_request;
use crate::analysis::NsCtx;
use crate::finding::Finding;
use crate::fixes::label_template_actions;
use crate::model::Body;
use crate::rules;

pub fn namespace(ctx: &mut NsCtx) {
    let mode = &ctx.view.mode;
    // the namespace is switched (R001) only when it has application workloads
    if !mode.switches(ctx.facts) || mode.ambient || mode.system || ctx.view.app_units().is_empty() {
        return;
    }
    let ns = ctx.ns().to_string();
    for unit in ctx.view.units.clone() {
        if !unit.gateway {
            continue;
        }
        let (Some(r), Some(c)) = (&unit.res, &unit.controller) else {
            continue;
        };
        let Body::Workload(w) = &r.body else { continue };
        let gateway_template = w
            .pod_annotations
            .get("inject.istio.io/templates")
            .is_some_and(|t| t.split(',').any(|x| x.trim() == "gateway"));
        if gateway_template && injection_request(w).is_none() {
            let f = Finding::new(
                &rules::R012_NEEDS_INJECTION,
                format!(
                    "Gateway \"{}\" is injected with the gateway template only because namespace \"{ns}\" has an injection label: once the label is removed, its next pod starts without its proxy (image \"auto\" is never replaced) and the gateway is down. Add sidecar.istio.io/inject: \"true\" to its pod template before switching the namespace; it keeps its Envoy and is not captured by ztunnel.",
                    unit.short()
                ),
            )
            .on_node(r, r.name_span);
            let actions = label_template_actions(
                ctx.index,
                &c.kind,
                &ns,
                &c.name,
                &[("sidecar.istio.io/inject", "true")],
                &[],
                false,
            );
            ctx.emit(actions.into_iter().fold(f, |f, a| f.action(a)));
        } else {
            ctx.emit(
                Finding::new(
                    &rules::R012,
                    format!(
                        "\"{}\" is a gateway or waypoint: it keeps its own Envoy when namespace \"{ns}\" switches to ambient; it is not restarted and must not be labeled istio.io/dataplane-mode=ambient.",
                        unit.short()
                    ),
                )
                .on_node(r, r.name_span),
            );
        }
    }
}
