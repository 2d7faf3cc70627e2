//! Drift between a workspace manifest and the live object of the same identity: which fields
//! differ, ignoring what the API server sets or defaults. Pure: two JSON values in, a list of
//! differences out (the rules DRIFT-001…003 are `phases/input/drift.rs`).
//!
//! What is compared: `metadata.labels`, `metadata.annotations` and every top-level field except
//! `apiVersion`, `kind`, `metadata` and `status` (`spec`, a ConfigMap's `data`, a webhook
//! configuration's `webhooks`…). The identity (group, kind, namespace, name) is what pairs the
//! two objects, so the API version may differ (a `v1beta1` manifest of an object served at
//! `v1`).
//!
//! What never counts (the table is [`rule_of`], documented in docs/cluster.md):
//! - fields the server sets: `status`, `metadata.managedFields`, `resourceVersion`, `uid`,
//!   `creationTimestamp` (also in templates), `generation`, a Service's `clusterIP(s)`,
//!   `ipFamilies`, `ipFamilyPolicy`, node ports, a Job's generated `selector` and labels, a
//!   webhook's injected `caBundle`, the `failurePolicy` istiod sets to `Fail` on its validating
//!   webhooks… — unless the workspace sets them (then they are compared);
//! - defaults, when the workspace leaves the field out and the cluster holds the default value
//!   (`replicas: 1`, `protocol: TCP`, a container's `terminationMessagePath`, `targetPort` =
//!   `port`, a Deployment's rolling-update strategy, Gateway API `parentRefs` group/kind…);
//! - annotations and labels written by the server or by the tools that apply manifests
//!   (kubectl's `last-applied-configuration`, `deployment.kubernetes.io/revision`, Helm's
//!   `meta.helm.sh/*`, `kubernetes.io/metadata.name`, a Job's `controller-uid`…); a Job without
//!   labels of its own has its pod template's;
//! - an empty map, list or null on one side and nothing on the other.
//!
//! Lists with a merge key (containers and volumes by `name`, container ports by
//! `containerPort`, Service ports by `port`, env by `name`…) are matched by key, other lists
//! item by item (order matters: a VirtualService's `http` routes are first-match).

use serde_json::Value;

use crate::model::Resource;

/// What pairs a workspace object with a cluster object.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Identity {
    pub group: String,
    pub kind: String,
    /// `""` for cluster-scoped kinds; `default` for a namespaced manifest without one.
    pub namespace: String,
    pub name: String,
}

impl Identity {
    pub fn of(r: &Resource) -> Identity {
        Identity {
            group: r.group.to_string(),
            kind: r.kind.to_string(),
            namespace: r.namespace.to_string(),
            name: r.name.to_string(),
        }
    }

    /// A workspace manifest's identity in a context whose namespace is `namespace`: a
    /// namespaced object without `metadata.namespace` is applied there (as kubectl does).
    pub fn of_manifest(r: &Resource, namespace: &str) -> Identity {
        let mut id = Identity::of(r);
        if !r.namespace_explicit && !id.namespace.is_empty() && !namespace.is_empty() {
            id.namespace = namespace.to_string();
        }
        id
    }
}

/// One step of the path to a field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(usize),
    /// A list item matched by its merge key (`containers[name=reviews]`).
    Item {
        key: &'static str,
        value: String,
    },
}

/// A field that differs: its value in the workspace and in the cluster (`None`: absent).
#[derive(Clone, Debug, PartialEq)]
pub struct Diff {
    pub path: Vec<Step>,
    pub workspace: Option<Value>,
    pub cluster: Option<Value>,
}

fn key_text(k: &str) -> String {
    if !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        k.to_string()
    } else {
        format!("[{}]", Value::String(k.to_string()))
    }
}

impl Diff {
    /// `spec.template.spec.containers[name=reviews].image`, `metadata.labels["istio.io/rev"]`.
    pub fn path_text(&self) -> String {
        let mut out = String::new();
        for s in &self.path {
            match s {
                Step::Key(k) => {
                    let t = key_text(k);
                    if !out.is_empty() && !t.starts_with('[') {
                        out.push('.');
                    }
                    out.push_str(&t);
                }
                Step::Index(i) => out.push_str(&format!("[{i}]")),
                Step::Item { key, value } => out.push_str(&format!("[{key}={value}]")),
            }
        }
        out
    }
}

