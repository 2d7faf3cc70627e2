//! CS-WH-004: a revision tag (a MutatingWebhookConfiguration labelled `istio.io/tag`, made by
//! `istioctl tag set` or the istiod chart's `revisionTags`, `templates/revision-tags.yaml`)
//! whose `istio.io/rev` names a revision that has no istiod. Namespaces labelled with the tag
//! are injected by nothing that answers: with `failurePolicy: Fail` (the chart's) their pods
//! cannot be created.

use crate::analysis::ClusterCtx;
use crate::finding::{quoted_list, Finding};
use crate::fixes::delete_action;
use crate::model::Body;
use crate::rules;

pub fn cluster(g: &ClusterCtx, out: &mut Vec<Finding>) {
    let f = g.facts;
    if f.istiods.is_empty() {
        return;
    }
    for w in &f.injectors {
        let (Some(tag), Some(rev)) = (w.labels.get("istio.io/tag"), w.labels.get("istio.io/rev"))
        else {
            continue;
        };
        if f.revision_exists(rev) {
            continue;
        }
        let Body::MutatingWebhook(c) = &w.body else {
            continue;
        };
        let users: Vec<String> = g
            .index
            .namespaces()
            .into_iter()
            .filter(|ns| {
                g.index
                    .namespace_object(ns)
                    .is_some_and(|n| n.labels.get("istio.io/rev") == Some(tag))
            })
            .collect();
        let fails = c
            .webhooks
            .iter()
            .any(|h| h.failure_policy.as_deref().unwrap_or("Fail") == "Fail");
        let span = w
            .labels
            .entry("istio.io/rev")
            .map(|l| l.key_span.cover(l.value_span))
            .unwrap_or(w.name_span);
        let head = format!(
            "Revision tag \"{tag}\" ({}) points at revision \"{rev}\", which has no istiod (include it in the input if it exists; revisions: {})",
            w.name,
            f.istiods.iter().map(|i| i.revision.as_str()).collect::<Vec<_>>().join(", ")
        );
        let fix = format!("istioctl tag set {tag} --revision <revision> --overwrite");
        let fi = if users.is_empty() {
            Finding::new(
                &rules::CS_WH_004,
                format!("{head}. No namespace of the input selects it: point it at an installed revision ({fix}) or delete it."),
            )
            .on_node(w, span)
            .action(delete_action(w))
        } else if fails {
            Finding::new(
                &rules::CS_WH_004_IN_USE,
                format!(
                    "{head}. Namespaces {} select it and its webhooks fail closed: their pods cannot be created. Point it at an installed revision: {fix}.",
                    quoted_list(&users, 3)
                ),
            )
            .on_node(w, span)
        } else {
            Finding::new(
                &rules::CS_WH_004,
                format!(
                    "{head}. Namespaces {} select it; their new pods get no sidecar. Point it at an installed revision: {fix}.",
                    quoted_list(&users, 3)
                ),
            )
            .on_node(w, span)
        };
        out.push(fi);
    }
}
