//! P020: a VirtualService that made a waypoint necessary (W001 HTTP routing, W002 TCP/TLS
//! routing) will be served by the waypoint, where VirtualService support is Alpha (istio.io
//! "Migrate VirtualService to HTTPRoute"; the L7 traffic-management page). Once per
//! VirtualService, after the RT translation so the finding can point at the HTTPRoutes it
//! generated (RT-001) or say why there are none.

use std::collections::BTreeSet;

use crate::analysis::NsCtx;
use crate::finding::Finding;
use crate::rules;

pub fn namespace(ctx: &mut NsCtx) {
    let is = |f: &Finding, id: &str| f.rule.id == id;
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut found = Vec::new();
    for f in &ctx.out {
        if !(is(f, rules::W001.id) || is(f, rules::W002.id)) {
            continue;
        }
        let Some(vs) = f.resource.clone() else {
            continue;
        };
        if vs.kind != "VirtualService" || !seen.insert(vs.ns_name()) {
            continue;
        }
        let same = |g: &Finding| g.resource.as_ref().is_some_and(|r| **r == *vs);
        let translated = ctx.out.iter().any(|g| is(g, rules::RT_001.id) && same(g));
        let refused = ctx.out.iter().any(|g| {
            [
                rules::RT_002.id,
                rules::RT_003.id,
                rules::RT_004.id,
                rules::RT_005.id,
            ]
            .contains(&g.rule.id)
                && same(g)
        });
        let next = if translated {
            "its translation (HTTPRoutes, and per-version Services for subsets) is in recommended-routes.yaml (RT-001): apply it and delete the VirtualService in one step"
        } else if refused {
            "it cannot be translated automatically (see its RT finding), convert it by hand, with per-version Services for its subsets"
        } else {
            "subsets must then become per-version Services"
        };
        found.push(
            Finding::new(
                &rules::P020,
                format!(
                    "VirtualService support on waypoints is Alpha; consider converting \"{}\" to HTTPRoute (parentRefs kind Service): {next}.",
                    vs.ns_name()
                ),
            )
            .on_node(&vs, vs.name_span),
        );
    }
    for f in found {
        ctx.emit(f);
    }
}
