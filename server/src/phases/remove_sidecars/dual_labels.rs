//! R005: a namespace has both a sidecar-injection and the ambient label: new pods get
//! sidecars, and the sidecar wins.

use crate::analysis::mesh::Injection;
use crate::analysis::NsCtx;
use crate::finding::Finding;
use crate::rules;

pub fn namespace(ctx: &mut NsCtx) {
    let Some(m) = ctx.view.mode.manifest.clone() else {
        return;
    };
    let injects = matches!(
        ctx.view.mode.injection,
        Injection::Enabled | Injection::Rev(_)
    );
    if !injects || !ctx.view.mode.ambient {
        return;
    }
    let span = m
        .labels
        .entry("istio.io/dataplane-mode")
        .map(|l| l.key_span.cover(l.value_span))
        .unwrap_or(m.name_span);
    ctx.emit(
        Finding::new(
            &rules::R005,
            format!("\"{}\" has both sidecar-injection and ambient labels; new pods get sidecars and are then NOT captured by ztunnel (the sidecar wins). Remove the injection label.", ctx.ns()),
        )
        .on_node(&m, span),
    );
}