/// How a field is treated when only the cluster has it (or, for `Quantity`, always).
#[derive(Clone, Debug, PartialEq)]
pub enum Rule {
    /// Set by the server (or a controller): ignored unless the workspace sets it.
    Server,
    /// Defaulted to this value: ignored when the workspace leaves it out and the cluster holds
    /// this value.
    Default(Value),
    /// Defaulted to the value of a sibling field (`targetPort` = `port`).
    SameAs(&'static str),
    /// A container's `imagePullPolicy`: `Always` for `:latest` or untagged images, else
    /// `IfNotPresent`.
    ImagePull,
    /// A resource quantity (`500m` = `0.5`, `1Gi` = `1073741824`).
    Quantity,
}

/// Metadata keys (labels, annotations) set by the server or by the tools that apply manifests.
const IGNORED_ANNOTATIONS: &[&str] = &[
    "kubectl.kubernetes.io/last-applied-configuration",
    "kubectl.kubernetes.io/restartedAt",
    "deployment.kubernetes.io/revision",
    "deployment.kubernetes.io/desired-replicas",
    "deployment.kubernetes.io/max-replicas",
    "deprecated.daemonset.template.generation",
    "control-plane.alpha.kubernetes.io/leader",
    "endpoints.kubernetes.io/last-change-trigger-time",
    "argocd.argoproj.io/tracking-id",
];
const IGNORED_ANNOTATION_PREFIXES: &[&str] = &["meta.helm.sh/", "autoscaling.alpha.kubernetes.io/"];
const IGNORED_LABELS: &[&str] = &[
    "kubernetes.io/metadata.name",
    "controller-revision-hash",
    "pod-template-generation",
    "pod-template-hash",
];
const IGNORED_LABEL_PREFIXES: &[&str] =
    &["kustomize.toolkit.fluxcd.io/", "helm.toolkit.fluxcd.io/"];

/// Labels the API server adds to a Job without `manualSelector` (on its pod template, and so
/// on its Pods), next to the generated `spec.selector` (Kubernetes `pkg/registry/batch/job`
/// `generateSelector`). Ignored on Jobs and Pods only: anywhere else they are the user's.
const JOB_LABELS: &[&str] = &[
    "controller-uid",
    "job-name",
    "batch.kubernetes.io/controller-uid",
    "batch.kubernetes.io/job-name",
];

fn ignored_meta_key(group: &str, kind: &str, map: &str, key: &str) -> bool {
    if map == "labels"
        && matches!((group, kind), ("batch", "Job") | ("", "Pod"))
        && JOB_LABELS.contains(&key)
    {
        return true;
    }
    match map {
        "annotations" => {
            IGNORED_ANNOTATIONS.contains(&key)
                || IGNORED_ANNOTATION_PREFIXES
                    .iter()
                    .any(|p| key.starts_with(p))
        }
        "labels" => {
            IGNORED_LABELS.contains(&key)
                || IGNORED_LABEL_PREFIXES.iter().any(|p| key.starts_with(p))
        }
        _ => false,
    }
}

/// Where a kind keeps its pod template's spec (the pod defaults apply below it).
fn pod_spec_prefix(group: &str, kind: &str) -> Option<&'static str> {
    match (group, kind) {
        ("", "Pod") => Some("spec"),
        ("apps", "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet") | ("batch", "Job") => {
            Some("spec.template.spec")
        }
        ("batch", "CronJob") => Some("spec.jobTemplate.spec.template.spec"),
        _ => None,
    }
}

fn probe_rule(rest: &str) -> Option<Rule> {
    let v = match rest {
        "timeoutSeconds" => Value::from(1),
        "periodSeconds" => Value::from(10),
        "successThreshold" => Value::from(1),
        "failureThreshold" => Value::from(3),
        "httpGet.scheme" => Value::from("HTTP"),
        _ => return None,
    };
    Some(Rule::Default(v))
}

/// Defaults of a PodSpec (`p` is the path below it).
fn pod_rule(p: &str) -> Option<Rule> {
    let d = |v: Value| Some(Rule::Default(v));
    match p {
        "dnsPolicy" => return d("ClusterFirst".into()),
        "restartPolicy" => return d("Always".into()),
        "terminationGracePeriodSeconds" => return d(30.into()),
        "securityContext" => return d(serde_json::json!({})),
        "schedulerName" => return d("default-scheduler".into()),
        "serviceAccount" => return Some(Rule::SameAs("serviceAccountName")),
        "volumes[].configMap.defaultMode"
        | "volumes[].secret.defaultMode"
        | "volumes[].projected.defaultMode"
        | "volumes[].downwardAPI.defaultMode" => return d(420.into()),
        "volumes[].downwardAPI.items[].fieldRef.apiVersion"
        | "volumes[].projected.sources[].downwardAPI.items[].fieldRef.apiVersion" => {
            return d("v1".into())
        }
        "volumes[].projected.sources[].serviceAccountToken.expirationSeconds" => {
            return d(3600.into())
        }
        "volumes[].hostPath.type" => return d("".into()),
        _ => {}
    }
    let rest = p
        .strip_prefix("containers[].")
        .or_else(|| p.strip_prefix("initContainers[]."))?;
    match rest {
        "terminationMessagePath" => d("/dev/termination-log".into()),
        "terminationMessagePolicy" => d("File".into()),
        "imagePullPolicy" => Some(Rule::ImagePull),
        "resources" => d(serde_json::json!({})),
        "ports[].protocol" => d("TCP".into()),
        "env[].valueFrom.fieldRef.apiVersion" => d("v1".into()),
        _ => ["livenessProbe.", "readinessProbe.", "startupProbe."]
            .iter()
            .find_map(|pr| rest.strip_prefix(pr))
            .and_then(probe_rule),
    }
}

