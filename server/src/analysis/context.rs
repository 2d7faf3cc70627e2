//! What the rules of a namespace share: the namespace context (`NsCtx`) with the facts, the
//! namespace view and the migration plan the phases build up in order (why targets need a
//! waypoint, which waypoint each target will use, the objects generated for it, the policies
//! that would deny it), and the cluster context (`ClusterCtx`) of the cluster-wide rules.
//!
//! Rules read this context and add findings to it; the plan is written only by the steps that
//! own it (see `phases/mod.rs` for the order).

use std::cell::OnceCell;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use super::authz::Identity;
use super::facts::Facts;
use super::mesh::{resolve_binding, Binding, LabelSite, NsView, Traffic, Unit};
use crate::finding::{Finding, Location};
use crate::index::Index;
use crate::model::refs::RefKey;
use crate::model::{Body, Labels, Resource};
use crate::rules::Rule;
use crate::yaml::Span;

/// Analysis options (the CLI's flags, the server's settings).
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// Name of generated waypoints (`waypoint`, like `istioctl waypoint generate`).
    pub waypoint_name: String,
    /// Count advisory reasons (AUDIT policies, selector Telemetry, EnvoyFilter) as needing a
    /// waypoint.
    pub strict_waypoints: bool,
}

/// Why `name` cannot name generated waypoints, or `None` when it can. The name becomes a
/// Gateway's name and, through istiod, the name of its Deployment and Service: an RFC 1123 label
/// (lower-case letters, digits and `-`, starting and ending with a letter or digit, at most 63
/// characters), as `kubectl` checks for Service names.
pub fn waypoint_name_error(name: &str) -> Option<String> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    (!ok).then(|| {
        format!(
            "{name:?} is not a valid waypoint name: it must be an RFC 1123 label (lower-case \
             letters, digits and '-', starting and ending with a letter or digit, at most 63 \
             characters), e.g. \"waypoint\""
        )
    })
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
    pub fn service(name: &str) -> Target {
        Target {
            kind: TargetKind::Service,
            name: name.to_string(),
        }
    }
    pub fn service_entry(name: &str) -> Target {
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
    /// The rule that found the need (its `advisory` flag says whether it counts without
    /// `--strict-waypoints`).
    pub rule: &'static Rule,
    /// `VirtualService "ns/name"`.
    pub what: String,
}

/// The waypoint a target will use after the migration.
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedWaypoint {
    pub ns: String,
    pub name: String,
    /// Its service account (identity).
    pub sa: String,
    /// The Gateway exists in the input.
    pub exists: bool,
    /// The target is already bound to it (label + valid waypoint).
    pub bound: bool,
}

impl PlannedWaypoint {
    pub fn principal(&self, facts: &Facts) -> String {
        facts.waypoint_principal(&self.ns, &self.sa)
    }
    /// The identity its traffic carries to the workloads.
    pub fn identity(&self, facts: &Facts) -> Identity {
        Identity {
            principal: self.principal(facts),
            namespace: self.ns.clone(),
            service_account: format!("{}/{}", self.ns, self.sa),
        }
    }
    pub fn display(&self) -> String {
        format!("{}/{}", self.ns, self.name)
    }
}

/// A recommended object not yet in the input.
#[derive(Clone, Debug, PartialEq)]
pub struct PendingObject {
    /// `Kind/name` of the object to apply.
    pub item: String,
    /// `Kind/name` of the policy it was copied from (empty for allow-from-waypoint).
    pub origin: String,
}

/// What a cluster-wide finding about a root-namespace policy says, from what every namespace
/// found: `scope` (`root-namespace (mesh-wide) Kind "ns/name"`), the workloads, the services
/// that need a waypoint.
pub struct RootScope<'a> {
    pub policy: &'a Resource,
    pub scope: &'a str,
    pub workloads: &'a str,
    pub services: &'a str,
}

/// Writes the message of a cluster-wide finding about a root-namespace policy.
pub type RootMessage = fn(&RootScope) -> String;

