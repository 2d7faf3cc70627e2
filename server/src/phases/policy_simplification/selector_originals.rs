//! S005: a selector RequestAuthentication, Telemetry, WasmPlugin or EnvoyFilter (or a
//! namespace-wide RequestAuthentication/WasmPlugin, copied to the waypoint) only affected
//! sidecars: delete it once its pods are migrated.

use super::keep_until_migrated::keep;
use crate::analysis::context::policy_selector;
use crate::analysis::NsCtx;
use crate::finding::Finding;
use crate::fixes::{delete_action, delete_command};
use crate::model::Body;
use crate::rules;

pub fn namespace(ctx: &mut NsCtx) {
    for r in ctx.view.resources.clone() {
        if !matches!(
            r.body,
            Body::RequestAuthentication(_)
                | Body::Telemetry(_)
                | Body::WasmPlugin(_)
                | Body::EnvoyFilter(_)
        ) {
            continue;
        }
        let Some(sel) = policy_selector(&r) else {
            continue;
        };
        // no copy could be made (a headless Service: P007/P008/P009): the original stays
        if ctx
            .refused_copies
            .contains(&format!("{}/{}", r.kind, r.name))
        {
            continue;
        }
        let units: Vec<usize> = match sel {
            // namespace-wide: RA/Wasm were copied to the Gateway; Telemetry already applies
            // to waypoints and EnvoyFilters are never copied
            None if !matches!(r.body, Body::RequestAuthentication(_) | Body::WasmPlugin(_)) => {
                continue
            }
            None => ctx
                .view
                .units
                .iter()
                .enumerate()
                .filter(|(_, u)| u.ambient_bound())
                .map(|(i, _)| i)
                .collect(),
            Some(_) => ctx.selected_ambient(&r),
        };
        if units.is_empty() {
            continue;
        }
        let copied =
            matches!(r.body, Body::EnvoyFilter(_)) || !ctx.waypointed_services(&units).is_empty();
        if !copied {
            continue;
        }
        let with_sidecar: Vec<usize> = units
            .iter()
            .copied()
            .filter(|&u| ctx.unit(u).has_sidecar())
            .collect();
        if !with_sidecar.is_empty() {
            keep(ctx, &r, &with_sidecar);
            continue;
        }
        ctx.emit(
            Finding::new(
                &rules::S005,
                format!(
                    "{} \"{}\" only affected sidecars and can be deleted: {}",
                    r.kind,
                    r.ns_name(),
                    delete_command(&r.kind, &r.namespace, &r.name)
                ),
            )
            .on_node(&r, r.name_span)
            .action(delete_action(&r)),
        );
    }
}
