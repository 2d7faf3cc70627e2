//! P019: a service has both a VirtualService and an HTTPRoute/GRPCRoute; mixing the two APIs
//! is unsupported in ambient.

use crate::analysis::{NsCtx, TargetKind};
use crate::finding::Finding;
use crate::rules;

pub fn namespace(ctx: &mut NsCtx) {
    for (t, reasons) in ctx.reasons.clone() {
        if t.kind != TargetKind::Service {
            continue;
        }
        let vs: Vec<&String> = reasons
            .iter()
            .filter(|r| r.rule.id == rules::W001.id || r.rule.id == rules::W002.id)
            .map(|r| &r.what)
            .collect();
        let routes: Vec<&String> = reasons
            .iter()
            .filter(|r| {
                r.rule.id == rules::W016.id
                    && (r.what.starts_with("HTTPRoute") || r.what.starts_with("GRPCRoute"))
            })
            .map(|r| &r.what)
            .collect();
        if vs.is_empty() || routes.is_empty() {
            continue;
        }
        let Some((_, sv)) = ctx.view.service(&t.name) else {
            continue;
        };
        let res = sv.res.clone();
        ctx.emit(
            Finding::new(
                &rules::P019,
                format!(
                    "Mixing VirtualService and HTTPRoute for \"{}\" is unsupported in ambient (undefined behaviour): {} and {}. Keep one API.",
                    res.ns_name(),
                    vs.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "),
                    routes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                ),
            )
            .on_node(&res, res.name_span),
        );
    }
}