fn gateway_api_rule(kind: &str, p: &str) -> Option<Rule> {
    let d = |v: Value| Some(Rule::Default(v));
    let prefix_slash = || serde_json::json!({"type": "PathPrefix", "value": "/"});
    match p {
        "spec.parentRefs[].group" if kind != "Gateway" => d("gateway.networking.k8s.io".into()),
        "spec.parentRefs[].kind" if kind != "Gateway" => d("Gateway".into()),
        "spec.rules[].backendRefs[].group"
        | "spec.rules[].filters[].requestMirror.backendRef.group" => d("".into()),
        "spec.rules[].backendRefs[].kind"
        | "spec.rules[].filters[].requestMirror.backendRef.kind" => d("Service".into()),
        "spec.rules[].backendRefs[].weight" => d(1.into()),
        "spec.rules" if kind == "HTTPRoute" => {
            d(serde_json::json!([{"matches": [{"path": prefix_slash()}]}]))
        }
        "spec.rules[].matches" if kind == "HTTPRoute" => {
            d(serde_json::json!([{"path": prefix_slash()}]))
        }
        "spec.rules[].matches[].path" if kind == "HTTPRoute" => d(prefix_slash()),
        "spec.rules[].matches[].path.type" if kind == "HTTPRoute" => d("PathPrefix".into()),
        "spec.rules[].matches[].path.value" if kind == "HTTPRoute" => d("/".into()),
        "spec.rules[].matches[].headers[].type"
        | "spec.rules[].matches[].queryParams[].type"
        | "spec.rules[].matches[].method.type" => d("Exact".into()),
        "spec.listeners[].allowedRoutes" if kind == "Gateway" => {
            d(serde_json::json!({"namespaces": {"from": "Same"}}))
        }
        "spec.listeners[].allowedRoutes.namespaces.from" if kind == "Gateway" => d("Same".into()),
        "spec.listeners[].allowedRoutes.namespaces" if kind == "Gateway" => {
            d(serde_json::json!({"from": "Same"}))
        }
        "spec.addresses[].type" if kind == "Gateway" => d("IPAddress".into()),
        _ => None,
    }
}

