//! PR-SPIRE-002: an injection template wires SPIRE into sidecars (a workload asking for such a
//! template, or an injector ConfigMap holding one).

use crate::analysis::{ClusterCtx, NsCtx};
use crate::finding::Finding;
use crate::model::Body;
use crate::rules;

/// Templates Istio ships; any other is custom.
const BUILT_IN: &[&str] = &[
    "sidecar",
    "gateway",
    "waypoint",
    "grpc-agent",
    "grpc-simple",
    "init",
    "",
];

pub fn namespace(ctx: &mut NsCtx) {
    for r in ctx.view.resources.clone() {
        let Body::Workload(w) = &r.body else { continue };
        let Some(t) = w.pod_annotations.entry("inject.istio.io/templates") else {
            continue;
        };
        let custom: Vec<&str> = t
            .value
            .split(',')
            .map(str::trim)
            .filter(|x| !BUILT_IN.contains(x))
            .collect();
        let spire_template = custom.iter().any(|c| {
            *c == "spire"
                || ctx.facts.injector_configs.iter().any(|cm| {
                    matches!(&cm.body, Body::ConfigMap(d) if d.data.iter().any(|(_, v, _)| v.contains("csi.spiffe.io") && v.contains(c)))
                })
        });
        if spire_template {
            ctx.emit(
                Finding::new(&rules::PR_SPIRE_002, format!("Injection template(s) \"{}\" used by \"{}\" wire SPIRE into sidecars; ambient does not support SPIRE.", custom.join(","), r.ns_name()))
                    .on_node(&r, t.key_span.cover(t.value_span)),
            );
        }
    }
}

pub fn cluster(g: &ClusterCtx, out: &mut Vec<Finding>) {
    for cm in &g.facts.injector_configs {
        let Body::ConfigMap(d) = &cm.body else {
            continue;
        };
        if let Some((k, _, span)) = d.data.iter().find(|(_, v, _)| v.contains("csi.spiffe.io")) {
            out.push(
                Finding::new(&rules::PR_SPIRE_002, format!("Injection config \"{}\" ({k}) has a template that wires SPIRE (csi.spiffe.io) into sidecars; ambient does not support SPIRE.", cm.ns_name()))
                    .on_node(cm, *span),
            );
        }
    }
}
