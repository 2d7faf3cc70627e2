//! The seven phases. Each namespace is analysed on its own (`analyze_namespace`), with the
//! cluster facts as input; `combine` then adds the cluster-wide checks and the findings that
//! aggregate several namespaces. Rules are plain functions over that context.

pub mod cluster;
pub mod policies;
pub mod prereqs;
pub mod routes;
pub mod sidecars;
pub mod simplify;
pub mod use_waypoints;
pub mod waypoints;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::Value;

use crate::analysis::facts::Facts;
use crate::analysis::mesh::{NsView, Unit};
use crate::finding::{Finding, Location};
use crate::index::Index;
use crate::model::{Body, Labels, Resource};

#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// Name of generated waypoints (`waypoint`, like `istioctl waypoint generate`).
    pub waypoint_name: String,
    /// Count advisory reasons (AUDIT policies, selector Telemetry, EnvoyFilter) as needing a
    /// waypoint.
    pub strict_waypoints: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            waypoint_name: "waypoint".to_string(),
            strict_waypoints: false,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TargetKind {
    Service,
    ServiceEntry,
}

/// Something a waypoint serves: a Service or a ServiceEntry of this namespace.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Target {
    pub kind: TargetKind,
    pub name: String,
}

impl Target {
    pub fn svc(name: &str) -> Target {
        Target {
            kind: TargetKind::Service,
            name: name.to_string(),
        }
    }
    pub fn se(name: &str) -> Target {
        Target {
            kind: TargetKind::ServiceEntry,
            name: name.to_string(),
        }
    }
    pub fn kind_str(&self) -> &'static str {
        match self.kind {
            TargetKind::Service => "Service",
            TargetKind::ServiceEntry => "ServiceEntry",
        }
    }
}

/// Why a target needs a waypoint.
#[derive(Clone, Debug, PartialEq)]
pub struct Reason {
    pub rule: &'static str,
    /// `VirtualService "ns/name"`.
    pub what: String,
    /// W011/W013/W015: only counts with `strict_waypoints`.
    pub advisory: bool,
}

/// The waypoint a target will use after the migration.
#[derive(Clone, Debug, PartialEq)]
pub struct Planned {
    pub ns: String,
    pub name: String,
    pub sa: String,
    /// The Gateway exists in the input.
    pub exists: bool,
    /// The target is already bound to it (label + valid waypoint).
    pub bound: bool,
}

impl Planned {
    pub fn principal(&self, facts: &Facts) -> String {
        facts.waypoint_principal(&self.ns, &self.sa)
    }
    pub fn display(&self) -> String {
        format!("{}/{}", self.ns, self.name)
    }
}

/// A recommended object not yet in the input.
#[derive(Clone, Debug, PartialEq)]
pub struct Pending {
    /// `Kind/name` of the object to apply.
    pub item: String,
    /// `Kind/name` of the policy it was copied from (empty for allow-from-waypoint).
    pub origin: String,
}

/// A root-namespace policy that selects workloads of a namespace (aggregated by `combine`).
#[derive(Clone, Debug)]
pub struct RootHit {
    pub policy: Arc<Resource>,
    pub rule: &'static str,
    pub units: Vec<String>,
    pub services: Vec<String>,
}

impl PartialEq for RootHit {
    fn eq(&self, o: &Self) -> bool {
        Arc::ptr_eq(&self.policy, &o.policy)
            && self.rule == o.rule
            && self.units == o.units
            && self.services == o.services
    }
}

/// What `combine` needs from a namespace.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NsSummary {
    pub sidecar_units: usize,
    pub has_pods_with_sidecar: bool,
    /// Targets that need a waypoint and have no effective one (`Service ns/name`).
    pub unserved: Vec<String>,
    /// Some target needs a waypoint that does not exist yet.
    pub needs_new_waypoint: bool,
    /// A waypoint is planned or in use for this namespace.
    pub has_waypoint: bool,
    /// R001 proposes switching this namespace; where to put R008.
    pub switching: Option<(Location, Option<Arc<Resource>>)>,
    pub root_hits: Vec<RootHit>,
    /// `istio.io/rev` values used by the namespace or its pods (with where).
    pub revisions: Vec<(String, Location)>,
    /// No-op DestinationRules deletable once no sidecar remains anywhere (S007).
    pub s007: Vec<Finding>,
    pub anchor: Option<Location>,
    pub missing_manifest: bool,
    /// Facts the cluster-wide checks need from namespaces (`default-deny`, `probe-allowed`,
    /// `security-group-policy`, `istio-init`…), with a location.
    pub flags: BTreeMap<&'static str, Location>,
}

#[derive(Debug, Default, Clone, PartialEq)]
pub struct NsResult {
    pub findings: Vec<Finding>,
    pub summary: NsSummary,
}