/// How the field at pattern path `p` (keys joined with `.`, list items as `[]`) of a
/// `group`/`kind` object is treated. `None`: compared as it is.
pub fn rule_of(group: &str, kind: &str, p: &str) -> Option<Rule> {
    if p.ends_with("metadata.creationTimestamp") || p.ends_with("].status") {
        return Some(Rule::Server);
    }
    let parent = p.rsplit_once('.').map(|(a, _)| a).unwrap_or("");
    let last_parent = parent.rsplit('.').next().unwrap_or("");
    if matches!(last_parent, "limits" | "requests" | "hard") || p.ends_with("sizeLimit") {
        return Some(Rule::Quantity);
    }
    if let Some(prefix) = pod_spec_prefix(group, kind) {
        if let Some(rest) = p.strip_prefix(prefix).and_then(|r| r.strip_prefix('.')) {
            if let Some(r) = pod_rule(rest) {
                return Some(r);
            }
        }
    }
    if group == "gateway.networking.k8s.io" {
        return gateway_api_rule(kind, p);
    }
    let d = |v: Value| Some(Rule::Default(v));
    match (group, kind, p) {
        ("", "Namespace", "spec.finalizers") => Some(Rule::Server),
        ("", "Service", _) => match p {
            "spec.clusterIP"
            | "spec.clusterIPs"
            | "spec.ipFamilies"
            | "spec.ipFamilyPolicy"
            | "spec.ports[].nodePort"
            | "spec.healthCheckNodePort" => Some(Rule::Server),
            "spec.type" => d("ClusterIP".into()),
            "spec.sessionAffinity" => d("None".into()),
            "spec.internalTrafficPolicy" | "spec.externalTrafficPolicy" => d("Cluster".into()),
            "spec.allocateLoadBalancerNodePorts" => d(true.into()),
            "spec.ports[].protocol" => d("TCP".into()),
            "spec.ports[].targetPort" => Some(Rule::SameAs("port")),
            "spec.sessionAffinityConfig.clientIP.timeoutSeconds" => d(10800.into()),
            _ => None,
        },
        ("apps", "Deployment", _) => match p {
            "spec.replicas" => d(1.into()),
            "spec.revisionHistoryLimit" => d(10.into()),
            "spec.progressDeadlineSeconds" => d(600.into()),
            "spec.strategy.type" => d("RollingUpdate".into()),
            "spec.strategy.rollingUpdate.maxSurge"
            | "spec.strategy.rollingUpdate.maxUnavailable" => d("25%".into()),
            _ => None,
        },
        ("apps", "StatefulSet", _) => match p {
            "spec.replicas" => d(1.into()),
            "spec.revisionHistoryLimit" => d(10.into()),
            "spec.podManagementPolicy" => d("OrderedReady".into()),
            "spec.updateStrategy.type" => d("RollingUpdate".into()),
            "spec.updateStrategy.rollingUpdate.partition" => d(0.into()),
            "spec.persistentVolumeClaimRetentionPolicy.whenDeleted"
            | "spec.persistentVolumeClaimRetentionPolicy.whenScaled" => d("Retain".into()),
            "spec.volumeClaimTemplates[].apiVersion" => d("v1".into()),
            "spec.volumeClaimTemplates[].kind" => d("PersistentVolumeClaim".into()),
            "spec.volumeClaimTemplates[].spec.volumeMode" => d("Filesystem".into()),
            _ => None,
        },
        ("apps", "DaemonSet", _) => match p {
            "spec.revisionHistoryLimit" => d(10.into()),
            "spec.updateStrategy.type" => d("RollingUpdate".into()),
            "spec.updateStrategy.rollingUpdate.maxUnavailable" => d(1.into()),
            "spec.updateStrategy.rollingUpdate.maxSurge" => d(0.into()),
            _ => None,
        },
        ("apps", "ReplicaSet", "spec.replicas") => d(1.into()),
        ("batch", "Job", _) => match p {
            // generated with the template's labels unless `manualSelector` (which the server
            // then sets to `false`)
            "spec.selector" => Some(Rule::Server),
            "spec.manualSelector" => d(false.into()),
            "spec.backoffLimit" => d(6.into()),
            "spec.completions" | "spec.parallelism" => d(1.into()),
            "spec.completionMode" => d("NonIndexed".into()),
            "spec.suspend" => d(false.into()),
            "spec.podReplacementPolicy" => d("TerminatingOrFailed".into()),
            _ => None,
        },
        ("batch", "CronJob", _) => match p {
            "spec.concurrencyPolicy" => d("Allow".into()),
            "spec.suspend" => d(false.into()),
            "spec.successfulJobsHistoryLimit" => d(3.into()),
            "spec.failedJobsHistoryLimit" => d(1.into()),
            _ => None,
        },
        ("networking.k8s.io", "NetworkPolicy", _) => match p {
            "spec.policyTypes" => Some(Rule::Server),
            "spec.ingress[].ports[].protocol" | "spec.egress[].ports[].protocol" => d("TCP".into()),
            _ => None,
        },
        ("admissionregistration.k8s.io", _, _) => match p {
            "webhooks[].clientConfig.caBundle" => Some(Rule::Server),
            "webhooks[].failurePolicy" => d("Fail".into()),
            "webhooks[].matchPolicy" => d("Equivalent".into()),
            "webhooks[].reinvocationPolicy" => d("Never".into()),
            "webhooks[].timeoutSeconds" => d(10.into()),
            "webhooks[].rules[].scope" => d("*".into()),
            "webhooks[].clientConfig.service.port" => d(443.into()),
            _ => None,
        },
        ("apiextensions.k8s.io", "CustomResourceDefinition", "spec.conversion.strategy") => {
            d("None".into())
        }
        _ => None,
    }
}

/// The merge key of the items of the list at pattern path `p`, if it has one.
fn merge_key(p: &str) -> Option<&'static str> {
    let last = p.rsplit('.').next().unwrap_or(p);
    match last {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "volumes"
        | "env"
        | "imagePullSecrets"
        | "webhooks" => Some("name"),
        "volumeMounts" => Some("mountPath"),
        "volumeDevices" => Some("devicePath"),
        "ports" if p.ends_with("ontainers[].ports") => Some("containerPort"),
        "ports" if p == "spec.ports" => Some("port"),
        _ => None,
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

fn item_key(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// A Kubernetes quantity in base units (`None` if it is not one).
pub fn quantity(v: &Value) -> Option<f64> {
    let s = match v {
        Value::Number(n) => return n.as_f64(),
        Value::String(s) => s.trim(),
        _ => return None,
    };
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
        .unwrap_or(s.len());
    let (num, suffix) = s.split_at(split);
    let n: f64 = num.parse().ok()?;
    let mult = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        e if e.starts_with(['e', 'E']) => 10f64.powi(e[1..].parse::<i32>().ok()?),
        _ => return None,
    };
    Some(n * mult)
}

fn image_pull_default(container: Option<&Value>) -> Option<Value> {
    let image = container?.get("image")?.as_str()?;
    let after_slash = image.rsplit('/').next().unwrap_or(image);
    let tag = if image.contains('@') {
        Some("digest")
    } else {
        after_slash.split_once(':').map(|(_, t)| t)
    };
    Some(Value::from(match tag {
        None | Some("latest") => "Always",
        Some(_) => "IfNotPresent",
    }))
}

struct Walker<'a> {
    group: &'a str,
    kind: &'a str,
    out: Vec<Diff>,
    path: Vec<Step>,
    /// Keys joined with `.`, list items as `[]`.
    pattern: Vec<String>,
}

