//! RT-001…RT-005: the HTTPRoute translation of each mesh VirtualService of the namespace, or
//! why there is none. The translation itself is `crate::routes::translate` (pure); this file
//! only turns its result into findings.

use crate::analysis::NsCtx;
use crate::finding::{Action, Finding};
use crate::model::{Body, Object};
use crate::routes::world::crd_has_retry;
use crate::routes::{translate, IndexWorld, ProblemKind, VsRef};
use crate::rules::{self, Rule};

/// The rule that reports a problem of the translation.
pub fn rule_of(kind: ProblemKind) -> &'static Rule {
    match kind {
        ProblemKind::Field => &rules::RT_002,
        ProblemKind::Order => &rules::RT_003,
        ProblemKind::Retries => &rules::RT_004,
        ProblemKind::Limits => &rules::RT_005,
    }
}

pub fn namespace(ctx: &mut NsCtx) {
    let own = ctx.own("VirtualService");
    if own.is_empty() {
        return;
    }
    let retry = crd_has_retry(
        ctx.facts
            .gateway_api
            .crds
            .get("httproutes.gateway.networking.k8s.io")
            .map(|r| &**r),
    );
    let world = IndexWorld::new(ctx.index, &ctx.facts.dns_domain, retry);
    for vsr in own {
        let Body::VirtualService(vs) = &vsr.body else {
            continue;
        };
        if !vs.is_mesh_bound() || vs.http.is_empty() {
            continue;
        }
        let Some(node) = world.node(&vsr) else {
            continue;
        };
        let Some(spec) = node.get("spec") else {
            continue;
        };
        let vref = VsRef {
            namespace: &vsr.namespace,
            name: &vsr.name,
            hosts: vs.hosts.iter().map(|h| (h.value.clone(), h.span)).collect(),
            span: vs.http_span.unwrap_or(vsr.name_span),
        };
        let t = translate(&world, &vref, spec);
        if t.targets.is_empty() || t.noop {
            continue;
        }
        if !t.problems.is_empty() {
            for p in &t.problems {
                let mut f = Finding::new(
                    rule_of(p.kind),
                    format!(
                        "VirtualService \"{}\" cannot be translated to an HTTPRoute: {} It keeps working on the waypoint (Alpha); no HTTPRoute is recommended for it.",
                        vsr.ns_name(),
                        p.message
                    ),
                )
                .on_node(&vsr, p.span);
                for (span, msg) in &p.related {
                    f = f.related(&vsr, *span, msg.clone());
                }
                ctx.emit(f);
            }
            continue;
        }
        let routes: Vec<String> = t
            .routes()
            .map(|r| {
                format!(
                    "{}/{}",
                    r["metadata"]["namespace"].as_str().unwrap_or(""),
                    r["metadata"]["name"].as_str().unwrap_or("")
                )
            })
            .collect();
        let services: Vec<String> = t
            .objects
            .iter()
            .filter(|o| o["kind"] == "Service")
            .map(|o| o["metadata"]["name"].as_str().unwrap_or("").to_string())
            .collect();
        let mut msg = format!(
            "VirtualService \"{}\" translates to HTTPRoute{} {} for Service{} {} with the same routing behaviour",
            vsr.ns_name(),
            if routes.len() > 1 { "s" } else { "" },
            routes.join(", "),
            if t.targets.len() > 1 { "s" } else { "" },
            t.targets.join(", ")
        );
        if !services.is_empty() {
            msg.push_str(&format!(
                " (subsets become Service{} {})",
                if services.len() > 1 { "s" } else { "" },
                services.join(", ")
            ));
        }
        msg.push_str(". VirtualServices are Alpha on waypoints: apply recommended-routes.yaml and delete the VirtualService in one step, since a Service routed by both APIs has undefined behaviour.");
        let mut f = Finding::new(&rules::RT_001, msg)
            .on_node(&vsr, vref.span)
            .details(t.notes.iter().cloned());
        for o in &t.objects {
            f = f.action(Action::Apply {
                resource: Object::new(o),
                reason: format!("HTTPRoute translation of VirtualService {}", vsr.ns_name()),
            });
        }
        ctx.emit(f);
    }
}
