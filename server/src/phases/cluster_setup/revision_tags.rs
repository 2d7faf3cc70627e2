//! CS-WH-004: a revision tag (a MutatingWebhookConfiguration labelled `istio.io/tag`, made by
//! `istioctl tag set` or the istiod chart's `revisionTags`, `templates/revision-tags.yaml`)
//! whose `istio.io/rev` names a revision that has no istiod. Namespaces labelled with the tag
//! are injected by nothing that answers: with `failurePolicy: Fail` (the chart's) their pods
//! cannot be created. The tag's object webhook (`rev.object.sidecar-injector.istio.io`) also
//! injects pods labelled `istio.io/rev=<tag>` in unlabelled namespaces: workloads whose pod
//! template matches a webhook's namespace and object selectors use the tag too.

use crate::analysis::ClusterCtx;
use crate::finding::{quoted_list, Finding};
use crate::fixes::delete_action;
use crate::model::{Body, Labels};
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
        // Workloads whose pods some webhook of the tag receives (namespace and object
        // selectors both match), e.g. `istio.io/rev: <tag>` on the pod template.
        let no_labels = Labels::default();
        let mut pods: Vec<String> = g
            .index
            .all()
            .filter_map(|r| match &r.body {
                Body::Workload(wl) => Some((r, wl)),
                _ => None,
            })
            .filter(|(r, wl)| {
                let ns_labels = g
                    .index
                    .namespace_object(&r.namespace)
                    .map(|n| &n.labels)
                    .unwrap_or(&no_labels);
                c.webhooks.iter().any(|h| {
                    h.object_selector.as_ref().is_some_and(|s| !s.is_empty())
                        && h.namespace_selector
                            .as_ref()
                            .is_none_or(|s| s.matches(ns_labels))
                        && h.object_selector
                            .as_ref()
                            .is_some_and(|s| s.matches(&wl.pod_labels))
                        && !users.contains(&r.namespace.to_string())
                })
            })
            .map(|(r, _)| format!("{} {}/{}", r.kind, r.namespace, r.name))
            .collect();
        pods.sort();
        pods.dedup();
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
        let mut who = Vec::new();
        if !users.is_empty() {
            who.push(format!("namespaces {}", quoted_list(&users, 3)));
        }
        if !pods.is_empty() {
            who.push(format!(
                "the pods of {} (their labels match the tag's object selector)",
                quoted_list(&pods, 3)
            ));
        }
        let mut who = who.join(" and ");
        if let Some(first) = who.get(..1) {
            who = first.to_ascii_uppercase() + &who[1..];
        }
        let fi = if who.is_empty() {
            Finding::new(
                &rules::CS_WH_004,
                format!("{head}. No namespace or pod template of the input selects it: point it at an installed revision ({fix}) or delete it."),
            )
            .on_node(w, span)
            .action(delete_action(w))
        } else if fails {
            Finding::new(
                &rules::CS_WH_004_IN_USE,
                format!(
                    "{head}. {} select it and its webhooks fail closed: those pods cannot be created. Point it at an installed revision: {fix}.",
                    who
                ),
            )
            .on_node(w, span)
        } else {
            Finding::new(
                &rules::CS_WH_004,
                format!(
                    "{head}. {} select it; those new pods get no sidecar. Point it at an installed revision: {fix}.",
                    who
                ),
            )
            .on_node(w, span)
        };
        out.push(fi);
    }
}
