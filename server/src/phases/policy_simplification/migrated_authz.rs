//! S001 (an L7 workload policy that was copied to the waypoint) and S002 (an L4 identity
//! policy the waypoint enforces): delete the original once its pods are migrated. S001 is an
//! error when ztunnel, enforcing the original without its HTTP rules, would deny more.

use std::sync::Arc;

use super::keep_until_migrated::keep;
use super::originals::{after, original, pending_for};
use crate::analysis::authz::{
    allow_rule_dropped, deny_effect, depends_on_source_identity, l7_fields, DenyEffect,
};
use crate::analysis::NsCtx;
use crate::finding::Finding;
use crate::fixes::{delete_action, delete_command};
use crate::model::{AuthorizationPolicy, AuthzAction, Body, Resource};
use crate::rules::{self, Rule};

pub fn namespace(ctx: &mut NsCtx) {
    for r in ctx.view.resources.clone() {
        let Body::AuthorizationPolicy(ap) = &r.body else {
            continue;
        };
        let Some(o) = original(ctx, &r, ap) else {
            continue;
        };
        let l7 = !l7_fields(ap).is_empty()
            || matches!(ap.action, AuthzAction::Custom | AuthzAction::Audit);
        if ap.selector.is_none() || !(l7 || depends_on_source_identity(ap)) {
            continue;
        }
        // P001 refused the copy: nothing at the waypoint enforces it, the original stays
        if ctx
            .refused_copies
            .contains(&format!("{}/{}", r.kind, r.name))
        {
            continue;
        }
        if !o.with_sidecar.is_empty() {
            keep(ctx, &r, &o.with_sidecar);
            continue;
        }
        let pending = pending_for(ctx, &o.services, &r);
        let cmd = delete_command(&r.kind, &r.namespace, &r.name);
        let f = if l7 {
            let (rule, effect) = enforced_without_http(ctx, &r, ap, &o.units);
            let mut msg = format!(
                "AuthorizationPolicy was migrated and can be deleted: {cmd}{}",
                after(&pending)
            );
            if let Some(effect) = effect {
                msg.push_str(&format!(
                    ". \"{}\" is now enforced by ztunnel without its HTTP rules ({effect}).",
                    r.ns_name()
                ));
            }
            Finding::new(rule, msg)
        } else {
            let fw = o
                .services
                .iter()
                .map(|s| format!("\"{s}-from-waypoint\""))
                .collect::<Vec<_>>()
                .join(", ");
            Finding::new(
                &rules::S002,
                format!(
                    "\"{}\" can be deleted{}: its checks are enforced at the waypoint; at the workload only {fw} is needed. Keeping it lets the clients it lists reach the pods directly, bypassing the waypoint's policies: {cmd}",
                    r.ns_name(),
                    after(&pending)
                ),
            )
        };
        ctx.emit(f.on_node(&r, r.name_span).action(delete_action(&r)));
    }
}

/// Does keeping the original change behaviour now that ztunnel enforces it without its HTTP
/// rules? An ALLOW whose every rule is dropped denies what no other ALLOW admits; a DENY may
/// deny more.
fn enforced_without_http(
    ctx: &NsCtx,
    r: &Arc<Resource>,
    ap: &AuthorizationPolicy,
    units: &[usize],
) -> (&'static Rule, Option<String>) {
    let mut effect = None;
    if ap.action == AuthzAction::Allow
        && ap.rules.iter().all(allow_rule_dropped)
        && !ap.rules.is_empty()
    {
        let other_allow = ctx.scoped_policies().iter().any(|(o, _)| {
            !Arc::ptr_eq(o, r)
                && matches!(&o.body, Body::AuthorizationPolicy(oa) if oa.action == AuthzAction::Allow && oa.rules.iter().any(|x| !allow_rule_dropped(x)))
                && ctx.selected(o).iter().any(|u| units.contains(u))
        });
        if !other_allow {
            effect = Some("it denies everything not otherwise allowed".to_string());
        }
    } else if ap.action == AuthzAction::Deny {
        for rule in &ap.rules {
            if let DenyEffect::Broader(w) = deny_effect(rule) {
                effect = Some(w);
            }
        }
    }
    match effect {
        Some(e) => (&rules::S001_ENFORCED_WITHOUT_HTTP, Some(e)),
        None => (&rules::S001, None),
    }
}
