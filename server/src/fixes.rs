//! Building the recommended objects (waypoints, policy copies, allow-from-waypoint) and the
//! kubectl commands of the actions. Names are deterministic.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::finding::{Action, LabelTarget, WorkloadTarget};
use crate::model::{Labels, Resource};

/// Kubernetes names are at most 253 characters (DNS subdomain); keep generated names well
/// within 63 so they also fit label values. Long names get a stable hash suffix.
pub fn k8s_name(base: &str) -> String {
    let cleaned: String = base
        .to_ascii_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let cleaned = cleaned.trim_matches(|c| c == '-' || c == '.').to_string();
    if cleaned.len() <= 63 {
        return cleaned;
    }
    let mut h: u64 = 0xcbf29ce484222325;
    for b in cleaned.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    let suffix = format!("{:08x}", h as u32);
    let keep = &cleaned[..54];
    format!("{}-{}", keep.trim_end_matches(['-', '.']), suffix)
}

pub fn waypoint_gateway(
    ns: &str,
    name: &str,
    revision: Option<&str>,
    waypoint_for: Option<&str>,
) -> Value {
    waypoint_gateway_from(ns, name, revision, waypoint_for, &[])
}

/// A waypoint Gateway whose HBONE listener also admits the namespaces `from` (their
/// `kubernetes.io/metadata.name`), for objects of other namespaces that use it.
pub fn waypoint_gateway_from(
    ns: &str,
    name: &str,
    revision: Option<&str>,
    waypoint_for: Option<&str>,
    from: &[String],
) -> Value {
    let mut metadata = Map::new();
    metadata.insert("name".into(), json!(name));
    metadata.insert("namespace".into(), json!(ns));
    let mut labels = Map::new();
    if let Some(r) = revision {
        labels.insert("istio.io/rev".into(), json!(r));
    }
    if let Some(f) = waypoint_for {
        labels.insert("istio.io/waypoint-for".into(), json!(f));
    }
    if !labels.is_empty() {
        metadata.insert("labels".into(), Value::Object(labels));
    }
    let mut listener = json!({"name": "mesh", "port": 15008, "protocol": "HBONE"});
    if !from.is_empty() {
        listener["allowedRoutes"] = json!({"namespaces": {
            "from": "Selector",
            "selector": {"matchExpressions": [{
                "key": "kubernetes.io/metadata.name",
                "operator": "In",
                "values": from
            }]}
        }});
    }
    json!({
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": Value::Object(metadata),
        "spec": {
            "gatewayClassName": "istio-waypoint",
            "listeners": [listener]
        }
    })
}

pub fn target_ref_service(name: &str) -> Value {
    json!({"kind": "Service", "group": "", "name": name})
}

pub fn target_ref_service_entry(name: &str) -> Value {
    json!({"kind": "ServiceEntry", "group": "networking.istio.io", "name": name})
}

pub fn target_ref_gateway(name: &str) -> Value {
    json!({"kind": "Gateway", "group": "gateway.networking.k8s.io", "name": name})
}

pub fn target_ref_waypoint_class() -> Value {
    json!({"kind": "GatewayClass", "group": "gateway.networking.k8s.io", "name": "istio-waypoint"})
}

fn meta(name: &str, ns: &str) -> Value {
    json!({"name": name, "namespace": ns})
}

/// A copy of an AuthorizationPolicy that the waypoint enforces.
pub fn authz_copy(
    name: &str,
    ns: &str,
    target_refs: Vec<Value>,
    action: &str,
    provider: Option<&str>,
    rules: &Value,
) -> Value {
    let mut spec = Map::new();
    spec.insert("targetRefs".into(), Value::Array(target_refs));
    spec.insert("action".into(), json!(action));
    if let Some(p) = provider {
        spec.insert("provider".into(), json!({"name": p}));
    }
    if !rules.is_null() {
        spec.insert("rules".into(), rules.clone());
    }
    json!({
        "apiVersion": "security.istio.io/v1",
        "kind": "AuthorizationPolicy",
        "metadata": meta(name, ns),
        "spec": Value::Object(spec),
    })
}

