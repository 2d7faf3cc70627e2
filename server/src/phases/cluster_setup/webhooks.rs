//! The injection webhooks of the input, shared by the webhook checks.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::analysis::facts::Facts;
use crate::model::{Body, Resource, Webhook};

/// One webhook of an injector configuration: `config/webhook`, the configuration, the webhook.
pub struct Hook<'a> {
    pub name: String,
    pub config: &'a Arc<Resource>,
    pub webhook: &'a Webhook,
}

/// Every webhook of Istio's injector configurations.
pub fn hooks(f: &Facts) -> Vec<Hook<'_>> {
    let mut out = Vec::new();
    for r in &f.injectors {
        let Body::MutatingWebhook(c) = &r.body else {
            continue;
        };
        for h in &c.webhooks {
            out.push(Hook {
                name: format!("{}/{}", r.name, h.name),
                config: r,
                webhook: h,
            });
        }
    }
    out
}

/// Every revision the injectors name (configuration labels and selectors).
pub fn revisions(f: &Facts) -> BTreeSet<String> {
    let mut revisions = BTreeSet::new();
    for r in &f.injectors {
        let Body::MutatingWebhook(c) = &r.body else {
            continue;
        };
        if let Some(rv) = r.labels.get("istio.io/rev") {
            revisions.insert(rv.to_string());
        }
        for h in &c.webhooks {
            for sel in [&h.namespace_selector, &h.object_selector]
                .into_iter()
                .flatten()
            {
                if let Some(v) = sel.match_labels.get("istio.io/rev") {
                    revisions.insert(v.to_string());
                }
                for e in &sel.expressions {
                    if e.key == "istio.io/rev" {
                        revisions.extend(e.values.iter().cloned());
                    }
                }
            }
        }
    }
    revisions
}