/// A root-namespace policy that selects workloads of a namespace (aggregated cluster-wide).
#[derive(Clone, Debug)]
pub struct RootHit {
    pub policy: Arc<Resource>,
    pub rule: &'static Rule,
    pub units: Vec<String>,
    pub services: Vec<String>,
    pub message: RootMessage,
}

impl PartialEq for RootHit {
    fn eq(&self, o: &Self) -> bool {
        Arc::ptr_eq(&self.policy, &o.policy)
            && self.rule == o.rule
            && self.units == o.units
            && self.services == o.services
    }
}

/// What the cluster-wide rules need from a namespace.
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
    /// DestinationRules of this namespace that have no effect in ambient (W006): deletable
    /// once no sidecar remains anywhere (S007).
    pub noop_destination_rules: Vec<Arc<Resource>>,
    /// Facts the cluster-wide checks need from namespaces (`default-deny`, `probe-allowed`,
    /// `security-group-policy`, `istio-init`), with a location.
    pub flags: BTreeMap<&'static str, Location>,
}

/// The findings of one namespace and its summary.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct NsResult {
    pub findings: Vec<Finding>,
    pub summary: NsSummary,
}

/// The context of a namespace's rules.
pub struct NsCtx<'a> {
    pub index: &'a Index,
    pub facts: &'a Facts,
    pub opts: &'a Options,
    pub view: NsView,
    /// Findings so far.
    pub out: Vec<Finding>,
    pub summary: NsSummary,
    /// Why targets need a waypoint (deploy-waypoints).
    pub reasons: BTreeMap<Target, Vec<Reason>>,
    /// The waypoint each target will use (the waypoint plan of deploy-waypoints).
    pub planned: BTreeMap<Target, PlannedWaypoint>,
    /// The namespace's own waypoint (existing or to create), when one is needed.
    pub ns_waypoint: Option<PlannedWaypoint>,
    /// An existing Gateway that is not a waypoint has the name the new waypoint would get; the
    /// plan renamed it (W021).
    pub waypoint_name_taken: Option<(Arc<Resource>, String)>,
    /// Enrollment by Namespace label (every service uses the waypoint).
    pub ns_level: bool,
    /// Objects generated in this run per target (migrate-policies), for the ordering guard and
    /// the simplification phase.
    pub pending: BTreeMap<Target, Vec<PendingObject>>,
    /// DENY policies that will deny waypoint traffic, per target (P005), for the ordering guard.
    pub blocked: BTreeMap<Target, Vec<String>>,
    /// Policies (`Kind/name`) whose waypoint copy was refused (P001's blocking variants): no
    /// enforced copy exists, so the original must not be advised for deletion.
    pub refused_copies: BTreeSet<String>,
    /// Names given to generated objects, per kind (copies must not collide).
    pub generated_names: BTreeMap<String, BTreeSet<String>>,
    /// Findings that state a waypoint need (index in `out`) and the targets they are about.
    pub need_findings: Vec<(usize, Vec<Target>)>,
    /// `(target, what)` of every reason recorded, with their rules (`add_reason` checks for a
    /// duplicate without scanning the target's list: N policies on one target stay linear).
    reason_keys: HashMap<(Target, String), Vec<&'static Rule>>,
    /// `(kind, name)` of the namespace's resources, built on first use (`generate_name`).
    names: OnceCell<HashSet<(String, String)>>,
    /// The namespace's policies attached by `targetRefs`, per kind and set of targets (built on
    /// first use by the copy rules, to find an existing copy without a scan per copy).
    pub attached: OnceCell<AttachedPolicies>,
}

/// Resources per `(kind, {(targetRef kind, name)})`.
pub type AttachedPolicies = HashMap<(String, BTreeSet<(String, String)>), Vec<Arc<Resource>>>;

/// Kinds of policies that attach to workloads by selector: `Some(selector)` (`None` inside:
/// namespace-wide), `None` for other kinds and for policies with `targetRefs`.
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

