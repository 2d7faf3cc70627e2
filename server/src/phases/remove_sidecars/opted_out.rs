//! R013: a workload of a namespace that switches to ambient opted out of sidecar injection
//! (`sidecar.istio.io/inject` refusing it on the pod template or the Pod). It runs outside the
//! mesh today, but once the namespace carries `istio.io/dataplane-mode=ambient`, ztunnel
//! captures it anyway: istio-cni's `PodRedirectionEnabled` (`cni/pkg/util/podutil.go`) looks
//! only at the namespace's and the pod's `istio.io/dataplane-mode`, a `sidecar.istio.io/status`
//! annotation and `hostNetwork` — not at the injection opt-out. The opt-out for ambient is
//! `istio.io/dataplane-mode: none` on the pod template, applied before the namespace switches
//! (this rule is listed before R001 so that `commands.sh` does it first).

use crate::analysis::mesh::injection_choice;
use crate::analysis::NsCtx;
use crate::finding::Finding;
use crate::fixes::label_template_actions;
use crate::model::Body;
use crate::rules;

pub fn namespace(ctx: &mut NsCtx) {
    let mode = &ctx.view.mode;
    // already ambient: already captured, nothing changes now
    if !mode.switches(ctx.facts) || mode.ambient || mode.dataplane_none {
        return;
    }
    let ns = ctx.ns().to_string();
    for u in ctx.view.app_units() {
        let unit = ctx.unit(u).clone();
        let (Some(r), Some(c)) = (&unit.res, &unit.controller) else {
            continue;
        };
        let Body::Workload(w) = &r.body else { continue };
        if unit.host_network || unit.ambient_opt_out || unit.has_sidecar() {
            continue;
        }
        let Some((false, l)) = injection_choice(w) else {
            continue;
        };
        let f = Finding::new(
            &rules::R013,
            format!(
                "\"{}\" opted out of sidecar injection ({}: \"{}\") and runs outside the mesh, but once \"{ns}\" is labeled istio.io/dataplane-mode=ambient ztunnel captures it anyway (istio-cni ignores the injection opt-out): its traffic gets mTLS and the namespace's AuthorizationPolicies apply to it. To keep it out of the mesh, add istio.io/dataplane-mode: none to its pod template before the namespace is switched; to let it join, remove the opt-out.",
                unit.short(),
                l.key,
                l.value
            ),
        )
        .on_node(r, l.key_span.cover(l.value_span));
        let actions = label_template_actions(
            ctx.index,
            &c.kind,
            &ns,
            &c.name,
            &[("istio.io/dataplane-mode", "none")],
            &[],
            true,
        );
        let f = actions.into_iter().fold(f, |f, a| f.action(a));
        ctx.emit(f);
    }
}
