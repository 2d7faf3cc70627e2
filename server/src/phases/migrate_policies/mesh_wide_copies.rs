//! P003, P007 and P009 for root-namespace policies without a selector: copied once to every
//! waypoint through GatewayClass istio-waypoint (Istio 1.25+), when any waypoint is planned.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::Value;

use super::copies::strip;
use crate::analysis::ClusterCtx;
use crate::finding::{Action, Finding, Object};
use crate::fixes;
use crate::model::{Body, Resource};
use crate::rules::{self, Rule};

/// The copy of a mesh-wide policy (named later), and the rule it is reported under.
fn copy_of(r: &Resource, root: &str) -> Option<(&'static Rule, Value)> {
    let refs = || vec![fixes::target_ref_waypoint_class()];
    match &r.body {
        Body::AuthorizationPolicy(ap) if ap.selector.is_none() && ap.target_refs.is_empty() => {
            Some((
                &rules::P003,
                fixes::authz_copy(
                    "",
                    root,
                    refs(),
                    ap.action.as_str(),
                    ap.provider.as_deref(),
                    &ap.rules_json.value(),
                ),
            ))
        }
        Body::RequestAuthentication(ra) if ra.selector.is_none() && ra.target_refs.is_empty() => {
            Some((
                &rules::P007,
                fixes::spec_copy(
                    &r.api_version,
                    &r.kind,
                    "",
                    root,
                    &ra.spec_json.value(),
                    refs(),
                ),
            ))
        }
        Body::WasmPlugin(w) if w.selector.is_none() && w.target_refs.is_empty() => Some((
            &rules::P009,
            fixes::spec_copy(
                &r.api_version,
                &r.kind,
                "",
                root,
                &w.spec_json.value(),
                refs(),
            ),
        )),
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

pub fn cluster(g: &ClusterCtx, out: &mut Vec<Finding>) {
    if !g.results.values().any(|r| r.summary.has_waypoint) {
        return;
    }
    let root = g.facts.root_ns.clone();
    let root_res = &g.facts.root_resources;
    let mut taken: BTreeSet<String> = root_res
        .iter()
        .map(|r| format!("{}/{}", r.kind, r.name))
        .collect();
    for r in root_res {
        let Some((rule, mut obj)) = copy_of(r, &root) else {
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
