//! CS-WH-002: an injection webhook refers to a control plane Service that is not in the input.

use super::webhooks::hooks;
use crate::analysis::ClusterCtx;
use crate::finding::Finding;
use crate::rules;

/// One finding per configuration and missing Service, on its first webhook that names it (a
/// tag's or revision's configuration has several webhooks for the same Service; reading the
/// cluster, they have no position of their own, so per-webhook findings would differ from
/// reading files).
pub fn cluster(g: &ClusterCtx, out: &mut Vec<Finding>) {
    let mut seen: std::collections::BTreeSet<(String, String, String)> = Default::default();
    for h in hooks(g.facts) {
        let Some(s) = &h.webhook.service else {
            continue;
        };
        if !seen.insert((
            h.config.ns_name(),
            s.namespace.to_string(),
            s.name.to_string(),
        )) {
            continue;
        }
        if g.index.find("", "Service", &s.namespace, &s.name).is_none() {
            out.push(
                Finding::new(&rules::CS_WH_002, format!("Injector refers to a control plane service that does not exist: {}/{} (include it in the input if it exists).", s.namespace, s.name))
                    .on_node(h.config, h.webhook.span),
            );
        }
    }
}
