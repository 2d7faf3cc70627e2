//! Cluster-wide facts: control planes, mesh config, injection, ambient components, CRDs.
//! Computed from the cluster-scoped and system-namespace objects only, so an edit in an
//! application namespace never needs to recompute them.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::Value;

use super::version::Version;
use crate::index::Index;
use crate::model::{Body, Container, Resource, Workload};
use crate::yaml::{parse_stream, Limits, Node};

#[derive(Clone, Debug)]
pub struct Istiod {
    pub res: Arc<Resource>,
    pub revision: String,
    pub version: Option<Version>,
    /// Where the version was read (`image`, `label app.kubernetes.io/version`, …).
    pub version_source: String,
    /// The raw image (for messages).
    pub image: Option<String>,
    pub env: BTreeMap<String, String>,
}

impl Istiod {
    pub fn env(&self, k: &str) -> Option<&str> {
        self.env.get(k).map(|s| s.as_str())
    }
    pub fn ambient_enabled(&self) -> bool {
        self.env("PILOT_ENABLE_AMBIENT") == Some("true")
    }
}

#[derive(Clone, Debug, Default)]
pub struct MeshConfig {
    /// The ConfigMap it was read from.
    pub source: Option<Arc<Resource>>,
    pub trust_domain: Option<String>,
    pub trust_domain_aliases: Vec<String>,
    pub root_namespace: Option<String>,
    /// `defaultConfig.proxyMetadata.ISTIO_META_ENABLE_HBONE`.
    pub hbone: Option<String>,
    pub outbound_mode: Option<String>,
    pub extension_providers: Vec<String>,
    /// `meshNetworks` key of the ConfigMap: network names.
    pub networks: Vec<String>,
    pub parse_error: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct GatewayApi {
    /// CustomResourceDefinition objects of group gateway.networking.k8s.io, by name.
    pub crds: BTreeMap<String, Arc<Resource>>,
    /// Any CRD at all in the input (so absence of the Gateway API ones is meaningful).
    pub any_crds: bool,
}

impl GatewayApi {
    /// Installed: the CRD is among the inputs, or (no Gateway API CRD given at all) Gateway API
    /// objects exist, which could not have been created without it.
    pub fn installed(&self, name: &str, objects_present: bool) -> bool {
        self.crds.contains_key(name) || (!self.has_gateway_crds() && objects_present)
    }
    pub fn has_gateway_crds(&self) -> bool {
        !self.crds.is_empty()
    }
}

#[derive(Clone, Debug, Default)]
pub struct Facts {
    pub istiods: Vec<Istiod>,
    /// Namespace of the default (or first) control plane.
    pub istio_ns: String,
    pub root_ns: String,
    pub trust_domain: String,
    pub dns_domain: String,
    pub mesh: MeshConfig,
    pub mesh_by_rev: BTreeMap<String, MeshConfig>,
    /// `sidecarInjectorWebhook.enableNamespacesByDefault` (any revision), or an `auto.` webhook.
    pub inject_by_default: Option<Arc<Resource>>,
    /// Revision tags: tag → revision (from `istio.io/tag` webhooks).
    pub tags: BTreeMap<String, String>,
    /// Injector webhook configurations (Istio's).
    pub injectors: Vec<Arc<Resource>>,
    /// Istio's validating webhook configurations (`istiod-default-validator`,
    /// `istio-validator[-<rev>]-<ns>`).
    pub validators: Vec<Arc<Resource>>,
    /// Injector ConfigMaps (`istio-sidecar-injector[-rev]`).
    pub injector_configs: Vec<Arc<Resource>>,
    pub values_configs: Vec<(String, Value, Arc<Resource>)>,
    pub gateway_api: GatewayApi,
    /// `istio.io/waypoint-for` on GatewayClass istio-waypoint.
    pub waypoint_class_for: Option<String>,
    pub ztunnels: Vec<Arc<Resource>>,
    pub cnis: Vec<Arc<Resource>>,
    /// The istio-cni ConfigMap(s) (by envFrom, default `istio-cni-config`).
    pub cni_configs: Vec<Arc<Resource>>,
    pub daemonsets: Vec<Arc<Resource>>,
    pub nodes: Vec<Arc<Resource>>,
    pub crds: Vec<Arc<Resource>>,
    pub cluster_objects: Vec<Arc<Resource>>,
    /// Namespaces that hold the control plane and node agents (never migrated).
    pub system_namespaces: BTreeSet<String>,
    /// Policies in the root namespace (apply mesh-wide).
    pub root_resources: Vec<Arc<Resource>>,
    /// `PILOT_AUTO_ALLOW_WAYPOINT_POLICY=true` on every istiod.
    pub auto_allow_waypoint: bool,
    /// Secrets labelled `istio/multiCluster=true` (remote secrets).
    pub remote_secrets: Vec<Arc<Resource>>,
    /// Namespaces whose name starts with `openshift-` (platform detection).
    pub openshift_namespaces: bool,
}

pub fn is_istiod(r: &Resource) -> bool {
    match &r.body {
        Body::Workload(w) => {
            (w.containers.iter().any(|c| c.name == "discovery")
                || r.labels.get("app") == Some("istiod")
                || w.pod_labels.get("app") == Some("istiod"))
                && r.kind != "ReplicaSet"
        }
        _ => false,
    }
}

pub fn is_ztunnel(r: &Resource) -> bool {
    match &r.body {
        Body::Workload(w) if r.kind == "DaemonSet" => {
            r.labels.get("app.kubernetes.io/name") == Some("ztunnel")
                || w.pod_labels.get("app") == Some("ztunnel")
        }
        _ => false,
    }
}

pub fn is_cni(r: &Resource) -> bool {
    match &r.body {
        Body::Workload(w) if r.kind == "DaemonSet" => {
            r.labels.get("k8s-app") == Some("istio-cni-node")
                || w.pod_labels.get("k8s-app") == Some("istio-cni-node")
        }
        _ => false,
    }
}

fn istiod_version(
    r: &Resource,
    w: &Workload,
    discovery: Option<&Container>,
) -> (Option<Version>, String) {
    if let Some(c) = discovery {
        if let Some(tag) = c.image_tag() {
            if let Some(v) = Version::parse(tag) {
                return (
                    Some(v),
                    format!("image {}", c.image.as_deref().unwrap_or("")),
                );
            }
        }
    }
    for key in ["app.kubernetes.io/version", "operator.istio.io/version"] {
        for labels in [&r.labels, &w.pod_labels] {
            if let Some(v) = labels.get(key).and_then(Version::parse) {
                return (Some(v), format!("label {key}"));
            }
        }
    }
    (None, String::new())
}

fn parse_mesh(cm: &Arc<Resource>) -> MeshConfig {
    let mut m = MeshConfig {
        source: Some(cm.clone()),
        ..Default::default()
    };
    let Body::ConfigMap(data) = &cm.body else {
        return m;
    };
    if let Some(text) = data.get("mesh") {
        let parsed = parse_stream(text, &Limits::default());
        match parsed.docs.first() {
            Some(d) if !d.problems.is_empty() && d.root.is_none() => {
                m.parse_error = Some(d.problems[0].message.clone());
            }
            Some(d) => {
                if let Some(root) = &d.root {
                    read_mesh(root, &mut m);
                }
            }
            None => {}
        }
    }
    if let Some(text) = data.get("meshNetworks") {
        let parsed = parse_stream(text, &Limits::default());
        if let Some(root) = parsed.docs.first().and_then(|d| d.root.as_ref()) {
            if let Some(nets) = root.get("networks").and_then(|n| n.as_map()) {
                m.networks = nets
                    .iter()
                    .filter_map(|e| e.key.as_str().map(str::to_string))
                    .collect();
            }
        }
    }
    m
}

fn read_mesh(root: &Node, m: &mut MeshConfig) {
    m.trust_domain = root
        .get("trustDomain")
        .and_then(|n| n.as_str())
        .map(str::to_string);
    if let Some(items) = root.get("trustDomainAliases").and_then(|n| n.as_seq()) {
        m.trust_domain_aliases = items
            .iter()
            .filter_map(|n| n.as_str().map(str::to_string))
            .collect();
    }
    m.root_namespace = root
        .get("rootNamespace")
        .and_then(|n| n.as_str())
        .map(str::to_string);
    m.hbone = root
        .path(&["defaultConfig", "proxyMetadata", "ISTIO_META_ENABLE_HBONE"])
        .and_then(|n| n.as_str())
        .map(str::to_string);
    m.outbound_mode = root
        .path(&["outboundTrafficPolicy", "mode"])
        .and_then(|n| n.as_str())
        .map(str::to_string);
    if let Some(items) = root.get("extensionProviders").and_then(|n| n.as_seq()) {
        m.extension_providers = items
            .iter()
            .filter_map(|p| p.get("name").and_then(|n| n.as_str()).map(str::to_string))
            .collect();
    }
}

/// JSON value at a dotted path.
pub fn json_path<'v>(v: &'v Value, path: &[&str]) -> Option<&'v Value> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    Some(cur)
}

