//! PR-VM-004: a ServiceEntry selects WorkloadEntries (workloadSelector).

use crate::analysis::NsCtx;
use crate::finding::Finding;
use crate::model::Body;
use crate::rules;

pub fn namespace(ctx: &mut NsCtx) {
    for r in ctx.view.resources.clone() {
        let Body::ServiceEntry(se) = &r.body else {
            continue;
        };
        if let Some(ws) = &se.workload_selector {
            ctx.emit(
                Finding::new(
                    &rules::PR_VM_004,
                    format!(
                        "ServiceEntry \"{}\" selects WorkloadEntries (workloadSelector).",
                        r.ns_name()
                    ),
                )
                .on_node(&r, ws.key_span),
            );
        }
    }
}