impl Walker<'_> {
    fn pattern_text(&self) -> String {
        let mut s = String::new();
        for p in &self.pattern {
            if p == "[]" {
                s.push_str("[]");
            } else {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(p);
            }
        }
        s
    }

    fn rule(&self) -> Option<Rule> {
        rule_of(self.group, self.kind, &self.pattern_text())
    }

    /// `labels` or `annotations` when the current map is a `metadata.labels`/`annotations`
    /// (the object's own, or a template's).
    fn meta_map(&self) -> Option<String> {
        let n = self.pattern.len();
        self.pattern.last().cloned().filter(|l| {
            matches!(l.as_str(), "labels" | "annotations")
                && n >= 2
                && self.pattern[n - 2] == "metadata"
        })
    }

    /// A value istiod changes once it runs: the `failurePolicy` of Istio's validating webhooks
    /// (`validation.istio.io`, `rev.validation.istio.io` of `istio-validator-*`/
    /// `istiod-default-validator`), installed as `Ignore` and patched to `Fail` when the webhook
    /// is ready. The chart says so (`istiod` `validatingwebhookconfiguration.yaml`: "Fail open
    /// until the validation webhook is ready. The webhook controller will update this to `Fail`
    /// and patch in the `caBundle` when the webhook endpoint is ready."; istio
    /// `pkg/webhooks/validation/controller`). Only that direction: a cluster still at `Ignore`
    /// while the manifest says `Fail` is drift.
    fn patched_by_istiod(&self, w: &Value, c: &Value) -> bool {
        self.group == "admissionregistration.k8s.io"
            && self.kind == "ValidatingWebhookConfiguration"
            && self.pattern_text() == "webhooks[].failurePolicy"
            && w == "Ignore"
            && c == "Fail"
            && self.path.iter().any(|s| {
                matches!(s, Step::Item { key: "name", value }
                    if value == "validation.istio.io" || value == "rev.validation.istio.io")
            })
    }

    fn push(&mut self, ws: Option<&Value>, cl: Option<&Value>) {
        self.out.push(Diff {
            path: self.path.clone(),
            workspace: ws.cloned(),
            cluster: cl.cloned(),
        });
    }

    fn enter<R>(&mut self, step: Step, pat: &str, f: impl FnOnce(&mut Self) -> R) -> R {
        self.path.push(step);
        self.pattern.push(pat.to_string());
        let r = f(self);
        self.path.pop();
        self.pattern.pop();
        r
    }

    /// Compare a field present on at least one side. `cl_parent`: the cluster's map that holds
    /// it (for defaults that depend on a sibling).
    fn field(&mut self, ws: Option<&Value>, cl: Option<&Value>, cl_parent: Option<&Value>) {
        let ws = ws.filter(|v| !is_empty(v));
        let cl = cl.filter(|v| !is_empty(v));
        match (ws, cl) {
            (None, None) => {}
            (Some(w), Some(c)) => self.both(w, c),
            (None, Some(c)) => self.cluster_only(c, cl_parent),
            (Some(w), None) => self.workspace_only(w),
        }
    }

    fn both(&mut self, w: &Value, c: &Value) {
        if w == c || self.patched_by_istiod(w, c) {
            return;
        }
        if self.rule() == Some(Rule::Quantity) {
            if let (Some(a), Some(b)) = (quantity(w), quantity(c)) {
                if (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0) {
                    return;
                }
            }
        }
        match (w, c) {
            (Value::Object(wm), Value::Object(cm)) => self.maps(wm, cm, c),
            (Value::Array(wa), Value::Array(ca)) => self.lists(wa, ca),
            // numbers written differently (1 and 1.0)
            (Value::Number(a), Value::Number(b)) if a.as_f64() == b.as_f64() => {}
            _ => self.push(Some(w), Some(c)),
        }
    }

    fn maps(
        &mut self,
        wm: &serde_json::Map<String, Value>,
        cm: &serde_json::Map<String, Value>,
        c: &Value,
    ) {
        let meta_map = self.meta_map();
        let mut keys: Vec<&String> = wm.keys().collect();
        for k in cm.keys() {
            if !wm.contains_key(k) {
                keys.push(k);
            }
        }
        for k in keys {
            if let Some(m) = &meta_map {
                if ignored_meta_key(self.group, self.kind, m, k) {
                    continue;
                }
                // label and annotation values are strings; an unquoted `true` is the same
                let s = |v: Option<&Value>| {
                    v.map(|v| match v {
                        Value::String(s) => Value::String(s.clone()),
                        other => Value::String(other.to_string()),
                    })
                };
                let (a, b) = (s(wm.get(k)), s(cm.get(k)));
                if a != b {
                    self.enter(Step::Key(k.clone()), k, |me| {
                        me.push(a.as_ref(), b.as_ref())
                    });
                }
                continue;
            }
            self.enter(Step::Key(k.clone()), k, |me| {
                me.field(wm.get(k), cm.get(k), Some(c))
            });
        }
    }

    fn lists(&mut self, wa: &[Value], ca: &[Value]) {
        let key = merge_key(&self.pattern_text());
        let keyed = key.filter(|k| {
            wa.iter().chain(ca).all(|v| item_key(v, k).is_some()) && unique(wa, k) && unique(ca, k)
        });
        if let Some(k) = keyed {
            for w in wa {
                let kv = item_key(w, k).unwrap_or_default();
                let c = ca.iter().find(|c| item_key(c, k).as_deref() == Some(&kv));
                self.enter(Step::Item { key: k, value: kv }, "[]", |me| {
                    me.field(Some(w), c, None)
                });
            }
            for c in ca {
                let kv = item_key(c, k).unwrap_or_default();
                if !wa.iter().any(|w| item_key(w, k).as_deref() == Some(&kv)) {
                    self.enter(Step::Item { key: k, value: kv }, "[]", |me| {
                        me.field(None, Some(c), None)
                    });
                }
            }
            return;
        }
        for i in 0..wa.len().max(ca.len()) {
            self.enter(Step::Index(i), "[]", |me| {
                me.field(wa.get(i), ca.get(i), None)
            });
        }
    }

    /// Only the cluster has it: drift unless set by the server or defaulted.
    fn cluster_only(&mut self, c: &Value, cl_parent: Option<&Value>) {
        match self.rule() {
            Some(Rule::Server) => return,
            Some(Rule::Default(d)) if json_eq(&d, c) => return,
            Some(Rule::SameAs(sib)) if cl_parent.and_then(|p| p.get(sib)) == Some(c) => return,
            Some(Rule::ImagePull) if image_pull_default(cl_parent).as_ref() == Some(c) => return,
            _ => {}
        }
        // a list, or a list item, only the cluster has: one difference for the whole of it,
        // unless everything in it is a default
        let whole = matches!(c, Value::Array(_)) || self.at_item();
        let before = self.out.len();
        let meta_map = self.meta_map();
        match c {
            Value::Object(m) => {
                for (k, v) in m {
                    if let Some(mm) = &meta_map {
                        if ignored_meta_key(self.group, self.kind, mm, k) {
                            continue;
                        }
                    }
                    self.enter(Step::Key(k.clone()), k, |me| {
                        me.field(None, Some(v), Some(c))
                    });
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    self.enter(Step::Index(i), "[]", |me| me.field(None, Some(v), None));
                }
            }
            _ => self.push(None, Some(c)),
        }
        if whole && self.out.len() > before {
            self.out.truncate(before);
            self.push(None, Some(c));
        }
    }

    /// Whether the current path ends at a list item.
    fn at_item(&self) -> bool {
        matches!(self.path.last(), Some(Step::Index(_) | Step::Item { .. }))
    }

    /// Only the workspace has it: the cluster does not have what the workspace says.
    fn workspace_only(&mut self, w: &Value) {
        match w {
            Value::Object(m) if !self.at_item() => {
                for (k, v) in m {
                    self.enter(Step::Key(k.clone()), k, |me| me.field(Some(v), None, None));
                }
            }
            _ => self.push(Some(w), None),
        }
    }
}

