//! Kubernetes core/apps/admission kinds.

use super::{Extractor, LabelSelector, Labels, Spanned};
use crate::yaml::{Node, Span};

#[derive(Clone, Debug, PartialEq)]
pub struct ServicePort {
    pub name: Option<String>,
    pub port: i64,
    /// Numeric or named target port (`None` = same as `port`).
    pub target_port: Option<String>,
    pub app_protocol: Option<String>,
    pub protocol: Option<String>,
    pub span: Span,
}

impl ServicePort {
    /// The port on the pod (numeric when known).
    pub fn target_number(&self) -> Option<i64> {
        match &self.target_port {
            None => Some(self.port),
            Some(t) => t.parse().ok(),
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Service {
    pub selector: Option<Labels>,
    pub selector_span: Option<Span>,
    pub ports: Vec<ServicePort>,
    pub ports_span: Option<Span>,
    pub cluster_ip: Option<String>,
    pub type_: Option<String>,
    pub external_name: Option<String>,
    pub traffic_distribution: Option<String>,
}

impl Service {
    pub fn extract(ex: &mut Extractor, spec: &Node) -> Service {
        let mut s = Service::default();
        if let Some(e) = spec.entry("selector") {
            if !e.value.is_null() {
                s.selector = Some(Labels::from_node(ex, &e.value, "spec.selector"));
                s.selector_span = Some(e.key.span.cover(e.value.span));
            }
        }
        if let Some(e) = spec.entry("ports") {
            s.ports_span = Some(e.key.span);
            if let Some(items) = ex.as_seq(&e.value, "spec.ports") {
                for it in items {
                    let Some(it) = ex.as_map(it, "spec.ports item") else {
                        continue;
                    };
                    let Some(port) = ex.int(it, "port", "port") else {
                        ex.problem(it.span, "service port has no port number");
                        continue;
                    };
                    s.ports.push(ServicePort {
                        name: ex.string(it, "name", "port name"),
                        port,
                        target_port: ex.string(it, "targetPort", "targetPort"),
                        app_protocol: ex.string(it, "appProtocol", "appProtocol"),
                        protocol: ex.string(it, "protocol", "protocol"),
                        span: it.span,
                    });
                }
            }
        }
        s.cluster_ip = ex.string(spec, "clusterIP", "spec.clusterIP");
        s.type_ = ex.string(spec, "type", "spec.type");
        s.external_name = ex.string(spec, "externalName", "spec.externalName");
        s.traffic_distribution = ex.string(spec, "trafficDistribution", "spec.trafficDistribution");
        s
    }

    pub fn is_headless(&self) -> bool {
        self.cluster_ip.as_deref() == Some("None")
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EnvVar {
    pub name: String,
    /// `None` when set through `valueFrom`.
    pub value: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Container {
    pub name: String,
    pub image: Option<String>,
    pub env: Vec<EnvVar>,
    pub env_from_configmaps: Vec<String>,
    pub args: Vec<String>,
    pub span: Span,
}

impl Container {
    pub fn env(&self, name: &str) -> Option<&str> {
        self.env
            .iter()
            .rev()
            .find(|e| e.name == name)
            .and_then(|e| e.value.as_deref())
    }
    pub fn has_env(&self, name: &str) -> bool {
        self.env.iter().any(|e| e.name == name)
    }
    /// The tag of the image, without registry/repository (`docker.io/istio/pilot:1.26.1` → `1.26.1`).
    pub fn image_tag(&self) -> Option<&str> {
        let img = self.image.as_deref()?;
        if img.contains('@') {
            return None;
        }
        let last = img.rsplit('/').next()?;
        last.split_once(':').map(|(_, t)| t)
    }
    pub fn image_repo_name(&self) -> Option<&str> {
        let img = self.image.as_deref()?;
        let img = img.split('@').next()?;
        let last = img.rsplit('/').next()?;
        Some(last.split(':').next().unwrap_or(last))
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Volume {
    pub name: String,
    pub csi_driver: Option<String>,
    pub host_path: Option<String>,
    pub config_map: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct DaemonSetStatus {
    pub desired: Option<i64>,
    pub current: Option<i64>,
    pub ready: Option<i64>,
    pub updated: Option<i64>,
    pub unavailable: Option<i64>,
    pub observed_generation: Option<i64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WorkloadKind {
    Pod,
    Deployment,
    StatefulSet,
    DaemonSet,
    ReplicaSet,
    Job,
    CronJob,
}

impl WorkloadKind {
    pub fn from_kind(k: &str) -> WorkloadKind {
        match k {
            "Pod" => WorkloadKind::Pod,
            "StatefulSet" => WorkloadKind::StatefulSet,
            "DaemonSet" => WorkloadKind::DaemonSet,
            "ReplicaSet" => WorkloadKind::ReplicaSet,
            "Job" => WorkloadKind::Job,
            "CronJob" => WorkloadKind::CronJob,
            _ => WorkloadKind::Deployment,
        }
    }
    /// The resource name kubectl uses (`deployment`, `statefulset`…).
    pub fn kubectl(&self) -> &'static str {
        match self {
            WorkloadKind::Pod => "pod",
            WorkloadKind::Deployment => "deployment",
            WorkloadKind::StatefulSet => "statefulset",
            WorkloadKind::DaemonSet => "daemonset",
            WorkloadKind::ReplicaSet => "replicaset",
            WorkloadKind::Job => "job",
            WorkloadKind::CronJob => "cronjob",
        }
    }
}

/// A Pod, or the pod template of a controller.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Workload {
    pub kind: WorkloadKind,
    /// Labels of the pod (template labels for controllers).
    pub pod_labels: Labels,
    pub pod_annotations: Labels,
    /// Span of the template's (or pod's) `labels`/`annotations` key, or of `template`.
    pub pod_meta_span: Span,
    pub annotations_span: Option<Span>,
    pub containers: Vec<Container>,
    pub init_containers: Vec<Container>,
    pub volumes: Vec<Volume>,
    pub host_network: bool,
    pub service_account: Option<String>,
    pub priority_class: Option<String>,
    /// Controllers: `spec.selector`.
    pub selector: Option<LabelSelector>,
    /// StatefulSet `spec.serviceName`.
    pub service_name: Option<String>,
    pub ds_status: Option<DaemonSetStatus>,
    pub generation: Option<i64>,
    /// Deployment `spec.paused: true`: `kubectl rollout restart` refuses it.
    pub paused: bool,
    /// StatefulSet / DaemonSet `spec.updateStrategy.type: OnDelete`: a template change (and so
    /// `kubectl rollout restart`) replaces no pod; pods take it only when deleted.
    pub on_delete: bool,
}

impl Workload {
    fn pod_spec(ex: &mut Extractor, w: &mut Workload, spec: &Node, what: &str) {
        let read = |ex: &mut Extractor, key: &str| -> Vec<Container> {
            let mut out = Vec::new();
            if let Some(items) = ex.seq(spec, key, &format!("{what}.{key}")) {
                for it in items {
                    let Some(c) = ex.as_map(it, "container") else {
                        continue;
                    };
                    let name = ex.string(c, "name", "container name").unwrap_or_default();
                    let mut env = Vec::new();
                    if let Some(items) = ex.seq(c, "env", "container env") {
                        for e in items {
                            let Some(e) = ex.as_map(e, "env item") else {
                                continue;
                            };
                            let name = ex.string(e, "name", "env name").unwrap_or_default();
                            let value = e
                                .get("value")
                                .and_then(|v| ex.k8s_string(v, &format!("env {name} value")));
                            env.push(EnvVar { name, value });
                        }
                    }
                    let mut env_from_configmaps = Vec::new();
                    if let Some(items) = ex.seq(c, "envFrom", "container envFrom") {
                        for e in items {
                            if let Some(n) =
                                e.path(&["configMapRef", "name"]).and_then(|n| n.as_str())
                            {
                                env_from_configmaps.push(n.to_string());
                            }
                        }
                    }
                    let args = ex
                        .strings(c, "args", "container args")
                        .map(|s| s.value)
                        .unwrap_or_default();
                    out.push(Container {
                        name,
                        image: ex.string(c, "image", "container image"),
                        env,
                        env_from_configmaps,
                        args,
                        span: c.span,
                    });
                }
            }
            out
        };
        w.containers = read(ex, "containers");
        w.init_containers = read(ex, "initContainers");
        if let Some(items) = ex.seq(spec, "volumes", &format!("{what}.volumes")) {
            for it in items {
                let Some(v) = ex.as_map(it, "volume") else {
                    continue;
                };
                w.volumes.push(Volume {
                    name: ex.string(v, "name", "volume name").unwrap_or_default(),
                    csi_driver: v
                        .path(&["csi", "driver"])
                        .and_then(|n| n.as_str())
                        .map(str::to_string),
                    host_path: v
                        .path(&["hostPath", "path"])
                        .and_then(|n| n.as_str())
                        .map(str::to_string),
                    config_map: v
                        .path(&["configMap", "name"])
                        .and_then(|n| n.as_str())
                        .map(str::to_string),
                });
            }
        }
        w.host_network = ex.bool(spec, "hostNetwork", "hostNetwork").unwrap_or(false);
        w.service_account = ex
            .string(spec, "serviceAccountName", "serviceAccountName")
            .or_else(|| ex.string(spec, "serviceAccount", "serviceAccount"));
        w.priority_class = ex.string(spec, "priorityClassName", "priorityClassName");
    }

    fn empty(kind: WorkloadKind, span: Span) -> Workload {
        Workload {
            kind,
            pod_labels: Labels::default(),
            pod_annotations: Labels::default(),
            pod_meta_span: span,
            annotations_span: None,
            containers: Vec::new(),
            init_containers: Vec::new(),
            volumes: Vec::new(),
            host_network: false,
            service_account: None,
            priority_class: None,
            selector: None,
            service_name: None,
            ds_status: None,
            generation: None,
            paused: false,
            on_delete: false,
        }
    }

    pub fn extract_pod(ex: &mut Extractor, node: &Node, spec: &Node) -> Workload {
        let mut w = Workload::empty(WorkloadKind::Pod, node.span);
        if let Some(m) = node.get("metadata") {
            if let Some(l) = m.entry("labels") {
                w.pod_labels = Labels::from_node(&mut Extractor::new(), &l.value, "labels");
                w.pod_meta_span = l.key.span;
            } else if let Some(e) = node.entry("metadata") {
                w.pod_meta_span = e.key.span;
            }
            if let Some(a) = m.entry("annotations") {
                w.pod_annotations =
                    Labels::from_node(&mut Extractor::new(), &a.value, "annotations");
                w.annotations_span = Some(a.key.span);
            }
        }
        Workload::pod_spec(ex, &mut w, spec, "spec");
        w
    }

    pub fn extract_controller(
        ex: &mut Extractor,
        kind: &str,
        node: &Node,
        spec: &Node,
    ) -> Workload {
        let mut w = Workload::empty(WorkloadKind::from_kind(kind), node.span);
        if let Some(e) = spec.entry("template") {
            w.pod_meta_span = e.key.span;
            if let Some(t) = ex.as_map(&e.value, "spec.template") {
                if let Some(m) = ex.map(t, "metadata", "spec.template.metadata") {
                    if let Some(l) = m.entry("labels") {
                        w.pod_labels =
                            Labels::from_node(ex, &l.value, "spec.template.metadata.labels");
                        w.pod_meta_span = l.key.span;
                    }
                    if let Some(a) = m.entry("annotations") {
                        w.pod_annotations =
                            Labels::from_node(ex, &a.value, "spec.template.metadata.annotations");
                        w.annotations_span = Some(a.key.span);
                    }
                }
                if let Some(ps) = ex.map(t, "spec", "spec.template.spec") {
                    Workload::pod_spec(ex, &mut w, ps, "spec.template.spec");
                }
            }
        }
        if let Some(sel) = spec.get("selector") {
            w.selector = LabelSelector::from_node(ex, sel, "spec.selector");
        }
        w.service_name = ex.string(spec, "serviceName", "spec.serviceName");
        match w.kind {
            WorkloadKind::Deployment => {
                w.paused = ex.bool(spec, "paused", "spec.paused").unwrap_or(false);
            }
            WorkloadKind::StatefulSet | WorkloadKind::DaemonSet => {
                if let Some(us) = ex.map(spec, "updateStrategy", "spec.updateStrategy") {
                    w.on_delete = ex.string(us, "type", "spec.updateStrategy.type").as_deref()
                        == Some("OnDelete");
                }
            }
            _ => {}
        }
        if w.kind == WorkloadKind::DaemonSet {
            if let Some(st) = node.get("status").filter(|s| s.is_map()) {
                let mut ex2 = Extractor::new();
                w.ds_status = Some(DaemonSetStatus {
                    desired: ex2.int(st, "desiredNumberScheduled", ""),
                    current: ex2.int(st, "currentNumberScheduled", ""),
                    ready: ex2.int(st, "numberReady", ""),
                    updated: ex2.int(st, "updatedNumberScheduled", ""),
                    unavailable: ex2.int(st, "numberUnavailable", ""),
                    observed_generation: ex2.int(st, "observedGeneration", ""),
                });
            }
            w.generation = node
                .path(&["metadata", "generation"])
                .and_then(|n| n.as_i64());
        }
        w
    }

    pub fn all_containers(&self) -> impl Iterator<Item = &Container> {
        self.containers.iter().chain(self.init_containers.iter())
    }

    pub fn container(&self, name: &str) -> Option<&Container> {
        self.all_containers().find(|c| c.name == name)
    }

    pub fn istio_proxy(&self) -> Option<&Container> {
        self.container("istio-proxy")
    }
}

#[derive(Clone, Debug, Default)]
pub struct ConfigMap {
    pub data: Vec<(String, String, Span)>,
}

impl ConfigMap {
    pub fn extract(ex: &mut Extractor, node: &Node) -> ConfigMap {
        let mut c = ConfigMap::default();
        if let Some(d) = node.get("data") {
            for (k, v) in ex.string_map(d, "data") {
                c.data.push((k.value, v.value, v.span));
            }
        }
        c
    }
    pub fn get(&self, key: &str) -> Option<&str> {
        self.data
            .iter()
            .rev()
            .find(|(k, _, _)| k == key)
            .map(|(_, v, _)| v.as_str())
    }
    pub fn get_spanned(&self, key: &str) -> Option<(&str, Span)> {
        self.data
            .iter()
            .rev()
            .find(|(k, _, _)| k == key)
            .map(|(_, v, s)| (v.as_str(), *s))
    }
}

#[derive(Clone, Debug, Default)]
pub struct NodeInfo {
    pub kubelet_version: Option<String>,
    pub provider_id: Option<String>,
}

impl NodeInfo {
    pub fn extract(_ex: &mut Extractor, node: &Node) -> NodeInfo {
        NodeInfo {
            kubelet_version: node
                .path(&["status", "nodeInfo", "kubeletVersion"])
                .and_then(|n| n.as_str())
                .map(str::to_string),
            provider_id: node
                .path(&["spec", "providerID"])
                .and_then(|n| n.as_str())
                .map(str::to_string),
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct ResourceQuota {
    /// PriorityClass names this quota is scoped to.
    pub priority_classes: Vec<String>,
}

impl ResourceQuota {
    pub fn extract(ex: &mut Extractor, spec: &Node) -> ResourceQuota {
        let mut q = ResourceQuota::default();
        if let Some(items) = spec
            .path(&["scopeSelector", "matchExpressions"])
            .and_then(|n| n.as_seq())
        {
            for it in items {
                if it.get("scopeName").and_then(|n| n.as_str()) == Some("PriorityClass") {
                    if let Some(v) = it.get("values") {
                        q.priority_classes
                            .extend(ex.as_strings(v, "values").unwrap_or_default());
                    }
                }
            }
        }
        q
    }
}

/// A port of a NetworkPolicy rule: a number or a container port name, an optional range end
/// (`endPort`) and protocol (TCP when absent).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NetPolPort {
    /// `None`: every port of the protocol.
    pub port: Option<String>,
    pub end_port: Option<i64>,
    pub protocol: Option<String>,
}

impl NetPolPort {
    /// Whether it admits TCP port `n` (a named port never names the HBONE port: it is not a
    /// container port of the application).
    pub fn admits_tcp(&self, n: i64) -> bool {
        if self.protocol.as_deref().is_some_and(|p| p != "TCP") {
            return false;
        }
        match self.port.as_deref() {
            None => true,
            Some(p) => match p.parse::<i64>() {
                Ok(start) => start == n || self.end_port.is_some_and(|e| start <= n && n <= e),
                Err(_) => false,
            },
        }
    }
}

/// An ingress rule of a NetworkPolicy.
#[derive(Clone, Debug, Default)]
pub struct NetPolRule {
    /// Empty: every port.
    pub ports: Vec<NetPolPort>,
    /// The `from` peers as written (absent: every source).
    pub from: Option<serde_json::Value>,
    pub span: Span,
}

#[derive(Clone, Debug, Default)]
pub struct NetworkPolicy {
    pub pod_selector: Option<LabelSelector>,
    pub policy_types: Vec<String>,
    pub has_ingress_rules: bool,
    /// Ports allowed by ingress rules (`None` entry = a rule without ports = all ports).
    pub ingress_ports: Vec<Option<String>>,
    /// The ingress rules.
    pub ingress: Vec<NetPolRule>,
    /// The `ingress` key.
    pub ingress_span: Option<Span>,
    pub allows_probe_cidr: bool,
    pub span: Span,
}

impl NetworkPolicy {
    pub fn extract(ex: &mut Extractor, spec: &Node) -> NetworkPolicy {
        let mut p = NetworkPolicy {
            span: spec.span,
            ..Default::default()
        };
        if let Some(s) = spec.get("podSelector") {
            p.pod_selector = LabelSelector::from_node(ex, s, "spec.podSelector");
        }
        p.policy_types = ex
            .strings(spec, "policyTypes", "spec.policyTypes")
            .map(|s| s.value)
            .unwrap_or_default();
        p.ingress_span = spec.entry("ingress").map(|e| e.key.span);
        if let Some(items) = ex.seq(spec, "ingress", "spec.ingress") {
            p.has_ingress_rules = !items.is_empty();
            for rule in items {
                let mut r = NetPolRule {
                    span: rule.span,
                    from: rule
                        .get("from")
                        .filter(|f| !f.is_null())
                        .map(|f| f.to_json()),
                    ..Default::default()
                };
                for port in rule.get("ports").and_then(|n| n.as_seq()).unwrap_or(&[]) {
                    r.ports.push(NetPolPort {
                        port: port
                            .get("port")
                            .and_then(|n| n.as_str())
                            .map(str::to_string),
                        end_port: port.get("endPort").and_then(|n| n.as_i64()),
                        protocol: port
                            .get("protocol")
                            .and_then(|n| n.as_str())
                            .map(str::to_string),
                    });
                }
                p.ingress.push(r);
                match rule.get("ports").and_then(|n| n.as_seq()) {
                    Some(ports) if !ports.is_empty() => {
                        for port in ports {
                            p.ingress_ports.push(
                                port.get("port")
                                    .and_then(|n| n.as_str())
                                    .map(str::to_string),
                            );
                        }
                    }
                    _ => p.ingress_ports.push(None),
                }
            }
        }
        p.allows_probe_cidr = super::mentions(spec, "169.254.7.127");
        p
    }

    pub fn restricts_ingress(&self) -> bool {
        self.policy_types.iter().any(|t| t == "Ingress") || (self.policy_types.is_empty())
    }

    pub fn is_default_deny_ingress(&self) -> bool {
        self.restricts_ingress()
            && !self.has_ingress_rules
            && self.pod_selector.as_ref().is_none_or(|s| s.is_empty())
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct WebhookService {
    pub namespace: String,
    pub name: String,
    pub path: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Webhook {
    pub name: String,
    pub service: Option<WebhookService>,
    pub url: Option<String>,
    pub namespace_selector: Option<LabelSelector>,
    pub object_selector: Option<LabelSelector>,
    pub failure_policy: Option<String>,
    pub span: Span,
}

#[derive(Clone, Debug, Default)]
pub struct WebhookConfig {
    pub webhooks: Vec<Webhook>,
}

impl WebhookConfig {
    pub fn extract(ex: &mut Extractor, node: &Node) -> WebhookConfig {
        let mut c = WebhookConfig::default();
        if let Some(items) = ex.seq(node, "webhooks", "webhooks") {
            for it in items {
                let Some(w) = ex.as_map(it, "webhook") else {
                    continue;
                };
                let cc = w.get("clientConfig");
                let service = cc
                    .and_then(|c| c.get("service"))
                    .filter(|s| s.is_map())
                    .map(|s| WebhookService {
                        namespace: s
                            .get("namespace")
                            .and_then(|n| n.as_str())
                            .unwrap_or("default")
                            .to_string(),
                        name: s
                            .get("name")
                            .and_then(|n| n.as_str())
                            .unwrap_or_default()
                            .to_string(),
                        path: s.get("path").and_then(|n| n.as_str()).map(str::to_string),
                    });
                let url = cc
                    .and_then(|c| c.get("url"))
                    .and_then(|n| n.as_str())
                    .map(str::to_string);
                c.webhooks.push(Webhook {
                    name: ex.string(w, "name", "webhook name").unwrap_or_default(),
                    service,
                    url,
                    namespace_selector: w
                        .get("namespaceSelector")
                        .and_then(|s| LabelSelector::from_node(ex, s, "namespaceSelector")),
                    object_selector: w
                        .get("objectSelector")
                        .and_then(|s| LabelSelector::from_node(ex, s, "objectSelector")),
                    failure_policy: ex.string(w, "failurePolicy", "failurePolicy"),
                    span: w.span,
                });
            }
        }
        c
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct CrdVersion {
    pub name: String,
    pub served: bool,
    pub storage: bool,
}

#[derive(Clone, Debug, Default)]
pub struct Crd {
    pub group: String,
    pub plural: String,
    pub crd_kind: String,
    pub versions: Vec<CrdVersion>,
    pub versions_span: Option<Span>,
}

impl Crd {
    pub fn extract(ex: &mut Extractor, spec: &Node) -> Crd {
        let mut c = Crd {
            group: ex.string(spec, "group", "spec.group").unwrap_or_default(),
            ..Default::default()
        };
        if let Some(n) = ex.map(spec, "names", "spec.names") {
            c.plural = ex
                .string(n, "plural", "spec.names.plural")
                .unwrap_or_default();
            c.crd_kind = ex.string(n, "kind", "spec.names.kind").unwrap_or_default();
        }
        if let Some(e) = spec.entry("versions") {
            c.versions_span = Some(e.key.span);
            if let Some(items) = ex.as_seq(&e.value, "spec.versions") {
                for it in items {
                    let Some(v) = ex.as_map(it, "version") else {
                        continue;
                    };
                    c.versions.push(CrdVersion {
                        name: ex.string(v, "name", "version name").unwrap_or_default(),
                        served: ex.bool(v, "served", "served").unwrap_or(false),
                        storage: ex.bool(v, "storage", "storage").unwrap_or(false),
                    });
                }
            }
        }
        c
    }

    /// `<plural>.<group>`, the CRD's required metadata.name.
    pub fn full_name(&self) -> String {
        format!("{}.{}", self.plural, self.group)
    }

    pub fn serves(&self, version: &str) -> bool {
        self.versions.iter().any(|v| v.name == version && v.served)
    }
}

/// A spanned string list shortcut.
pub type SpannedStrings = Spanned<Vec<String>>;
