//! P002: copy a namespace-wide AuthorizationPolicy of this namespace to the waypoint (or to
//! this namespace's Services when the waypoint serves other namespaces too).

use serde_json::Value;

use super::copies::{copy_namespace_wide, Copy};
use super::waypointed::WaypointedService;
use crate::analysis::NsCtx;
use crate::fixes;
use crate::model::Body;
use crate::rules;

pub fn namespace(ctx: &mut NsCtx, wps: &[WaypointedService]) {
    if ctx.is_root() || wps.is_empty() {
        return;
    }
    let ns = ctx.ns().to_string();
    for (pol, root) in ctx.scoped_policies() {
        let Body::AuthorizationPolicy(ap) = &pol.body else {
            continue;
        };
        if root || ap.selector.is_some() {
            continue;
        }
        let action = ap.action.as_str().to_string();
        let provider = ap.provider.clone();
        let rules_json = ap.rules_json.value();
        let ns2 = ns.clone();
        let build = move |name: &str, refs: Vec<Value>| {
            fixes::authz_copy(name, &ns2, refs, &action, provider.as_deref(), &rules_json)
        };
        let c = Copy {
            rule: &rules::P002,
            headless: Some(&rules::P002_HEADLESS),
            kind: "AuthorizationPolicy",
            origin: &pol,
            origin_desc: "namespace policy",
            at: if ap.has_spec {
                pol.name_span
            } else {
                ap.spec_span
            },
            build: &build,
        };
        let all: Vec<&WaypointedService> = wps.iter().collect();
        copy_namespace_wide(ctx, &c, &all, None, true);
    }
}
