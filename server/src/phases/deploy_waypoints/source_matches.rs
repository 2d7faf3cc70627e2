//! W003: a VirtualService of this namespace matches on the client's identity (sourceLabels, or
//! a sourceNamespace other than the waypoint's), which a waypoint cannot reproduce.

use super::virtual_services::{effective_for, target_services};
use crate::analysis::mesh::waypoint_ns_for;
use crate::analysis::NsCtx;
use crate::finding::Finding;
use crate::model::Body;
use crate::rules;

pub fn namespace(ctx: &mut NsCtx) {
    let domain = ctx.facts.dns_domain.clone();
    for vsr in ctx.own("VirtualService") {
        let Body::VirtualService(vs) = &vsr.body else {
            continue;
        };
        if !vs.is_mesh_bound() {
            continue;
        }
        // the waypoint of the first service the VirtualService routes for
        let Some(svc) = target_services(ctx, &vsr, vs)
            .into_iter()
            .map(|(svc, _)| svc)
            .find(|svc| effective_for(&vsr, vs, svc, &domain))
        else {
            continue;
        };
        let wp_ns = waypoint_ns_for(ctx.index, ctx.facts, &svc);
        let matches = vs.http.iter().flat_map(|r| r.matches.iter()).chain(
            vs.tcp
                .iter()
                .chain(vs.tls.iter())
                .flat_map(|r| r.matches.iter()),
        );
        for m in matches {
            if let Some(sp) = m.source_labels {
                let f = Finding::new(
                    &rules::W003,
                    format!(
                        "VirtualService \"{}\" matches on client identity (sourceLabels); at a waypoint this match is dropped, so the route will behave differently. Use header-based matching or per-client Services.",
                        vsr.ns_name()
                    ),
                )
                .on_node(&vsr, sp);
                ctx.emit(f);
            }
            if let Some(sn) = m.source_namespace.as_ref().filter(|sn| sn.value != wp_ns) {
                let f = Finding::new(
                    &rules::W003,
                    format!(
                        "VirtualService \"{}\" matches on client identity (sourceNamespace: {}); at a waypoint this is compared with the waypoint's own namespace \"{}\", so the route will behave differently.",
                        vsr.ns_name(),
                        sn.value,
                        wp_ns
                    ),
                )
                .on_node(&vsr, sn.span);
                ctx.emit(f);
            }
        }
    }
}