/// The span of a selector-based policy's selector (`selector:` / `workloadSelector:` key).
pub fn selector_span(r: &Resource) -> Option<Span> {
    match &r.body {
        Body::AuthorizationPolicy(p) => p.selector.as_ref().map(|s| s.key_span),
        Body::RequestAuthentication(p) => p.selector.as_ref().map(|s| s.key_span),
        Body::Telemetry(p) => p.selector.as_ref().map(|s| s.key_span),
        Body::WasmPlugin(p) => p.selector.as_ref().map(|s| s.key_span),
        Body::EnvoyFilter(p) => p.workload_selector.as_ref().map(|s| s.key_span),
        _ => None,
    }
}

impl<'a> NsCtx<'a> {
    /// A waypoint copy of `pol` is refused: it is recorded so that no enforced copy is
    /// assumed (S001/R009 never advise deleting the original) and, when `blocking`, the
    /// waypoint must not be used for `target` yet (U008).
    pub fn refuse_copy(&mut self, pol: &Resource, target: Target, blocking: bool) {
        if blocking {
            self.blocked.entry(target).or_default().push(format!(
                "{} {} cannot be copied to the waypoint as is",
                pol.kind,
                pol.ns_name()
            ));
        }
        self.refused_copies
            .insert(format!("{}/{}", pol.kind, pol.name));
    }

