//! P021 (beyond the catalog, edge case E27): a ServiceEntry of a namespace that is or becomes
//! ambient narrows its visibility with `exportTo`. Sidecars honour it (the entry exists only in
//! the listed namespaces' proxy configuration), but ztunnel has been reported to ignore it
//! (istio/istio#55163, open for 1.26): its hosts and addresses are then served to the clients of
//! every namespace. Isolation that relied on `exportTo` is lost; enforce it with an
//! AuthorizationPolicy at an egress waypoint instead.

use crate::analysis::NsCtx;
use crate::finding::Finding;
use crate::model::Body;
use crate::rules;

pub fn namespace(ctx: &mut NsCtx) {
    let mode = &ctx.view.mode;
    if !(mode.ambient || mode.switches(ctx.facts)) {
        return;
    }
    for ser in ctx.own("ServiceEntry") {
        let Body::ServiceEntry(se) = &ser.body else {
            continue;
        };
        let Some(export) = &se.export_to else {
            continue;
        };
        if export.is_empty() || export.iter().any(|e| e == "*") {
            continue;
        }
        let to: Vec<String> = export
            .iter()
            .map(|e| {
                if e == "." {
                    ser.namespace.to_string()
                } else {
                    e.clone()
                }
            })
            .collect();
        let hosts: Vec<&str> = se.hosts.iter().map(|h| h.value.as_str()).collect();
        let f = Finding::new(
            &rules::P021,
            format!(
                "ServiceEntry \"{}\" ({}) is visible only to namespace(s) {} (exportTo), but ztunnel does not apply exportTo (istio/istio#55163): once ambient, clients of every namespace resolve and reach these hosts through it. Do not rely on exportTo for isolation: bind the ServiceEntry to an egress waypoint (istio.io/use-waypoint) and allow only those namespaces with an AuthorizationPolicy there.",
                ser.ns_name(),
                hosts.join(", "),
                to.join(", ")
            ),
        )
        .on_node(&ser, se.hosts_span.unwrap_or(ser.name_span));
        ctx.emit(f);
    }
}
