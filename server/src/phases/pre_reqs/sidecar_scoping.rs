//! PR-FEAT-003: Sidecar resources scope sidecar configuration; ambient does not use them.

use crate::analysis::NsCtx;
use crate::finding::Finding;
use crate::model::Body;
use crate::rules;

pub fn namespace(ctx: &mut NsCtx) {
    for r in ctx.view.resources.clone() {
        if let Body::Sidecar(_) = &r.body {
            ctx.emit(Finding::new(&rules::PR_FEAT_003, format!("Sidecar \"{}\": Sidecar scoping resources are not used by ambient; plan their removal.", r.ns_name())).on_node(&r, r.name_span));
        }
    }
}
