//! PR-FEAT-002: an EnvoyFilter patches the sidecars of workloads to be migrated; EnvoyFilter is
//! not supported on waypoints.

use crate::analysis::NsCtx;
use crate::finding::Finding;
use crate::model::Body;
use crate::rules;

pub fn namespace(ctx: &mut NsCtx) {
    for r in ctx.view.resources.clone() {
        let Body::EnvoyFilter(ef) = &r.body else {
            continue;
        };
        if !ef.patches_sidecars() || !ef.target_refs.is_empty() {
            continue;
        }
        let applies = match &ef.workload_selector {
            Some(s) => ctx
                .view
                .select(Some(&s.labels))
                .iter()
                .any(|&u| ctx.unit(u).ambient_bound()),
            None => !ctx.view.mode.system || ctx.is_root(),
        };
        if applies {
            ctx.emit(
                Finding::new(&rules::PR_FEAT_002, format!("EnvoyFilter \"{}\" patches sidecars of workloads to be migrated; EnvoyFilter is not supported on waypoints. Re-implement it with WasmPlugin or first-class APIs.", r.ns_name()))
                    .on_node(&r, ef.workload_selector.as_ref().map(|s| s.key_span).or(ef.patches_span).unwrap_or(r.name_span)),
            );
        }
    }
}