impl Facts {
    pub fn extract(index: &Index) -> Facts {
        let mut f = Facts {
            dns_domain: "cluster.local".to_string(),
            ..Default::default()
        };
        f.read_control_planes(index);
        let cp_namespaces = f.control_plane_namespaces();
        for ns in &cp_namespaces {
            for r in index.ns(ns) {
                f.read_control_plane_config_map(r);
            }
        }
        f.choose_mesh_config();
        f.versions_from_values();
        for r in index.ns("") {
            f.read_cluster_object(r);
        }
        f.read_node_agents(index);
        f.openshift_namespaces = index
            .namespaces()
            .iter()
            .any(|n| n.starts_with("openshift-"));
        f.system_namespaces(cp_namespaces);
        f.root_resources = index.ns(&f.root_ns).cloned().collect();
        f
    }

    /// The control planes (Deployments; Pods only when no Deployment is given), the default
    /// one first; the DNS domain; whether waypoints are allowed automatically.
    fn read_control_planes(&mut self, index: &Index) {
        let mut deployments: Vec<&Arc<Resource>> = Vec::new();
        let mut pods: Vec<&Arc<Resource>> = Vec::new();
        for r in index.all() {
            if is_istiod(r) {
                if r.kind == "Pod" {
                    pods.push(r);
                } else {
                    deployments.push(r);
                }
            }
        }
        let sources = if deployments.is_empty() {
            pods
        } else {
            deployments
        };
        for r in sources {
            if let Some(i) = self.istiod(r) {
                self.istiods.push(i);
            }
        }
        self.istiods.sort_by(|a, b| {
            (a.revision != "default", &a.res.namespace, &a.res.name).cmp(&(
                b.revision != "default",
                &b.res.namespace,
                &b.res.name,
            ))
        });
        self.istio_ns = self
            .istiods
            .first()
            .map(|i| i.res.namespace.to_string())
            .unwrap_or_else(|| "istio-system".to_string());
        self.auto_allow_waypoint = !self.istiods.is_empty()
            && self
                .istiods
                .iter()
                .all(|i| i.env("PILOT_AUTO_ALLOW_WAYPOINT_POLICY") == Some("true"));
    }