fn unique(items: &[Value], key: &str) -> bool {
    let mut seen = std::collections::HashSet::new();
    items.iter().all(|v| seen.insert(item_key(v, key)))
}

fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

/// The fields that differ between the workspace object and the cluster object (both whole
/// objects as JSON), in the workspace's field order, then the cluster's.
pub fn compare(group: &str, kind: &str, workspace: &Value, cluster: &Value) -> Vec<Diff> {
    let mut w = Walker {
        group,
        kind,
        out: Vec::new(),
        path: Vec::new(),
        pattern: Vec::new(),
    };
    for m in ["labels", "annotations"] {
        let mut a = workspace.pointer(&format!("/metadata/{m}"));
        if m == "labels" && (group, kind) == ("batch", "Job") && a.is_none_or(is_empty) {
            // a Job without labels of its own gets its pod template's (defaulting of
            // batch/v1 Job): what `kubectl get job -o yaml` shows
            a = workspace.pointer("/spec/template/metadata/labels");
        }
        let b = cluster.pointer(&format!("/metadata/{m}"));
        let empty = Value::Object(Default::default());
        w.enter(Step::Key("metadata".into()), "metadata", |me| {
            me.enter(Step::Key(m.into()), m, |me| {
                let a = a.filter(|v| v.is_object()).unwrap_or(&empty);
                let b = b.filter(|v| v.is_object()).unwrap_or(&empty);
                if let (Value::Object(am), Value::Object(bm)) = (a, b) {
                    me.maps(am, bm, b);
                }
            })
        });
    }
    let skip = |k: &str| matches!(k, "apiVersion" | "kind" | "metadata" | "status");
    let empty = serde_json::Map::new();
    let wm = workspace.as_object().unwrap_or(&empty);
    let cm = cluster.as_object().unwrap_or(&empty);
    let mut keys: Vec<&String> = wm.keys().filter(|k| !skip(k)).collect();
    keys.extend(cm.keys().filter(|k| !skip(k) && !wm.contains_key(*k)));
    for k in keys {
        w.enter(Step::Key(k.clone()), k, |me| {
            me.field(wm.get(k), cm.get(k), Some(cluster))
        });
    }
    w.out
}

