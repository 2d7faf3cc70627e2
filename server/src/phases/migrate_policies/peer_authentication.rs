//! P012: PeerAuthentication differences in ambient: mTLS cannot be disabled for ambient
//! workloads (DISABLE acts like PERMISSIVE); a root-namespace one with a selector is ignored.

use crate::analysis::NsCtx;
use crate::finding::Finding;
use crate::model::Body;
use crate::rules;

pub fn namespace(ctx: &mut NsCtx) {
    for (r, root) in ctx.scoped_policies() {
        let Body::PeerAuthentication(pa) = &r.body else {
            continue;
        };
        if root && r.namespace != ctx.ns() {
            continue; // root policies are reported once, by the root namespace
        }
        if root && pa.selector.is_some() {
            ctx.emit(
                Finding::new(
                    &rules::P012_ROOT_SELECTOR,
                    format!("PeerAuthentication \"{}\" has a selector in the root namespace; the ztunnel conversion ignores it.", r.ns_name()),
                )
                .on_node(&r, pa.selector.as_ref().map(|s| s.key_span).unwrap_or(r.name_span)),
            );
        }
        let Some(span) = pa.disable_span() else {
            continue;
        };
        let applies = root
            || ctx
                .selected(&r)
                .iter()
                .any(|&u| ctx.unit(u).ambient_bound());
        if !applies {
            continue;
        }
        ctx.emit(
            Finding::new(
                &rules::P012,
                format!(
                    "PeerAuthentication \"{}\": mTLS cannot be disabled for ambient workloads; DISABLE is treated like PERMISSIVE (plaintext accepted inbound, HBONE still used between mesh pods).",
                    r.ns_name()
                ),
            )
            .on_node(&r, span),
        );
    }
}
