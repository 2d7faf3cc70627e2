//! The per-namespace picture: namespace mode, workload units and their mesh status (D8/D9),
//! services and the workloads behind them (D4), waypoint bindings (D5), hosts (D1).

use std::sync::Arc;

use super::facts::{is_cni, is_istiod, is_ztunnel, Facts};
use super::version::Version;
use crate::finding::Location;
use crate::index::Index;
use crate::model::refs::RefKey;
use crate::model::{Body, Container, Labels, Resource, Service, Workload, WorkloadKind};
use crate::yaml::Span;

// ------------------------------------------------------------------------------------------
// Namespace mode

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Injection {
    /// `istio-injection=enabled`.
    Enabled,
    /// `istio.io/rev=<value>` (a revision or a tag).
    Rev(String),
    /// `istio-injection` with any value but `enabled` (`disabled`, or a mistake like `false`):
    /// no webhook of Istio 1.26's `mutatingwebhook.yaml` injects there — the `namespace.` one
    /// needs `istio-injection In [enabled]`, every other (`rev.namespace.`, `object.`,
    /// `rev.object.`, the inject-by-default one) needs `istio-injection DoesNotExist` — so it
    /// also overrides a pod's own `sidecar.istio.io/inject: "true"` or `istio.io/rev`.
    Disabled,
    /// No injection label.
    None,
    /// No Namespace manifest in the input: assumed to be injected (INPUT-001).
    Assumed,
}

#[derive(Clone, Debug)]
pub struct NsMode {
    pub manifest: Option<Arc<Resource>>,
    pub injection: Injection,
    /// `istio.io/dataplane-mode=ambient`.
    pub ambient: bool,
    /// `istio.io/dataplane-mode=none`.
    pub dataplane_none: bool,
    pub system: bool,
}

impl NsMode {
    pub fn of(index: &Index, facts: &Facts, ns: &str) -> NsMode {
        let manifest = index.namespace_object(ns).cloned();
        let system = facts.is_system_ns(ns);
        let (injection, ambient, none) = match &manifest {
            Some(m) => {
                let inj = match (
                    m.labels.get("istio-injection"),
                    m.labels.get("istio.io/rev"),
                ) {
                    (Some("enabled"), _) => Injection::Enabled,
                    (Some(_), _) => Injection::Disabled,
                    (None, Some(rev)) => Injection::Rev(rev.to_string()),
                    (None, None) => Injection::None,
                };
                let dp = m.labels.get("istio.io/dataplane-mode");
                (inj, dp == Some("ambient"), dp == Some("none"))
            }
            None if system => (Injection::None, false, false),
            None => (Injection::Assumed, false, false),
        };
        NsMode {
            manifest,
            injection,
            ambient,
            dataplane_none: none,
            system,
        }
    }

    pub fn injects(&self) -> bool {
        matches!(
            self.injection,
            Injection::Enabled | Injection::Rev(_) | Injection::Assumed
        )
    }

    /// The migration switches this namespace to ambient (R001): it injects sidecars, by its
    /// label or because the injector injects every unlabeled namespace
    /// (`enableNamespacesByDefault`, the `auto.` webhook).
    pub fn switches(&self, facts: &Facts) -> bool {
        self.injects()
            || (self.injection == Injection::None
                && facts.inject_by_default.is_some()
                && !self.system)
    }

    pub fn labels(&self) -> Labels {
        self.manifest
            .as_ref()
            .map(|m| m.labels.clone())
            .unwrap_or_default()
    }

    pub fn label(&self, k: &str) -> Option<&str> {
        self.manifest.as_ref().and_then(|m| m.labels.get(k))
    }
}

// ------------------------------------------------------------------------------------------
// Workload units

/// What manages a workload's pods: the top of its `ownerReferences` chain (Pod → ReplicaSet →
/// Deployment; Pod → Job → CronJob; Pod → StatefulSet / DaemonSet), which decides how it can be
/// restarted. `kind` is `Pod` for a Pod without `ownerReferences` (a bare Pod: nothing
/// re-creates it) and `Node` for a static (mirror) Pod.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Controller {
    pub kind: String,
    pub name: String,
    /// The controller object is not in the input: it is named by an `ownerReferences` entry (a
    /// Deployment is inferred from its ReplicaSet's name and the Pod's `pod-template-hash`).
    pub inferred: bool,
}

impl Controller {
    fn of(kind: &str, name: &str, inferred: bool) -> Controller {
        Controller {
            kind: kind.to_string(),
            name: name.to_string(),
            inferred,
        }
    }

    /// `kubectl rollout restart` exists for these kinds only (kubectl's
    /// `polymorphichelpers.defaultObjectRestarter`: Deployment, DaemonSet, StatefulSet).
    pub fn can_rollout(&self) -> bool {
        matches!(
            self.kind.as_str(),
            "Deployment" | "DaemonSet" | "StatefulSet"
        )
    }

    /// A Pod that nothing re-creates: deleting it loses it.
    pub fn is_bare_pod(&self) -> bool {
        self.kind == "Pod"
    }

    pub fn display(&self) -> String {
        format!("{}/{}", self.kind, self.name)
    }
}

/// The Deployment that made ReplicaSet `rs`: Kubernetes names it `<deployment>-<pod-template-hash>`
/// (`deployment/util.go` in kube-controller-manager); the hash is the Pod's `pod-template-hash`
/// label, else a suffix in the alphabet of `rand.SafeEncodeString`.
fn deployment_of_replicaset(rs: &str, pod_template_hash: Option<&str>) -> Option<String> {
    let (dep, suffix) = rs.rsplit_once('-')?;
    let hash_like = match pod_template_hash {
        Some(h) => h == suffix,
        None => {
            (5..=10).contains(&suffix.len())
                && suffix
                    .chars()
                    .all(|c| "bcdfghjklmnpqrstvwxz2456789".contains(c))
        }
    };
    (hash_like && !dep.is_empty()).then(|| dep.to_string())
}