pub struct NsCtx<'a> {
    pub index: &'a Index,
    pub facts: &'a Facts,
    pub opts: &'a Options,
    pub v: NsView,
    pub out: Vec<Finding>,
    pub summary: NsSummary,
    pub reasons: BTreeMap<Target, Vec<Reason>>,
    /// Targets whose need findings were summarised by a W020 block.
    pub planned: BTreeMap<Target, Planned>,
    /// The namespace's own waypoint (existing or to create), when one is needed.
    pub ns_waypoint: Option<Planned>,
    /// Enrollment by Namespace label (every service uses the waypoint).
    pub ns_level: bool,
    /// Objects generated in this run per target — for U008 and the simplification phase.
    pub pending: BTreeMap<Target, Vec<Pending>>,
    /// DENY policies that will deny waypoint traffic, per target (P005) — for U008.
    pub blocked: BTreeMap<Target, Vec<String>>,
    /// Findings that state a waypoint need (index in `out`) and the targets they are about.
    pub need_findings: Vec<(usize, Vec<Target>)>,
}

/// Kinds of policies that attach to workloads by selector.
pub fn policy_selector(r: &Resource) -> Option<Option<&Labels>> {
    let (sel, refs) = match &r.body {
        Body::AuthorizationPolicy(p) => (
            p.selector.as_ref().map(|s| &s.labels),
            !p.target_refs.is_empty(),
        ),
        Body::RequestAuthentication(p) => (
            p.selector.as_ref().map(|s| &s.labels),
            !p.target_refs.is_empty(),
        ),
        Body::Telemetry(p) => (
            p.selector.as_ref().map(|s| &s.labels),
            !p.target_refs.is_empty(),
        ),
        Body::WasmPlugin(p) => (
            p.selector.as_ref().map(|s| &s.labels),
            !p.target_refs.is_empty(),
        ),
        Body::EnvoyFilter(p) => (
            p.workload_selector.as_ref().map(|s| &s.labels),
            !p.target_refs.is_empty(),
        ),
        Body::PeerAuthentication(p) => (p.selector.as_ref().map(|s| &s.labels), false),
        Body::Sidecar(p) => (p.workload_selector.as_ref().map(|s| &s.labels), false),
        Body::ProxyConfig(p) => (p.selector.as_ref().map(|s| &s.labels), false),
        _ => return None,
    };
    if refs {
        return None;
    }
    Some(sel)
}

