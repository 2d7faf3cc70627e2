//! PR-VM-001: a WorkloadGroup means VM onboarding; VMs cannot join ambient.

use crate::analysis::NsCtx;
use crate::finding::Finding;
use crate::model::Body;
use crate::rules;

pub fn namespace(ctx: &mut NsCtx) {
    for r in ctx.view.resources.clone() {
        if matches!(r.body, Body::WorkloadGroup) {
            ctx.emit(
                Finding::new(
                    &rules::PR_VM_001,
                    format!("WorkloadGroup \"{}\" indicates VM onboarding; VMs cannot join ambient. Keep those services on sidecar mode or remove the VMs first.", r.ns_name()),
                )
                .on_node(&r, r.name_span),
            );
        }
    }
}
