//! The traffic policy of a subset, copied to a DestinationRule for the subset's own Service.
//!
//! Istio computes the policy of a subset cluster per port (`MergeSubsetTrafficPolicy`,
//! `pilot/pkg/networking/util/util.go`):
//! 1. the DestinationRule's `portLevelSettings` entry for the port, if any, replaces the whole
//!    top-level policy (only `connectionPool`, `loadBalancer`, `outlierDetection`, `tls` are
//!    kept from it: `tunnel` and `proxyProtocol` are dropped);
//! 2. the subset's own `portLevelSettings` entry for the port, if any, likewise replaces the
//!    subset's policy, and then replaces those four fields even where it leaves them unset;
//! 3. otherwise each field the subset sets overrides the DestinationRule's.
//!
//! A DestinationRule for the subset Service is applied the same way, without a subset: a port
//! with a `portLevelSettings` entry gets exactly that entry's four fields, every other port the
//! top-level policy. `subset_service_policy` finds the DestinationRule spec `trafficPolicy` that
//! gives every port of the Service the same effective policy, or says why none can.

use serde_json::{Map, Value};

/// The fields of a TrafficPolicy the merge knows; anything else is refused (its merge is not
/// specified the same way in every Istio version).
const TOP: [&str; 7] = [
    "connectionPool",
    "loadBalancer",
    "outlierDetection",
    "tls",
    "tunnel",
    "proxyProtocol",
    "portLevelSettings",
];
/// The fields a port-level entry carries (and replaces).
const PORT: [&str; 4] = ["connectionPool", "loadBalancer", "outlierDetection", "tls"];
/// Top-level fields a port-level entry cannot carry.
const TOP_ONLY: [&str; 2] = ["tunnel", "proxyProtocol"];

type Policy = Map<String, Value>;

fn object(v: Option<&Value>) -> Policy {
    match v {
        Some(Value::Object(m)) => m
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        _ => Map::new(),
    }
}

/// The `portLevelSettings` entry for `port` as a policy of its four fields (Istio's
/// `GetPortLevelTrafficPolicy`: the first entry whose `port.number` is the port).
fn port_level(p: &Policy, port: u32) -> Option<Policy> {
    let entries = p.get("portLevelSettings")?.as_array()?;
    let e = entries
        .iter()
        .find(|e| e["port"]["number"].as_u64() == Some(port as u64))?;
    let e = object(Some(e));
    Some(
        PORT.iter()
            .filter_map(|k| e.get(*k).map(|v| (k.to_string(), v.clone())))
            .collect(),
    )
}

fn without_ports(mut p: Policy) -> Policy {
    p.remove("portLevelSettings");
    p
}

/// The effective policy of the subset's cluster on `port` (empty: Istio's defaults).
pub fn effective(dr: Option<&Policy>, subset: Option<&Policy>, port: u32) -> Policy {
    let original = dr.map(|p| port_level(p, port).unwrap_or_else(|| without_ports(p.clone())));
    let Some(sub) = subset else {
        return original.unwrap_or_default();
    };
    let (sub, has_port_level) = match port_level(sub, port) {
        Some(p) => (p, true),
        None => (without_ports(sub.clone()), false),
    };
    let Some(original) = original else {
        return sub;
    };
    // ShallowCopyTrafficPolicy, then mergeTrafficPolicy
    let mut merged: Policy = original
        .into_iter()
        .filter(|(k, _)| PORT.contains(&k.as_str()) || TOP_ONLY.contains(&k.as_str()))
        .collect();
    for k in PORT {
        match sub.get(k) {
            Some(v) => {
                merged.insert(k.into(), v.clone());
            }
            None if has_port_level => {
                merged.remove(k);
            }
            None => {}
        }
    }
    for k in TOP_ONLY {
        if let Some(v) = sub.get(k) {
            merged.insert(k.into(), v.clone());
        }
    }
    merged
}

/// What a DestinationRule `trafficPolicy` (without subsets) gives `port`.
pub fn applied(tp: &Policy, port: u32) -> Policy {
    port_level(tp, port).unwrap_or_else(|| without_ports(tp.clone()))
}

