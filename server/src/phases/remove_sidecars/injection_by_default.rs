//! R002: injection is enabled by default (the injector injects every unlabeled namespace), so
//! removing a namespace's injection label is not enough.

use crate::analysis::mesh::Injection;
use crate::analysis::NsCtx;
use crate::finding::Finding;
use crate::model::Body;
use crate::rules;

pub fn namespace(ctx: &mut NsCtx) {
    if !ctx.view.mode.switches(ctx.facts) || ctx.view.app_units().is_empty() {
        return;
    }
    let Some(src) = ctx.facts.inject_by_default.clone() else {
        return;
    };
    let ns = ctx.ns();
    let lead = if ctx.view.mode.injection == Injection::None {
        format!("\"{ns}\" has no injection label but still gets sidecars")
    } else {
        format!("Removing the injection label is not enough for \"{ns}\"")
    };
    let f = ctx
        .at_anchor(Finding::new(
            &rules::R002,
            format!(
                "{lead}: the injector injects every unlabeled namespace ({}). Set istio-injection=disabled on \"{ns}\".",
                if matches!(src.body, Body::ConfigMap(_)) { "sidecarInjectorWebhook.enableNamespacesByDefault is true" } else { "an auto. injection webhook is configured" }
            ),
        ))
        .related(&src, src.name_span, "enables injection by default");
    ctx.emit(f);
}
