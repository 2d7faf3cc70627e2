//! Typed views of the Kubernetes, Istio and Gateway API objects the rules read, each with the
//! spans of the nodes a finding may point at. No I/O.

pub mod cni;
pub mod core;
pub mod extractor;
pub mod gateway;
pub mod istio;
pub mod object;
pub mod refs;
pub mod share;

use crate::yaml::{Node, Span};
pub use extractor::{Extractor, SchemaProblem, Spanned};
pub use object::Object;
pub use share::Sharer;

pub type FileId = u32;

/// Short strings (names, kinds, label values) are stored inline.
pub type InlineStr = compact_str::CompactString;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Label {
    pub key: compact_str::CompactString,
    pub value: compact_str::CompactString,
    pub key_span: Span,
    pub value_span: Span,
}

/// A string map with spans (labels, annotations, matchLabels). The entries are shared: a
/// clone costs a reference count, and equal maps (the labels of a Pod and of its workload view,
/// the pods of one ReplicaSet read from a cluster) can be one allocation ([`Sharer`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Labels {
    pub entries: std::sync::Arc<[Label]>,
    /// Span of the whole map node, if present in the source.
    pub span: Option<Span>,
}

fn no_labels() -> std::sync::Arc<[Label]> {
    static EMPTY: std::sync::OnceLock<std::sync::Arc<[Label]>> = std::sync::OnceLock::new();
    EMPTY
        .get_or_init(|| std::sync::Arc::from(Vec::new()))
        .clone()
}

fn no_owners() -> std::sync::Arc<[OwnerRef]> {
    static EMPTY: std::sync::OnceLock<std::sync::Arc<[OwnerRef]>> = std::sync::OnceLock::new();
    EMPTY
        .get_or_init(|| std::sync::Arc::from(Vec::new()))
        .clone()
}

impl Default for Labels {
    fn default() -> Labels {
        Labels {
            entries: no_labels(),
            span: None,
        }
    }
}

impl Labels {
    /// Labels from entries (the shared empty map when there are none).
    pub fn from_entries(entries: Vec<Label>, span: Option<Span>) -> Labels {
        Labels {
            entries: if entries.is_empty() {
                no_labels()
            } else {
                entries.into()
            },
            span,
        }
    }

    /// The same map with one more entry.
    pub fn with(&self, label: Label) -> Labels {
        let mut v = self.entries.to_vec();
        v.push(label);
        Labels::from_entries(v, self.span)
    }

    pub fn from_node(ex: &mut Extractor, n: &Node, what: &str) -> Labels {
        let entries = ex
            .string_map(n, what)
            .into_iter()
            .map(|(k, v)| Label {
                key: k.value.into(),
                value: v.value.into(),
                key_span: k.span,
                value_span: v.span,
            })
            .collect();
        Labels::from_entries(entries, Some(n.span))
    }

    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Labels {
        Labels::from_entries(
            pairs
                .into_iter()
                .map(|(k, v)| Label {
                    key: k.into().into(),
                    value: v.into().into(),
                    key_span: Span::default(),
                    value_span: Span::default(),
                })
                .collect(),
            None,
        )
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .rev()
            .find(|l| l.key == key)
            .map(|l| l.value.as_str())
    }

    pub fn entry(&self, key: &str) -> Option<&Label> {
        self.entries.iter().rev().find(|l| l.key == key)
    }

    pub fn has(&self, key: &str) -> bool {
        self.entries.iter().any(|l| l.key == key)
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries
            .iter()
            .map(|l| (l.key.as_str(), l.value.as_str()))
    }

    /// Every pair of `self` is in `other` (a matchLabels selector over a label set).
    pub fn subset_of(&self, other: &Labels) -> bool {
        self.entries
            .iter()
            .all(|l| other.get(&l.key) == Some(l.value.as_str()))
    }

    pub fn to_json(&self) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        for l in self.entries.iter() {
            m.insert(
                l.key.to_string(),
                serde_json::Value::String(l.value.to_string()),
            );
        }
        serde_json::Value::Object(m)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LabelExpr {
    pub key: String,
    pub op: String,
    pub values: Vec<String>,
}

/// A Kubernetes `LabelSelector` (matchLabels + matchExpressions).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct LabelSelector {
    pub match_labels: Labels,
    pub expressions: Vec<LabelExpr>,
    pub span: Span,
}

