//! CS-WH-001: two injection webhooks match the same namespace/pod labels, so pods would be
//! injected twice (istioctl's webhook permutation check, IST0139).

use std::collections::BTreeSet;

use super::webhooks::{hooks, revisions, Hook};
use crate::analysis::ClusterCtx;
use crate::finding::Finding;
use crate::model::LabelSelector;
use crate::rules;

type LabelSet = Vec<(&'static str, String)>;

/// The label sets istioctl tries: none, enabled, disabled, each with every revision.
fn permutations(
    key: &'static str,
    on: &str,
    off: &str,
    revisions: &BTreeSet<String>,
) -> Vec<LabelSet> {
    let base: Vec<LabelSet> = vec![
        vec![],
        vec![(key, on.to_string())],
        vec![(key, off.to_string())],
    ];
    let mut out = base.clone();
    for rev in revisions {
        for b in &base {
            let mut x = b.clone();
            x.push(("istio.io/rev", rev.clone()));
            out.push(x);
        }
    }
    out
}

fn matches(sel: &Option<LabelSelector>, labels: &LabelSet) -> bool {
    match sel {
        None => true,
        Some(s) => {
            let pairs: Vec<(&str, &str)> = labels.iter().map(|(k, v)| (*k, v.as_str())).collect();
            s.matches_pairs(&pairs)
        }
    }
}

pub fn cluster(g: &ClusterCtx, out: &mut Vec<Finding>) {
    let hooks = hooks(g.facts);
    let revisions = revisions(g.facts);
    let ns_sets = permutations("istio-injection", "enabled", "disabled", &revisions);
    let obj_sets = permutations("sidecar.istio.io/inject", "true", "false", &revisions);
    let mut reported: BTreeSet<String> = BTreeSet::new();
    for nl in &ns_sets {
        for ol in &obj_sets {
            let m: Vec<&Hook> = hooks
                .iter()
                .filter(|h| {
                    matches(&h.webhook.namespace_selector, nl)
                        && matches(&h.webhook.object_selector, ol)
                })
                .collect();
            if m.len() < 2 {
                continue;
            }
            for h in &m {
                if !reported.insert(h.name.clone()) {
                    continue;
                }
                let others: Vec<&str> = m
                    .iter()
                    .filter(|o| o.name != h.name)
                    .map(|o| o.name.as_str())
                    .collect();
                out.push(
                    Finding::new(&rules::CS_WH_001, format!("Webhook overlaps with others: {}. This may cause injection to occur twice. Remove stale injectors or revision tags.", others.join(", ")))
                        .on_node(h.config, h.webhook.span),
                );
            }
        }
    }
}
