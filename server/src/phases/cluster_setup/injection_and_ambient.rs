//! CS-SC-005: sidecar injection and ambient labels together. A namespace with
//! `istio.io/dataplane-mode=ambient` and an injection label (`istio-injection=enabled` or
//! `istio.io/rev`; istioctl's IST0123 counts them together, `analyzers/injection/injection.go`),
//! or a pod labelled ambient that has a sidecar: istio-cni does not capture a pod that has a
//! sidecar (`cni/pkg/util/podutil.go` `PodRedirectionEnabled`), so those pods keep using their
//! sidecars. Expected while migrating; the injection label goes in remove-sidecars (R005).

use crate::analysis::NsCtx;
use crate::finding::{workloads_list, Finding};
use crate::rules;

pub fn namespace(ctx: &mut NsCtx) {
    let mode = &ctx.view.mode;
    if mode.system {
        return;
    }
    let ns = ctx.ns().to_string();
    if let (Some(m), true) = (mode.manifest.clone(), mode.ambient) {
        // IST0123: istio.io/rev and dataplane-mode count unless istio-injection is set to
        // something other than "enabled"
        let injection = match (
            m.labels.get("istio-injection"),
            m.labels.get("istio.io/rev"),
        ) {
            (Some("enabled"), _) => Some("istio-injection=enabled".to_string()),
            (None, Some(rev)) => Some(format!("istio.io/rev={rev}")),
            _ => None,
        };
        if let Some(injection) = injection {
            let sidecars: Vec<String> = ctx
                .view
                .units
                .iter()
                .filter(|u| u.has_sidecar() && !u.gateway)
                .map(|u| u.short())
                .collect();
            let span = m
                .labels
                .entry("istio.io/dataplane-mode")
                .map(|l| l.key_span.cover(l.value_span))
                .unwrap_or(m.name_span);
            let pods = if sidecars.is_empty() {
                "its pods".to_string()
            } else {
                workloads_list(&sidecars)
            };
            ctx.emit(
                Finding::new(
                    &rules::CS_SC_005,
                    format!(
                        "Namespace \"{ns}\" has both {injection} and istio.io/dataplane-mode=ambient: {pods} keep their sidecars, and ztunnel does not capture a pod that has one. Expected while migrating; remove the injection label once the waypoints and policies are in place (remove-sidecars, R005)."
                    ),
                )
                .on_node(&m, span),
            );
            return;
        }
    }
    // pods labelled ambient themselves that have (or get) a sidecar
    let mut found = Vec::new();
    for u in &ctx.view.units {
        if u.gateway || !u.has_sidecar() {
            continue;
        }
        if u.labels.get("istio.io/dataplane-mode") != Some("ambient") {
            continue;
        }
        let Some(r) = &u.res else { continue };
        let Some(l) = u.labels.entry("istio.io/dataplane-mode") else {
            continue;
        };
        found.push((r.clone(), l.key_span.cover(l.value_span), u.display()));
    }
    for (r, span, what) in found {
        ctx.emit(
            Finding::new(
                &rules::CS_SC_005,
                format!(
                    "{what} is labelled istio.io/dataplane-mode=ambient but has a sidecar: ztunnel does not capture a pod that has one, so it keeps using its sidecar. Expected while migrating; its sidecar goes with the namespace's injection label (remove-sidecars)."
                ),
            )
            .on_node(&r, span),
        );
    }
}