    pub fn new(index: &'a Index, facts: &'a Facts, opts: &'a Options, ns: &str) -> NsCtx<'a> {
        let view = NsView::build(index, facts, ns);
        NsCtx {
            index,
            facts,
            opts,
            view,
            out: Vec::new(),
            summary: NsSummary::default(),
            reasons: BTreeMap::new(),
            planned: BTreeMap::new(),
            ns_waypoint: None,
            waypoint_name_taken: None,
            ns_level: false,
            pending: BTreeMap::new(),
            blocked: BTreeMap::new(),
            refused_copies: BTreeSet::new(),
            generated_names: BTreeMap::new(),
            need_findings: Vec::new(),
            reason_keys: HashMap::new(),
            names: OnceCell::new(),
            attached: OnceCell::new(),
        }
    }

    pub fn ns(&self) -> &str {
        &self.view.ns
    }

    pub fn is_root(&self) -> bool {
        self.view.ns == self.facts.root_ns
    }

    /// Add a finding (placed in this namespace unless it says otherwise).
    pub fn emit(&mut self, f: Finding) {
        let f = if f.namespace.is_none() {
            f.ns(self.view.ns.clone())
        } else {
            f
        };
        self.out.push(f);
    }

    /// Add a finding that states why `targets` need a waypoint (the waypoint plan may
    /// summarise it, or drop it when the targets already use a waypoint).
    pub fn emit_need(&mut self, f: Finding, targets: Vec<Target>) {
        self.emit(f);
        self.need_findings.push((self.out.len() - 1, targets));
    }

    /// This namespace's resources of one kind (cloned handles: the caller may emit while
    /// iterating).
    pub fn own(&self, kind: &str) -> Vec<Arc<Resource>> {
        self.view
            .resources
            .iter()
            .filter(|r| r.kind == kind)
            .cloned()
            .collect()
    }

    /// Resources of `kind` in this namespace and in the namespaces that may refer to it (by
    /// namespace, by one of `extra_keys`, or by a wildcard host).
    pub fn visible(&self, kind: &str, extra_keys: &[RefKey]) -> Vec<Arc<Resource>> {
        let mut namespaces: BTreeSet<String> = BTreeSet::new();
        for n in self.index.users_of(&RefKey::Ns(self.ns().to_string())) {
            namespaces.insert(n.to_string());
        }
        for k in extra_keys {
            for n in self.index.users_of(k) {
                namespaces.insert(n.to_string());
            }
        }
        for n in self.index.wildcard_users() {
            namespaces.insert(n.to_string());
        }
        namespaces.remove(self.ns());
        let mut out = self.own(kind);
        for n in namespaces {
            out.extend(self.index.ns(&n).filter(|r| r.kind == kind).cloned());
        }
        out
    }

    /// Policies that apply to this namespace's workloads by selector/namespace/root scope:
    /// (policy, is_root).
    pub fn scoped_policies(&self) -> Vec<(Arc<Resource>, bool)> {
        let mut out: Vec<(Arc<Resource>, bool)> = Vec::new();
        for r in &self.view.resources {
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
            Some(sel) => self.view.select(sel),
        }
    }

    /// Units a scoped policy selects that will run in ambient mode.
    pub fn selected_ambient(&self, policy: &Resource) -> Vec<usize> {
        self.selected(policy)
            .into_iter()
            .filter(|&u| self.unit(u).ambient_bound())
            .collect()
    }

    pub fn unit(&self, i: usize) -> &Unit {
        &self.view.units[i]
    }

    /// The Services (not infrastructure) the plan gives a waypoint, each with its waypoint, its
    /// target and the units behind it that will run in ambient mode (Services without such
    /// units are left out).
    pub fn waypointed_ambient_services(
        &self,
    ) -> Vec<(&super::mesh::SvcView, &PlannedWaypoint, Target, Vec<usize>)> {
        let mut out = Vec::new();
        for sv in self.view.services.iter().filter(|s| !s.infra) {
            let t = Target::service(sv.name());
            let Some(wp) = self.planned.get(&t) else {
                continue;
            };
            let units: Vec<usize> = sv
                .units
                .iter()
                .copied()
                .filter(|&u| self.unit(u).ambient_bound())
                .collect();
            if !units.is_empty() {
                out.push((sv, wp, t, units));
            }
        }
        out
    }

    /// Services (names) fronting the given units.
    pub fn services_of(&self, units: &[usize]) -> Vec<String> {
        let mut out: BTreeSet<String> = BTreeSet::new();
        for &u in units {
            for &s in &self.view.units[u].services {
                if !self.view.services[s].infra {
                    out.insert(self.view.services[s].res.name.to_string());
                }
            }
        }
        out.into_iter().collect()
    }

    /// Services (names) fronting the given units that have a planned waypoint.
    pub fn waypointed_services(&self, units: &[usize]) -> Vec<String> {
        self.services_of(units)
            .into_iter()
            .filter(|s| self.planned.contains_key(&Target::service(s)))
            .collect()
    }

    /// A headless Service enrolled only by `istio.io/use-waypoint` on the Service itself: its
    /// clients address the pods and no pod behind it is enrolled (pod template or namespace
    /// label), so no traffic to it goes through that waypoint (W018).
    pub fn headless_label_only(&self, si: usize) -> bool {
        let sv = &self.view.services[si];
        if sv.infra || !sv.svc().is_headless() {
            return false;
        }
        let on_service = matches!(
            sv.binding,
            Binding::Bound(_, LabelSite::Object)
                | Binding::Broken {
                    site: LabelSite::Object,
                    ..
                }
        );
        if !on_service {
            return false;
        }
        let ns_labels = self.view.mode.labels();
        !sv.units.iter().any(|&u| {
            matches!(
                resolve_binding(
                    self.index,
                    self.facts,
                    self.ns(),
                    &ns_labels,
                    &self.unit(u).labels,
                    Traffic::Workload,
                ),
                Binding::Bound(..) | Binding::Broken { .. }
            )
        })
    }

    /// Record that `t` needs a waypoint because of `what` (found by `rule`).
    pub fn add_reason(&mut self, t: Target, rule: &'static Rule, what: String) {
        let rules = self
            .reason_keys
            .entry((t.clone(), what.clone()))
            .or_default();
        if rules.contains(&rule) {
            return;
        }
        rules.push(rule);
        self.reasons
            .entry(t)
            .or_default()
            .push(Reason { rule, what });
    }

    /// NeedsWaypoint(target) (D10).
    pub fn needs(&self, t: &Target) -> bool {
        self.reasons.get(t).is_some_and(|rs| {
            rs.iter()
                .any(|r| !r.rule.advisory || self.opts.strict_waypoints)
        })
    }

    pub fn needing_targets(&self) -> Vec<Target> {
        self.reasons
            .keys()
            .filter(|t| self.needs(t))
            .cloned()
            .collect()
    }

    /// Where namespace-level findings go.
    pub fn anchor(&self) -> Option<(Arc<Resource>, Span)> {
        self.view.anchor().map(|(r, s)| (r.clone(), s))
    }

    pub fn at_anchor(&self, f: Finding) -> Finding {
        match self.anchor() {
            Some((r, s)) => f.on_node(&r, s),
            None => f,
        }
    }

    /// A name for a generated object of `kind`: `base`, else `base-2`, `base-3`… — not used by
    /// an object of that kind in this namespace nor by an object generated in this run. The
    /// name is reserved.
    pub fn generate_name(&mut self, kind: &str, base: &str) -> String {
        let resources = &self.view.resources;
        let existing = self.names.get_or_init(|| {
            resources
                .iter()
                .map(|r| (r.kind.to_string(), r.name.to_string()))
                .collect()
        });
        let generated = self.generated_names.entry(kind.to_string()).or_default();
        let taken = |n: &str| {
            generated.contains(n) || existing.contains(&(kind.to_string(), n.to_string()))
        };
        let base = crate::fixes::k8s_name(base);
        let name = if !taken(&base) {
            base
        } else {
            (2..)
                .map(|i| crate::fixes::k8s_name(&format!("{base}-{i}")))
                .find(|n| !taken(n))
                .expect("an unused name")
        };
        generated.insert(name.clone());
        name
    }
}

/// The context of the cluster-wide rules: the index, the facts, every namespace's result and
/// their aggregates. The rules read the aggregates (and the results of the namespaces the
/// aggregates name), never every result: the language server keeps the aggregates by delta, so
/// an edit's cluster-wide work does not grow with the number of unrelated namespaces.
pub struct ClusterCtx<'a> {
    pub index: &'a Index,
    pub facts: &'a Facts,
    pub opts: &'a Options,
    pub results: &'a BTreeMap<String, Arc<NsResult>>,
    pub agg: &'a Aggregates,
}