    /// One istiod: its revision, version, environment (and the DNS domain it serves).
    fn istiod(&mut self, r: &Arc<Resource>) -> Option<Istiod> {
        let Body::Workload(w) = &r.body else {
            return None;
        };
        let discovery = w.containers.iter().find(|c| c.name == "discovery");
        let mut env = BTreeMap::new();
        if let Some(c) = discovery {
            for e in &c.env {
                if let Some(v) = &e.value {
                    env.insert(e.name.clone(), v.clone());
                }
            }
            if let Some(pos) = c.args.iter().position(|a| a == "--domain") {
                if let Some(d) = c.args.get(pos + 1) {
                    self.dns_domain = d.clone();
                }
            }
        }
        let revision = r
            .labels
            .get("istio.io/rev")
            .or_else(|| w.pod_labels.get("istio.io/rev"))
            .or_else(|| env.get("REVISION").map(|s| s.as_str()))
            .unwrap_or("default")
            .to_string();
        let (version, version_source) = istiod_version(r, w, discovery);
        Some(Istiod {
            res: r.clone(),
            revision,
            version,
            version_source,
            image: discovery.and_then(|c| c.image.clone()),
            env,
        })
    }

    /// The namespaces of the control planes (and the default one).
    fn control_plane_namespaces(&self) -> BTreeSet<String> {
        self.istiods
            .iter()
            .map(|i| i.res.namespace.to_string())
            .chain(std::iter::once(self.istio_ns.clone()))
            .collect()
    }