/// P004: the workload allows traffic from its waypoint (enforced by the sidecar now, ztunnel later).
pub fn allow_from_waypoint(name: &str, ns: &str, selector: &Labels, principal: &str) -> Value {
    json!({
        "apiVersion": "security.istio.io/v1",
        "kind": "AuthorizationPolicy",
        "metadata": meta(name, ns),
        "spec": {
            "selector": {"matchLabels": selector.to_json()},
            "action": "ALLOW",
            "rules": [{"from": [{"source": {"principals": [principal]}}]}]
        }
    })
}

/// A copy of a selector-based policy (RequestAuthentication, Telemetry, WasmPlugin) with
/// `targetRefs` instead of `selector`.
pub fn spec_copy(
    api_version: &str,
    kind: &str,
    name: &str,
    ns: &str,
    spec: &Value,
    target_refs: Vec<Value>,
) -> Value {
    let mut out = Map::new();
    out.insert("targetRefs".into(), Value::Array(target_refs));
    if let Value::Object(m) = spec {
        for (k, v) in m {
            if k == "selector" || k == "targetRef" || k == "targetRefs" || k == "workloadSelector" {
                continue;
            }
            out.insert(k.clone(), v.clone());
        }
    }
    json!({
        "apiVersion": api_version,
        "kind": kind,
        "metadata": meta(name, ns),
        "spec": Value::Object(out),
    })
}

pub fn plural(kind: &str) -> &'static str {
    match kind {
        "AuthorizationPolicy" => "authorizationpolicies.security.istio.io",
        "RequestAuthentication" => "requestauthentications.security.istio.io",
        "PeerAuthentication" => "peerauthentications.security.istio.io",
        "Telemetry" => "telemetries.telemetry.istio.io",
        "WasmPlugin" => "wasmplugins.extensions.istio.io",
        "EnvoyFilter" => "envoyfilters.networking.istio.io",
        "Sidecar" => "sidecars.networking.istio.io",
        "DestinationRule" => "destinationrules.networking.istio.io",
        "VirtualService" => "virtualservices.networking.istio.io",
        "ServiceEntry" => "serviceentries.networking.istio.io",
        "Gateway" => "gateways.gateway.networking.k8s.io",
        "MutatingWebhookConfiguration" => {
            "mutatingwebhookconfigurations.admissionregistration.k8s.io"
        }
        "ValidatingWebhookConfiguration" => {
            "validatingwebhookconfigurations.admissionregistration.k8s.io"
        }
        _ => "",
    }
}

/// Set labels on an object (`Namespace`, `Service`, …) with the given kubectl command.
pub fn label_action(
    kind: &str,
    ns: &str,
    name: &str,
    set: &[(&str, String)],
    command: String,
) -> Action {
    Action::Label {
        target: LabelTarget {
            kind: kind.to_string(),
            namespace: if kind == "Namespace" {
                None
            } else {
                Some(ns.to_string())
            },
            name: name.to_string(),
        },
        set: set
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect::<BTreeMap<_, _>>(),
        remove: Vec::new(),
        command,
    }
}

/// Delete a resource of the input.
pub fn delete_action(r: &Resource) -> Action {
    Action::Delete {
        resource: r.ref_(),
        command: delete_command(&r.kind, &r.namespace, &r.name),
    }
}

pub fn workload_target(kind: &str, ns: &str, name: &str) -> WorkloadTarget {
    WorkloadTarget {
        kind: kind.to_string(),
        namespace: ns.to_string(),
        name: name.to_string(),
    }
}

