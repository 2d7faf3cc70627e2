//! R003: a workload requests injection itself (pod template label or annotation), so
//! relabelling the namespace does not remove its sidecar.

use crate::analysis::NsCtx;
use crate::finding::Finding;
use crate::model::Body;
use crate::rules;

pub fn namespace(ctx: &mut NsCtx) {
    for u in ctx.view.app_units() {
        let unit = ctx.unit(u).clone();
        let Some(r) = &unit.res else { continue };
        let Body::Workload(w) = &r.body else { continue };
        if r.kind == "Pod" {
            continue;
        }
        let label = w
            .pod_labels
            .entry("sidecar.istio.io/inject")
            .filter(|l| l.value == "true")
            .or_else(|| w.pod_labels.entry("istio.io/rev"));
        let ann = w
            .pod_annotations
            .entry("sidecar.istio.io/inject")
            .filter(|l| l.value == "true");
        if let Some(l) = label.or(ann) {
            ctx.emit(
                Finding::new(
                    &rules::R003,
                    format!("\"{}\" requests injection itself ({}: {}); remove it from the pod template (or set sidecar.istio.io/inject to \"false\").", unit.short(), l.key, l.value),
                )
                .on_node(r, l.key_span.cover(l.value_span)),
            );
        }
    }
}
