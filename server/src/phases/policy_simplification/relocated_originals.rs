//! S008: a client-side VirtualService or DestinationRule whose host lives in another namespace
//! that now has its own config for the host (the relocated copy): delete the old one once no
//! client of this namespace has a sidecar.

use crate::analysis::mesh::normalize_host;
use crate::analysis::NsCtx;
use crate::finding::Finding;
use crate::fixes::{delete_action, delete_command};
use crate::model::refs::{host_ref, RefKey};
use crate::model::{Body, Resource};
use crate::rules;

/// The hosts of a mesh VirtualService, or of a client-side DestinationRule (workloadSelector,
/// or exported only to its own namespace).
fn client_side_hosts(r: &Resource) -> Option<Vec<String>> {
    match &r.body {
        Body::VirtualService(vs) if vs.is_mesh_bound() => {
            Some(vs.hosts.iter().map(|h| h.value.clone()).collect())
        }
        Body::DestinationRule(dr)
            if dr.workload_selector.is_some()
                || dr
                    .export_to
                    .as_ref()
                    .is_some_and(|e| e.iter().any(|x| x == ".")) =>
        {
            Some(dr.host.iter().map(|h| h.value.clone()).collect())
        }
        _ => None,
    }
}

/// A config of the same kind for `pat` exists in `target_ns`.
fn relocated(ctx: &NsCtx, r: &Resource, target_ns: &str, pat: &str) -> bool {
    let domain = &ctx.facts.dns_domain;
    ctx.index.ns(target_ns).any(|o| {
        o.kind == r.kind
            && match &o.body {
                Body::VirtualService(vs) => vs
                    .hosts
                    .iter()
                    .any(|oh| normalize_host(&oh.value, &o.namespace, domain) == pat),
                Body::DestinationRule(dr) => dr
                    .host
                    .as_ref()
                    .is_some_and(|oh| normalize_host(&oh.value, &o.namespace, domain) == pat),
                _ => false,
            }
    })
}

pub fn namespace(ctx: &mut NsCtx) {
    if ctx.view.units.iter().any(|u| u.has_sidecar()) {
        return;
    }
    let domain = ctx.facts.dns_domain.clone();
    for r in ctx.view.resources.clone() {
        let Some(hosts) = client_side_hosts(&r) else {
            continue;
        };
        for h in hosts {
            let pat = normalize_host(&h, &r.namespace, &domain);
            let Some(RefKey::Ns(target_ns)) = host_ref(&pat, &r.namespace) else {
                continue;
            };
            if target_ns == r.namespace || !relocated(ctx, &r, &target_ns, &pat) {
                continue;
            }
            let cmd = delete_command(&r.kind, &r.namespace, &r.name);
            ctx.emit(
                Finding::new(
                    &rules::S008,
                    format!(
                        "{} \"{}\" was relocated to \"{}\": {cmd}",
                        r.kind,
                        r.ns_name(),
                        target_ns
                    ),
                )
                .on_node(&r, r.name_span)
                .action(delete_action(&r)),
            );
            break;
        }
    }
}
