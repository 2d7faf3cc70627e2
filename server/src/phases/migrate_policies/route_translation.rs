//! RT-001…RT-005: the HTTPRoute translation of each mesh VirtualService of the namespace, or
//! why there is none. The translation itself is `crate::routes::translate` (pure); this file
//! only turns its result into findings.

use std::sync::Arc;

use crate::analysis::NsCtx;
use crate::finding::{Action, Finding};
use crate::model::{Body, Object, Resource};
use crate::routes::world::crd_has_retry;
use crate::routes::{translate_in_workspace, IndexWorld, Problem, ProblemKind, Translation, VsRef};
use crate::rules::{self, Rule};
use crate::yaml::Span;

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
        for f in findings(&world, &vsr) {
            ctx.emit(f);
        }
    }
}

/// The findings of one VirtualService: its translation (RT-001), or why there is none.
fn findings(world: &IndexWorld, vsr: &Arc<Resource>) -> Vec<Finding> {
    let Body::VirtualService(vs) = &vsr.body else {
        return Vec::new();
    };
    if !vs.is_mesh_bound() || vs.http.is_empty() {
        return Vec::new();
    }
    let Some(node) = world.node(vsr) else {
        return Vec::new();
    };
    let Some(spec) = node.get("spec") else {
        return Vec::new();
    };
    let vref = VsRef {
        namespace: &vsr.namespace,
        name: &vsr.name,
        hosts: vs.hosts.iter().map(|h| (h.value.clone(), h.span)).collect(),
        span: vs.http_span.unwrap_or(vsr.name_span),
    };
    let t = translate_in_workspace(world, &vref, spec);
    if t.targets.is_empty() || t.noop {
        Vec::new()
    } else if !t.problems.is_empty() {
        t.problems.iter().map(|p| problem(vsr, p)).collect()
    } else {
        vec![translation(vsr, vref.span, &t)]
    }
}

/// RT-002…RT-005: why the VirtualService is not translated.
fn problem(vsr: &Arc<Resource>, p: &Problem) -> Finding {
    let mut f = Finding::new(
        rule_of(p.kind),
        format!(
            "VirtualService \"{}\" cannot be translated to an HTTPRoute: {} It keeps working on the waypoint (Alpha); no HTTPRoute is recommended for it.",
            vsr.ns_name(),
            p.message
        ),
    )
    .on_node(vsr, p.span);
    for (span, msg) in &p.related {
        f = f.related(vsr, *span, msg.clone());
    }
    f
}

/// RT-001: the translation, its objects to apply.
fn translation(vsr: &Arc<Resource>, span: Span, t: &Translation) -> Finding {
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
    let plural = |n: usize| if n > 1 { "s" } else { "" };
    if t.converted {
        // its own translation is in the workspace: nothing to apply, the VirtualService to delete
        return Finding::new(
            &rules::RT_001,
            format!(
                "VirtualService \"{}\" is converted: HTTPRoute{} {} in the workspace route{} Service{} {} the same way. Delete the VirtualService in the same step as you apply them (a Service routed by both APIs has undefined behaviour).",
                vsr.ns_name(),
                plural(routes.len()),
                routes.join(", "),
                if routes.len() > 1 { "" } else { "s" },
                plural(t.targets.len()),
                t.targets.join(", ")
            ),
        )
        .on_node(vsr, span)
        .details(t.notes.iter().cloned());
    }
    let mut msg = format!(
        "VirtualService \"{}\" translates to HTTPRoute{} {} for Service{} {} with the same routing behaviour",
        vsr.ns_name(),
        plural(routes.len()),
        routes.join(", "),
        plural(t.targets.len()),
        t.targets.join(", ")
    );
    if !services.is_empty() {
        msg.push_str(&format!(
            " (subsets become Service{} {})",
            plural(services.len()),
            services.join(", ")
        ));
    }
    msg.push_str(". VirtualServices are Alpha on waypoints: apply recommended-routes.yaml and delete the VirtualService in one step, since a Service routed by both APIs has undefined behaviour.");
    let mut f = Finding::new(&rules::RT_001, msg)
        .on_node(vsr, span)
        .details(t.notes.iter().cloned());
    for o in &t.objects {
        f = f.action(Action::Apply {
            resource: Object::new(o),
            reason: format!("HTTPRoute translation of VirtualService {}", vsr.ns_name()),
        });
    }
    f
}