/// A value as messages show it: compact JSON, long values cut.
pub fn show(v: &Option<Value>) -> String {
    match v {
        None => "absent".to_string(),
        Some(v) => {
            let s = v.to_string();
            if s.chars().count() > 60 {
                let cut: String = s.chars().take(57).collect();
                format!("{cut}…")
            } else {
                s
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn paths(d: &[Diff]) -> Vec<String> {
        d.iter().map(Diff::path_text).collect()
    }

    #[test]
    fn server_set_fields_and_defaults_are_not_drift() {
        let ws = json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "reviews", "labels": {"app": "reviews"}},
            "spec": {"selector": {"app": "reviews"}, "ports": [{"name": "http", "port": 9080}]}});
        let cl = json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "reviews", "namespace": "default", "uid": "x", "resourceVersion": "7",
                "creationTimestamp": "2026-01-01T00:00:00Z", "managedFields": [{"manager": "kubectl"}],
                "labels": {"app": "reviews"},
                "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}},
            "spec": {"selector": {"app": "reviews"}, "clusterIP": "10.96.0.12", "clusterIPs": ["10.96.0.12"],
                "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack", "type": "ClusterIP",
                "sessionAffinity": "None", "internalTrafficPolicy": "Cluster",
                "ports": [{"name": "http", "port": 9080, "protocol": "TCP", "targetPort": 9080}]},
            "status": {"loadBalancer": {}}});
        assert_eq!(
            paths(&compare("", "Service", &ws, &cl)),
            Vec::<String>::new()
        );
    }

    #[test]
    fn a_changed_value_and_a_cluster_only_label_are_drift() {
        let ws = json!({"metadata": {"labels": {"app": "reviews", "version": "v1"}},
            "spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "reviews", "image": "r:1"}]}}}});
        let cl = json!({"metadata": {"labels": {"app": "reviews", "team": "x"}, "annotations": {"deployment.kubernetes.io/revision": "3"}},
            "spec": {"replicas": 3, "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600,
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
                "template": {"metadata": {"creationTimestamp": null}, "spec": {
                    "containers": [{"name": "reviews", "image": "r:2", "imagePullPolicy": "IfNotPresent",
                        "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File", "resources": {}}],
                    "dnsPolicy": "ClusterFirst", "restartPolicy": "Always", "schedulerName": "default-scheduler",
                    "securityContext": {}, "terminationGracePeriodSeconds": 30}}}});
        let d = compare("apps", "Deployment", &ws, &cl);
        assert_eq!(
            paths(&d),
            [
                "metadata.labels.version",
                "metadata.labels.team",
                "spec.replicas",
                "spec.template.spec.containers[name=reviews].image"
            ]
        );
        assert_eq!(d[0].cluster, None);
        assert_eq!(d[2].cluster, Some(json!(3)));
    }

    #[test]
    fn a_non_default_value_only_in_the_cluster_is_drift() {
        let ws = json!({"spec": {"template": {"spec": {"containers": [{"name": "a", "image": "a:latest"}]}}}});
        let cl = json!({"spec": {"replicas": 1, "template": {"spec": {"dnsPolicy": "Default",
            "containers": [{"name": "a", "image": "a:latest", "imagePullPolicy": "Always"}]}}}});
        assert_eq!(
            paths(&compare("apps", "Deployment", &ws, &cl)),
            ["spec.template.spec.dnsPolicy"]
        );
        let cl2 = json!({"spec": {"template": {"spec": {
            "containers": [{"name": "a", "image": "a:latest", "imagePullPolicy": "IfNotPresent"}]}}}});
        assert_eq!(
            paths(&compare("apps", "Deployment", &ws, &cl2)),
            ["spec.template.spec.containers[name=a].imagePullPolicy"]
        );
    }

    #[test]
    fn quantities_lists_and_empty_values() {
        let ws = json!({"metadata": {"annotations": {}}, "spec": {"template": {"spec": {"containers": [
            {"name": "a", "resources": {"requests": {"cpu": 0.5, "memory": "1Gi"}}, "ports": [{"containerPort": 80}]}]}}}});
        let cl = json!({"spec": {"template": {"spec": {"containers": [
            {"name": "a", "resources": {"requests": {"cpu": "500m", "memory": "1073741824"}},
             "ports": [{"containerPort": 80, "protocol": "TCP"}]}]}}}});
        assert!(compare("apps", "Deployment", &ws, &cl).is_empty());
        // positional lists: order matters
        let ws = json!({"spec": {"http": [{"name": "a"}, {"name": "b"}]}});
        let cl = json!({"spec": {"http": [{"name": "b"}, {"name": "a"}]}});
        assert_eq!(
            paths(&compare("networking.istio.io", "VirtualService", &ws, &cl)),
            ["spec.http[0].name", "spec.http[1].name"]
        );
    }

    #[test]
    fn paths_quote_keys_with_dots() {
        let ws = json!({"metadata": {"labels": {"istio.io/rev": "1-26"}}});
        let cl = json!({"metadata": {"labels": {}}});
        let d = compare("", "Namespace", &ws, &cl);
        assert_eq!(paths(&d), ["metadata.labels[\"istio.io/rev\"]"]);
        assert_eq!(quantity(&json!("100m")), Some(0.1));
        assert_eq!(quantity(&json!("2Ki")), Some(2048.0));
        assert_eq!(quantity(&json!("1e3")), Some(1000.0));
    }

    #[test]
    fn labels_and_selector_the_server_adds_to_a_job_are_not_drift() {
        let ws = json!({"spec": {"template": {"spec": {"restartPolicy": "Never",
            "containers": [{"name": "m", "image": "m:1"}]}}}});
        let server_labels = json!({"batch.kubernetes.io/controller-uid": "u1",
            "batch.kubernetes.io/job-name": "migrate", "controller-uid": "u1", "job-name": "migrate"});
        let cl = json!({"spec": {"selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "u1"}},
            "template": {"metadata": {"labels": server_labels}, "spec": {"restartPolicy": "Never",
            "containers": [{"name": "m", "image": "m:1"}]}}}});
        assert!(compare("batch", "Job", &ws, &cl).is_empty());
        // with labels of its own in the manifest: those are still compared
        let ws2 = json!({"spec": {"template": {"metadata": {"labels": {"app": "m"}},
            "spec": {"restartPolicy": "Never", "containers": [{"name": "m", "image": "m:1"}]}}}});
        let mut cl2 = cl.clone();
        cl2["spec"]["template"]["metadata"]["labels"]["app"] = json!("m");
        // the Job's own labels default to its template's
        cl2["metadata"] = json!({"labels": cl2["spec"]["template"]["metadata"]["labels"].clone()});
        assert!(compare("batch", "Job", &ws2, &cl2).is_empty());
        cl2["spec"]["template"]["metadata"]["labels"]["tier"] = json!("x");
        assert_eq!(
            paths(&compare("batch", "Job", &ws2, &cl2)),
            ["spec.template.metadata.labels.tier"]
        );
        // a cluster-only label the server does not set is drift even without template labels
        let mut cl3 = cl.clone();
        cl3["spec"]["template"]["metadata"]["labels"]["tier"] = json!("x");
        assert_eq!(
            paths(&compare("batch", "Job", &ws, &cl3)),
            ["spec.template.metadata.labels.tier"]
        );
        // elsewhere the same label names are the user's
        let ws = json!({"spec": {"template": {"metadata": {"labels": {"app": "a"}}}}});
        let cl =
            json!({"spec": {"template": {"metadata": {"labels": {"app": "a", "job-name": "x"}}}}});
        assert_eq!(
            paths(&compare("apps", "Deployment", &ws, &cl)),
            ["spec.template.metadata.labels.job-name"]
        );
    }

    #[test]
    fn istiod_switching_its_validation_webhook_to_fail_is_not_drift() {
        let hook = |name: &str, fp: &str| json!({"webhooks": [{"name": name, "failurePolicy": fp, "sideEffects": "None"}]});
        let g = "admissionregistration.k8s.io";
        let k = "ValidatingWebhookConfiguration";
        for name in ["rev.validation.istio.io", "validation.istio.io"] {
            assert!(compare(g, k, &hook(name, "Ignore"), &hook(name, "Fail")).is_empty());
            // the other way round: the webhook fails open in the cluster
            assert_eq!(
                paths(&compare(g, k, &hook(name, "Fail"), &hook(name, "Ignore"))),
                [format!("webhooks[name={name}].failurePolicy")]
            );
        }
        // another webhook's failurePolicy is compared
        assert_eq!(
            paths(&compare(
                g,
                k,
                &hook("policy.example.com", "Ignore"),
                &hook("policy.example.com", "Fail")
            )),
            ["webhooks[name=policy.example.com].failurePolicy"]
        );
    }
}
