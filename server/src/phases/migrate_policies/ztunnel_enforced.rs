//! The AuthorizationPolicies that stay enforced by ztunnel for ambient workloads (shared by
//! P016 and P017): those of this namespace that select ambient-bound workloads, and the root
//! namespace's own (reported once, in the root namespace).

use std::sync::Arc;

use crate::analysis::NsCtx;
use crate::model::{AuthorizationPolicy, Body, Resource};

pub fn policies(ctx: &NsCtx) -> Vec<Arc<Resource>> {
    ctx.scoped_policies()
        .into_iter()
        .filter(|(r, root)| {
            if !matches!(r.body, Body::AuthorizationPolicy(_)) {
                return false;
            }
            if *root {
                r.namespace == ctx.ns()
            } else {
                ctx.selected(r).iter().any(|&u| ctx.unit(u).ambient_bound())
            }
        })
        .map(|(r, _)| r)
        .collect()
}

pub fn authz(r: &Resource) -> &AuthorizationPolicy {
    match &r.body {
        Body::AuthorizationPolicy(ap) => ap,
        _ => unreachable!("policies() returns AuthorizationPolicies"),
    }
}
