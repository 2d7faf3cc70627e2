//! PR-MC-004: a sidecar-mode east-west gateway (AUTO_PASSTHROUGH server, east-west Gateway
//! class, or its Service), to be replaced by an ambient east-west gateway.

use crate::analysis::NsCtx;
use crate::finding::Finding;
use crate::model::Body;
use crate::rules;

pub fn namespace(ctx: &mut NsCtx) {
    for r in ctx.view.resources.clone() {
        let f = match &r.body {
            Body::IstioGateway(g) => g
                .servers
                .iter()
                .find(|s| s.tls_mode.as_deref() == Some("AUTO_PASSTHROUGH"))
                .map(|s| {
                    Finding::new(&rules::PR_MC_004, format!("East-west gateway \"{}\" found (AUTO_PASSTHROUGH, sidecar multi-network); replace it with an ambient east-west gateway when migrating.", r.ns_name()))
                        .on_node(&r, s.span)
                }),
            Body::Gateway(g) if matches!(g.class.as_str(), "istio-east-west" | "istio-remote") => {
                Some(
                    Finding::new(
                        &rules::PR_MC_004,
                        format!(
                            "Gateway \"{}\" of class {} found (multi-network).",
                            r.ns_name(),
                            g.class
                        ),
                    )
                    .on_node(&r, g.class_span.unwrap_or(r.name_span)),
                )
            }
            Body::Service(s)
                if r.labels.get("istio") == Some("eastwestgateway")
                    || s.ports.iter().any(|p| p.port == 15443) =>
            {
                Some(
                    Finding::new(&rules::PR_MC_004, format!("East-west gateway Service \"{}\" found (sidecar multi-network); replace it with an ambient east-west gateway when migrating.", r.ns_name()))
                        .on_node(&r, r.name_span),
                )
            }
            _ => None,
        };
        if let Some(f) = f {
            ctx.emit(f);
        }
    }
}