/// The workload resource `kind/name` of namespace `ns` in the input.
fn workload_in(index: &Index, ns: &str, kind: &str, name: &str) -> Option<Arc<Resource>> {
    index
        .ns(ns)
        .find(|r| r.kind == kind && r.name == name && matches!(r.body, Body::Workload(_)))
        .cloned()
}

/// The controller of a Pod or controller `r`, following `ownerReferences` through the input.
pub fn controller_of(index: &Index, r: &Resource) -> Controller {
    let hash = match &r.body {
        Body::Workload(w) => w.pod_labels.get("pod-template-hash").map(str::to_string),
        _ => None,
    };
    let (kind, name) = top_owner(index, r, hash.as_deref());
    let inferred = workload_in(index, &r.namespace, &kind, &name).is_none();
    Controller::of(&kind, &name, inferred)
}

/// `(kind, name)` at the top of `r`'s `ownerReferences` chain.
fn top_owner(index: &Index, r: &Resource, hash: Option<&str>) -> (String, String) {
    let mut kind = r.kind.to_string();
    let mut name = r.name.to_string();
    let mut owners = r.owner_refs.clone();
    // a chain is at most Pod → ReplicaSet → Deployment or Pod → Job → CronJob; the bound only
    // guards against cyclic input
    for _ in 0..4 {
        let Some(o) = owners.first().cloned() else {
            break;
        };
        match workload_in(index, &r.namespace, &o.kind, &o.name) {
            Some(owner) => {
                kind = o.kind.clone();
                name = o.name.clone();
                owners = owner.owner_refs.clone();
            }
            None if o.kind == "ReplicaSet" => {
                // a Deployment of the input named like the ReplicaSet without its last part
                if let Some((dep, _)) = o.name.rsplit_once('-') {
                    if workload_in(index, &r.namespace, "Deployment", dep).is_some() {
                        return ("Deployment".to_string(), dep.to_string());
                    }
                }
                return match deployment_of_replicaset(&o.name, hash) {
                    Some(dep) => ("Deployment".to_string(), dep),
                    None => (o.kind, o.name),
                };
            }
            None => return (o.kind, o.name),
        }
    }
    (kind, name)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MeshStatus {
    /// Has (or will get) an injected sidecar.
    Sidecar,
    /// Captured by ztunnel.
    Ambient,
    /// Outside the mesh.
    Out,
}

#[derive(Clone, Debug)]
pub struct Unit {
    /// The controller or Pod; `None` for the unseen pods of a Service (no workload in input).
    pub res: Option<Arc<Resource>>,
    /// What manages its pods (`None` for the unseen pods of a Service).
    pub controller: Option<Controller>,
    pub kind: String,
    pub name: String,
    pub labels: Labels,
    pub annotations: Labels,
    pub pods: Vec<Arc<Resource>>,
    pub status: MeshStatus,
    /// Status predicted from injection labels (no Pod in the input shows it).
    pub predicted: bool,
    /// Ingress/egress/east-west gateway, waypoint, or control plane component.
    pub gateway: bool,
    pub host_network: bool,
    /// `istio.io/dataplane-mode=none` on the pod.
    pub ambient_opt_out: bool,
    pub service_account: Option<String>,
    /// Indices into `NsView::services`.
    pub services: Vec<usize>,
}

impl Unit {
    /// Whether this controller's selector (else its pod template labels) selects the Pod.
    fn owns(&self, pod: &Workload) -> bool {
        let Some(ur) = &self.res else { return false };
        let Body::Workload(uw) = &ur.body else {
            return false;
        };
        match &uw.selector {
            Some(sel) if !sel.is_empty() => sel.matches(&pod.pod_labels),
            _ => !uw.pod_labels.is_empty() && uw.pod_labels.subset_of(&pod.pod_labels),
        }
    }

    /// One of its Pods: what the Pod shows beats the prediction.
    fn observe(&mut self, facts: &Facts, mode: &NsMode, p: &Arc<Resource>, w: &Workload) {
        let (has, _) = sidecar_state(facts, mode, w);
        let ambient =
            !has && ambient_enrolled(mode, &w.pod_labels, &w.pod_annotations, w.host_network);
        let st = if has {
            MeshStatus::Sidecar
        } else if ambient {
            MeshStatus::Ambient
        } else {
            MeshStatus::Out
        };
        if self.predicted {
            self.status = st;
            self.predicted = false;
        } else if st == MeshStatus::Sidecar {
            self.status = MeshStatus::Sidecar;
        }
        self.pods.push(p.clone());
    }

    /// The pods of Service `ns/name` when they are not in the input, predicted from the
    /// namespace's injection.
    fn unseen_pods(
        facts: &Facts,
        mode: &NsMode,
        ns: &str,
        name: &str,
        selector: Labels,
        service: usize,
    ) -> Unit {
        let injected = match &mode.injection {
            Injection::Enabled | Injection::Rev(_) | Injection::Assumed => true,
            Injection::None => facts.inject_by_default.is_some() && !mode.system,
            Injection::Disabled => false,
        };
        let status = if injected {
            MeshStatus::Sidecar
        } else if mode.ambient {
            MeshStatus::Ambient
        } else {
            MeshStatus::Out
        };
        Unit {
            res: None,
            controller: None,
            kind: "Pods".to_string(),
            name: format!("pods of Service {ns}/{name}"),
            labels: selector,
            annotations: Labels::default(),
            pods: Vec::new(),
            status,
            predicted: true,
            gateway: false,
            host_network: false,
            ambient_opt_out: false,
            service_account: None,
            services: vec![service],
        }
    }

    pub fn display(&self) -> String {
        match &self.res {
            Some(r) => format!("{} {}/{}", r.kind, r.namespace, r.name),
            None => self.name.clone(),
        }
    }
    pub fn short(&self) -> String {
        match &self.res {
            Some(r) => format!("{}/{}", r.namespace, r.name),
            None => self.name.clone(),
        }
    }
    /// D9: will run in ambient mode after the migration.
    pub fn ambient_bound(&self) -> bool {
        !self.gateway
            && !self.host_network
            && !self.ambient_opt_out
            && self.status != MeshStatus::Out
    }
    pub fn has_sidecar(&self) -> bool {
        self.status == MeshStatus::Sidecar
    }
}

/// The pod-template label by which a workload asks for a sidecar itself: `sidecar.istio.io/inject`
/// true, or `istio.io/rev`. Either still injects once the namespace has no injection label (the
/// `object.` and `rev.object.` webhooks of `mutatingwebhook.yaml`); the `sidecar.istio.io/inject`
/// annotation does not (the webhooks select on labels only).
///
/// On an already injected pod (or a `kube-inject`ed template: `sidecar.istio.io/status`) the
/// injector itself wrote `istio.io/rev` (the `istio.io/rev` label of the injection template),
/// so it is not read as a request there.
pub fn injection_request(w: &Workload) -> Option<&crate::model::Label> {
    let injected = w.pod_annotations.get("sidecar.istio.io/status").is_some();
    w.pod_labels
        .entry("sidecar.istio.io/inject")
        .filter(|l| l.value == "true")
        .or_else(|| {
            (!injected)
                .then(|| w.pod_labels.entry("istio.io/rev"))
                .flatten()
        })
}

/// What a pod (template) says about injection itself, as the injector reads it
/// (`pkg/kube/inject/inject.go` `injectRequired`): the `sidecar.istio.io/inject` label, else the
/// deprecated annotation of that name; `y`, `yes`, `true`, `on` ask for a sidecar, any other
/// non-empty value refuses one, an empty value leaves it to the namespace. With the label the
/// webhook itself is not even called for `"false"` (its `objectSelector`).
pub fn injection_choice(w: &Workload) -> Option<(bool, &crate::model::Label)> {
    let l = w
        .pod_labels
        .entry("sidecar.istio.io/inject")
        .or_else(|| w.pod_annotations.entry("sidecar.istio.io/inject"))?;
    if l.value.is_empty() {
        return None;
    }
    let inject = matches!(
        l.value.to_ascii_lowercase().as_str(),
        "y" | "yes" | "true" | "on"
    );
    Some((inject, l))
}

/// The revision a sidecar was injected by (`sidecar.istio.io/status`, else `istio.io/rev`).
pub fn sidecar_revision(w: &Workload) -> String {
    if let Some(status) = w.pod_annotations.get("sidecar.istio.io/status") {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(status) {
            if let Some(r) = v.get("revision").and_then(|r| r.as_str()) {
                if !r.is_empty() {
                    return r.to_string();
                }
            }
        }
    }
    w.pod_labels
        .get("istio.io/rev")
        .unwrap_or("default")
        .to_string()
}

/// Whether a workload's pods have a sidecar (injected status, or an istio-proxy container).
pub fn has_sidecar(w: &Workload) -> bool {
    w.pod_annotations.has("sidecar.istio.io/status") || w.istio_proxy().is_some()
}

/// The Istio version of a proxy container (from its image tag).
pub fn proxy_version(c: &Container) -> Option<Version> {
    c.image_tag().and_then(Version::parse)
}

/// Whether a sidecar or gateway proxy speaks HBONE: the `networking.istio.io/tunnel` label the
/// injector sets with it, or `ISTIO_META_ENABLE_HBONE=true` in the proxy's env or in the
/// `PROXY_CONFIG` JSON (injection templates copy `proxyMetadata` into both).
pub fn proxy_has_hbone(w: &Workload) -> bool {
    if w.pod_labels.has("networking.istio.io/tunnel") {
        return true;
    }
    let Some(p) = w.istio_proxy() else {
        return false;
    };
    if p.env("ISTIO_META_ENABLE_HBONE") == Some("true") {
        return true;
    }
    p.env("PROXY_CONFIG")
        .and_then(|cfg| serde_json::from_str::<serde_json::Value>(cfg).ok())
        .is_some_and(|v| {
            v.pointer("/proxyMetadata/ISTIO_META_ENABLE_HBONE")
                .and_then(|x| x.as_str())
                == Some("true")
        })
}

/// A waypoint's pods (or an ambient east-west gateway's): istiod deploys them for HBONE only.
pub fn is_waypoint_pod(labels: &Labels, annotations: &Labels) -> bool {
    annotations
        .get("inject.istio.io/templates")
        .is_some_and(|t| t.split(',').any(|x| x.trim() == "waypoint"))
        || matches!(
            labels.get("gateway.istio.io/managed"),
            Some("istio.io-mesh-controller" | "istio.io-eastwest-controller")
        )
}

/// The controller that owns a Pod of the namespace: its Deployment (through the ReplicaSet,
/// whose name is the Deployment's plus a hash) or its direct owner.
pub fn pod_owner(view: &NsView, pod: &Resource) -> Option<(String, String)> {
    let o = pod.owner_refs.first()?;
    if o.kind == "ReplicaSet" {
        if let Some((dep, _)) = o.name.rsplit_once('-') {
            let has = |kind: &str, name: &str| {
                view.resources
                    .iter()
                    .any(|r| r.kind == kind && r.name == name)
            };
            if has("Deployment", dep) || !has("ReplicaSet", &o.name) {
                return Some(("Deployment".to_string(), dep.to_string()));
            }
        }
    }
    Some((o.kind.clone(), o.name.clone()))
}

/// D8 exclusions: gateways, waypoints and control-plane pods keep their own Envoy (or none).
pub fn is_gateway_pod(labels: &Labels, annotations: &Labels, w: &Workload) -> bool {
    annotations
        .get("inject.istio.io/templates")
        .is_some_and(|t| {
            t.split(',')
                .any(|x| x.trim() == "gateway" || x.trim() == "waypoint")
        })
        || labels.has("gateway.networking.k8s.io/gateway-name")
        || labels.has("gateway.istio.io/managed")
        || matches!(
            labels.get("istio"),
            Some("ingressgateway" | "egressgateway" | "eastwestgateway")
        )
        || labels.get("istio.io/gateway-name").is_some()
        || w.containers
            .iter()
            .any(|c| c.name == "istio-proxy" && c.args.iter().any(|a| a == "router"))
}

/// A sidecar is present (Pods) or will be injected (templates), per the injection webhook.
fn sidecar_state(facts: &Facts, mode: &NsMode, w: &Workload) -> (bool, bool) {
    if w.kind == WorkloadKind::Pod {
        let has = w.pod_annotations.has("sidecar.istio.io/status") || w.istio_proxy().is_some();
        return (has, false);
    }
    let l = &w.pod_labels;
    let label_inject = l.get("sidecar.istio.io/inject");
    let explicit = injection_choice(w).map(|(inject, _)| inject);
    // the injector skips hostNetwork pods (`injectRequired`)
    if explicit == Some(false) || w.host_network {
        return (false, true);
    }
    let pod_rev = l.get("istio.io/rev");
    let injected = match &mode.injection {
        Injection::Enabled | Injection::Rev(_) | Injection::Assumed => true,
        Injection::Disabled => false,
        Injection::None => {
            label_inject == Some("true")
                || pod_rev.is_some()
                || (facts.inject_by_default.is_some()
                    && !mode.system
                    && label_inject.is_none()
                    && pod_rev.is_none())
        }
    };
    (injected, true)
}

fn ambient_enrolled(
    mode: &NsMode,
    labels: &Labels,
    annotations: &Labels,
    host_network: bool,
) -> bool {
    if host_network {
        return false;
    }
    if annotations.get("ambient.istio.io/redirection") == Some("enabled") {
        return true;
    }
    match labels.get("istio.io/dataplane-mode") {
        Some("ambient") => true,
        Some("none") => false,
        _ => mode.ambient,
    }
}

// ------------------------------------------------------------------------------------------
// Waypoint bindings (D5)

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Traffic {
    Service,
    Workload,
}

#[derive(Clone, Debug)]
pub struct WpRef {
    pub ns: String,
    pub name: String,
    pub gw: Arc<Resource>,
    /// Service account (identity) of the waypoint's pods.
    pub sa: String,
    /// `istio.io/waypoint-for` (resolved).
    pub for_: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BindProblem {
    Missing,
    NotWaypoint,
    NotReady,
    TrafficType(String),
    NotAllowed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LabelSite {
    Object,
    Namespace,
}

#[derive(Clone, Debug)]
pub enum Binding {
    /// No `istio.io/use-waypoint` anywhere.
    None,
    /// `istio.io/use-waypoint: none` on the object or its namespace.
    OptOut(LabelSite),
    Bound(WpRef, LabelSite),
    Broken {
        ns: String,
        name: String,
        problem: BindProblem,
        site: LabelSite,
    },
}

impl Binding {
    pub fn waypoint(&self) -> Option<&WpRef> {
        match self {
            Binding::Bound(w, _) => Some(w),
            _ => None,
        }
    }
}

/// Whether a waypoint whose `istio.io/waypoint-for` is `for_` serves that traffic, as Istio 1.26
/// decides it (`pilot/pkg/serviceregistry/kube/controller/ambient/waypoints.go`:
/// `fetchWaypointForService` accepts `service` and `all`, `fetchWaypointForWorkload` accepts
/// `workload` and `all`; `WaypointsCollection` takes the label verbatim, so `none` or any
/// unknown value serves nobody). Every rule that reads a waypoint's traffic type asks this.
pub fn serves(for_: &str, traffic: Traffic) -> bool {
    match traffic {
        Traffic::Service => matches!(for_, "service" | "all"),
        Traffic::Workload => matches!(for_, "workload" | "all"),
    }
}

/// The waypoint's `istio.io/waypoint-for`: the Gateway's label, else its GatewayClass's, else
/// `service` (Istio 1.26 `WaypointsCollection`).
pub fn waypoint_for(facts: &Facts, gw: &Resource) -> String {
    gw.labels
        .get("istio.io/waypoint-for")
        .map(str::to_string)
        .or_else(|| facts.waypoint_class_for.clone())
        .unwrap_or_else(|| "service".to_string())
}

pub fn waypoint_sa(gw: &Resource) -> String {
    gw.annotations
        .get("gateway.istio.io/service-account")
        .map(str::to_string)
        .unwrap_or_else(|| gw.name.to_string())
}

pub fn wp_ref(facts: &Facts, gw: &Arc<Resource>) -> WpRef {
    WpRef {
        ns: gw.namespace.to_string(),
        name: gw.name.to_string(),
        gw: gw.clone(),
        sa: waypoint_sa(gw),
        for_: waypoint_for(facts, gw),
    }
}

/// Whether the waypoint's HBONE listener admits routes from `consumer_ns` (labels of that
/// Namespace). Same namespace always works.
pub fn allows_namespace(gw: &Resource, consumer_ns: &str, consumer_labels: &Labels) -> bool {
    if gw.namespace == consumer_ns {
        return true;
    }
    let Body::Gateway(g) = &gw.body else {
        return false;
    };
    let Some(l) = g.hbone_listener() else {
        return false;
    };
    match l.allowed_from.as_deref() {
        Some("All") => true,
        Some("Selector") => {
            let mut labels = consumer_labels.clone();
            if !labels.has("kubernetes.io/metadata.name") {
                labels = labels.with(crate::model::Label {
                    key: "kubernetes.io/metadata.name".into(),
                    value: consumer_ns.into(),
                    key_span: Span::default(),
                    value_span: Span::default(),
                });
            }
            l.allowed_selector
                .as_ref()
                .is_some_and(|s| s.matches(&labels))
        }
        _ => false,
    }
}

/// D5 for one object: its own label, else its Namespace's; no fallback once a label is found.
pub fn resolve_binding(
    index: &Index,
    facts: &Facts,
    consumer_ns: &str,
    ns_labels: &Labels,
    obj_labels: &Labels,
    traffic: Traffic,
) -> Binding {
    let (value, wp_ns, site) = if let Some(v) = obj_labels.get("istio.io/use-waypoint") {
        (
            v,
            obj_labels
                .get("istio.io/use-waypoint-namespace")
                .unwrap_or(consumer_ns),
            LabelSite::Object,
        )
    } else if let Some(v) = ns_labels.get("istio.io/use-waypoint") {
        (
            v,
            ns_labels
                .get("istio.io/use-waypoint-namespace")
                .unwrap_or(consumer_ns),
            LabelSite::Namespace,
        )
    } else {
        return Binding::None;
    };
    if value == "none" {
        return Binding::OptOut(site);
    }
    let broken = |problem| Binding::Broken {
        ns: wp_ns.to_string(),
        name: value.to_string(),
        problem,
        site,
    };
    let Some(gw) = index.find("gateway.networking.k8s.io", "Gateway", wp_ns, value) else {
        return broken(BindProblem::Missing);
    };
    let Body::Gateway(g) = &gw.body else {
        return broken(BindProblem::Missing);
    };
    if !g.is_waypoint() {
        return broken(BindProblem::NotWaypoint);
    }
    if g.status_addresses == Some(0) {
        return broken(BindProblem::NotReady);
    }
    let for_ = waypoint_for(facts, gw);
    if !serves(&for_, traffic) {
        return broken(BindProblem::TrafficType(for_));
    }
    if !allows_namespace(gw, consumer_ns, ns_labels) {
        return broken(BindProblem::NotAllowed);
    }
    Binding::Bound(wp_ref(facts, gw), site)
}

/// A waypoint of namespace `ns` that `istio.io/use-waypoint` labels name but that does not
/// exist (no Gateway of that name there): the plan generates it under that name rather than
/// leave the labels pointing nowhere (W020 in its namespace; U003 then only warns).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WaypointRequest {
    pub ns: String,
    pub name: String,
    /// What uses it for service traffic (`Namespace shop`, `Service shop/cart`…).
    pub services: Vec<String>,
    /// What uses it for workload traffic (a pod template, a Pod, a WorkloadEntry).
    pub workloads: Vec<String>,
    /// Namespaces other than `ns` whose objects use it (its listener must admit them).
    pub from: std::collections::BTreeSet<String>,
}

impl WaypointRequest {
    /// `istio.io/waypoint-for` that serves every user (`None`: the default, `service`).
    pub fn waypoint_for(&self) -> Option<&'static str> {
        match (self.services.is_empty(), self.workloads.is_empty()) {
            (false, false) => Some("all"),
            (true, false) => Some("workload"),
            _ => None,
        }
    }
}

/// Whether a waypoint named `name` that labels request in namespace `ns` is generated: the
/// analysis runs that namespace (it has objects or its Namespace in the input) and the name can
/// be a Gateway's whose Service is named after it (a DNS-1035 label: lowercase letters, digits
/// and `-`, starting with a letter, at most 63 characters). Otherwise U003 stays an error.
pub fn generates_waypoint(index: &Index, ns: &str, name: &str) -> bool {
    let b = name.as_bytes();
    let dns_label = !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_lowercase()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-');
    dns_label && (index.namespace_object(ns).is_some() || index.ns(ns).next().is_some())
}

/// An object labelled `istio.io/use-waypoint` without its own `istio.io/use-waypoint-namespace`
/// while its Namespace names another waypoint namespace: Istio 1.26 reads the namespace label
/// only from the same object (`getUseWaypoint`), so the object looks in its own namespace, but
/// its author meant the other one (U006 offers that label). Generating a same-named waypoint in
/// the object's namespace would bind it to a second waypoint that carries none of the shared
/// one's policies, so none is generated for it.
pub fn waypoint_meant_elsewhere(index: &Index, obj_ns: &str, labels: &Labels) -> bool {
    if !labels.has("istio.io/use-waypoint") || labels.has("istio.io/use-waypoint-namespace") {
        return false;
    }
    index
        .namespace_object(obj_ns)
        .and_then(|m| m.labels.get("istio.io/use-waypoint-namespace"))
        .is_some_and(|v| !v.is_empty() && v != obj_ns)
}

/// The missing waypoints of namespace `wp_ns` that labels name, from its own objects and from
/// the namespaces that point at it (`istio.io/use-waypoint-namespace`). Objects owned by a
/// controller (a ReplicaSet, a Job of a CronJob, their Pods) are counted through their
/// controller.
pub fn missing_waypoint_requests(
    index: &Index,
    facts: &Facts,
    wp_ns: &str,
) -> Vec<WaypointRequest> {
    let mut out: Vec<WaypointRequest> = Vec::new();
    let mut add = |name: &str, n: &str, who: String, traffic: Traffic| {
        let i = match out.iter().position(|r| r.name == name) {
            Some(i) => i,
            None => {
                out.push(WaypointRequest {
                    ns: wp_ns.to_string(),
                    name: name.to_string(),
                    ..WaypointRequest::default()
                });
                out.len() - 1
            }
        };
        let r = &mut out[i];
        if n != wp_ns {
            r.from.insert(n.to_string());
        }
        let list = match traffic {
            Traffic::Service => &mut r.services,
            Traffic::Workload => &mut r.workloads,
        };
        if !list.contains(&who) {
            list.push(who);
        }
    };
    let mut namespaces: Vec<String> = vec![wp_ns.to_string()];
    namespaces.extend(
        index
            .users_of(&RefKey::Ns(wp_ns.to_string()))
            .map(str::to_string),
    );
    namespaces.sort();
    namespaces.dedup();
    let missing = |b: &Binding| match b {
        Binding::Broken {
            ns,
            name,
            problem: BindProblem::Missing,
            ..
        } if ns == wp_ns && generates_waypoint(index, ns, name) => Some(name.clone()),
        _ => None,
    };
    for n in namespaces {
        let ns_labels = index
            .namespace_object(&n)
            .map(|m| m.labels.clone())
            .unwrap_or_default();
        if ns_labels.has("istio.io/use-waypoint") {
            let b = resolve_binding(
                index,
                facts,
                &n,
                &ns_labels,
                &Labels::default(),
                Traffic::Service,
            );
            if let Some(name) = missing(&b) {
                add(&name, &n, format!("Namespace {n}"), Traffic::Service);
            }
        }
        for r in index.ns(&n) {
            let (labels, traffic) = match &r.body {
                Body::Service(_) | Body::ServiceEntry(_) => (&r.labels, Traffic::Service),
                Body::WorkloadEntry(_) => (&r.labels, Traffic::Workload),
                Body::Workload(w) if r.owner_refs.is_empty() => (&w.pod_labels, Traffic::Workload),
                _ => continue,
            };
            if !labels.has("istio.io/use-waypoint") || waypoint_meant_elsewhere(index, &n, labels) {
                continue;
            }
            let b = resolve_binding(index, facts, &n, &ns_labels, labels, traffic);
            if let Some(name) = missing(&b) {
                add(&name, &n, format!("{} {}", r.kind, r.ns_name()), traffic);
            }
        }
    }
    out
}

// ------------------------------------------------------------------------------------------
// Hosts (D1)

/// `reviews` in `prod` → `reviews.prod.svc.cluster.local`; names with a dot, `*` and IPs are
/// taken literally.
pub fn normalize_host(host: &str, ns: &str, domain: &str) -> String {
    if host == "*" || host.contains('.') || host.contains(':') {
        host.to_ascii_lowercase()
    } else {
        format!("{}.{}.svc.{}", host.to_ascii_lowercase(), ns, domain)
    }
}

/// Whether a (normalized) VS/DR host covers a concrete host name.
pub fn host_matches(pattern: &str, fqdn: &str) -> bool {
    if pattern == fqdn || pattern == "*" {
        return true;
    }
    if let Some(suffix) = pattern.strip_prefix('*') {
        return fqdn.ends_with(suffix);
    }
    false
}

pub fn service_fqdn(name: &str, ns: &str, domain: &str) -> String {
    format!("{name}.{ns}.svc.{domain}")
}

/// Visible to namespace `to` given `exportTo` of a resource in `from` (absent = everywhere).
pub fn exported_to(export_to: &Option<Vec<String>>, from: &str, to: &str) -> bool {
    match export_to {
        None => true,
        Some(list) if list.is_empty() => true,
        Some(list) => list
            .iter()
            .any(|e| e == "*" || (e == "." && from == to) || e == to),
    }
}

/// The namespace of the waypoint a service will use: its binding's, else its own.
pub fn waypoint_ns_for(index: &Index, facts: &Facts, svc: &Resource) -> String {
    let ns_labels = index
        .namespace_object(&svc.namespace)
        .map(|n| n.labels.clone())
        .unwrap_or_default();
    match resolve_binding(
        index,
        facts,
        &svc.namespace,
        &ns_labels,
        &svc.labels,
        Traffic::Service,
    ) {
        Binding::Bound(w, _) => w.ns,
        Binding::Broken { ns, .. } => ns,
        _ => svc.namespace.to_string(),
    }
}

// ------------------------------------------------------------------------------------------
// The namespace view

pub struct SvcView {
    pub res: Arc<Resource>,
    pub fqdn: String,
    /// Indices into `NsView::units`.
    pub units: Vec<usize>,
    pub binding: Binding,
    /// A waypoint's or gateway's own Service (never gets a waypoint).
    pub infra: bool,
}

impl SvcView {
    pub fn svc(&self) -> &Service {
        match &self.res.body {
            Body::Service(s) => s,
            _ => unreachable!("SvcView holds a Service"),
        }
    }
    pub fn name(&self) -> &str {
        &self.res.name
    }
}

pub struct NsView {
    pub ns: String,
    pub mode: NsMode,
    pub resources: Vec<Arc<Resource>>,
    pub units: Vec<Unit>,
    pub services: Vec<SvcView>,
    /// Gateways of class istio-waypoint in this namespace.
    pub waypoints: Vec<Arc<Resource>>,
}

impl NsView {
    pub fn build(index: &Index, facts: &Facts, ns: &str) -> NsView {
        let mode = NsMode::of(index, facts, ns);
        let resources: Vec<Arc<Resource>> = index.ns(ns).cloned().collect();
        let mut units = Self::units(index, facts, &mode, &resources);
        let mut services = Self::services(index, facts, &mode, ns, &resources);
        Self::link(facts, &mode, ns, &mut services, &mut units);
        let waypoints = resources
            .iter()
            .filter(|r| matches!(&r.body, Body::Gateway(g) if g.is_waypoint()))
            .cloned()
            .collect();
        NsView {
            ns: ns.to_string(),
            mode,
            resources,
            units,
            services,
            waypoints,
        }
    }

    /// The workload units: one per controller at the top of an `ownerReferences` chain (a
    /// ReplicaSet of a Deployment or a Job of a CronJob in the input is part of its owner's
    /// unit), each with its Pods (by `ownerReferences`, else by selector); Pods that nothing
    /// owns are units of their own.
    fn units(
        index: &Index,
        facts: &Facts,
        mode: &NsMode,
        resources: &[Arc<Resource>],
    ) -> Vec<Unit> {
        let mut units: Vec<Unit> = Vec::new();
        let mut pods: Vec<&Arc<Resource>> = Vec::new();
        for r in resources {
            let Body::Workload(w) = &r.body else { continue };
            if r.kind == "Pod" {
                pods.push(r);
                continue;
            }
            let c = controller_of(index, r);
            let owned_by_input = (c.kind != r.kind || c.name != *r.name)
                && workload_in(index, &r.namespace, &c.kind, &c.name).is_some();
            // two objects of the same controller (two ReplicaSets of a Deployment not in the
            // input) stay two units, like two copies of one manifest in two files: each keeps
            // its findings; restarts are deduplicated where they are written
            if owned_by_input {
                continue;
            }
            let mut u = Self::unit(facts, mode, r, w);
            u.controller = Some(c);
            units.push(u);
        }
        for p in pods {
            let Body::Workload(w) = &p.body else { continue };
            let c = controller_of(index, p);
            let by_owner = (!c.is_bare_pod())
                .then(|| units.iter().position(|u| u.controller.as_ref() == Some(&c)))
                .flatten();
            let at = by_owner.or_else(|| units.iter().position(|u| u.owns(w)));
            match at {
                Some(i) => units[i].observe(facts, mode, p, w),
                None => {
                    let mut u = Self::unit(facts, mode, p, w);
                    u.controller = Some(c);
                    u.pods.push(p.clone());
                    units.push(u);
                }
            }
        }
        units
    }

    /// The Services with their waypoint bindings.
    fn services(
        index: &Index,
        facts: &Facts,
        mode: &NsMode,
        ns: &str,
        resources: &[Arc<Resource>],
    ) -> Vec<SvcView> {
        let domain = facts.dns_domain.as_str();
        let mut services = Vec::new();
        for r in resources {
            if !matches!(r.body, Body::Service(_)) {
                continue;
            }
            let infra = r.labels.has("gateway.istio.io/managed")
                || r.labels.has("gateway.networking.k8s.io/gateway-name");
            let binding = resolve_binding(
                index,
                facts,
                ns,
                &mode.labels(),
                &r.labels,
                Traffic::Service,
            );
            services.push(SvcView {
                res: r.clone(),
                fqdn: service_fqdn(&r.name, ns, domain),
                units: Vec::new(),
                binding,
                infra,
            });
        }
        services
    }

    /// D4: services ↔ the units they select; a service whose pods are not in the input gets a
    /// unit standing for them.
    fn link(
        facts: &Facts,
        mode: &NsMode,
        ns: &str,
        services: &mut [SvcView],
        units: &mut Vec<Unit>,
    ) {
        for (si, sv) in services.iter_mut().enumerate() {
            let Some(sel) = sv.svc().selector.clone().filter(|s| !s.is_empty()) else {
                continue;
            };
            let mut found = false;
            for (ui, u) in units.iter_mut().enumerate() {
                if sel.subset_of(&u.labels) {
                    sv.units.push(ui);
                    u.services.push(si);
                    found = true;
                }
            }
            if !found && !sv.infra {
                units.push(Unit::unseen_pods(facts, mode, ns, &sv.res.name, sel, si));
                sv.units.push(units.len() - 1);
            }
        }
    }

    fn unit(facts: &Facts, mode: &NsMode, r: &Arc<Resource>, w: &Workload) -> Unit {
        let gateway = is_gateway_pod(&w.pod_labels, &w.pod_annotations, w)
            || is_gateway_pod(&r.labels, &r.annotations, w)
            || is_istiod(r)
            || is_ztunnel(r)
            || is_cni(r);
        let (has, predicted) = sidecar_state(facts, mode, w);
        let ambient =
            !has && ambient_enrolled(mode, &w.pod_labels, &w.pod_annotations, w.host_network);
        let status = if gateway {
            MeshStatus::Out
        } else if has {
            MeshStatus::Sidecar
        } else if ambient {
            MeshStatus::Ambient
        } else {
            MeshStatus::Out
        };
        Unit {
            res: Some(r.clone()),
            controller: None,
            kind: r.kind.to_string(),
            name: r.name.to_string(),
            labels: w.pod_labels.clone(),
            annotations: w.pod_annotations.clone(),
            pods: Vec::new(),
            status,
            predicted,
            gateway,
            host_network: w.host_network,
            ambient_opt_out: w.pod_labels.get("istio.io/dataplane-mode") == Some("none"),
            service_account: w.service_account.clone(),
            services: Vec::new(),
        }
    }

    pub fn service(&self, name: &str) -> Option<(usize, &SvcView)> {
        self.services
            .iter()
            .enumerate()
            .find(|(_, s)| s.res.name == name)
    }

    /// Units of the applications (not gateways, waypoints or control-plane components).
    pub fn app_units(&self) -> Vec<usize> {
        self.units
            .iter()
            .enumerate()
            .filter(|(_, u)| !u.gateway)
            .map(|(i, _)| i)
            .collect()
    }

    /// Units selected by an Istio workload selector in this namespace (None = all units).
    pub fn select(&self, selector: Option<&Labels>) -> Vec<usize> {
        self.units
            .iter()
            .enumerate()
            .filter(|(_, u)| match selector {
                None => true,
                Some(sel) => sel.subset_of(&u.labels),
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// What the cluster-wide checks need to know of this namespace, each with the first place
    /// it was seen: `default-deny` (a NetworkPolicy denies all ingress), `probe-allowed` (a
    /// policy admits the ambient probe address), `security-group-policy` (EKS pod security
    /// groups), `istio-init` (a Pod has the istio-init container).
    pub fn flags(&self) -> std::collections::BTreeMap<&'static str, Location> {
        let mut flags = std::collections::BTreeMap::new();
        for r in &self.resources {
            let at = Location {
                file: r.file,
                span: r.name_span,
            };
            let mut set = |k: &'static str| {
                flags.entry(k).or_insert(at);
            };
            match &r.body {
                Body::Workload(w)
                    if r.kind == "Pod"
                        && w.init_containers.iter().any(|c| c.name == "istio-init") =>
                {
                    set("istio-init")
                }
                Body::NetworkPolicy(np) => {
                    if np.is_default_deny_ingress() {
                        set("default-deny");
                    }
                    if np.allows_probe_cidr {
                        set("probe-allowed");
                    }
                }
                Body::CiliumPolicy { allows_probe_cidr } if *allows_probe_cidr => {
                    set("probe-allowed")
                }
                Body::SecurityGroupPolicy => set("security-group-policy"),
                _ => {}
            }
        }
        flags
    }

    /// The first resource of the namespace: where namespace-level findings go when there is no
    /// Namespace manifest.
    pub fn anchor(&self) -> Option<(&Arc<Resource>, Span)> {
        if let Some(m) = &self.mode.manifest {
            return Some((m, m.name_span));
        }
        self.resources.first().map(|r| (r, r.name_span))
    }
}

/// [`crate::fixes::restart_action`] for controller `c` of namespace `ns`, checked against the input: the
/// restart command only for a controller the input holds and whose pods `kubectl rollout
/// restart` replaces; else a manual step, so no line of `commands.sh` fails (`set -e` would stop
/// the script there) or claims pods are restarted when they are not. `pod` is one of its pods:
/// it names the ReplicaSet of a Deployment that is not in the input.
pub fn restart_controller(
    index: &Index,
    ns: &str,
    c: &Controller,
    pod: Option<&Resource>,
) -> crate::finding::Action {
    if !c.can_rollout() {
        return crate::fixes::restart_action(&c.kind, ns, &c.name);
    }
    let manual = |step: String| crate::finding::Action::Manual {
        workload: crate::fixes::workload_target(&c.kind, ns, &c.name),
        step,
    };
    let (kind, name) = (c.kind.as_str(), c.name.as_str());
    let lower = kind.to_ascii_lowercase();
    let found = index
        .ns(ns)
        .find(|r| r.kind == kind && r.name == name && matches!(r.body, Body::Workload(_)))
        .cloned();
    let Some(r) = found.filter(|_| !c.inferred) else {
        let rs = pod.and_then(|p| p.owner_refs.iter().find(|o| o.kind == "ReplicaSet"));
        return manual(match rs {
            Some(rs) if kind == "Deployment" => format!("ReplicaSet {ns}/{rs} is not owned by a Deployment of the input (its name suggests Deployment {ns}/{name}, which may not exist): find its owner (kubectl get replicaset {rs} -n {ns} -o jsonpath='{{.metadata.ownerReferences}}') and restart that Deployment (kubectl rollout restart deployment/<name> -n {ns}); if nothing owns the ReplicaSet, delete its pods one at a time (kubectl delete pod -n {ns} <pod>), waiting for each replacement to be ready.", rs = rs.name),
            _ => format!("{kind} {ns}/{name} is not in the input: check that it exists (kubectl get {lower} {name} -n {ns}), then restart it (kubectl rollout restart {lower}/{name} -n {ns})."),
        });
    };
    let Body::Workload(w) = &r.body else {
        return crate::fixes::restart_action(kind, ns, name);
    };
    if w.paused {
        return manual(format!("Deployment {ns}/{name} is paused (spec.paused: true): kubectl rollout restart refuses a paused Deployment. Resume it when its pending changes may roll out (kubectl rollout resume deployment/{name} -n {ns}), then restart it (kubectl rollout restart deployment/{name} -n {ns}); its pods keep their sidecar until then."));
    }
    if w.on_delete {
        return manual(format!("{kind} {ns}/{name} uses updateStrategy OnDelete: a rollout restart would change its template but replace no pod. Delete its pods one at a time (kubectl delete pod -n {ns} <pod>), waiting for each replacement to be ready: the {kind} re-creates them (without the sidecar)."));
    }
    crate::fixes::restart_action(kind, ns, name)
}
