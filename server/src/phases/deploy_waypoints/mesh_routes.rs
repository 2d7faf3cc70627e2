//! W016: a Gateway API route (GAMMA) attaches to a Service of this namespace; in ambient only a
//! waypoint serving that service applies it.

use crate::analysis::{NsCtx, Target};
use crate::finding::Finding;
use crate::model::Body;
use crate::rules;

pub fn namespace(ctx: &mut NsCtx) {
    let mut routes = Vec::new();
    for kind in ["HTTPRoute", "GRPCRoute", "TCPRoute", "TLSRoute"] {
        routes.extend(ctx.visible(kind, &[]));
    }
    for rr in routes {
        let Body::Route(rt) = &rr.body else { continue };
        for p in &rt.parent_refs {
            let pns = p.r.namespace.as_deref().unwrap_or(&rr.namespace);
            if pns != ctx.ns() || !p.r.is_service() {
                continue;
            }
            let Some((_, sv)) = ctx.view.service(&p.r.name) else {
                continue;
            };
            let svc = sv.res.clone();
            let f = Finding::new(
                &rules::W016,
                format!(
                    "{} \"{}\" attaches to Service \"{}\"; in ambient only a waypoint serving that service applies it.",
                    rr.kind,
                    rr.ns_name(),
                    svc.ns_name()
                ),
            )
            .on_node(&rr, p.r.span)
            .ns(ctx.ns())
            .related(&svc, svc.name_span, "the parent service");
            ctx.emit_need(f, vec![Target::service(&svc.name)]);
            ctx.add_reason(Target::service(&svc.name), &rules::W016, rr.quoted());
        }
    }
}