/// Whether `kubectl rollout restart` works for a kind (kubectl's
/// `polymorphichelpers.defaultObjectRestarter` knows Deployment, DaemonSet and StatefulSet only).
pub fn can_rollout(kind: &str) -> bool {
    matches!(kind, "Deployment" | "DaemonSet" | "StatefulSet")
}

/// Re-create the pods of the controller `kind/name` (the top of their `ownerReferences` chain;
/// `Pod` for a Pod nothing owns) so the webhook decides anew whether they get a sidecar:
/// `kubectl rollout restart` for a Deployment, DaemonSet or StatefulSet, a manual step for every
/// other kind. Never a command that deletes a Pod nothing re-creates.
pub fn restart_action(kind: &str, ns: &str, name: &str) -> Action {
    if can_rollout(kind) {
        return Action::Restart {
            workload: workload_target(kind, ns, name),
            command: format!(
                "kubectl rollout restart {}/{name} -n {ns}",
                kind.to_ascii_lowercase()
            ),
        };
    }
    Action::Manual {
        workload: workload_target(kind, ns, name),
        step: manual_restart(kind, ns, name),
    }
}

/// What to do by hand to re-create the pods of a controller `kubectl rollout restart` does not
/// know.
fn manual_restart(kind: &str, ns: &str, name: &str) -> String {
    match kind {
        "Pod" => format!("Pod {ns}/{name} has no controller (no ownerReferences): deleting it would not bring it back. Re-create it from its manifest when it can be interrupted (kubectl replace --force -f <its manifest>), or leave it on its sidecar."),
        "Job" => format!("Job {ns}/{name}: its pod template cannot be changed and its running pods keep their sidecar until they finish; the next Job created from its manifest starts without one (delete and re-create the Job only if it must run again now)."),
        "CronJob" => format!("CronJob {ns}/{name}: its next scheduled run starts without a sidecar, nothing to restart (to run it now: kubectl create job -n {ns} --from=cronjob/{name} {name}-ambient)."),
        "ReplicaSet" | "ReplicationController" => format!("{kind} {ns}/{name} has no rollout: delete its pods one at a time (kubectl delete pod -n {ns} <pod>), waiting for each replacement to be ready."),
        "Node" => format!("static Pod of node {name} in {ns}: the kubelet runs it from a manifest file on that node; change and restart it there."),
        _ => format!("{kind} {ns}/{name} manages these pods; restart them the way that controller supports (kubectl rollout restart works only for Deployments, DaemonSets and StatefulSets)."),
    }
}

