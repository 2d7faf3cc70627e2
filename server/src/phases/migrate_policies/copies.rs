//! Copies of sidecar-era policies that the waypoint enforces (shared by the copy rules, which
//! say under which rule a copy is reported): an `Apply` finding with the copy, unless an
//! equivalent object already exists, and the pending object recorded for the ordering guard
//! and the simplification phase. Mesh-wide policies of the root namespace are copied once, to
//! the waypoint GatewayClass.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use serde_json::Value;

use super::waypointed::WaypointedService;
use crate::analysis::context::{AttachedPolicies, PendingObject};
use crate::analysis::{ClusterCtx, NsCtx, Target};
use crate::finding::{Action, Finding, Object};
use crate::fixes;
use crate::model::refs::RefKey;
use crate::model::{Body, Resource, TargetRef};
use crate::rules::Rule;
use crate::yaml::Span;

/// Builds the copy: `(name, targetRefs) -> object`.
pub type Build<'a> = &'a dyn Fn(&str, Vec<Value>) -> Value;

/// A policy to copy to the waypoint.
pub struct Copy<'a> {
    pub rule: &'static Rule,
    /// Kind of the copy (the original's).
    pub kind: &'a str,
    pub origin: &'a Arc<Resource>,
    /// How the message names the original (`policy`, `mesh-wide policy`…).
    pub origin_desc: &'a str,
    /// Where the finding goes on the original.
    pub at: Span,
    pub build: Build<'a>,
    /// The rule variant that refuses a Service-targeted copy for a headless Service (see
    /// `copy_namespace_wide`); `None`: no such copy is refused (Telemetry is not copied so).
    pub headless: Option<&'static Rule>,
}

fn refs_key(refs: &[TargetRef]) -> BTreeSet<(String, String)> {
    refs.iter()
        .map(|t| (t.kind.clone(), t.name.clone()))
        .collect()
}

fn value_refs_key(refs: &[Value]) -> BTreeSet<(String, String)> {
    let field = |v: &Value, k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
    refs.iter()
        .map(|v| (field(v, "kind"), field(v, "name")))
        .collect()
}

/// The spec without what attaches it (to compare a copy with an existing object).
pub fn strip(spec: &Value) -> Value {
    let mut v = spec.clone();
    if let Value::Object(m) = &mut v {
        for k in ["selector", "targetRef", "targetRefs", "workloadSelector"] {
            m.remove(k);
        }
    }
    v
}

/// An existing object of this namespace that already is this copy (same targets, same content).
fn existing_copy(ctx: &NsCtx, kind: &str, refs: &[Value], content: &Value) -> bool {
    let attached = ctx.attached.get_or_init(|| {
        let mut m: AttachedPolicies = HashMap::new();
        for r in &ctx.view.resources {
            let refs = match &r.body {
                Body::AuthorizationPolicy(p) => &p.target_refs,
                Body::RequestAuthentication(p) => &p.target_refs,
                Body::Telemetry(p) => &p.target_refs,
                Body::WasmPlugin(p) => &p.target_refs,
                _ => continue,
            };
            if !refs.is_empty() {
                m.entry((r.kind.to_string(), refs_key(refs)))
                    .or_default()
                    .push(r.clone());
            }
        }
        m
    });
    let Some(candidates) = attached.get(&(kind.to_string(), value_refs_key(refs))) else {
        return false;
    };
    candidates.iter().any(|r| match &r.body {
        Body::AuthorizationPolicy(p) => {
            content.get("action").and_then(|a| a.as_str()) == Some(p.action.as_str())
                && content.get("rules").cloned().unwrap_or(Value::Null) == p.rules_json.value()
        }
        Body::RequestAuthentication(p) => strip(&p.spec_json.value()) == strip(content),
        Body::Telemetry(p) => strip(&p.spec_json.value()) == strip(content),
        Body::WasmPlugin(p) => strip(&p.spec_json.value()) == strip(content),
        _ => false,
    })
}

