//! PR-VM-002: a WorkloadEntry (an auto-registered VM fails the check; a static entry, a VM or
//! an external endpoint, is a warning).

use crate::analysis::NsCtx;
use crate::finding::Finding;
use crate::model::Body;
use crate::rules;

pub fn namespace(ctx: &mut NsCtx) {
    for r in ctx.view.resources.clone() {
        let Body::WorkloadEntry(_) = &r.body else {
            continue;
        };
        let auto = r.annotations.has("istio.io/autoRegistrationGroup");
        let rule = if auto {
            &rules::PR_VM_002
        } else {
            &rules::PR_VM_002_STATIC
        };
        let f = Finding::new(
            rule,
            format!(
                "WorkloadEntry \"{}\" ({}) found; VMs cannot join ambient.",
                r.ns_name(),
                if auto {
                    "auto-registered VM endpoint"
                } else {
                    "VM or external endpoint"
                }
            ),
        )
        .on_node(&r, r.name_span);
        ctx.emit(f);
    }
}
