//! CS-WH-003: an Istio validating webhook (`istiod-default-validator` of the base chart,
//! `istio-validator[-<rev>]-<ns>` of the istiod chart) whose Service does not exist, or that no
//! istiod manages. istiod's webhook controller patches only the configurations labelled with
//! its own revision (`pkg/webhooks/validation/controller/controller.go`: caBundle, and
//! `failurePolicy` from `Ignore` to `Fail` once it serves). With `Fail` (the admission API's
//! default) and no Service, every write of Istio configuration is rejected; with `Ignore`
//! validation is silently skipped.

use crate::analysis::ClusterCtx;
use crate::finding::Finding;
use crate::model::Body;
use crate::rules;

pub fn cluster(g: &ClusterCtx, out: &mut Vec<Finding>) {
    let f = g.facts;
    if f.istiods.is_empty() {
        return;
    }
    for v in &f.validators {
        let Body::ValidatingWebhook(c) = &v.body else {
            continue;
        };
        let mut missing = false;
        for h in &c.webhooks {
            let Some(s) = &h.service else { continue };
            if g.index.find("", "Service", &s.namespace, &s.name).is_some() {
                continue;
            }
            missing = true;
            let fails = h.failure_policy.as_deref().unwrap_or("Fail") == "Fail";
            let (rule, effect) = if fails {
                (
                    &rules::CS_WH_003_FAIL,
                    "with failurePolicy Fail every create or update of Istio configuration (the policies and routes of this migration too) is rejected",
                )
            } else {
                (
                    &rules::CS_WH_003,
                    "with failurePolicy Ignore Istio configuration is no longer validated",
                )
            };
            out.push(
                Finding::new(
                    rule,
                    format!(
                        "Istio config validation webhook {}/{} points at a missing istiod: Service {}/{} does not exist (include it in the input if it exists); {effect}. Point the default revision at an installed istiod (istioctl tag set default --revision <revision> --overwrite) or delete the stale configuration.",
                        v.name, h.name, s.namespace, s.name
                    ),
                )
                .on_node(v, h.span),
            );
        }
        if missing {
            continue;
        }
        if let Some(rev) = v.labels.get("istio.io/rev") {
            if !f.istiods.iter().any(|i| i.revision == rev) {
                let span = v
                    .labels
                    .entry("istio.io/rev")
                    .map(|l| l.key_span.cover(l.value_span))
                    .unwrap_or(v.name_span);
                out.push(
                    Finding::new(
                        &rules::CS_WH_003,
                        format!(
                            "Istio config validation webhook {} is labelled for revision \"{rev}\", which has no istiod (revisions: {}): no control plane keeps its caBundle and failurePolicy current. Regenerate it for an installed revision (istioctl tag set default --revision <revision> --overwrite).",
                            v.name,
                            f.istiods.iter().map(|i| i.revision.as_str()).collect::<Vec<_>>().join(", ")
                        ),
                    )
                    .on_node(v, span),
                );
            }
        }
    }
}