/// Emit one copy attached by `refs`, for the services `targets`, unless an equivalent object
/// already exists.
pub fn copy(
    ctx: &mut NsCtx,
    c: &Copy,
    base_name: &str,
    refs: Vec<Value>,
    targets: &[String],
    extra: Option<String>,
) {
    let ns = ctx.ns().to_string();
    let probe = (c.build)("probe", refs.clone());
    let content = probe.get("spec").cloned().unwrap_or(Value::Null);
    if existing_copy(ctx, c.kind, &refs, &content) {
        return;
    }
    // an existing object with the base name that is not a copy is someone else's
    let name = ctx.generate_name(c.kind, base_name);
    let obj = (c.build)(&name, refs);
    let mut msg = format!(
        "Apply {}/{ns}/{name}: Existing configuration is copied from {} {} to be enforced at the waypoint.",
        c.kind,
        c.origin_desc,
        c.origin.ns_name()
    );
    if let Some(e) = extra {
        msg.push(' ');
        msg.push_str(&e);
    }
    let f = Finding::new(c.rule, msg)
        .on_node(c.origin, c.at)
        .action(Action::Apply {
            resource: Object::new(&obj),
            reason: format!(
                "{} {} copied to the waypoint",
                c.origin.kind,
                c.origin.ns_name()
            ),
        });
    ctx.emit(f);
    for t in targets {
        ctx.pending
            .entry(Target::service(t))
            .or_default()
            .push(PendingObject {
                item: format!("{}/{name}", c.kind),
                origin: format!("{}/{}", c.origin.kind, c.origin.name),
            });
    }
}

/// Whether the waypoint of this namespace is also used by other namespaces.
fn shared(ctx: &NsCtx, wp: &WaypointedService) -> bool {
    if wp.waypoint.ns != ctx.ns() {
        return true;
    }
    for other in ctx.index.users_of(&RefKey::Ns(ctx.ns().to_string())) {
        for r in ctx.index.ns(other).chain(ctx.index.namespace_object(other)) {
            if r.labels.get("istio.io/use-waypoint-namespace") == Some(ctx.ns())
                && r.labels.get("istio.io/use-waypoint") == Some(wp.waypoint.name.as_str())
            {
                return true;
            }
        }
    }
    false
}

/// Copies of a namespace-wide policy: to the waypoint Gateway when it serves only this
/// namespace, else to this namespace's Services, 16 per copy (the targetRefs limit).
/// `note_shared` explains the Service-targeted form in the finding instead of `extra`.
pub fn copy_namespace_wide(
    ctx: &mut NsCtx,
    c: &Copy,
    wps: &[&WaypointedService],
    extra: Option<String>,
    note_shared: bool,
) {
    let ns = ctx.ns().to_string();
    let mut groups: BTreeMap<(String, String), Vec<&WaypointedService>> = BTreeMap::new();
    for wp in wps {
        groups
            .entry((wp.waypoint.ns.clone(), wp.waypoint.name.clone()))
            .or_default()
            .push(wp);
    }
    let origin = &c.origin.name;
    for ((wns, wname), members) in groups {
        let names: Vec<String> = members.iter().map(|w| w.name.clone()).collect();
        if wns == ns && !shared(ctx, members[0]) {
            let refs = vec![fixes::target_ref_gateway(&wname)];
            copy(
                ctx,
                c,
                &format!("waypoint-{origin}"),
                refs,
                &names,
                extra.clone(),
            );
            continue;
        }
        // a headless Service's clients address its pods, whose traffic enters the waypoint on
        // the direct chain, where only Gateway/GatewayClass-attached policies apply (Istio
        // 1.26 `buildWaypointInboundHTTPFilters(nil, cc)`): a Service-targeted copy never
        // reaches it, so it gets none, and the gap blocks (P002/P007/P009 headless variants)
        let (headless, names): (Vec<String>, Vec<String>) = names.into_iter().partition(|n| {
            ctx.view
                .services
                .iter()
                .any(|sv| sv.name() == n.as_str() && sv.svc().is_headless())
        });
        for h in &headless {
            refuse_headless_shared(ctx, c, &wns, &wname, h);
        }
        if names.is_empty() {
            continue;
        }
        let chunk_extra = if note_shared {
            Some(format!("Waypoint \"{wns}/{wname}\" serves other namespaces too, so the copy targets this namespace's Services."))
        } else {
            extra.clone()
        };
        for (i, chunk) in names.chunks(16).enumerate() {
            let base = if i == 0 {
                format!("waypoint-{origin}")
            } else {
                format!("waypoint-{origin}-{}", i + 1)
            };
            let refs = chunk.iter().map(|n| fixes::target_ref_service(n)).collect();
            copy(ctx, c, &base, refs, chunk, chunk_extra.clone());
        }
    }
}

/// No Service-targeted copy of a namespace-wide policy for headless Service `svc` behind the
/// shared waypoint `wns/wname` (see `copy_namespace_wide`). A Telemetry is never copied this way.
fn refuse_headless_shared(ctx: &mut NsCtx, c: &Copy, wns: &str, wname: &str, svc: &str) {
    let Some(rule) = c.headless else {
        return;
    };
    let pol = c.origin;
    let f = Finding::new(
        rule,
        format!(
            "{} \"{}\" cannot be copied to waypoint \"{wns}/{wname}\" for Service \"{svc}\": the waypoint serves other namespaces too, so the copy could only target this namespace's Services, and \"{svc}\" is headless: its clients address the pods, and a waypoint applies to pod-addressed traffic only what is attached to its Gateway (or GatewayClass), so a copy with targetRefs kind Service would never be enforced. Give these pods a waypoint of their own namespace (the copy then targets its Gateway), or attach the copy to a waypoint dedicated to them (targetRefs kind Gateway). Until then keep the original (and, for these pods, their sidecars).",
            pol.kind,
            pol.ns_name(),
        ),
    )
    .on_node(pol, c.at);
    ctx.emit(f);
    ctx.refuse_copy(pol, Target::service(svc), true);
}

