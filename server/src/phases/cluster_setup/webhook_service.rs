//! CS-WH-002: an injection webhook refers to a control plane Service that is not in the input.

use super::webhooks::hooks;
use crate::analysis::ClusterCtx;
use crate::finding::Finding;
use crate::rules;

pub fn cluster(g: &ClusterCtx, out: &mut Vec<Finding>) {
    for h in hooks(g.facts) {
        let Some(s) = &h.webhook.service else {
            continue;
        };
        if g.index.find("", "Service", &s.namespace, &s.name).is_none() {
            out.push(
                Finding::new(&rules::CS_WH_002, format!("Injector refers to a control plane service that does not exist: {}/{} (include it in the input if it exists).", s.namespace, s.name))
                    .on_node(h.config, h.webhook.span),
            );
        }
    }
}