/// The `trafficPolicy` for the subset Service's DestinationRule, such that every port in
/// `ports` gets the policy the subset's cluster gets on it. `Ok(None)`: every port gets the
/// defaults (no DestinationRule needed).
pub fn subset_service_policy(
    dr: Option<&Value>,
    subset: Option<&Value>,
    ports: &[u32],
) -> Result<Option<Value>, String> {
    let dr = dr.map(|v| object(Some(v)));
    let subset = subset.map(|v| object(Some(v)));
    for (what, p) in [("the DestinationRule's", &dr), ("the subset's", &subset)] {
        if let Some(p) = p {
            if let Some(k) = p.keys().find(|k| !TOP.contains(&k.as_str())) {
                return Err(format!(
                    "{what} trafficPolicy sets `{k}`, whose merge into a subset's policy the translation does not reproduce"
                ));
            }
        }
    }
    let per_port: Vec<(u32, Policy)> = ports
        .iter()
        .map(|p| (*p, effective(dr.as_ref(), subset.as_ref(), *p)))
        .collect();
    let Some((_, first)) = per_port.first() else {
        return Ok(None);
    };
    if per_port.iter().all(|(_, e)| e == first) {
        return Ok((!first.is_empty()).then(|| Value::Object(first.clone())));
    }
    // the top level: the one policy with fields a port-level entry cannot carry, else the
    // policy most ports get
    // (policy, ports, whether a port without any port-level entry has it: ties go to that one,
    // which keeps the DestinationRule's own shape)
    let mut distinct: Vec<(&Policy, (usize, bool))> = Vec::new();
    for (port, e) in &per_port {
        let natural = [&dr, &subset]
            .iter()
            .all(|p| p.as_ref().is_none_or(|p| port_level(p, *port).is_none()));
        match distinct.iter_mut().find(|(d, _)| *d == e) {
            Some(d) => {
                d.1 .0 += 1;
                d.1 .1 |= natural;
            }
            None => distinct.push((e, (1, natural))),
        }
    }
    let top_only: Vec<&Policy> = distinct
        .iter()
        .map(|(d, _)| *d)
        .filter(|d| TOP_ONLY.iter().any(|k| d.contains_key(*k)))
        .collect();
    let top: Policy = match top_only.as_slice() {
        [] => distinct
            .iter()
            .fold(
                None::<(&Policy, (usize, bool))>,
                |best, (d, n)| match best {
                    Some((_, bn)) if bn >= *n => best,
                    _ => Some((d, *n)),
                },
            )
            .map(|(d, _)| d.clone())
            .unwrap_or_default(),
        [one] => (*one).clone(),
        _ => {
            let ports: Vec<String> = per_port
                .iter()
                .filter(|(_, e)| TOP_ONLY.iter().any(|k| e.contains_key(*k)))
                .map(|(p, _)| p.to_string())
                .collect();
            return Err(format!(
                "the subset's effective traffic policy differs between ports {} and includes `tunnel` or `proxyProtocol`, which a DestinationRule can only set for all ports at once",
                ports.join(", ")
            ));
        }
    };
    let mut out = top.clone();
    let mut levels = Vec::new();
    for (port, e) in &per_port {
        if *e == top {
            continue;
        }
        let mut entry = Map::new();
        entry.insert("port".into(), serde_json::json!({"number": port}));
        for (k, v) in e {
            entry.insert(k.clone(), v.clone());
        }
        levels.push(Value::Object(entry));
    }
    out.insert("portLevelSettings".into(), Value::Array(levels));
    let out_v = Value::Object(out);
    // the form must give every port exactly its policy
    let check = object(Some(&out_v));
    for (port, e) in &per_port {
        if &applied(&check, *port) != e {
            return Err(format!(
                "no DestinationRule gives port {port} of the subset Service the subset's policy"
            ));
        }
    }
    Ok(Some(out_v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn port_level_replaces_the_top_level_then_the_subset_overrides() {
        // the review's case: top {cp 10, LEAST_REQUEST, port 9080 RANDOM}, subset ROUND_ROBIN
        let dr = json!({
            "connectionPool": {"http": {"http1MaxPendingRequests": 10}},
            "loadBalancer": {"simple": "LEAST_REQUEST"},
            "portLevelSettings": [{"port": {"number": 9080}, "loadBalancer": {"simple": "RANDOM"}}],
        });
        let sub = json!({"loadBalancer": {"simple": "ROUND_ROBIN"}});
        let got = subset_service_policy(Some(&dr), Some(&sub), &[9080]).unwrap();
        assert_eq!(
            got,
            Some(json!({"loadBalancer": {"simple": "ROUND_ROBIN"}}))
        );
        let got = subset_service_policy(Some(&dr), Some(&sub), &[9080, 9090]).unwrap();
        assert_eq!(
            got,
            Some(json!({
                "connectionPool": {"http": {"http1MaxPendingRequests": 10}},
                "loadBalancer": {"simple": "ROUND_ROBIN"},
                "portLevelSettings": [{"port": {"number": 9080}, "loadBalancer": {"simple": "ROUND_ROBIN"}}],
            }))
        );
    }

    #[test]
    fn tunnel_on_ports_with_different_policies_is_refused() {
        let dr = json!({
            "tunnel": {"protocol": "CONNECT", "targetHost": "a", "targetPort": 8080},
            "portLevelSettings": [{"port": {"number": 80}, "loadBalancer": {"simple": "RANDOM"}}],
        });
        // port 80 drops the tunnel, port 81 keeps it: fine (81 at the top level)
        let ok = subset_service_policy(Some(&dr), None, &[80, 81]).unwrap();
        assert!(ok.is_some());
        let sub = json!({"proxyProtocol": {"version": "V1"},
                         "portLevelSettings": [{"port": {"number": 81}, "tls": {"mode": "DISABLE"}}]});
        let dr2 = json!({"tunnel": {"protocol": "CONNECT", "targetHost": "a", "targetPort": 8080},
                         "loadBalancer": {"simple": "RANDOM"},
                         "portLevelSettings": [{"port": {"number": 80}, "loadBalancer": {"simple": "LEAST_REQUEST"}}]});
        // 80: {LEAST_REQUEST, proxyProtocol}; 81: {tls, tunnel}; 82: {RANDOM, tunnel, proxyProtocol}
        let err = subset_service_policy(Some(&dr2), Some(&sub), &[80, 81, 82]);
        assert!(err.is_err(), "{err:?}");
    }

    #[test]
    fn unknown_fields_are_refused_and_defaults_need_no_rule() {
        assert!(subset_service_policy(Some(&json!({"retryBudget": {}})), None, &[80]).is_err());
        assert_eq!(subset_service_policy(None, None, &[80]).unwrap(), None);
        let dr = json!({"portLevelSettings": [{"port": {"number": 80}, "loadBalancer": {"simple": "RANDOM"}}]});
        assert_eq!(
            subset_service_policy(Some(&dr), Some(&json!({})), &[80, 81]).unwrap(),
            Some(
                json!({"portLevelSettings": [{"port": {"number": 80}, "loadBalancer": {"simple": "RANDOM"}}]})
            )
        );
    }
}
