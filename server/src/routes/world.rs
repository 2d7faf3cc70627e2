//! What the translation reads besides the VirtualService: Services, DestinationRule subsets,
//! existing routes and the HTTPRoute CRD. `IndexWorld` answers from the workspace index.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

use crate::analysis::mesh::{host_matches, normalize_host, service_fqdn};
use crate::index::Index;
use crate::model::{Body, FileId, Resource};
use crate::yaml::{parse_stream, Limits, Node};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortInfo {
    pub name: Option<String>,
    pub port: u32,
    pub target_port: Option<String>,
    pub protocol: Option<String>,
    pub app_protocol: Option<String>,
}

impl PortInfo {
    /// Whether a waypoint may treat the port as HTTP (VirtualService `http` routes and
    /// HTTPRoutes apply to it): not UDP/SCTP, not declared as a TCP/TLS protocol.
    pub fn http_capable(&self) -> bool {
        if self
            .protocol
            .as_deref()
            .is_some_and(|p| !p.eq_ignore_ascii_case("TCP"))
        {
            return false;
        }
        let declared = self
            .app_protocol
            .clone()
            .or_else(|| {
                self.name
                    .as_deref()
                    .map(|n| n.split('-').next().unwrap_or(n).to_string())
            })
            .unwrap_or_default()
            .to_ascii_lowercase();
        !matches!(
            declared.as_str(),
            "tcp" | "tls" | "https" | "mongo" | "mysql" | "redis" | "udp"
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SvcInfo {
    pub name: String,
    pub namespace: String,
    /// `None`: no selector (endpoints managed by hand).
    pub selector: Option<Vec<(String, String)>>,
    pub ports: Vec<PortInfo>,
}

impl SvcInfo {
    pub fn ns_name(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct SubsetInfo {
    pub labels: Vec<(String, String)>,
    /// `ns/name` of the DestinationRule.
    pub destination_rule: String,
    /// The DestinationRule's `spec.trafficPolicy` (with its `portLevelSettings`).
    pub dr_policy: Option<Value>,
    /// The subset's `trafficPolicy`. The two are merged per port (`routes::policy`).
    pub subset_policy: Option<Value>,
}

pub trait World {
    fn domain(&self) -> &str;
    /// Services (not waypoint/gateway Services) whose FQDN a normalized host covers.
    fn services_for(&self, pattern: &str) -> Vec<SvcInfo>;
    fn service_named(&self, ns: &str, name: &str) -> Option<SvcInfo>;
    /// The subset `subset` of the DestinationRule for `fqdn` that a waypoint applies: one in the
    /// service's namespace, else one in `from_ns`. `Err` says why there is none.
    fn subset(&self, fqdn: &str, subset: &str, from_ns: &str) -> Result<SubsetInfo, String>;
    /// The HTTPRoute CRD has the `retry` field (experimental channel).
    fn retry_field(&self) -> bool;
    /// An HTTPRoute of that name exists.
    fn route_exists(&self, ns: &str, name: &str) -> bool;
    /// Other routing for the Service: mesh VirtualServices other than `ns/name`, HTTPRoutes
    /// and GRPCRoutes attached to it (`Kind ns/name`).
    fn competing(&self, svc: &SvcInfo, vs_ns: &str, vs_name: &str) -> Vec<String>;
}

fn svc_info(r: &Resource) -> Option<SvcInfo> {
    let Body::Service(s) = &r.body else {
        return None;
    };
    Some(SvcInfo {
        name: r.name.to_string(),
        namespace: r.namespace.to_string(),
        selector: s.selector.as_ref().map(|l| {
            l.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        }),
        ports: s
            .ports
            .iter()
            .filter(|p| (1..=65535).contains(&p.port))
            .map(|p| PortInfo {
                name: p.name.clone(),
                port: p.port as u32,
                target_port: p.target_port.clone(),
                protocol: p.protocol.clone(),
                app_protocol: p.app_protocol.clone(),
            })
            .collect(),
    })
}

fn infra(r: &Resource) -> bool {
    r.labels.has("gateway.networking.k8s.io/gateway-name")
        || r.labels.has("gateway.istio.io/managed")
}

/// The spanned node of a resource, re-read from its file.
pub fn resource_node(index: &Index, r: &Resource) -> Option<Node> {
    let file = index.file(r.file)?;
    find_node(&shared_parse(&file.text), r)
}

/// The parse of a file's text, shared by the worlds of every namespace: each namespace's
/// analysis makes its own world, so a file holding many namespaces (a 1 MB `kubectl get -o
/// yaml` dump) was parsed once per namespace — quadratic in the file (issue 12, item 4). The
/// last few texts parsed are kept with their `Arc` (same pointer = same, unchanged text).
fn shared_parse(text: &Arc<str>) -> Arc<crate::yaml::ParsedStream> {
    type Recent = Vec<(Arc<str>, Arc<crate::yaml::ParsedStream>)>;
    static RECENT: std::sync::Mutex<Recent> = std::sync::Mutex::new(Vec::new());
    const KEEP: usize = 4;
    let lock = || {
        RECENT
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    };
    if let Some((_, s)) = lock().iter().find(|(t, _)| Arc::ptr_eq(t, text)) {
        return s.clone();
    }
    let s = Arc::new(parse_stream(text, &Limits::default()));
    let mut recent = lock();
    if !recent.iter().any(|(t, _)| Arc::ptr_eq(t, text)) {
        if recent.len() >= KEEP {
            recent.remove(0);
        }
        recent.push((text.clone(), s.clone()));
    }
    s
}

fn find_node(stream: &crate::yaml::ParsedStream, r: &Resource) -> Option<Node> {
    let doc = stream.docs.get(r.doc as usize)?;
    let root = doc.root.as_ref()?;
    let mut stack = vec![root];
    while let Some(n) = stack.pop() {
        if n.span == r.span && n.is_map() {
            return Some(n.clone());
        }
        if let Some(items) = n.get("items").and_then(|i| i.as_seq()) {
            stack.extend(items.iter());
        }
    }
    None
}

pub struct IndexWorld<'a> {
    pub index: &'a Index,
    pub domain: String,
    pub retry: bool,
    cache: RefCell<HashMap<FileId, Arc<crate::yaml::ParsedStream>>>,
}

impl<'a> IndexWorld<'a> {
    /// `retry`: whether the HTTPRoute CRD in use has the `retry` field (`crd_has_retry`).
    pub fn new(index: &'a Index, domain: &str, retry: bool) -> IndexWorld<'a> {
        IndexWorld {
            index,
            domain: domain.to_string(),
            retry,
            cache: RefCell::new(HashMap::new()),
        }
    }

    /// The spanned node of a resource (files parsed once per world, and once for all the
    /// worlds of an analysis: `shared_parse`).
    pub fn node(&self, r: &Resource) -> Option<Node> {
        let stream = {
            let mut c = self.cache.borrow_mut();
            match c.get(&r.file) {
                Some(s) => s.clone(),
                None => {
                    let file = self.index.file(r.file)?;
                    let s = shared_parse(&file.text);
                    c.insert(r.file, s.clone());
                    s
                }
            }
        };
        find_node(&stream, r)
    }

    fn services_in(&self, ns: &str) -> impl Iterator<Item = &Arc<Resource>> {
        self.index
            .ns(ns)
            .filter(|r| r.kind == "Service" && r.group.is_empty() && !infra(r))
    }
}

/// Whether an HTTPRoute CRD object has the `retry` field: the experimental channel (the
/// `gateway.networking.k8s.io/channel` annotation of the bundle) has it since v1.2.
pub fn crd_has_retry(crd: Option<&Resource>) -> bool {
    crd.is_some_and(|r| {
        r.annotations.get("gateway.networking.k8s.io/channel") == Some("experimental")
    })
}

impl World for IndexWorld<'_> {
    fn domain(&self) -> &str {
        &self.domain
    }

    fn services_for(&self, pattern: &str) -> Vec<SvcInfo> {
        let Some(key) = crate::model::refs::host_ref(pattern, "") else {
            return Vec::new();
        };
        let namespaces: Vec<String> = match key {
            crate::model::refs::RefKey::Ns(n) => vec![n],
            crate::model::refs::RefKey::All => self.index.namespaces(),
            crate::model::refs::RefKey::Host(_) => return Vec::new(),
        };
        let mut out = Vec::new();
        for ns in namespaces {
            for r in self.services_in(&ns) {
                if host_matches(pattern, &service_fqdn(&r.name, &r.namespace, &self.domain)) {
                    out.extend(svc_info(r));
                }
            }
        }
        out
    }

    fn service_named(&self, ns: &str, name: &str) -> Option<SvcInfo> {
        self.index
            .find("", "Service", ns, name)
            .and_then(|r| svc_info(r))
    }

    fn subset(&self, fqdn: &str, subset: &str, from_ns: &str) -> Result<SubsetInfo, String> {
        let svc_ns = fqdn.split('.').nth(1).unwrap_or("").to_string();
        let mut namespaces = vec![svc_ns];
        if !namespaces.contains(&from_ns.to_string()) {
            namespaces.push(from_ns.to_string());
        }
        for ns in namespaces {
            let mut candidates: Vec<&Arc<Resource>> = self
                .index
                .ns(&ns)
                .filter(|r| r.kind == "DestinationRule")
                .filter(|r| match &r.body {
                    Body::DestinationRule(d) => {
                        d.workload_selector.is_none()
                            && d.host.as_ref().is_some_and(|h| {
                                host_matches(
                                    &normalize_host(&h.value, &r.namespace, &self.domain),
                                    fqdn,
                                )
                            })
                    }
                    _ => false,
                })
                .collect();
            // an exact host wins over a wildcard
            candidates.sort_by_key(|r| match &r.body {
                Body::DestinationRule(d) => {
                    d.host.as_ref().is_some_and(|h| h.value.starts_with('*'))
                }
                _ => true,
            });
            if let Some(drr) = candidates.first() {
                let Body::DestinationRule(dr) = &drr.body else {
                    continue;
                };
                let Some(s) = dr.subsets.iter().find(|s| s.name == subset) else {
                    return Err(format!(
                        "DestinationRule \"{}\" has no subset \"{subset}\"",
                        drr.ns_name()
                    ));
                };
                let node = self.node(drr);
                let dr_policy = node
                    .as_ref()
                    .and_then(|n| n.path(&["spec", "trafficPolicy"]).map(|t| t.to_json()));
                let subset_policy = node.as_ref().and_then(|n| {
                    let subsets = n.path(&["spec", "subsets"])?.as_seq()?.to_vec();
                    subsets
                        .iter()
                        .find(|x| x.get("name").and_then(|x| x.as_str()) == Some(subset))?
                        .get("trafficPolicy")
                        .map(|t| t.to_json())
                });
                return Ok(SubsetInfo {
                    labels: s
                        .labels
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect(),
                    destination_rule: drr.ns_name(),
                    dr_policy,
                    subset_policy,
                });
            }
        }
        Err(format!(
            "no DestinationRule for \"{fqdn}\" defines subset \"{subset}\""
        ))
    }

    fn retry_field(&self) -> bool {
        self.retry
    }

    fn route_exists(&self, ns: &str, name: &str) -> bool {
        self.index
            .find("gateway.networking.k8s.io", "HTTPRoute", ns, name)
            .is_some()
    }

    fn competing(&self, svc: &SvcInfo, vs_ns: &str, vs_name: &str) -> Vec<String> {
        let fqdn = service_fqdn(&svc.name, &svc.namespace, &self.domain);
        let mut out = Vec::new();
        let mut namespaces = vec![svc.namespace.clone()];
        if vs_ns != svc.namespace {
            namespaces.push(vs_ns.to_string());
        }
        for ns in &namespaces {
            for r in self.index.ns(ns) {
                match &r.body {
                    Body::VirtualService(v)
                        if !(r.namespace == vs_ns && r.name == vs_name)
                            && v.is_mesh_bound()
                            && !v.http.is_empty()
                            && v.hosts.iter().any(|h| {
                                host_matches(
                                    &normalize_host(&h.value, &r.namespace, &self.domain),
                                    &fqdn,
                                )
                            }) =>
                    {
                        out.push(format!("VirtualService {}", r.ns_name()));
                    }
                    Body::Route(rt)
                        if (r.kind == "HTTPRoute" || r.kind == "GRPCRoute")
                            && rt.parent_refs.iter().any(|p| {
                                p.r.is_service()
                                    && p.r.name == svc.name
                                    && p.r.namespace.as_deref().unwrap_or(&r.namespace)
                                        == svc.namespace
                            }) =>
                    {
                        out.push(format!("{} {}", r.kind, r.ns_name()));
                    }
                    _ => {}
                }
            }
        }
        out.sort();
        out.dedup();
        out
    }
}

/// A world without the HTTPRoutes already in the workspace: what the translation of a
/// VirtualService was before its routes were added (`routes::translate_in_workspace`).
pub struct WithoutRoutes<'a>(pub &'a dyn World);

impl World for WithoutRoutes<'_> {
    fn domain(&self) -> &str {
        self.0.domain()
    }
    fn services_for(&self, pattern: &str) -> Vec<SvcInfo> {
        self.0.services_for(pattern)
    }
    fn service_named(&self, ns: &str, name: &str) -> Option<SvcInfo> {
        self.0.service_named(ns, name)
    }
    fn subset(&self, fqdn: &str, subset: &str, from_ns: &str) -> Result<SubsetInfo, String> {
        self.0.subset(fqdn, subset, from_ns)
    }
    fn retry_field(&self) -> bool {
        self.0.retry_field()
    }
    fn route_exists(&self, _: &str, _: &str) -> bool {
        false
    }
    fn competing(&self, svc: &SvcInfo, vs_ns: &str, vs_name: &str) -> Vec<String> {
        self.0
            .competing(svc, vs_ns, vs_name)
            .into_iter()
            .filter(|c| !c.starts_with("HTTPRoute "))
            .collect()
    }
}

impl IndexWorld<'_> {
    /// An object of that group, kind, namespace and name is in the workspace.
    pub fn exists(&self, group: &str, kind: &str, ns: &str, name: &str) -> bool {
        self.index.find(group, kind, ns, name).is_some()
    }
}
