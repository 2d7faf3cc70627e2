//! The per-namespace picture: namespace mode, workload units and their mesh status (D8/D9),
//! services and the workloads behind them (D4), waypoint bindings (D5), hosts (D1).

use std::sync::Arc;

use super::facts::{is_cni, is_istiod, is_ztunnel, Facts};
use super::version::Version;
use crate::finding::Location;
use crate::index::Index;
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
    /// `istio-injection=disabled`.
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
                    (Some("disabled"), _) => Injection::Disabled,
                    (Some(_), _) => Injection::None,
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
    let ann_inject = w.pod_annotations.get("sidecar.istio.io/inject");
    // the label wins over the deprecated annotation; other values fall back to the defaults
    let explicit = match label_inject {
        Some("true") => Some(true),
        Some("false") => Some(false),
        _ => match ann_inject {
            Some("false") => Some(false),
            _ => None,
        },
    };
    if explicit == Some(false) {
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
                labels.entries.push(crate::model::Label {
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
    let ok = match traffic {
        Traffic::Service => matches!(for_.as_str(), "service" | "all"),
        Traffic::Workload => matches!(for_.as_str(), "workload" | "all"),
    };
    if !ok {
        return broken(BindProblem::TrafficType(for_));
    }
    if !allows_namespace(gw, consumer_ns, ns_labels) {
        return broken(BindProblem::NotAllowed);
    }
    Binding::Bound(wp_ref(facts, gw), site)
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
        let mut units = Self::units(facts, &mode, &resources);
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

    /// The workload units: controllers (not ReplicaSets of a Deployment nor Jobs of a CronJob),
    /// each with the Pods it selects; Pods that no controller owns are units of their own.
    fn units(facts: &Facts, mode: &NsMode, resources: &[Arc<Resource>]) -> Vec<Unit> {
        let mut units: Vec<Unit> = Vec::new();
        let mut pods: Vec<&Arc<Resource>> = Vec::new();
        for r in resources {
            let Body::Workload(w) = &r.body else { continue };
            if r.kind == "Pod" {
                pods.push(r);
                continue;
            }
            if (r.kind == "ReplicaSet" && r.owner_refs.iter().any(|o| o.kind == "Deployment"))
                || (r.kind == "Job" && r.owner_refs.iter().any(|o| o.kind == "CronJob"))
            {
                continue;
            }
            units.push(Self::unit(facts, mode, r, w));
        }
        for p in pods {
            let Body::Workload(w) = &p.body else { continue };
            match units.iter_mut().find(|u| u.owns(w)) {
                Some(u) => u.observe(facts, mode, p, w),
                None => {
                    let mut u = Self::unit(facts, mode, p, w);
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
