//! S003: a namespace-wide ALLOW policy copied to the waypoint can be deleted — unless some
//! ambient workloads have no other ALLOW policy: then it is still their default-deny at
//! ztunnel, and it stays (a warning).

use std::sync::Arc;

use super::keep_until_migrated::keep;
use super::originals::{after, original, pending_for};
use crate::analysis::authz::allow_rule_dropped;
use crate::analysis::NsCtx;
use crate::finding::{workloads_list, Finding};
use crate::fixes::{delete_action, delete_command};
use crate::model::{AuthzAction, Body, Resource};
use crate::rules;

pub fn namespace(ctx: &mut NsCtx) {
    for r in ctx.view.resources.clone() {
        let Body::AuthorizationPolicy(ap) = &r.body else {
            continue;
        };
        if ap.selector.is_some() || ap.action != AuthzAction::Allow {
            continue;
        }
        let Some(o) = original(ctx, &r, ap) else {
            continue;
        };
        if !o.with_sidecar.is_empty() {
            keep(ctx, &r, &o.with_sidecar);
            continue;
        }
        let uncovered = uncovered(ctx, &r);
        if uncovered.is_empty() {
            let pending = pending_for(ctx, &o.services, &r);
            let cmd = delete_command(&r.kind, &r.namespace, &r.name);
            ctx.emit(
                Finding::new(
                    &rules::S003,
                    format!(
                        "AuthorizationPolicy was migrated and can be deleted: {cmd}{}",
                        after(&pending)
                    ),
                )
                .on_node(&r, r.name_span)
                .action(delete_action(&r)),
            );
        } else {
            ctx.emit(
                Finding::new(
                    &rules::S003_KEEP,
                    format!(
                        "Keep \"{}\": {} have no other ALLOW policy and would become open (it is still ztunnel's default-deny for them).",
                        r.ns_name(),
                        workloads_list(&uncovered)
                    ),
                )
                .on_node(&r, r.name_span),
            );
        }
    }
}

/// Ambient-bound workloads that no other ALLOW policy (with a rule ztunnel keeps) selects.
fn uncovered(ctx: &NsCtx, r: &Arc<Resource>) -> Vec<String> {
    let scoped = ctx.scoped_policies();
    ctx.view
        .units
        .iter()
        .enumerate()
        .filter(|(_, u)| u.ambient_bound())
        .filter(|(ui, _)| {
            !scoped.iter().any(|(o, _)| {
                !Arc::ptr_eq(o, r)
                    && matches!(&o.body, Body::AuthorizationPolicy(oa) if oa.action == AuthzAction::Allow && oa.rules.iter().any(|x| !allow_rule_dropped(x)))
                    && ctx.selected(o).contains(ui)
            })
        })
        .map(|(_, u)| u.short())
        .collect()
}