    /// A ConfigMap of a control plane namespace: mesh config (`istio`, `istio-<rev>`), injector
    /// config and values.
    fn read_control_plane_config_map(&mut self, r: &Arc<Resource>) {
        let Body::ConfigMap(cm) = &r.body else {
            return;
        };
        let name = r.name.as_str();
        let not_mesh = [
            "istio-sidecar-injector",
            "istio-ca",
            "istio-cni",
            "istio-gateway",
            "istio-leader",
            "istio-namespace",
            "istio-security",
        ];
        if name == "istio"
            || name.starts_with("istio-") && !not_mesh.iter().any(|p| name.starts_with(p))
        {
            let rev = if name == "istio" {
                "default".to_string()
            } else {
                name.trim_start_matches("istio-").to_string()
            };
            if cm.get("mesh").is_some() || cm.get("meshNetworks").is_some() {
                self.mesh_by_rev.entry(rev).or_insert_with(|| parse_mesh(r));
            }
        }
        if name.starts_with("istio-sidecar-injector") {
            self.injector_configs.push(r.clone());
            if let Some(values) = cm
                .get("values")
                .and_then(|v| serde_json::from_str::<Value>(v).ok())
            {
                let by_default = &["sidecarInjectorWebhook", "enableNamespacesByDefault"];
                if json_path(&values, by_default) == Some(&Value::Bool(true)) {
                    self.inject_by_default.get_or_insert_with(|| r.clone());
                }
                self.values_configs
                    .push((name.to_string(), values, r.clone()));
            }
        }
        if name == "values" || name.starts_with("values-") {
            for key in ["merged-values", "original-values"] {
                if let Some(values) = cm
                    .get(key)
                    .and_then(|v| serde_json::from_str::<Value>(v).ok())
                {
                    self.values_configs
                        .push((name.to_string(), values, r.clone()));
                    break;
                }
            }
        }
    }

    /// The mesh config of the default revision: trust domain and root namespace.
    fn choose_mesh_config(&mut self) {
        let default_rev = self
            .istiods
            .first()
            .map(|i| i.revision.clone())
            .unwrap_or_else(|| "default".to_string());
        self.mesh = self
            .mesh_by_rev
            .get(&default_rev)
            .or_else(|| self.mesh_by_rev.get("default"))
            .or_else(|| self.mesh_by_rev.values().next())
            .cloned()
            .unwrap_or_default();
        self.trust_domain = self
            .mesh
            .trust_domain
            .clone()
            .unwrap_or_else(|| "cluster.local".to_string());
        self.root_ns = self
            .mesh
            .root_namespace
            .clone()
            .unwrap_or_else(|| self.istio_ns.clone());
    }

    /// Versions from the values ConfigMaps (`global.tag`) when the image did not tell.
    fn versions_from_values(&mut self) {
        for i in 0..self.istiods.len() {
            if self.istiods[i].version.is_some() {
                continue;
            }
            let rev = self.istiods[i].revision.clone();
            for (name, values, _) in &self.values_configs {
                let matches_rev = if rev == "default" {
                    name == "values" || name == "istio-sidecar-injector"
                } else {
                    name.ends_with(&format!("-{rev}"))
                };
                if !matches_rev {
                    continue;
                }
                if let Some(tag) = json_path(values, &["global", "tag"]).and_then(|v| v.as_str()) {
                    if let Some(v) = Version::parse(tag) {
                        self.istiods[i].version = Some(v);
                        self.istiods[i].version_source = format!("ConfigMap {name} (global.tag)");
                        break;
                    }
                }
            }
        }
    }

    /// A cluster-scoped object: injection webhooks (and revision tags), CRDs, the waypoint
    /// GatewayClass, Nodes.
    fn read_cluster_object(&mut self, r: &Arc<Resource>) {
        self.cluster_objects.push(r.clone());
        match &r.body {
            Body::MutatingWebhook(w) => {
                let istio = w.webhooks.iter().any(|h| h.name.ends_with("istio.io"))
                    || r.labels.has("istio.io/rev")
                    || r.labels.has("istio.io/tag");
                if !istio {
                    return;
                }
                self.injectors.push(r.clone());
                if w.webhooks.iter().any(|h| h.name.starts_with("auto.")) {
                    self.inject_by_default.get_or_insert_with(|| r.clone());
                }
                if let (Some(tag), Some(rev)) =
                    (r.labels.get("istio.io/tag"), r.labels.get("istio.io/rev"))
                {
                    self.tags.insert(tag.to_string(), rev.to_string());
                }
            }
            Body::ValidatingWebhook(w) => {
                let istio = r.name == "istiod-default-validator"
                    || r.name.starts_with("istio-validator")
                    || w.webhooks
                        .iter()
                        .any(|h| h.name.ends_with("validation.istio.io"));
                if istio {
                    self.validators.push(r.clone());
                }
            }
            Body::Crd(c) => {
                self.gateway_api.any_crds = true;
                self.crds.push(r.clone());
                if c.group == "gateway.networking.k8s.io" {
                    self.gateway_api.crds.insert(r.name.to_string(), r.clone());
                }
            }
            Body::GatewayClass(_) if r.name == "istio-waypoint" => {
                self.waypoint_class_for = r.labels.get("istio.io/waypoint-for").map(str::to_string);
            }
            Body::Node(_) => self.nodes.push(r.clone()),
            _ => {}
        }
    }