/// The copy of a mesh-wide policy (named later): a root-namespace AuthorizationPolicy,
/// RequestAuthentication or WasmPlugin without selector or targetRefs.
fn mesh_wide_copy_of(r: &Resource, root: &str) -> Option<Value> {
    let refs = || vec![fixes::target_ref_waypoint_class()];
    match &r.body {
        Body::AuthorizationPolicy(ap) if ap.selector.is_none() && ap.target_refs.is_empty() => {
            Some(fixes::authz_copy(
                "",
                root,
                refs(),
                ap.action.as_str(),
                ap.provider.as_deref(),
                &ap.rules_json.value(),
            ))
        }
        Body::RequestAuthentication(ra) if ra.selector.is_none() && ra.target_refs.is_empty() => {
            let spec = ra.spec_json.value();
            Some(fixes::spec_copy(
                &r.api_version,
                &r.kind,
                "",
                root,
                &spec,
                refs(),
            ))
        }
        Body::WasmPlugin(w) if w.selector.is_none() && w.target_refs.is_empty() => {
            let spec = w.spec_json.value();
            Some(fixes::spec_copy(
                &r.api_version,
                &r.kind,
                "",
                root,
                &spec,
                refs(),
            ))
        }
        _ => None,
    }
}

/// An object of the same kind in the root namespace already targets the class with this spec.
fn already_copied(root_res: &[Arc<Resource>], r: &Resource, want_spec: &Value) -> bool {
    root_res.iter().any(|o| {
        o.kind == r.kind
            && match &o.body {
                Body::AuthorizationPolicy(p) => {
                    p.target_refs.iter().any(|t| t.is_gateway_class())
                        && want_spec.get("rules").cloned().unwrap_or(Value::Null)
                            == p.rules_json.value()
                        && want_spec.get("action").and_then(|a| a.as_str())
                            == Some(p.action.as_str())
                }
                Body::RequestAuthentication(p) => {
                    p.target_refs.iter().any(|t| t.is_gateway_class())
                        && strip(&p.spec_json.value()) == strip(want_spec)
                }
                Body::WasmPlugin(p) => {
                    p.target_refs.iter().any(|t| t.is_gateway_class())
                        && strip(&p.spec_json.value()) == strip(want_spec)
                }
                _ => false,
            }
    })
}

/// Copies of the root namespace's mesh-wide policies of `kind` to every waypoint through
/// GatewayClass istio-waypoint (Istio 1.25+), when any waypoint is planned; reported as `rule`.
pub fn mesh_wide(g: &ClusterCtx, out: &mut Vec<Finding>, rule: &'static Rule, kind: &str) {
    if g.agg.with_waypoint == 0 {
        return;
    }
    let root = g.facts.root_ns.clone();
    let root_res = &g.facts.root_resources;
    let mut taken: BTreeSet<String> = root_res
        .iter()
        .map(|r| format!("{}/{}", r.kind, r.name))
        .collect();
    for r in root_res.iter().filter(|r| r.kind == kind) {
        let Some(mut obj) = mesh_wide_copy_of(r, &root) else {
            continue;
        };
        let want_spec = obj.get("spec").cloned().unwrap_or(Value::Null);
        if already_copied(root_res, r, &want_spec) {
            continue;
        }
        let mut name = fixes::k8s_name(&format!("waypoint-{}", r.name));
        let mut i = 2;
        while taken.contains(&format!("{}/{}", r.kind, name)) {
            name = fixes::k8s_name(&format!("waypoint-{}-{}", r.name, i));
            i += 1;
        }
        taken.insert(format!("{}/{}", r.kind, name));
        obj["metadata"]["name"] = Value::String(name.clone());
        let f = Finding::new(
            rule,
            format!(
                "Apply {}/{}/{}: Existing configuration is copied from mesh-wide {} {} to be enforced at every waypoint (targetRefs GatewayClass istio-waypoint, Istio 1.25+).",
                r.kind,
                root,
                name,
                r.kind,
                r.ns_name()
            ),
        )
        .on_node(r, r.name_span)
        .action(Action::Apply {
            resource: Object::new(&obj),
            reason: format!("{} {} copied to every waypoint", r.kind, r.ns_name()),
        });
        out.push(f);
    }
}
