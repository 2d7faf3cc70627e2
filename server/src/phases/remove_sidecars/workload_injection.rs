//! R003: a workload asks for a sidecar itself (pod template label `sidecar.istio.io/inject:
//! "true"` or `istio.io/rev`), so switching its namespace does not remove its sidecar: the
//! `object.` / `rev.object.` webhooks still inject it. The template change that removes the
//! request is the step that migrates it — with `istio.io/dataplane-mode=ambient` on the template
//! when its namespace will not be ambient (else the workload falls out of the mesh) — and it is
//! also its restart: nothing restarts it before (R001 leaves it out).

use crate::analysis::mesh::{injection_request, Injection};
use crate::analysis::NsCtx;
use crate::finding::Finding;
use crate::fixes::label_template_actions;
use crate::model::Body;
use crate::rules;

pub fn namespace(ctx: &mut NsCtx) {
    let ns = ctx.ns().to_string();
    // the namespace is, or the migration makes it, ambient
    let ns_ambient = ctx.view.mode.ambient || ctx.view.mode.switches(ctx.facts);
    // `istio-injection=disabled` (any value but `enabled`) overrides the pod's own request:
    // the `object.`/`rev.object.` webhooks need `istio-injection DoesNotExist` on the namespace
    // (Istio 1.26 `mutatingwebhook.yaml`), so such a workload has no sidecar to keep.
    if ctx.view.mode.injection == Injection::Disabled {
        return;
    }
    for u in ctx.view.app_units() {
        let unit = ctx.unit(u).clone();
        let (Some(r), Some(c)) = (&unit.res, &unit.controller) else {
            continue;
        };
        let Body::Workload(w) = &r.body else { continue };
        let Some(l) = injection_request(w) else {
            continue;
        };
        let key = l.key.to_string();
        let mut set: Vec<(&str, &str)> = Vec::new();
        let tail = if ns_ambient {
            String::new()
        } else {
            set.push(("istio.io/dataplane-mode", "ambient"));
            format!(" and add istio.io/dataplane-mode: ambient (namespace \"{ns}\" is not ambient: without it the workload falls out of the mesh)")
        };
        let how = if c.can_rollout() {
            format!(
                "; the template change re-creates its pods (it is the restart: do not restart {} before it)",
                c.display()
            )
        } else {
            String::new()
        };
        let f = Finding::new(
            &rules::R003,
            format!(
                "\"{}\" requests injection itself ({}: {}), so it keeps its sidecar once its namespace stops injecting. Remove {key} from its pod template{tail}{how}.",
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
            &set,
            &[key.as_str()],
            false,
        );
        let f = actions.into_iter().fold(f, |f, a| f.action(a));
        ctx.emit(f);
    }
}