    /// DaemonSets (ztunnel, istio-cni and its ConfigMaps) and remote secrets, anywhere.
    fn read_node_agents(&mut self, index: &Index) {
        for r in index.all() {
            if r.kind == "Secret" && r.labels.get("istio/multiCluster") == Some("true") {
                self.remote_secrets.push(r.clone());
            }
            if r.kind == "DaemonSet" {
                self.daemonsets.push(r.clone());
                if is_ztunnel(r) {
                    self.ztunnels.push(r.clone());
                }
                if is_cni(r) {
                    self.cnis.push(r.clone());
                }
            }
        }
        for cni in &self.cnis {
            let Body::Workload(w) = &cni.body else {
                continue;
            };
            let mut names: Vec<String> = w
                .containers
                .iter()
                .flat_map(|c| c.env_from_configmaps.clone())
                .collect();
            if names.is_empty() {
                names.push("istio-cni-config".to_string());
            }
            for n in names {
                if let Some(cm) = index.find("", "ConfigMap", &cni.namespace, &n) {
                    self.cni_configs.push(cm.clone());
                }
            }
        }
    }

    /// Namespaces that hold the control plane and node agents (never migrated).
    fn system_namespaces(&mut self, cp_namespaces: BTreeSet<String>) {
        self.system_namespaces.extend(
            [
                "kube-system",
                "kube-public",
                "kube-node-lease",
                "local-path-storage",
            ]
            .map(String::from),
        );
        self.system_namespaces.extend(cp_namespaces);
        self.system_namespaces.insert(self.root_ns.clone());
        self.system_namespaces.insert(self.istio_ns.clone());
        for r in self.ztunnels.iter().chain(self.cnis.iter()) {
            self.system_namespaces.insert(r.namespace.to_string());
        }
    }

    /// Whether a change of `r` can change these facts (then every namespace is re-analysed).
    pub fn is_relevant(&self, r: &Resource) -> bool {
        if r.namespace.is_empty() {
            return match &r.body {
                // a Namespace object belongs to its namespace unless it is a system one
                Body::Namespace => {
                    self.system_namespaces.contains(r.name.as_str())
                        || r.name.starts_with("openshift-")
                }
                _ => true,
            };
        }
        if self.system_namespaces.contains(r.namespace.as_str())
            || r.namespace == self.root_ns
            || r.namespace.starts_with("openshift-")
        {
            return true;
        }
        if r.kind == "DaemonSet" || is_istiod(r) {
            return true;
        }
        if r.kind == "Secret" && r.labels.get("istio/multiCluster") == Some("true") {
            return true;
        }
        false
    }

    /// Mesh config for a revision (falls back to the default one).
    pub fn mesh_for(&self, rev: &str) -> &MeshConfig {
        self.mesh_by_rev.get(rev).unwrap_or(&self.mesh)
    }

    pub fn is_system_ns(&self, ns: &str) -> bool {
        self.system_namespaces.contains(ns)
    }

    pub fn revision_exists(&self, rev: &str) -> bool {
        self.istiods.iter().any(|i| i.revision == rev)
            || (rev == "default" && self.istiods.len() == 1)
    }

    /// Resolve a namespace's `istio.io/rev` value (a tag or a revision) to a revision.
    pub fn resolve_rev<'a>(&'a self, v: &'a str) -> &'a str {
        self.tags.get(v).map(|s| s.as_str()).unwrap_or(v)
    }

    pub fn waypoint_principal(&self, ns: &str, sa: &str) -> String {
        format!("{}/ns/{}/sa/{}", self.trust_domain, ns, sa)
    }

