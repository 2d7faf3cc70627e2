//! P018: policies attached by `targetRefs` that Istio 1.26 rejects. The rules are Istio's own
//! (`pkg/config/validation/validation.go`: `validateOneOfSelectorType`,
//! `validatePolicyTargetReference`; the CRDs' `maxItems: 16` and `self.size() == 0` on
//! `targetRefs[].namespace`): at most 16 targetRefs, not both a selector and targetRefs, no
//! `namespace` on a targetRef, and only Service, ServiceEntry, Gateway or GatewayClass targets.
//! A rejected object is never applied, so the policy it carries is missing. Checked on the
//! policies of the workspace (a hand-written waypoint policy) and on every object this phase
//! generated (a guard: the copies must never be rejected).

use serde_json::Value;

use crate::analysis::NsCtx;
use crate::finding::{Action, Finding};
use crate::model::{Body, TargetRef};
use crate::rules;

/// A targetRef as Istio validates it: group, kind, namespace.
struct Ref {
    group: String,
    kind: String,
    namespace: Option<String>,
}

/// Why Istio's validation (webhook or CRD schema) rejects a policy with these attachments.
fn rejections(has_selector: bool, refs: &[Ref]) -> Vec<String> {
    let mut out = Vec::new();
    if has_selector && !refs.is_empty() {
        out.push("only one of targetRefs or selector can be set".to_string());
    }
    if refs.len() > 16 {
        out.push(format!("{} targetRefs, at most 16 are allowed", refs.len()));
    }
    if refs
        .iter()
        .any(|r| r.namespace.as_deref().is_some_and(|n| !n.is_empty()))
    {
        out.push(
            "targetRef namespace must not be set (cross namespace referencing is not supported)"
                .to_string(),
        );
    }
    for r in refs {
        let group = if r.group.is_empty() { "core" } else { &r.group };
        let allowed = matches!(
            (group, r.kind.as_str()),
            ("core", "Service")
                | ("networking.istio.io", "ServiceEntry")
                | ("gateway.networking.k8s.io", "Gateway")
                | ("gateway.networking.k8s.io", "GatewayClass")
        );
        if !allowed {
            out.push(format!(
                "targetRef must be to a Service, ServiceEntry, Gateway or GatewayClass but was {}/{}",
                r.group, r.kind
            ));
        }
    }
    out
}

fn from_model(refs: &[TargetRef]) -> Vec<Ref> {
    refs.iter()
        .map(|t| Ref {
            group: t.group.clone(),
            kind: t.kind.clone(),
            namespace: t.namespace.clone(),
        })
        .collect()
}

fn from_json(spec: &Value) -> (bool, Vec<Ref>) {
    let field = |v: &Value, k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
    let mut refs: Vec<Ref> = Vec::new();
    let items = spec
        .get("targetRefs")
        .and_then(|r| r.as_array())
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .chain(spec.get("targetRef").cloned());
    for v in items {
        refs.push(Ref {
            group: field(&v, "group").unwrap_or_default(),
            kind: field(&v, "kind").unwrap_or_default(),
            namespace: field(&v, "namespace"),
        });
    }
    let has_selector = spec.get("selector").is_some_and(|s| !s.is_null());
    (has_selector, refs)
}

const KINDS: [&str; 4] = [
    "AuthorizationPolicy",
    "RequestAuthentication",
    "Telemetry",
    "WasmPlugin",
];

