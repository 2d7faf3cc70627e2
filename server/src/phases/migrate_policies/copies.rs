//! Copies of sidecar-era policies that the waypoint enforces (shared by the copy rules): an
//! `Apply` finding with the copy, unless an equivalent object already exists, and the pending
//! object recorded for the ordering guard and the simplification phase.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::Value;

use super::waypointed::WaypointedService;
use crate::analysis::context::PendingObject;
use crate::analysis::{NsCtx, Target};
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
    let want = value_refs_key(refs);
    ctx.view.resources.iter().any(|r| {
        if r.kind != kind {
            return false;
        }
        match &r.body {
            Body::AuthorizationPolicy(p) => {
                !p.target_refs.is_empty()
                    && refs_key(&p.target_refs) == want
                    && content.get("action").and_then(|a| a.as_str()) == Some(p.action.as_str())
                    && content.get("rules").cloned().unwrap_or(Value::Null) == p.rules_json.value()
            }
            Body::RequestAuthentication(p) => {
                !p.target_refs.is_empty()
                    && refs_key(&p.target_refs) == want
                    && strip(&p.spec_json.value()) == strip(content)
            }
            Body::Telemetry(p) => {
                !p.target_refs.is_empty()
                    && refs_key(&p.target_refs) == want
                    && strip(&p.spec_json.value()) == strip(content)
            }
            Body::WasmPlugin(p) => {
                !p.target_refs.is_empty()
                    && refs_key(&p.target_refs) == want
                    && strip(&p.spec_json.value()) == strip(content)
            }
            _ => false,
        }
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
