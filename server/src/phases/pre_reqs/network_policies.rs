//! PR-CNI-015: an ingress NetworkPolicy admits some ports of pods that will use ambient, but
//! not the HBONE port 15008 (nor every port): once the pods (or their clients) are in ambient,
//! their traffic arrives on 15008 and is dropped. istio.io "Ambient and Kubernetes
//! NetworkPolicy": add 15008 to such policies; sidecar pods that ambient clients call need it
//! too. NetworkPolicies add up per peer: a source a rule admits on an app port is fine when
//! some rule of a policy selecting the pod admits 15008 (or every port) from that source; one
//! that admits 15008 only from other peers (monitoring, say) does not help.

use std::collections::BTreeSet;

use serde_json::{json, Map, Value};

use crate::analysis::NsCtx;
use crate::finding::{workloads_list, Action, Finding, Object};
use crate::model::{Body, LabelSelector, NetPolRule, NetworkPolicy, Resource};
use crate::rules;

const HBONE_PORT: i64 = 15008;

/// The pods a NetworkPolicy selects (an absent or empty selector: every pod).
fn selects(p: &NetworkPolicy, labels: &crate::model::Labels) -> bool {
    p.pod_selector.as_ref().is_none_or(|s| s.matches(labels))
}

/// Whether a rule admits HBONE: it has no ports, or lists 15008/TCP.
fn rule_admits_hbone(r: &NetPolRule) -> bool {
    r.ports.is_empty() || r.ports.iter().any(|x| x.admits_tcp(HBONE_PORT))
}

/// A rule's peers; `None` when it admits every source (`from` absent or empty).
fn peers(r: &NetPolRule) -> Option<&Vec<Value>> {
    match &r.from {
        Some(Value::Array(v)) if !v.is_empty() => Some(v),
        _ => None,
    }
}

/// Whether peer `q` admits every source peer `p` admits: the same peer, every pod of every
/// namespace (`namespaceSelector: {}`) for a peer of pods, or every pod of the namespace
/// (`podSelector: {}`) for a peer of this namespace's pods. Anything else is not proven.
fn peer_covers(q: &Value, p: &Value) -> bool {
    if q == p {
        return true;
    }
    let (Some(q), Some(p)) = (q.as_object(), p.as_object()) else {
        return false;
    };
    if p.contains_key("ipBlock") {
        return false;
    }
    let empty = |v: &Value| v.as_object().is_some_and(|m| m.is_empty());
    if q.len() == 1 && q.get("namespaceSelector").is_some_and(empty) {
        return true;
    }
    q.len() == 1 && q.get("podSelector").is_some_and(empty) && !p.contains_key("namespaceSelector")
}

/// Whether the policies selecting a pod admit HBONE from every source rule `r` admits.
fn hbone_covered(r: &NetPolRule, policies: &[&NetworkPolicy]) -> bool {
    let rules = || {
        policies
            .iter()
            .flat_map(|o| o.ingress.iter())
            .filter(|o| rule_admits_hbone(o))
    };
    match peers(r) {
        None => rules().any(|o| peers(o).is_none()),
        Some(ps) => ps.iter().all(|p| {
            rules().any(|o| match peers(o) {
                None => true,
                Some(qs) => qs.iter().any(|q| peer_covers(q, p)),
            })
        }),
    }
}

fn selector_json(s: &LabelSelector) -> Value {
    let mut m = Map::new();
    if !s.match_labels.is_empty() {
        m.insert("matchLabels".into(), s.match_labels.to_json());
    }
    if !s.expressions.is_empty() {
        let exprs: Vec<Value> = s
            .expressions
            .iter()
            .map(|e| {
                let mut x = Map::new();
                x.insert("key".into(), json!(e.key));
                x.insert("operator".into(), json!(e.op));
                if !e.values.is_empty() {
                    x.insert("values".into(), json!(e.values));
                }
                Value::Object(x)
            })
            .collect();
        m.insert("matchExpressions".into(), Value::Array(exprs));
    }
    Value::Object(m)
}

/// The companion policy: the same pods, the same sources as each port-limited rule, on
/// 15008/TCP only. NetworkPolicies add up, so it opens nothing but HBONE to the peers that
/// are already allowed.
fn allow_hbone(name: &str, ns: &str, p: &NetworkPolicy) -> Value {
    let mut rules: Vec<Value> = Vec::new();
    let mut seen = BTreeSet::new();
    for r in p.ingress.iter().filter(|r| !r.ports.is_empty()) {
        let key = r.from.as_ref().map(|f| f.to_string()).unwrap_or_default();
        if !seen.insert(key) {
            continue;
        }
        let mut rule = Map::new();
        if let Some(from) = &r.from {
            rule.insert("from".into(), from.clone());
        }
        rule.insert(
            "ports".into(),
            json!([{"port": HBONE_PORT, "protocol": "TCP"}]),
        );
        rules.push(Value::Object(rule));
    }
    let selector = p
        .pod_selector
        .as_ref()
        .map(selector_json)
        .unwrap_or_else(|| json!({}));
    json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "podSelector": selector,
            "policyTypes": ["Ingress"],
            "ingress": rules,
        }
    })
}

pub fn namespace(ctx: &mut NsCtx) {
    if ctx.view.mode.system {
        return;
    }
    let own = ctx.own("NetworkPolicy");
    let restricting: Vec<(&std::sync::Arc<Resource>, &NetworkPolicy)> = own
        .iter()
        .filter_map(|r| match &r.body {
            Body::NetworkPolicy(p) if p.restricts_ingress() => Some((r, p.as_ref())),
            _ => None,
        })
        .collect();
    let mut findings = Vec::new();
    for (r, p) in &restricting {
        // a policy that admits nothing (default deny) changes nothing when pods move to
        // ambient; one that admits some ports of a pod is what breaks
        if !p.ingress.iter().any(|x| !x.ports.is_empty()) {
            continue;
        }
        let blocked: Vec<String> = ctx
            .view
            .units
            .iter()
            .filter(|u| u.ambient_bound() && selects(p, &u.labels))
            .filter(|u| {
                let on_pod: Vec<&NetworkPolicy> = restricting
                    .iter()
                    .filter(|(_, o)| selects(o, &u.labels))
                    .map(|(_, o)| *o)
                    .collect();
                p.ingress
                    .iter()
                    .filter(|x| !x.ports.is_empty() && !rule_admits_hbone(x))
                    .any(|x| !hbone_covered(x, &on_pod))
            })
            .map(|u| u.short())
            .collect();
        if blocked.is_empty() {
            continue;
        }
        let name = format!("{}-allow-hbone", r.name);
        findings.push(((*r).clone(), (*p).clone(), blocked, name));
    }
    for (r, p, blocked, base) in findings {
        let name = ctx.generate_name("NetworkPolicy", &base);
        let object = allow_hbone(&name, ctx.ns(), &p);
        let span = p.ingress_span.unwrap_or(r.name_span);
        let f = Finding::new(
            &rules::PR_CNI_015,
            format!(
                "NetworkPolicy \"{}\" admits only some ports of {}, and no policy selecting them admits the HBONE port 15008 from every source it admits: once they (or their clients) use ambient, that traffic arrives on 15008 and is dropped. Allow TCP 15008 from the same sources (NetworkPolicy \"{name}\" does, without opening anything else).",
                r.ns_name(),
                workloads_list(&blocked)
            ),
        )
        .on_node(&r, span)
        .action(Action::Apply {
            resource: Object::new(&object),
            reason: format!("allow HBONE (TCP 15008) from the sources {} already admits", r.name),
        });
        ctx.emit(f);
    }
}
