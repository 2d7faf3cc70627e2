//! PR-VER-006: a Pod's sidecar runs a proxy older than its control plane (or below 1.25).

use crate::analysis::mesh::{proxy_version, sidecar_revision};
use crate::analysis::NsCtx;
use crate::finding::Finding;
use crate::model::Body;
use crate::rules;

pub fn namespace(ctx: &mut NsCtx) {
    for r in ctx.own("Pod") {
        let Body::Workload(w) = &r.body else { continue };
        let Some(proxy) = w.istio_proxy() else {
            continue;
        };
        let Some(pv) = proxy_version(proxy) else {
            continue;
        };
        let rev = sidecar_revision(w);
        let cp = ctx
            .facts
            .istiods
            .iter()
            .find(|i| i.revision == ctx.facts.resolve_rev(&rev))
            .or(ctx.facts.istiods.first());
        let cpv = cp.and_then(|c| c.version.clone());
        let older = match &cpv {
            Some(c) => (pv.major, pv.minor) < (c.major, c.minor),
            None => false,
        };
        if !older && pv.at_least(1, 25) {
            continue;
        }
        let msg = match &cpv {
            Some(c) if older => format!(
                "Pod \"{}\" runs proxy {} older than control plane {}.",
                r.ns_name(),
                pv,
                c
            ),
            _ => format!("Pod \"{}\" runs proxy {}, below 1.25.", r.ns_name(), pv),
        };
        ctx.emit(
            Finding::new(
                &rules::PR_VER_006,
                format!("{msg} Restart workloads after the control-plane upgrade."),
            )
            .on_node(&r, proxy.span),
        );
    }
}
