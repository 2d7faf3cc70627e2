//! W022: an HTTP/2 or gRPC service with no waypoint need: ztunnel balances per connection, not
//! per request.

use crate::analysis::{NsCtx, Target};
use crate::finding::Finding;
use crate::rules;

pub fn namespace(ctx: &mut NsCtx) {
    let mut found = Vec::new();
    for sv in &ctx.view.services {
        if sv.infra
            || ctx.reasons.contains_key(&Target::service(sv.name()))
            || sv.binding.waypoint().is_some()
            || !sv.units.iter().any(|&u| ctx.view.units[u].ambient_bound())
        {
            continue;
        }
        let h2 = sv.svc().ports.iter().find(|p| {
            matches!(
                p.app_protocol.as_deref(),
                Some("grpc" | "http2" | "kubernetes.io/h2c" | "grpc-web")
            ) || p.name.as_deref().is_some_and(|n| {
                n == "grpc" || n == "http2" || n.starts_with("grpc-") || n.starts_with("http2-")
            })
        });
        if let Some(p) = h2 {
            found.push(
                Finding::new(
                    &rules::W022,
                    format!(
                        "\"{}\" speaks HTTP/2 or gRPC (port {}); without a waypoint ztunnel balances per connection, not per request. Consider a waypoint.",
                        sv.res.ns_name(),
                        p.port
                    ),
                )
                .on_node(&sv.res, p.span),
            );
        }
    }
    for f in found {
        ctx.emit(f);
    }
}
