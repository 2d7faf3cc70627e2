//! S009: keep an original policy until the pods it selects are migrated — sidecars do not use
//! the waypoint copies. (Called by the rules that would otherwise delete it.)

use std::sync::Arc;

use crate::analysis::NsCtx;
use crate::finding::{workloads_list, Finding};
use crate::fixes::delete_command;
use crate::model::Resource;
use crate::rules;

pub fn keep(ctx: &mut NsCtx, r: &Arc<Resource>, with_sidecar: &[usize]) {
    let names: Vec<String> = with_sidecar.iter().map(|&u| ctx.unit(u).short()).collect();
    let f = Finding::new(
        &rules::S009,
        format!(
            "Keep \"{}\" until the pods of {} are migrated; sidecars do not use waypoint copies. After their sidecars are removed: {}",
            r.ns_name(),
            workloads_list(&names),
            delete_command(&r.kind, &r.namespace, &r.name)
        ),
    )
    .on_node(r, r.name_span);
    ctx.emit(f);
}