/// Set and remove labels on the pod template of controller `kind/name` (the Pod's own labels
/// for a bare Pod). With kubectl: a merge patch of the template (which rolls a Deployment,
/// DaemonSet or StatefulSet out, so the script then waits for the rollout), `kubectl label` for
/// a Pod when `live` (the change takes effect on the running Pod, like
/// `istio.io/dataplane-mode`), else no command: the returned manual step says what to do.
/// A Deployment that is paused (`spec.paused`) or a StatefulSet/DaemonSet whose
/// `updateStrategy` is `OnDelete` (as `index` holds it) does not roll out on the patch:
/// `kubectl rollout status` would wait until its timeout and stop the script (`set -e`), so the
/// patch is followed by a manual step (resume it / delete its pods one at a time) instead.
pub fn label_template_actions(
    index: &crate::index::Index,
    kind: &str,
    ns: &str,
    name: &str,
    set: &[(&str, &str)],
    remove: &[&str],
    live: bool,
) -> Vec<Action> {
    let mut labels = Map::new();
    for (k, v) in set {
        labels.insert(k.to_string(), json!(v));
    }
    for k in remove {
        labels.insert(k.to_string(), Value::Null);
    }
    let meta = json!({"metadata": {"labels": Value::Object(labels)}});
    let patch = |template: Value| {
        format!(
            "kubectl patch {} {name} -n {ns} --type=merge -p {}",
            kind.to_ascii_lowercase(),
            sh(&template.to_string())
        )
    };
    let mut commands = Vec::new();
    let mut manual = None;
    let what = set
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .chain(remove.iter().map(|k| format!("{k}-")))
        .collect::<Vec<_>>()
        .join(" ");
    match kind {
        "Deployment" | "DaemonSet" | "StatefulSet" => {
            commands.push(patch(json!({"spec": {"template": meta}})));
            let lower = kind.to_ascii_lowercase();
            let w = index.ns(ns).find_map(|r| match &r.body {
                crate::model::Body::Workload(w) if r.kind == kind && r.name == name => Some(w),
                _ => None,
            });
            match w {
                Some(w) if kind == "Deployment" && w.paused => {
                    manual = Some(format!("Deployment {ns}/{name} is paused (spec.paused: true): the template change ({what}) reaches its pods only once it is resumed (kubectl rollout resume deployment/{name} -n {ns}, which also rolls out its other pending changes; then kubectl rollout status deployment/{name} -n {ns}). Until then its pods keep their old labels."));
                }
                Some(w) if kind != "Deployment" && w.on_delete => {
                    manual = Some(format!("{kind} {ns}/{name} uses updateStrategy OnDelete: the template change ({what}) replaces no pod. Delete its pods one at a time (kubectl delete pod -n {ns} <pod>), waiting for each replacement to be ready; until then they keep their old labels."));
                }
                _ => commands.push(format!(
                    "kubectl rollout status {lower}/{name} -n {ns} --timeout=10m"
                )),
            }
        }
        "CronJob" => {
            commands.push(patch(
                json!({"spec": {"jobTemplate": {"spec": {"template": meta}}}}),
            ));
        }
        "ReplicaSet" => {
            commands.push(patch(json!({"spec": {"template": meta}})));
            manual = Some(manual_restart(kind, ns, name));
        }
        "Pod" if live => {
            let mut parts: Vec<String> = set.iter().map(|(k, v)| format!("{k}={v}")).collect();
            parts.extend(remove.iter().map(|k| format!("{k}-")));
            commands.push(format!(
                "kubectl label pod -n {ns} {name} {} --overwrite",
                parts.join(" ")
            ));
        }
        "Pod" => {
            manual = Some(format!("Pod {ns}/{name} has no controller: change its labels ({what}) in its manifest and re-create it from that manifest when it can be interrupted (kubectl replace --force -f <its manifest>)."));
        }
        "Job" => {
            manual = Some(format!("Job {ns}/{name}: a Job's pod template cannot be changed; set the labels ({what}) in its manifest, so the next Job created from it has them."));
        }
        _ => {
            manual = Some(format!("{kind} {ns}/{name}: set the labels ({what}) on the pod template it creates pods from."));
        }
    }
    let mut out = vec![Action::LabelTemplate {
        workload: workload_target(kind, ns, name),
        set: set
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        remove: remove.iter().map(|k| k.to_string()).collect(),
        commands,
    }];
    if let Some(step) = manual {
        out.push(Action::Manual {
            workload: workload_target(kind, ns, name),
            step,
        });
    }
    out
}

/// `kubectl delete`; a cluster-scoped object (no namespace) gets no `-n`.
pub fn delete_command(kind: &str, ns: &str, name: &str) -> String {
    if ns.is_empty() {
        return format!("kubectl delete {} {}", plural(kind), name);
    }
    format!("kubectl delete {} -n {} {}", plural(kind), ns, name)
}

/// Shell-quote a word only when needed.
pub fn sh(word: &str) -> String {
    if word
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_./=:@".contains(c))
        && !word.is_empty()
    {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_dns_safe_and_stable() {
        assert_eq!(k8s_name("echo-policies"), "echo-policies");
        assert_eq!(k8s_name("Echo_Policies"), "echo-policies");
        let long = "a".repeat(100);
        let n = k8s_name(&long);
        assert!(n.len() <= 63);
        assert_eq!(n, k8s_name(&long));
    }
}