    /// The Helm values a revision was rendered with: the `values[-<rev>]` ConfigMap (1.26+,
    /// every value) else the injector ConfigMap's (a subset: `global`, `revision`, …), with the
    /// ConfigMap they were read from.
    pub fn values_for(&self, rev: &str) -> Option<(&Value, &Arc<Resource>)> {
        let suffix = if rev == "default" {
            String::new()
        } else {
            format!("-{rev}")
        };
        let values = format!("values{suffix}");
        let injector = format!("istio-sidecar-injector{suffix}");
        let find = |name: &str| {
            self.values_configs
                .iter()
                .find(|(n, _, _)| n == name)
                .map(|(_, v, r)| (v, r))
        };
        find(&values).or_else(|| find(&injector))
    }

    /// The istiods a Service selects (its namespace, its selector over their pod labels).
    pub fn istiods_behind(&self, svc: &Resource) -> Vec<&Istiod> {
        let Body::Service(s) = &svc.body else {
            return Vec::new();
        };
        let Some(sel) = s.selector.as_ref().filter(|s| !s.is_empty()) else {
            return Vec::new();
        };
        self.istiods
            .iter()
            .filter(|i| i.res.namespace == svc.namespace)
            .filter(|i| match &i.res.body {
                Body::Workload(w) => sel.subset_of(&w.pod_labels),
                _ => false,
            })
            .collect()
    }

    /// A DaemonSet by name (in namespace `ns` when given).
    pub fn daemonset(&self, ns: Option<&str>, name: &str) -> Option<&Arc<Resource>> {
        self.daemonsets
            .iter()
            .find(|d| d.name == name && ns.is_none_or(|n| d.namespace == n))
    }
}

/// The Service a control-plane address names, as `(namespace, name)`:
/// `istiod-canary.istio-system.svc:15012`, `https://istiod.istio-system.svc.cluster.local:15012`,
/// `istiod.istio-system:15012`; `None` for an IP address or a name outside the cluster.
/// A bare name is in `own_ns` (the caller's namespace, as the pod's DNS search path has it).
pub fn address_service(addr: &str, own_ns: &str) -> Option<(String, String)> {
    let a = addr.trim();
    let a = a
        .strip_prefix("https://")
        .or_else(|| a.strip_prefix("http://"))
        .unwrap_or(a);
    if a.starts_with('[') {
        return None;
    }
    let host = a.split(['/', ':']).next()?;
    if host.is_empty() || host.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    let parts: Vec<&str> = host.split('.').collect();
    match parts.as_slice() {
        [name] => Some((own_ns.to_string(), name.to_string())),
        [name, ns] => Some((ns.to_string(), name.to_string())),
        [name, ns, "svc", ..] => Some((ns.to_string(), name.to_string())),
        _ => None,
    }
}

/// ztunnel's default control plane when `XDS_ADDRESS`/`CA_ADDRESS` are not set (ztunnel's
/// `config.rs`; the ztunnel chart always sets both).
pub const ZTUNNEL_DEFAULT_ADDRESS: &str = "istiod.istio-system.svc:15012";

/// A node agent's control-plane address (`XDS_ADDRESS` or `CA_ADDRESS`): its value, whether it
/// was set, and the span of the env entry's container (for findings). `None` when it is set
/// through `valueFrom` (not readable from the manifest).
pub fn agent_address<'a>(d: &'a Resource, key: &str) -> Option<(&'a str, bool)> {
    let Body::Workload(w) = &d.body else {
        return None;
    };
    for c in &w.containers {
        if c.has_env(key) {
            return c.env(key).map(|v| (v, true));
        }
    }
    Some((ZTUNNEL_DEFAULT_ADDRESS, false))
}

/// An environment variable of a workload's containers (the first that sets it).
pub fn workload_env<'a>(d: &'a Resource, key: &str) -> Option<&'a str> {
    let Body::Workload(w) = &d.body else {
        return None;
    };
    w.containers.iter().find_map(|c| c.env(key))
}

/// The host path of a workload's volume.
pub fn host_path(d: &Resource, volume: &str) -> Option<String> {
    let Body::Workload(w) = &d.body else {
        return None;
    };
    w.volumes
        .iter()
        .find(|v| v.name == volume)
        .and_then(|v| v.host_path.clone())
}
