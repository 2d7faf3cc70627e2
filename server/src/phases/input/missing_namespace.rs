//! INPUT-001: a namespace has no Namespace manifest in the input, so its labels are unknown and
//! its workloads are assumed to run with injected sidecars.

use crate::analysis::mesh::Injection;
use crate::analysis::NsCtx;
use crate::finding::Finding;
use crate::rules;

pub fn namespace(ctx: &mut NsCtx) {
    if ctx.view.mode.injection != Injection::Assumed || ctx.view.resources.is_empty() {
        return;
    }
    let ns = ctx.ns();
    let f = ctx.at_anchor(Finding::new(
        &rules::INPUT_001,
        format!("Namespace \"{ns}\" has no Namespace manifest in the input; its workloads are assumed to run with injected sidecars. Include the Namespace to use its real labels."),
    ));
    ctx.emit(f);
}
