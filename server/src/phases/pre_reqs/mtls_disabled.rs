//! PR-FEAT-001: a PeerAuthentication disables mTLS, which ambient always enforces between mesh
//! workloads.

use crate::analysis::NsCtx;
use crate::finding::Finding;
use crate::model::Body;
use crate::rules;

pub fn namespace(ctx: &mut NsCtx) {
    for r in ctx.view.resources.clone() {
        let Body::PeerAuthentication(pa) = &r.body else {
            continue;
        };
        if let Some(span) = pa.disable_span() {
            ctx.emit(
                Finding::new(
                    &rules::PR_FEAT_001,
                    format!("PeerAuthentication \"{}\" disables mTLS; ambient always enforces mTLS between mesh workloads. Remove or change it before migrating.", r.ns_name()),
                )
                .on_node(&r, span),
            );
        }
    }
}