impl LabelSelector {
    pub fn from_node(ex: &mut Extractor, n: &Node, what: &str) -> Option<LabelSelector> {
        let n = ex.as_map(n, what)?;
        let match_labels = match n.get("matchLabels") {
            Some(m) => Labels::from_node(ex, m, &format!("{what}.matchLabels")),
            None => Labels::default(),
        };
        let mut expressions = Vec::new();
        if let Some(items) = ex.seq(n, "matchExpressions", &format!("{what}.matchExpressions")) {
            for it in items {
                let Some(it) = ex.as_map(it, "matchExpressions item") else {
                    continue;
                };
                let key = ex
                    .string(it, "key", "matchExpressions key")
                    .unwrap_or_default();
                let op = ex
                    .string(it, "operator", "matchExpressions operator")
                    .unwrap_or_default();
                let values = ex
                    .strings(it, "values", "matchExpressions values")
                    .map(|s| s.value)
                    .unwrap_or_default();
                expressions.push(LabelExpr { key, op, values });
            }
        }
        Some(LabelSelector {
            match_labels,
            expressions,
            span: n.span,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.match_labels.is_empty() && self.expressions.is_empty()
    }

    /// Kubernetes semantics: an empty selector matches everything.
    pub fn matches(&self, labels: &Labels) -> bool {
        if !self.match_labels.subset_of(labels) {
            return false;
        }
        self.expressions.iter().all(|e| {
            let v = labels.get(&e.key);
            match e.op.as_str() {
                "In" => v.is_some_and(|v| e.values.iter().any(|x| x == v)),
                "NotIn" => v.is_none_or(|v| !e.values.iter().any(|x| x == v)),
                "Exists" => v.is_some(),
                "DoesNotExist" => v.is_none(),
                _ => false,
            }
        })
    }

    /// Matches a plain map given as pairs (used for webhook label permutations).
    pub fn matches_pairs(&self, pairs: &[(&str, &str)]) -> bool {
        let labels = Labels::from_pairs(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        self.matches(&labels)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OwnerRef {
    pub kind: String,
    pub name: String,
}

/// An Istio `targetRef`/`targetRefs` entry (or a Gateway API parentRef).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TargetRef {
    pub group: String,
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
    pub span: Span,
}

impl TargetRef {
    pub fn from_node(ex: &mut Extractor, n: &Node, what: &str) -> Option<TargetRef> {
        let n = ex.as_map(n, what)?;
        Some(TargetRef {
            group: ex
                .string(n, "group", &format!("{what}.group"))
                .unwrap_or_default(),
            kind: ex
                .string(n, "kind", &format!("{what}.kind"))
                .unwrap_or_default(),
            name: ex
                .string(n, "name", &format!("{what}.name"))
                .unwrap_or_default(),
            namespace: ex
                .string(n, "namespace", &format!("{what}.namespace"))
                .filter(|s| !s.is_empty()),
            span: n.span,
        })
    }

    pub fn is_service(&self) -> bool {
        self.kind == "Service" && (self.group.is_empty() || self.group == "core")
    }
    pub fn is_service_entry(&self) -> bool {
        self.kind == "ServiceEntry" && self.group == "networking.istio.io"
    }
    pub fn is_gateway(&self) -> bool {
        self.kind == "Gateway" && self.group == "gateway.networking.k8s.io"
    }
    pub fn is_gateway_class(&self) -> bool {
        self.kind == "GatewayClass" && self.group == "gateway.networking.k8s.io"
    }
}

/// Reads `targetRefs` (and the legacy singular `targetRef`) of an Istio policy spec.
pub fn target_refs(ex: &mut Extractor, spec: &Node) -> (Vec<TargetRef>, Option<Span>) {
    let mut out = Vec::new();
    let mut span = None;
    if let Some(e) = spec.entry("targetRefs") {
        span = Some(e.key.span);
        if let Some(items) = ex.as_seq(&e.value, "spec.targetRefs") {
            for it in items {
                if let Some(t) = TargetRef::from_node(ex, it, "targetRefs item") {
                    out.push(t);
                }
            }
        }
    }
    if let Some(e) = spec.entry("targetRef") {
        span.get_or_insert(e.key.span);
        if let Some(t) = TargetRef::from_node(ex, &e.value, "spec.targetRef") {
            out.push(t);
        }
    }
    (out, span)
}

/// An Istio `selector: {matchLabels: …}` (or `workloadSelector: {labels: …}`) with the span of
/// its key, for diagnostics.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkloadSelector {
    pub labels: Labels,
    /// The `selector:` key through its value.
    pub span: Span,
    pub key_span: Span,
}

pub fn workload_selector(
    ex: &mut Extractor,
    spec: &Node,
    key: &str,
    labels_key: &str,
) -> Option<WorkloadSelector> {
    let e = spec.entry(key)?;
    if e.value.is_null() {
        return None;
    }
    let n = ex.as_map(&e.value, &format!("spec.{key}"))?;
    let labels = match n.get(labels_key) {
        Some(m) => Labels::from_node(ex, m, &format!("spec.{key}.{labels_key}")),
        None => Labels::default(),
    };
    Some(WorkloadSelector {
        labels,
        span: e.key.span.cover(e.value.span),
        key_span: e.key.span,
    })
}

pub use self::core::*;
pub use cni::*;
pub use gateway::*;
pub use istio::*;

#[derive(Clone, Debug)]
pub enum Body {
    Namespace,
    Service(Box<Service>),
    /// Shared: the pods of one ReplicaSet read from a cluster are one `Workload` ([`Sharer`]).
    Workload(std::sync::Arc<Workload>),
    ServiceAccount,
    ConfigMap(Box<ConfigMap>),
    Secret,
    Node(Box<NodeInfo>),
    ResourceQuota(Box<ResourceQuota>),
    NetworkPolicy(Box<NetworkPolicy>),
    MutatingWebhook(Box<WebhookConfig>),
    ValidatingWebhook(Box<WebhookConfig>),
    Crd(Box<Crd>),
    VirtualService(Box<VirtualService>),
    DestinationRule(Box<DestinationRule>),
    IstioGateway(Box<IstioGateway>),
    ServiceEntry(Box<ServiceEntry>),
    Sidecar(Box<SidecarRes>),
    EnvoyFilter(Box<EnvoyFilter>),
    WorkloadEntry(Box<WorkloadEntry>),
    WorkloadGroup,
    ProxyConfig(Box<ProxyConfigRes>),
    PeerAuthentication(Box<PeerAuthentication>),
    RequestAuthentication(Box<RequestAuthentication>),
    AuthorizationPolicy(Box<AuthorizationPolicy>),
    Telemetry(Box<Telemetry>),
    WasmPlugin(Box<WasmPlugin>),
    Gateway(Box<Gateway>),
    GatewayClass(Box<GatewayClass>),
    Route(Box<Route>),
    FelixConfiguration(Box<FelixConfiguration>),
    /// Cilium network policies: only whether they allow the ambient probe address.
    CiliumPolicy {
        allows_probe_cidr: bool,
    },
    SecurityGroupPolicy,
    ClusterSpiffeId,
    /// Kinds the rules never read; kept so the index knows they exist.
    Other,
}

#[derive(Clone, Debug)]
pub struct Resource {
    pub file: FileId,
    /// Index of the document in its file.
    pub doc: u32,
    /// Span of the object (the document root, or the `List` item).
    pub span: Span,
    pub api_version: InlineStr,
    pub group: InlineStr,
    pub kind: InlineStr,
    pub name: InlineStr,
    pub name_span: Span,
    /// Effective namespace: `metadata.namespace`, `default` when a namespaced object has
    /// none, `""` for cluster-scoped kinds.
    pub namespace: InlineStr,
    pub namespace_explicit: bool,
    pub labels: Labels,
    pub annotations: Labels,
    /// Span of the `metadata` key (fallback location for findings about the whole object).
    pub metadata_span: Span,
    pub owner_refs: std::sync::Arc<[OwnerRef]>,
    pub body: Body,
}

/// Resources compare by identity: the same object at the same place.
impl PartialEq for Resource {
    fn eq(&self, o: &Self) -> bool {
        self.file == o.file
            && self.doc == o.doc
            && self.span == o.span
            && self.kind == o.kind
            && self.name == o.name
            && self.namespace == o.namespace
    }
}

/// A reference to a resource as reports print it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct ResourceRef {
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
}

impl Resource {
    pub fn ref_(&self) -> ResourceRef {
        ResourceRef {
            api_version: self.api_version.to_string(),
            kind: self.kind.to_string(),
            namespace: if self.namespace.is_empty() {
                None
            } else {
                Some(self.namespace.to_string())
            },
            name: self.name.to_string(),
        }
    }

    /// `kind ns/name` or `kind name`.
    pub fn display(&self) -> String {
        if self.namespace.is_empty() {
            format!("{} {}", self.kind, self.name)
        } else {
            format!("{} {}/{}", self.kind, self.namespace, self.name)
        }
    }

    /// `Kind "ns/name"`, as messages name a resource.
    pub fn quoted(&self) -> String {
        format!("{} \"{}\"", self.kind, self.ns_name())
    }

    pub fn ns_name(&self) -> String {
        if self.namespace.is_empty() {
            self.name.to_string()
        } else {
            format!("{}/{}", self.namespace, self.name)
        }
    }

    pub fn is(&self, group: &str, kind: &str) -> bool {
        self.kind == kind && self.group == group
    }
}

pub fn split_api_version(api_version: &str) -> (String, String) {
    match api_version.rsplit_once('/') {
        Some((g, v)) => (g.to_string(), v.to_string()),
        None => (String::new(), api_version.to_string()),
    }
}

/// Kinds that are not namespaced (for the effective-namespace rule).
pub fn is_cluster_scoped(group: &str, kind: &str) -> bool {
    matches!(
        (group, kind),
        ("", "Namespace")
            | ("", "Node")
            | ("", "PersistentVolume")
            | ("apiextensions.k8s.io", "CustomResourceDefinition")
            | (
                "admissionregistration.k8s.io",
                "MutatingWebhookConfiguration"
            )
            | (
                "admissionregistration.k8s.io",
                "ValidatingWebhookConfiguration"
            )
            | ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy")
            | (
                "admissionregistration.k8s.io",
                "ValidatingAdmissionPolicyBinding"
            )
            | ("rbac.authorization.k8s.io", "ClusterRole")
            | ("rbac.authorization.k8s.io", "ClusterRoleBinding")
            | ("gateway.networking.k8s.io", "GatewayClass")
            | ("scheduling.k8s.io", "PriorityClass")
            | ("storage.k8s.io", "StorageClass")
            | ("policy", "PodSecurityPolicy")
            | ("cilium.io", "CiliumClusterwideNetworkPolicy")
            | ("spire.spiffe.io", "ClusterSPIFFEID")
            | ("crd.projectcalico.org", "FelixConfiguration")
            | ("projectcalico.org", "FelixConfiguration")
            | ("crd.projectcalico.org", "GlobalNetworkPolicy")
    )
}

/// Everything extracted from one YAML document.
#[derive(Debug, Default)]
pub struct Extracted {
    pub resources: Vec<Resource>,
    pub problems: Vec<SchemaProblem>,
    /// Documents that are valid YAML but not Kubernetes objects (no apiVersion/kind).
    pub not_objects: usize,
}

/// Reads the Kubernetes object(s) of one document root; `List` kinds are unwrapped.
pub fn extract(root: &Node, file: FileId, doc: u32) -> Extracted {
    let mut out = Extracted::default();
    let mut ex = Extractor::new();
    extract_into(&mut ex, root, file, doc, &mut out, 0);
    out.problems.extend(ex.problems);
    out
}

fn extract_into(
    ex: &mut Extractor,
    node: &Node,
    file: FileId,
    doc: u32,
    out: &mut Extracted,
    depth: usize,
) {
    let Some((api_version, kind)) = type_meta(ex, node, out, depth) else {
        return;
    };
    if kind == "List"
        || (kind.ends_with("List") && node.get("items").is_some_and(|i| i.as_seq().is_some()))
    {
        if depth > 4 {
            ex.problem(node.span, "List nested too deeply");
            return;
        }
        if let Some(items) = ex.seq(node, "items", "List items") {
            for it in items {
                extract_into(ex, it, file, doc, out, depth + 1);
            }
        }
        return;
    }
    let (group, _version) = split_api_version(&api_version);
    let meta = Metadata::read(ex, node);
    if meta.name.is_empty() {
        ex.problem(meta.span, format!("{kind} has no metadata.name"));
        return;
    }
    let namespace_explicit = meta.namespace.is_some();
    let namespace = if is_cluster_scoped(&group, &kind) {
        String::new()
    } else {
        meta.namespace.unwrap_or_else(|| "default".to_string())
    };
    let body = body_of(ex, &group, &kind, node);
    let (mut labels, mut annotations) = (meta.labels, meta.annotations);
    if let Body::Workload(w) = &body {
        // a Pod's labels and annotations are also its workload view's: one copy
        if w.kind == WorkloadKind::Pod {
            if w.pod_labels == labels {
                labels = w.pod_labels.clone();
            }
            if w.pod_annotations == annotations {
                annotations = w.pod_annotations.clone();
            }
        }
    }
    out.resources.push(Resource {
        file,
        doc,
        span: node.span,
        api_version: api_version.into(),
        group: group.into(),
        kind: kind.into(),
        name: meta.name.into(),
        name_span: meta.name_span,
        namespace: namespace.into(),
        namespace_explicit,
        labels,
        annotations,
        metadata_span: meta.span,
        owner_refs: if meta.owner_refs.is_empty() {
            no_owners()
        } else {
            meta.owner_refs.into()
        },
        body,
    });
}

/// `apiVersion` and `kind` of an object; `None` (counted or reported) when the node is not one.
fn type_meta(
    ex: &mut Extractor,
    node: &Node,
    out: &mut Extracted,
    depth: usize,
) -> Option<(String, String)> {
    if node.as_map().is_none() {
        if depth == 0 {
            // scalars/lists at the top are not objects
            out.not_objects += 1;
        } else {
            ex.problem(node.span, "List item must be a map (a Kubernetes object)");
        }
        return None;
    }
    let field = |k: &str| node.get(k).and_then(|n| n.as_str()).map(str::to_string);
    let span_of = |k: &str| node.get(k).map(|n| n.span).unwrap_or(node.span);
    let (api_version, kind) = match (field("apiVersion"), field("kind")) {
        (Some(a), Some(k)) => (a, k),
        (None, None) => {
            if depth == 0 {
                out.not_objects += 1;
            } else {
                ex.problem(node.span, "List item has no apiVersion/kind");
            }
            return None;
        }
        // half a type and neither `metadata` nor `spec` at the top of a file: not a Kubernetes
        // manifest at all (a Helm `Chart.yaml` has `apiVersion: v2`, other tools' YAML a
        // `kind:` of their own); with either, a broken manifest (SCHEMA-001 below)
        (None, Some(_)) | (Some(_), None)
            if depth == 0 && node.get("metadata").is_none() && node.get("spec").is_none() =>
        {
            out.not_objects += 1;
            return None;
        }
        (None, Some(_)) => {
            ex.problem(span_of("kind"), "object has kind but no apiVersion");
            return None;
        }
        (Some(_), None) => {
            ex.problem(span_of("apiVersion"), "object has apiVersion but no kind");
            return None;
        }
    };
    if let Some(n) = node.get("apiVersion") {
        if n.as_string_strict().is_none() {
            ex.problem(n.span, "apiVersion must be a string");
        }
    }
    Some((api_version, kind))
}

/// What the rules read of `metadata`.
struct Metadata {
    name: String,
    name_span: Span,
    namespace: Option<String>,
    labels: Labels,
    annotations: Labels,
    owner_refs: Vec<OwnerRef>,
    /// The `metadata` key (else `kind`, else the object).
    span: Span,
}

impl Metadata {
    fn read(ex: &mut Extractor, node: &Node) -> Metadata {
        let metadata = node.entry("metadata");
        let span = metadata
            .map(|e| e.key.span)
            .unwrap_or_else(|| node.get("kind").map(|k| k.span).unwrap_or(node.span));
        let mut meta = Metadata {
            name: String::new(),
            name_span: span,
            namespace: None,
            labels: Labels::default(),
            annotations: Labels::default(),
            owner_refs: Vec::new(),
            span,
        };
        let Some(m) = metadata.and_then(|e| ex.as_map(&e.value, "metadata")) else {
            return meta;
        };
        if let Some(n) = m.get("name") {
            meta.name_span = n.span;
            meta.name = ex.as_string(n, "metadata.name").unwrap_or_default();
        } else if m.get("generateName").is_some() {
            meta.name = ex
                .string(m, "generateName", "metadata.generateName")
                .unwrap_or_default();
        }
        meta.namespace = ex
            .string(m, "namespace", "metadata.namespace")
            .filter(|s| !s.is_empty());
        if let Some(l) = m.get("labels") {
            meta.labels = Labels::from_node(ex, l, "metadata.labels");
        }
        if let Some(a) = m.get("annotations") {
            meta.annotations = Labels::from_node(ex, a, "metadata.annotations");
        }
        for it in ex
            .seq(m, "ownerReferences", "metadata.ownerReferences")
            .unwrap_or_default()
        {
            if let Some(it) = ex.as_map(it, "ownerReferences item") {
                meta.owner_refs.push(OwnerRef {
                    kind: ex
                        .string(it, "kind", "ownerReferences kind")
                        .unwrap_or_default(),
                    name: ex
                        .string(it, "name", "ownerReferences name")
                        .unwrap_or_default(),
                });
            }
        }
        meta
    }
}

fn body_of(ex: &mut Extractor, group: &str, kind: &str, node: &Node) -> Body {
    let spec = node.get("spec");
    let spec_map = spec.and_then(|s| ex.as_map(s, "spec"));
    let empty = Node::scalar("", crate::yaml::ScalarStyle::Plain, node.span);
    let spec_or_empty = spec_map.unwrap_or(&empty);
    match (group, kind) {
        ("", "Namespace") => Body::Namespace,
        ("", "Service") => Body::Service(Box::new(Service::extract(ex, spec_or_empty))),
        ("", "Pod") => Body::Workload(std::sync::Arc::new(Workload::extract_pod(
            ex,
            node,
            spec_or_empty,
        ))),
        ("apps", "Deployment")
        | ("apps", "StatefulSet")
        | ("apps", "DaemonSet")
        | ("apps", "ReplicaSet")
        | ("batch", "Job")
        | ("extensions", "Deployment")
        | ("extensions", "DaemonSet") => Body::Workload(std::sync::Arc::new(
            Workload::extract_controller(ex, kind, node, spec_or_empty),
        )),
        ("batch", "CronJob") => {
            let job = spec_or_empty.path(&["jobTemplate", "spec"]);
            match job {
                Some(j) if j.is_map() => Body::Workload(std::sync::Arc::new(
                    Workload::extract_controller(ex, kind, node, j),
                )),
                _ => Body::Other,
            }
        }
        ("", "ServiceAccount") => Body::ServiceAccount,
        ("", "ConfigMap") => Body::ConfigMap(Box::new(ConfigMap::extract(ex, node))),
        ("", "Secret") => Body::Secret,
        ("", "Node") => Body::Node(Box::new(NodeInfo::extract(ex, node))),
        ("", "ResourceQuota") => {
            Body::ResourceQuota(Box::new(ResourceQuota::extract(ex, spec_or_empty)))
        }
        ("networking.k8s.io", "NetworkPolicy") => {
            Body::NetworkPolicy(Box::new(NetworkPolicy::extract(ex, spec_or_empty)))
        }
        ("admissionregistration.k8s.io", "MutatingWebhookConfiguration") => {
            Body::MutatingWebhook(Box::new(WebhookConfig::extract(ex, node)))
        }
        ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration") => {
            Body::ValidatingWebhook(Box::new(WebhookConfig::extract(ex, node)))
        }
        ("apiextensions.k8s.io", "CustomResourceDefinition") => {
            Body::Crd(Box::new(Crd::extract(ex, spec_or_empty)))
        }
        ("networking.istio.io", "VirtualService") => {
            Body::VirtualService(Box::new(VirtualService::extract(ex, spec_or_empty)))
        }
        ("networking.istio.io", "DestinationRule") => {
            Body::DestinationRule(Box::new(DestinationRule::extract(ex, spec_or_empty)))
        }
        ("networking.istio.io", "Gateway") => {
            Body::IstioGateway(Box::new(IstioGateway::extract(ex, spec_or_empty)))
        }
        ("networking.istio.io", "ServiceEntry") => {
            Body::ServiceEntry(Box::new(ServiceEntry::extract(ex, spec_or_empty)))
        }
        ("networking.istio.io", "Sidecar") => {
            Body::Sidecar(Box::new(SidecarRes::extract(ex, spec_or_empty)))
        }
        ("networking.istio.io", "EnvoyFilter") => {
            Body::EnvoyFilter(Box::new(EnvoyFilter::extract(ex, spec_or_empty)))
        }
        ("networking.istio.io", "WorkloadEntry") => {
            Body::WorkloadEntry(Box::new(WorkloadEntry::extract(ex, spec_or_empty)))
        }
        ("networking.istio.io", "WorkloadGroup") => Body::WorkloadGroup,
        ("networking.istio.io", "ProxyConfig") => {
            Body::ProxyConfig(Box::new(ProxyConfigRes::extract(ex, spec_or_empty)))
        }
        ("security.istio.io", "PeerAuthentication") => {
            Body::PeerAuthentication(Box::new(PeerAuthentication::extract(ex, spec_or_empty)))
        }
        ("security.istio.io", "RequestAuthentication") => {
            Body::RequestAuthentication(Box::new(RequestAuthentication::extract(ex, spec_or_empty)))
        }
        ("security.istio.io", "AuthorizationPolicy") => Body::AuthorizationPolicy(Box::new(
            AuthorizationPolicy::extract(ex, spec, spec_or_empty),
        )),
        ("telemetry.istio.io", "Telemetry") => {
            Body::Telemetry(Box::new(Telemetry::extract(ex, spec_or_empty)))
        }
        ("extensions.istio.io", "WasmPlugin") => {
            Body::WasmPlugin(Box::new(WasmPlugin::extract(ex, spec_or_empty)))
        }
        ("gateway.networking.k8s.io", "Gateway") => {
            Body::Gateway(Box::new(Gateway::extract(ex, node, spec_or_empty)))
        }
        ("gateway.networking.k8s.io", "GatewayClass") => {
            Body::GatewayClass(Box::new(GatewayClass::extract(ex, spec_or_empty)))
        }
        (
            "gateway.networking.k8s.io",
            "HTTPRoute" | "GRPCRoute" | "TCPRoute" | "TLSRoute" | "UDPRoute",
        )
        | ("gateway.networking.k8s.io", "ListenerSet") => {
            Body::Route(Box::new(Route::extract(ex, spec_or_empty)))
        }
        ("crd.projectcalico.org" | "projectcalico.org", "FelixConfiguration") => {
            Body::FelixConfiguration(Box::new(FelixConfiguration::extract(ex, spec_or_empty)))
        }
        ("cilium.io", "CiliumNetworkPolicy" | "CiliumClusterwideNetworkPolicy") => {
            Body::CiliumPolicy {
                allows_probe_cidr: mentions(node, "169.254.7.127"),
            }
        }
        ("vpcresources.k8s.aws", "SecurityGroupPolicy") => Body::SecurityGroupPolicy,
        ("spire.spiffe.io", "ClusterSPIFFEID") => Body::ClusterSpiffeId,
        _ => Body::Other,
    }
}

/// Whether any scalar of the subtree contains `needle`.
pub fn mentions(node: &Node, needle: &str) -> bool {
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        match &n.kind {
            crate::yaml::NodeKind::Scalar { value, .. } => {
                if value.contains(needle) {
                    return true;
                }
            }
            crate::yaml::NodeKind::Seq(items) => stack.extend(items.iter()),
            crate::yaml::NodeKind::Map(entries) => {
                for e in entries {
                    stack.push(&e.value);
                }
            }
        }
    }
    false
}