/// What the cluster-wide rules need from every namespace's summary, aggregated. Kept by delta
/// (`remove` the old summary of a re-analysed namespace, `add` the new one).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Aggregates {
    /// Sum of `sidecar_units`.
    pub sidecar_units: usize,
    /// Namespaces with `has_pods_with_sidecar`.
    pub pods_with_sidecar: usize,
    /// Namespaces with `has_waypoint`.
    pub with_waypoint: usize,
    /// Namespaces with `needs_new_waypoint`.
    pub needs_new_waypoint: BTreeSet<String>,
    /// Every namespace's `unserved` targets (a multiset: target → how many namespaces) and how
    /// many there are in all.
    pub unserved: BTreeMap<String, usize>,
    pub unserved_len: usize,
    /// Namespaces with `switching`.
    pub switching: BTreeSet<String>,
    /// Namespaces with `noop_destination_rules`.
    pub noop_destination_rules: BTreeSet<String>,
    /// Namespaces with `root_hits`.
    pub root_hits: BTreeSet<String>,
    /// Per flag, the namespaces that recorded it (and where).
    pub flags: BTreeMap<&'static str, BTreeMap<String, Location>>,
}

impl Aggregates {
    pub fn build(results: &BTreeMap<String, Arc<NsResult>>) -> Aggregates {
        let mut a = Aggregates::default();
        for (ns, r) in results {
            a.add(ns, &r.summary);
        }
        a
    }

