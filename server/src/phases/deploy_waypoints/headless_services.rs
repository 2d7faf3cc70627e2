//! W018: a headless service that needs a waypoint: clients address its pods directly, so a
//! service waypoint is bypassed. Its variant: a headless Service that only its own
//! `istio.io/use-waypoint` label enrolls, or that policies attach to with `targetRefs`: neither
//! covers pod-addressed traffic, which is all of a headless Service's traffic.

use crate::analysis::NsCtx;
use crate::finding::Finding;
use crate::model::Body;
use crate::rules;

pub fn namespace(ctx: &mut NsCtx) {
    for si in super::plan::headless_needing(ctx) {
        let res = ctx.view.services[si].res.clone();
        let f = Finding::new(
            &rules::W018,
            format!(
                "\"{}\" is headless; clients address pods directly, so a service waypoint (default istio.io/waypoint-for: service) is bypassed. Use a waypoint with istio.io/waypoint-for: all (or workload) and enroll the pods (istio.io/use-waypoint on their pod template, or the namespace label): a label on the Service enrolls nothing, ztunnel uses a Service's waypoint only for traffic addressed to the Service. Service-targeted policies do not cover pod-addressed traffic.",
                res.ns_name()
            ),
        )
        .on_node(&res, res.name_span);
        ctx.emit(f);
    }
    unenforced(ctx);
}

/// W018's variant: what looks waypointed about a headless Service but is not. A headless
/// Service has no VIP, so its clients address the pods: ztunnel then uses the pod's own
/// waypoint (ztunnel 1.26 `src/proxy/outbound.rs` `build_request`), never the Service's, and a
/// waypoint applies only Gateway- or GatewayClass-attached policies to pod-addressed traffic
/// (istio 1.26 `pilot/pkg/networking/core/listener_waypoint.go`: the `direct-http` chain is built
/// with `buildWaypointInboundHTTPFilters(nil, cc)`; `ShouldAttachPolicy` in
/// `pilot/pkg/model/policyattachment.go` matches Service targets only against the chain's
/// Service).
fn unenforced(ctx: &mut NsCtx) {
    for si in 0..ctx.view.services.len() {
        let sv = &ctx.view.services[si];
        if sv.infra || !sv.svc().is_headless() {
            continue;
        }
        let res = sv.res.clone();
        let label_only = ctx.headless_label_only(si);
        let attached: Vec<String> = ctx
            .view
            .resources
            .iter()
            .filter(|r| {
                let refs = match &r.body {
                    Body::AuthorizationPolicy(p) => &p.target_refs,
                    Body::RequestAuthentication(p) => &p.target_refs,
                    Body::Telemetry(p) => &p.target_refs,
                    Body::WasmPlugin(p) => &p.target_refs,
                    _ => return false,
                };
                refs.iter().any(|t| {
                    t.is_service()
                        && t.name == *res.name
                        && t.namespace.as_deref().is_none_or(|n| n == res.namespace)
                })
            })
            .map(|r| format!("{} \"{}\"", r.kind, r.ns_name()))
            .collect();
        if !label_only && attached.is_empty() {
            continue;
        }
        let mut msg = format!(
            "\"{}\" is headless: its clients address the pods, and pod-addressed traffic goes through the pods' own waypoint (if any), never the Service's.",
            res.ns_name()
        );
        if label_only {
            msg.push_str(" Its istio.io/use-waypoint label therefore enrolls nothing: no traffic to it passes that waypoint. Enroll the pods instead (istio.io/use-waypoint on their pod template, with a waypoint of istio.io/waypoint-for: workload or all).");
        }
        if !attached.is_empty() {
            msg.push_str(&format!(
                " {} attached to it with targetRefs kind Service {} never enforced for that traffic: a waypoint applies only policies attached to its Gateway (or GatewayClass) to pod-addressed traffic. Attach them to a waypoint dedicated to these pods (targetRefs kind Gateway), and keep the sidecar-era policies until then.",
                attached.join(", "),
                if attached.len() == 1 { "is" } else { "are" }
            ));
        }
        let f = Finding::new(&rules::W018_UNENFORCED, msg).on_node(&res, res.name_span);
        ctx.emit(f);
    }
}