impl<'a> NsCtx<'a> {
    pub fn new(index: &'a Index, facts: &'a Facts, opts: &'a Options, ns: &str) -> NsCtx<'a> {
        let v = NsView::build(index, facts, ns);
        NsCtx {
            index,
            facts,
            opts,
            v,
            out: Vec::new(),
            summary: NsSummary::default(),
            reasons: BTreeMap::new(),
            planned: BTreeMap::new(),
            ns_waypoint: None,
            ns_level: false,
            pending: BTreeMap::new(),
            blocked: BTreeMap::new(),
            need_findings: Vec::new(),
        }
    }

    pub fn ns(&self) -> &str {
        &self.v.ns
    }

    pub fn is_root(&self) -> bool {
        self.v.ns == self.facts.root_ns
    }

    pub fn emit(&mut self, f: Finding) {
        let f = if f.namespace.is_none() {
            f.ns(self.v.ns.clone())
        } else {
            f
        };
        self.out.push(f);
    }

    /// Emit a finding that states why `targets` need a waypoint.
    pub fn emit_need(&mut self, f: Finding, targets: Vec<Target>) {
        self.emit(f);
        self.need_findings.push((self.out.len() - 1, targets));
    }

    /// This namespace's resources of one kind (cloned handles: the caller may emit while
    /// iterating).
    pub fn own(&self, kind: &str) -> Vec<Arc<Resource>> {
        self.v
            .resources
            .iter()
            .filter(|r| r.kind == kind)
            .cloned()
            .collect()
    }

    /// Policies that apply to this namespace's workloads by selector/namespace/root scope:
    /// (policy, is_root).
    pub fn scoped_policies(&self) -> Vec<(Arc<Resource>, bool)> {
        let mut out: Vec<(Arc<Resource>, bool)> = Vec::new();
        for r in &self.v.resources {
            if policy_selector(r).is_some() {
                out.push((r.clone(), self.is_root()));
            }
        }
        if !self.is_root() {
            for r in &self.facts.root_resources {
                if policy_selector(r).is_some() {
                    out.push((r.clone(), true));
                }
            }
        }
        out
    }

    /// Units a scoped policy selects in this namespace.
    pub fn selected(&self, policy: &Resource) -> Vec<usize> {
        match policy_selector(policy) {
            None => Vec::new(),
            Some(sel) => self.v.select(sel),
        }
    }

    pub fn unit(&self, i: usize) -> &Unit {
        &self.v.units[i]
    }

    /// Services (names) fronting the given units.
    pub fn services_of(&self, units: &[usize]) -> Vec<String> {
        let mut out: BTreeSet<String> = BTreeSet::new();
        for &u in units {
            for &s in &self.v.units[u].services {
                if !self.v.services[s].infra {
                    out.insert(self.v.services[s].res.name.to_string());
                }
            }
        }
        out.into_iter().collect()
    }

    pub fn add_reason(&mut self, t: Target, rule: &'static str, what: String, advisory: bool) {
        let list = self.reasons.entry(t).or_default();
        let r = Reason {
            rule,
            what,
            advisory,
        };
        if !list.contains(&r) {
            list.push(r);
        }
    }

    /// NeedsWaypoint(target) (D10).
    pub fn needs(&self, t: &Target) -> bool {
        self.reasons
            .get(t)
            .is_some_and(|rs| rs.iter().any(|r| !r.advisory || self.opts.strict_waypoints))
    }

    pub fn needing_targets(&self) -> Vec<Target> {
        self.reasons
            .keys()
            .filter(|t| self.needs(t))
            .cloned()
            .collect()
    }

    /// Where namespace-level findings go.
    pub fn anchor(&self) -> Option<(Arc<Resource>, crate::yaml::Span)> {
        self.v.anchor().map(|(r, s)| (r.clone(), s))
    }

    pub fn at_anchor(&self, f: Finding) -> Finding {
        match self.anchor() {
            Some((r, s)) => f.on_node(&r, s),
            None => f,
        }
    }

    /// A name not used by an existing object of that kind in this namespace, nor already
    /// generated.
    pub fn free_name(&self, kind: &str, base: &str, taken: &BTreeSet<String>) -> String {
        let base = crate::fixes::k8s_name(base);
        let exists = |n: &str| taken.contains(n);
        if !exists(&base) {
            return base;
        }
        for i in 2.. {
            let n = crate::fixes::k8s_name(&format!("{base}-{i}"));
            if !exists(&n) {
                return n;
            }
        }
        let _ = kind;
        unreachable!()
    }
}

/// Analyse one namespace: every phase's namespace-local rules.
pub fn analyze_namespace(index: &Index, facts: &Facts, opts: &Options, ns: &str) -> NsResult {
    let mut ctx = NsCtx::new(index, facts, opts, ns);
    ctx.summary.anchor = ctx.anchor().map(|(r, s)| Location {
        file: r.file,
        span: s,
    });
    prereqs::namespace(&mut ctx);
    cluster::namespace(&mut ctx);
    if ctx.v.mode.system {
        // control plane and node agents are not migrated; root-namespace policies are handled
        // through the cluster facts by every namespace they select
        if ctx.is_root() {
            policies::root(&mut ctx);
        }
        use_waypoints::run(&mut ctx);
    } else {
        waypoints::run(&mut ctx);
        policies::run(&mut ctx);
        routes::run(&mut ctx);
        use_waypoints::run(&mut ctx);
        simplify::run(&mut ctx);
        sidecars::run(&mut ctx);
    }
    ctx.summary.sidecar_units = ctx
        .v
        .units
        .iter()
        .filter(|u| u.has_sidecar() && !u.gateway)
        .count();
    ctx.summary.has_pods_with_sidecar = ctx
        .v
        .units
        .iter()
        .any(|u| u.has_sidecar() && !u.pods.is_empty());
    let mut findings = ctx.out;
    findings.shrink_to_fit();
    NsResult {
        findings,
        summary: ctx.summary,
    }
}

/// Inputs of `combine` that are not namespace results.
pub struct Global<'a> {
    pub index: &'a Index,
    pub facts: &'a Facts,
    pub opts: &'a Options,
    pub results: &'a BTreeMap<String, Arc<NsResult>>,
}

/// Cluster-wide checks and cross-namespace aggregates.
pub fn combine(g: &Global) -> Vec<Finding> {
    let mut out = Vec::new();
    prereqs::global(g, &mut out);
    cluster::global(g, &mut out);
    waypoints::global(g, &mut out);
    policies::global(g, &mut out);
    simplify::global(g, &mut out);
    sidecars::global(g, &mut out);
    out
}

/// A recommended object attached to a finding (for the output files).
pub fn object_name(v: &Value) -> String {
    let ns = v
        .pointer("/metadata/namespace")
        .and_then(|x| x.as_str())
        .unwrap_or("");
    let name = v
        .pointer("/metadata/name")
        .and_then(|x| x.as_str())
        .unwrap_or("");
    let kind = v.get("kind").and_then(|x| x.as_str()).unwrap_or("");
    format!("{kind}/{ns}/{name}")
}
