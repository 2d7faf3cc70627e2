//! P017: a dry-run AuthorizationPolicy on ambient workloads: ztunnel supports dry-run only from
//! Istio 1.29 behind a flag (earlier conversions may enforce it).

use super::ztunnel_enforced::policies;
use crate::analysis::NsCtx;
use crate::finding::Finding;
use crate::rules;

pub fn namespace(ctx: &mut NsCtx) {
    for r in policies(ctx) {
        let dry_run = r
            .annotations
            .get("istio.io/dry-run")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        if !dry_run {
            continue;
        }
        ctx.emit(
            Finding::new(
                &rules::P017,
                format!(
                    "AuthorizationPolicy \"{}\" is a dry-run policy. ztunnel support for dry-run policies exists only from Istio 1.29, behind AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY (earlier conversions may enforce it); verify how your version treats it before removing sidecars.",
                    r.ns_name()
                ),
            )
            .on_node(
                &r,
                r.annotations
                    .entry("istio.io/dry-run")
                    .map(|l| l.key_span)
                    .unwrap_or(r.name_span),
            ),
        );
    }
}
