//! CS-DS-004: on GKE, a ztunnel or istio-cni DaemonSet outside kube-system is scheduled on no
//! node: GKE admits `system-node-critical` pods outside kube-system only under a ResourceQuota
//! scoped to that PriorityClass (istio.io platform prerequisites, "GKE"), which the charts
//! create with `resourceQuotas.enabled=true` (`templates/resourcequota.yaml` of both charts,
//! set by `global.platform=gke`).

use serde_json::json;

use crate::analysis::{platform, ClusterCtx};
use crate::finding::{Action, Finding, Object};
use crate::model::{Body, Resource};
use crate::rules;

/// The chart's quota for a node agent (same name, same pods limit).
fn quota(index: &crate::index::Index, d: &Resource, cni: bool) -> serde_json::Value {
    let base = if cni {
        "istio-cni-resource-quota".to_string()
    } else {
        d.name.to_string()
    };
    let taken = |n: &str| index.find("", "ResourceQuota", &d.namespace, n).is_some();
    let name = if !taken(&base) {
        base
    } else {
        (2..)
            .map(|i| format!("{base}-{i}"))
            .find(|n| !taken(n))
            .expect("an unused name")
    };
    json!({
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": name, "namespace": d.namespace.as_str()},
        "spec": {
            "hard": {"pods": "5000"},
            "scopeSelector": {"matchExpressions": [{
                "operator": "In",
                "scopeName": "PriorityClass",
                "values": ["system-node-critical"],
            }]},
        }
    })
}

pub fn cluster(g: &ClusterCtx, out: &mut Vec<Finding>) {
    let f = g.facts;
    if platform::detect(g).is_none_or(|p| p.name != "GKE") {
        return;
    }
    let agents = f
        .ztunnels
        .iter()
        .map(|d| (d, false))
        .chain(f.cnis.iter().map(|d| (d, true)));
    for (d, cni) in agents {
        if d.namespace == "kube-system" {
            continue;
        }
        let Body::Workload(w) = &d.body else { continue };
        let Some(st) = &w.ds_status else { continue };
        if st.desired.unwrap_or(0) == 0 || st.current.unwrap_or(0) > 0 {
            continue;
        }
        let has_quota = g.index.ns(&d.namespace).any(|r| {
            matches!(&r.body, Body::ResourceQuota(q) if q.priority_classes.iter().any(|c| c == "system-node-critical"))
        });
        if has_quota {
            continue;
        }
        let object = quota(g.index, d, cni);
        out.push(
            Finding::new(
                &rules::CS_DS_004,
                format!(
                    "DaemonSet {} should run on {} nodes but is scheduled on none: on GKE, system-node-critical pods outside kube-system are only admitted under a ResourceQuota for that PriorityClass, and \"{}\" has none. Apply ResourceQuota \"{}\" (what resourceQuotas.enabled=true renders) or reinstall with global.platform=gke.",
                    d.ns_name(),
                    st.desired.unwrap_or(0),
                    d.namespace,
                    object["metadata"]["name"].as_str().unwrap_or_default()
                ),
            )
            .on_node(d, d.name_span)
            .action(Action::Apply {
                resource: Object::new(&object),
                reason: format!(
                    "admit the system-node-critical pods of {} on GKE",
                    d.ns_name()
                ),
            }),
        );
    }
}