    /// Count namespace `ns`'s summary in.
    pub fn add(&mut self, ns: &str, s: &NsSummary) {
        self.sidecar_units += s.sidecar_units;
        self.pods_with_sidecar += usize::from(s.has_pods_with_sidecar);
        self.with_waypoint += usize::from(s.has_waypoint);
        if s.needs_new_waypoint {
            self.needs_new_waypoint.insert(ns.to_string());
        }
        for u in &s.unserved {
            *self.unserved.entry(u.clone()).or_default() += 1;
        }
        self.unserved_len += s.unserved.len();
        if s.switching.is_some() {
            self.switching.insert(ns.to_string());
        }
        if !s.noop_destination_rules.is_empty() {
            self.noop_destination_rules.insert(ns.to_string());
        }
        if !s.root_hits.is_empty() {
            self.root_hits.insert(ns.to_string());
        }
        for (k, l) in &s.flags {
            self.flags.entry(k).or_default().insert(ns.to_string(), *l);
        }
    }

    /// Count namespace `ns`'s summary (as it was added) out.
    pub fn remove(&mut self, ns: &str, s: &NsSummary) {
        self.sidecar_units -= s.sidecar_units;
        self.pods_with_sidecar -= usize::from(s.has_pods_with_sidecar);
        self.with_waypoint -= usize::from(s.has_waypoint);
        self.needs_new_waypoint.remove(ns);
        for u in &s.unserved {
            if let Some(n) = self.unserved.get_mut(u) {
                *n -= 1;
                if *n == 0 {
                    self.unserved.remove(u);
                }
            }
        }
        self.unserved_len -= s.unserved.len();
        self.switching.remove(ns);
        self.noop_destination_rules.remove(ns);
        self.root_hits.remove(ns);
        for k in s.flags.keys() {
            if let Some(m) = self.flags.get_mut(k) {
                m.remove(ns);
                if m.is_empty() {
                    self.flags.remove(k);
                }
            }
        }
    }

    /// The unserved targets in order, each as many times as namespaces list it.
    pub fn unserved_sorted(&self) -> impl Iterator<Item = &String> {
        self.unserved
            .iter()
            .flat_map(|(u, n)| std::iter::repeat_n(u, *n))
    }
}

/// A sign that this cluster is a remote member of a mesh whose control plane runs elsewhere,
/// and where it was seen.
pub type RemoteSignal = (String, Option<(Arc<Resource>, Span)>);

impl ClusterCtx<'_> {
    /// The first location a namespace recorded for a flag (`default-deny`, `istio-init`…).
    pub fn flag(&self, key: &str) -> Option<Location> {
        self.agg
            .flags
            .get(key)
            .and_then(|m| m.values().next().copied())
    }

    /// Why this cluster looks like a primary-remote / external-control-plane member.
    pub fn remote_control_plane_signals(&self) -> Vec<RemoteSignal> {
        let f = self.facts;
        let mut out = Vec::new();
        for w in &f.injectors {
            if let Body::MutatingWebhook(c) = &w.body {
                if let Some(h) = c.webhooks.iter().find(|h| h.url.is_some()) {
                    out.push((
                        format!("injection webhook {} calls a remote URL", w.name),
                        Some((w.clone(), h.span)),
                    ));
                }
            }
        }
        for r in self.index.ns(&f.istio_ns) {
            if let Body::Service(s) = &r.body {
                if (r.name == "istiod" || r.name.starts_with("istiod-"))
                    && (s.selector.as_ref().is_none_or(|x| x.is_empty())
                        || s.type_.as_deref() == Some("ExternalName"))
                {
                    out.push((
                        format!(
                            "Service {} points at a remote istiod (no selector)",
                            r.ns_name()
                        ),
                        Some((r.clone(), r.name_span)),
                    ));
                }
            }
        }
        for i in &f.istiods {
            if i.env("EXTERNAL_ISTIOD") == Some("true") {
                out.push((
                    format!("istiod {} runs with EXTERNAL_ISTIOD=true", i.res.ns_name()),
                    Some((i.res.clone(), i.res.name_span)),
                ));
            }
        }
        if f.istiods.is_empty() && self.agg.pods_with_sidecar > 0 {
            out.push((
                "pods have sidecars but there is no local istiod".to_string(),
                None,
            ));
        }
        out
    }
}
