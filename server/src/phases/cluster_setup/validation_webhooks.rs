//! CS-WH-003: an Istio validating webhook (`istiod-default-validator` of the base chart,
//! `istio-validator[-<rev>]-<ns>` of the istiod chart) whose Service does not exist, or that no
//! istiod manages. istiod's webhook controller patches only the configurations labelled with
//! its own revision (`pkg/webhooks/validation/controller/controller.go`: caBundle, and
//! `failurePolicy` from `Ignore` to `Fail` once it serves). With `Fail` (the admission API's
//! default) and no Service, every write of Istio configuration is rejected; with `Ignore`
//! validation is silently skipped. A per-revision validator of the istiod chart is scoped by an
//! `objectSelector` (`istio.io/rev In [<rev>]`): it only sees the Istio configuration that
//! carries that label, so it blocks only when such configuration is in the input; otherwise it
//! is a leftover to delete.

use crate::analysis::ClusterCtx;
use crate::finding::{quoted_list, Finding};
use crate::fixes::delete_action;
use crate::model::{Body, LabelSelector};
use crate::rules;

/// The API groups an Istio validator receives (the istiod chart's `validatingwebhooks.yaml`).
const ISTIO_CONFIG_GROUPS: [&str; 4] = [
    "security.istio.io",
    "networking.istio.io",
    "telemetry.istio.io",
    "extensions.istio.io",
];

/// `istio.io/rev In [1-25]`, `app=x` …: a selector as one line.
fn describe(sel: &LabelSelector) -> String {
    let mut parts: Vec<String> = sel
        .match_labels
        .entries
        .iter()
        .map(|l| format!("{}={}", l.key, l.value))
        .collect();
    for e in &sel.expressions {
        if e.values.is_empty() {
            parts.push(format!("{} {}", e.key, e.op));
        } else {
            parts.push(format!("{} {} [{}]", e.key, e.op, e.values.join(", ")));
        }
    }
    parts.join(", ")
}

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
            let head = format!(
                "Istio config validation webhook {}/{} points at a missing istiod: Service {}/{} does not exist (include it in the input if it exists)",
                v.name, h.name, s.namespace, s.name
            );
            let scope = h.object_selector.as_ref().filter(|sel| !sel.is_empty());
            if let Some(sel) = scope {
                // Only the Istio configuration its objectSelector matches reaches it.
                let mut hit: Vec<String> = g
                    .index
                    .all()
                    .filter(|r| ISTIO_CONFIG_GROUPS.contains(&&*r.group))
                    .filter(|r| sel.matches(&r.labels))
                    .map(|r| format!("{} {}/{}", r.kind, r.namespace, r.name))
                    .collect();
                hit.sort();
                hit.dedup();
                let sel = describe(sel);
                if hit.is_empty() {
                    out.push(
                        Finding::new(
                            &rules::CS_WH_003,
                            format!(
                                "{head}. Its objectSelector ({sel}) limits it to Istio configuration with those labels, and none in the input has them; {}. Nothing labelled uses it: delete this leftover of a removed revision (check the cluster has no such configuration first).",
                                if fails {
                                    "with failurePolicy Fail a write of such configuration would be rejected"
                                } else {
                                    "with failurePolicy Ignore such configuration would go unvalidated"
                                }
                            ),
                        )
                        .on_node(v, h.span)
                        .action(delete_action(v)),
                    );
                } else {
                    let (rule, effect) = if fails {
                        (
                            &rules::CS_WH_003_FAIL,
                            "with failurePolicy Fail every create or update of them is rejected",
                        )
                    } else {
                        (
                            &rules::CS_WH_003,
                            "with failurePolicy Ignore they are no longer validated",
                        )
                    };
                    out.push(
                        Finding::new(
                            rule,
                            format!(
                                "{head}. Its objectSelector ({sel}) matches {} of the input; {effect}. Label that configuration for an installed revision (or remove the label), then delete this webhook configuration.",
                                quoted_list(&hit, 3)
                            ),
                        )
                        .on_node(v, h.span),
                    );
                }
                continue;
            }
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
                        "{head}; {effect}. Point the default revision at an installed istiod (istioctl tag set default --revision <revision> --overwrite) or delete the stale configuration."
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
