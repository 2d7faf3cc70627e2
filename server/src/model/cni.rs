//! CNI vendor kinds the pre-reqs rules read.

use super::Extractor;
use crate::yaml::{Node, NodeKind, Span};

#[derive(Clone, Debug, Default)]
pub struct FelixConfiguration {
    /// `spec.bpfConnectTimeLoadBalancing` (`TCP`, `Enabled`, `Disabled`).
    pub ctlb: Option<(String, Span)>,
    /// `spec.bpfConnectTimeLoadBalancingEnabled` (older releases).
    pub ctlb_enabled: Option<(bool, Span)>,
}

impl FelixConfiguration {
    pub fn extract(ex: &mut Extractor, spec: &Node) -> FelixConfiguration {
        let mut f = FelixConfiguration::default();
        if let Some(e) = spec.entry("bpfConnectTimeLoadBalancing") {
            if let Some(v) = ex.as_string(&e.value, "bpfConnectTimeLoadBalancing") {
                f.ctlb = Some((v, e.key.span.cover(e.value.span)));
            }
        }
        if let Some(e) = spec.entry("bpfConnectTimeLoadBalancingEnabled") {
            if let Some(b) = e.value.as_bool() {
                f.ctlb_enabled = Some((b, e.key.span.cover(e.value.span)));
            }
        }
        f
    }
}

/// Whether some map in the subtree has `key: value`.
pub fn mentions_key_value(node: &Node, key: &str, value: &str) -> bool {
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        match &n.kind {
            NodeKind::Scalar { .. } => {}
            NodeKind::Seq(items) => stack.extend(items.iter()),
            NodeKind::Map(entries) => {
                for e in entries {
                    if e.key.as_str() == Some(key) && e.value.as_str() == Some(value) {
                        return true;
                    }
                    stack.push(&e.value);
                }
            }
        }
    }
    false
}
