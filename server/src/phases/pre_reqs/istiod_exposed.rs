//! PR-VM-003: an Istio Gateway exposes istiod (ports 15012/15017) through an east-west
//! gateway, for VMs or remote clusters.

use crate::analysis::NsCtx;
use crate::finding::Finding;
use crate::model::Body;
use crate::rules;

pub fn namespace(ctx: &mut NsCtx) {
    for r in ctx.view.resources.clone() {
        let Body::IstioGateway(g) = &r.body else {
            continue;
        };
        if let Some(s) = g
            .servers
            .iter()
            .find(|s| matches!(s.port, Some(15012) | Some(15017)))
        {
            ctx.emit(
                Finding::new(&rules::PR_VM_003, format!("Gateway \"{}\" exposes istiod (port {}) through an east-west gateway (VMs or remote clusters).", r.ns_name(), s.port.unwrap_or(0)))
                    .on_node(&r, s.span),
            );
        }
    }
}