pub fn namespace(ctx: &mut NsCtx) {
    // the workspace's policies
    for r in ctx.view.resources.clone() {
        let (has_selector, refs, span) = match &r.body {
            Body::AuthorizationPolicy(p) => {
                (p.selector.is_some(), &p.target_refs, p.target_refs_span)
            }
            Body::RequestAuthentication(p) => {
                (p.selector.is_some(), &p.target_refs, p.target_refs_span)
            }
            Body::Telemetry(p) => (p.selector.is_some(), &p.target_refs, None),
            Body::WasmPlugin(p) => (p.selector.is_some(), &p.target_refs, None),
            _ => continue,
        };
        if refs.is_empty() {
            continue;
        }
        let why = rejections(has_selector, &from_model(refs));
        if why.is_empty() {
            continue;
        }
        let at = span
            .or_else(|| refs.first().map(|t| t.span))
            .unwrap_or(r.name_span);
        let f = Finding::new(
            &rules::P018,
            format!(
                "{} \"{}\" would be rejected by Istio's validation: {}. It is never applied, so the policy it carries is missing. {}",
                r.kind,
                r.ns_name(),
                why.join("; "),
                advice(&why),
            ),
        )
        .on_node(&r, at);
        ctx.emit(f);
    }

    // the objects this phase generated
    let mut generated = Vec::new();
    for f in &ctx.out {
        for a in &f.actions {
            if let Action::Apply { resource, .. } = a {
                let obj = resource.value();
                let kind = obj.get("kind").and_then(|k| k.as_str()).unwrap_or("");
                if !KINDS.contains(&kind) {
                    continue;
                }
                let spec = obj.get("spec").cloned().unwrap_or(Value::Null);
                let (has_selector, refs) = from_json(&spec);
                let why = rejections(has_selector, &refs);
                if !why.is_empty() {
                    let name = obj["metadata"]["name"].as_str().unwrap_or("").to_string();
                    generated.push((f.clone(), kind.to_string(), name, why));
                }
            }
        }
    }
    for (origin, kind, name, why) in generated {
        let mut f = Finding::new(
            &rules::P018,
            format!(
                "The generated {kind} \"{}/{name}\" would be rejected: {}. Do not apply it; {}",
                ctx.ns(),
                why.join("; "),
                advice(&why),
            ),
        );
        f.location = origin.location;
        f.resource = origin.resource.clone();
        ctx.emit(f);
    }
}

/// What to do about each reason.
fn advice(why: &[String]) -> String {
    let mut out = Vec::new();
    if why.iter().any(|w| w.starts_with("only one of")) {
        out.push("Keep targetRefs (enforced at the waypoint) in one object and the selector (enforced at the workload) in another.");
    }
    if why.iter().any(|w| w.contains("at most 16")) {
        out.push("Split it into objects of at most 16 targetRefs each.");
    }
    if why.iter().any(|w| w.starts_with("targetRef namespace")) {
        out.push("Create the policy in the namespace of its target and drop the namespace field.");
    }
    if why.iter().any(|w| w.starts_with("targetRef must be")) {
        out.push("Attach it to the Service (group \"\"), ServiceEntry, waypoint Gateway or GatewayClass instead.");
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn generated_shapes_are_checked_like_istio() {
        let ok = json!({"targetRefs": [{"kind": "Service", "group": "", "name": "a"}]});
        let (s, r) = from_json(&ok);
        assert!(rejections(s, &r).is_empty());
        let refs: Vec<Value> = (0..17)
            .map(|i| json!({"kind": "Service", "group": "", "name": format!("s{i}")}))
            .collect();
        let (s, r) = from_json(&json!({"targetRefs": refs}));
        assert_eq!(
            rejections(s, &r),
            vec!["17 targetRefs, at most 16 are allowed"]
        );
        let both = json!({"selector": {"matchLabels": {"app": "a"}}, "targetRef": {"kind": "Gateway", "group": "gateway.networking.k8s.io", "name": "waypoint", "namespace": "other"}});
        let (s, r) = from_json(&both);
        let why = rejections(s, &r);
        assert_eq!(why.len(), 2, "{why:?}");
        let pod = json!({"targetRefs": [{"kind": "Pod", "group": "", "name": "a"}]});
        let (s, r) = from_json(&pod);
        assert_eq!(rejections(s, &r).len(), 1);
    }
}
