//! Safe fixes (issue 12): a code action is offered only when applying it leaves no new error,
//! warning or blocking finding, and only when no earlier step of the migration blocks it.
//!
//! - Simulation: the edits of a candidate are applied to the live session through the
//!   incremental engine, the findings of what it re-analysed are compared with those before (by
//!   rule id + resource), then the old state is put back the same way. An edit to an indexed
//!   YAML file is simulated on the documents it touches (`splice_plan`: those documents parsed
//!   by themselves, their resources swapped in the index by `Session::splice`, the namespaces
//!   they can affect and the cluster-wide findings re-analysed): a fix in a file of thousands of
//!   namespaces costs its own documents. Other changes (a new file, JSON, a template, a
//!   VirtualService or DestinationRule, an edit across document boundaries) replace the whole
//!   file (`Session::update_arcs`). The engine's
//!   property "incremental == from scratch" makes the restore exact (tested below); nothing is
//!   copied, and the write lock is held only for the two updates. Unsafe: an error, warning or
//!   blocking finding after that was not there.
//! - Verdicts are kept per analysis generation (`Verdicts`): the same candidate asked again
//!   before the next edit is not simulated again.
//! - Bounds: a request simulates while the work done (bytes parsed plus `NS_WORK` a namespace
//!   analysed, `WORK_BUDGET`) and time (`TIME_BUDGET`) allow and it is not cancelled; a
//!   candidate not tried is not offered (the first is always tried, so a quick fix asked for at
//!   its own position is never cut).
//! - Ordering: the fixes of a finding that does not block are not offered while its namespace has
//!   a blocking finding of the same phase (R001 "switch to ambient" while R009 "fail-closed
//!   policies still present"). A blocking finding keeps its own fixes (the fix that creates the
//!   waypoint stays reachable; when it fails the simulation — a hand `istio.io/use-waypoint`
//!   label before the policy copies, U008 — `actions.rs` offers it disabled, saying what to
//!   apply first). A blocking finding of an earlier phase does not hide the fixes
//!   of later phases by itself: those fixes add what the later phase needs (a policy copy before
//!   the waypoint exists is the documented order), and one that would break something — the
//!   `istio.io/use-waypoint` label before the waypoint exists (U003) — fails the simulation.

use std::collections::{BTreeSet, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::state::ServerState;
use crate::edit::{self, TextEdit};
use crate::engine::{Session, UpdateStats};
use crate::finding::Finding;
use crate::index::ResKey;
use crate::model::Resource;
use crate::rules::Severity;

/// Work a request may spend simulating, in bytes: each simulation counts the texts it parses
/// (the edited documents, or files, twice: with the fix and restored), `NS_WORK` per namespace
/// it analyses and `SIM_BASE`.
pub const WORK_BUDGET: usize = 4 << 20;
pub const SIM_BASE: usize = 4 << 10;
/// The work of re-analysing one namespace (bytes, as `WORK_BUDGET` counts).
pub const NS_WORK: usize = 1 << 10;
/// And time (a slow machine): no simulation starts after this.
pub const TIME_BUDGET: Duration = Duration::from_secs(1);

/// Edits to one file, as a simulation needs them: the file, the text the edits apply to.
pub struct Change<'a> {
    pub key: &'a str,
    pub text: &'a str,
    pub edits: &'a [TextEdit],
}

/// Whether the fixes of `f` may be offered now: when `f` does not block, no blocking finding of
/// its phase in its namespace.
pub fn in_order(session: &Session, f: &Finding) -> bool {
    Order::new(session).allows(f)
}

/// `in_order` for the findings of a request: the cluster-wide blocking findings are gathered
/// once by namespace (a scan of them per finding made a fix-all of a file of many namespaces
/// quadratic).
pub struct Order<'a> {
    session: &'a Session,
    global: HashMap<&'a str, Vec<crate::rules::Phase>>,
}

impl<'a> Order<'a> {
    pub fn new(session: &'a Session) -> Order<'a> {
        let mut global: HashMap<&str, Vec<crate::rules::Phase>> = HashMap::new();
        for g in session.analysis.global.iter().filter(|g| g.blocking()) {
            if let Some(ns) = g.namespace.as_deref() {
                global.entry(ns).or_default().push(g.phase());
            }
        }
        Order { session, global }
    }

    pub fn allows(&self, f: &Finding) -> bool {
        let Some(ns) = f.namespace.as_deref() else {
            return true;
        };
        let phase = f.phase();
        if f.blocking() {
            return true;
        }
        let blocks =
            |g: &Finding| g.blocking() && g.phase() == phase && g.namespace.as_deref() == Some(ns);
        let in_ns = self
            .session
            .analysis
            .ns
            .get(ns)
            .is_some_and(|r| r.findings.iter().any(blocks));
        let global = self.global.get(ns).is_some_and(|p| p.contains(&phase));
        !(in_ns || global)
    }
}

/// What identifies a finding across an edit: its rule and resource (its location moves, and
/// its message may list what is left to do — U008 names the policies still missing); the
/// message only for a finding about no resource; and its grade (1: a warning, 2: an error,
/// 3: blocking), so that a fix that turns a rule's finding into its blocking variant on the
/// same resource (U008: "do not enable yet" → "this waypoint already serves the Service
/// without its policies", which stops the phase) adds a finding.
type Key = (&'static str, String, u8);

fn key(f: &Finding) -> Key {
    let what = match &f.resource {
        Some(r) => format!("{} {}", r.kind, r.ns_name()),
        None => f.message.clone(),
    };
    let grade = if f.blocking() {
        3
    } else if f.severity() == Severity::Error {
        2
    } else {
        1
    };
    (f.rule.id, what, grade)
}

/// `before` with each graded key also standing for the lower grade: a fix that lowers a
/// finding (blocking → warning) adds nothing.
fn with_lower_grades(before: &mut BTreeSet<Key>) {
    let lower: Vec<Key> = before
        .iter()
        .flat_map(|(id, what, g)| (1..*g).map(move |l| (*id, what.clone(), l)))
        .collect();
    before.extend(lower);
}

/// Errors, warnings and blocking findings: a fix must not add any of them. Warnings count too:
/// a variant of a rule may be a warning where the plan carries the fix (U003 while
/// recommended-waypoints.yaml will create the waypoint: labelling a Service before then sends
/// its traffic past a waypoint that does not exist yet), and a "fix" that trades an error for
/// such a warning (U008 → U003) or adds one (an HTTPRoute next to its VirtualService, P019)
/// is not a fix.
///
/// Except the warnings that are the plan's own next state (`Rule::transitional`): U001 (a waypoint nothing uses yet)
/// is what creating the waypoint leaves until use-waypoints enrolls its Services, and that fix
/// must stay reachable.
fn bad(f: &Finding) -> bool {
    f.blocking()
        || f.severity() == Severity::Error
        || (f.severity() == Severity::Warning && !f.rule.transitional)
}

/// Verdicts of the current analysis generation, by candidate (a hash of its edits).
#[derive(Default)]
pub struct Verdicts {
    generation: u64,
    safe: HashMap<u64, bool>,
}

fn fingerprint(changes: &[Change]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for c in changes {
        c.key.hash(&mut h);
        c.text.len().hash(&mut h);
        for e in c.edits {
            (e.span.start, e.span.end).hash(&mut h);
            e.new_text.hash(&mut h);
        }
    }
    h.finish()
}

/// Tries candidate fixes on the live session (see the module doc), within a request's bounds.
pub struct Simulator<'a> {
    state: &'a ServerState,
    cancel: &'a AtomicBool,
    started: Instant,
    /// Simulations run (for logs and tests).
    pub runs: usize,
    /// Work done (see `WORK_BUDGET`).
    work: usize,
    /// Candidates not tried (bounds or cancellation).
    pub skipped: usize,
}

impl<'a> Simulator<'a> {
    pub fn new(state: &'a ServerState, cancel: &'a AtomicBool) -> Simulator<'a> {
        Simulator {
            state,
            cancel,
            started: Instant::now(),
            runs: 0,
            work: 0,
            skipped: 0,
        }
    }

    pub fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    /// No more simulations in this request (cancelled, or out of its bounds).
    pub fn exhausted(&self) -> bool {
        self.cancelled()
            || (self.runs > 0 && (self.work >= WORK_BUDGET || self.started.elapsed() > TIME_BUDGET))
    }

    /// Whether applying `changes` leaves no error or blocking finding that was not there;
    /// `false` too when it was not tried (out of bounds, cancelled).
    pub fn safe(&mut self, changes: &[Change]) -> bool {
        self.try_changes(changes, false)
    }

    /// `safe`, tried even when the request's bounds are spent (not when it is cancelled): for
    /// the one last simulation that decides a fix-all.
    pub fn safe_anyway(&mut self, changes: &[Change]) -> bool {
        self.try_changes(changes, true)
    }

    fn try_changes(&mut self, changes: &[Change], anyway: bool) -> bool {
        if changes.iter().all(|c| c.edits.is_empty()) {
            return true;
        }
        let print = fingerprint(changes);
        let generation = self.state.progress().generation;
        {
            let mut v = self.verdicts();
            if v.generation != generation {
                v.generation = generation;
                v.safe.clear();
            }
            if let Some(ok) = v.safe.get(&print) {
                return *ok;
            }
        }
        if self.cancelled() || (!anyway && self.exhausted()) {
            self.skipped += 1;
            return false;
        }
        self.runs += 1;
        let sim = {
            let mut session = self.state.session_mut();
            simulate_counted(&mut session, changes, true)
        };
        // the analysis counted by the namespaces it re-ran
        self.work += SIM_BASE + sim.parsed + sim.namespaces * NS_WORK;
        let ok = sim.ok;
        let mut v = self.verdicts();
        if v.generation == generation {
            v.safe.insert(print, ok);
        }
        ok
    }

    fn verdicts(&self) -> std::sync::MutexGuard<'_, Verdicts> {
        self.state
            .verdicts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Apply `changes` to `session`, tell whether they add an error or blocking finding, and put
/// the old texts back.
pub fn simulate(session: &mut Session, changes: &[Change]) -> bool {
    simulate_counted(session, changes, true).ok
}

/// What a simulation found and what it cost.
#[derive(Debug, Clone, Copy)]
pub struct Simulated {
    /// No error, warning or blocking finding added.
    pub ok: bool,
    /// Bytes parsed (with and without the fix).
    pub parsed: usize,
    /// Namespaces analysed (with the fix, then restored).
    pub namespaces: usize,
}

/// The documents a fix edits in an indexed file, parsed by themselves (`splice_plan`).
struct Splice {
    remove: Vec<(ResKey, Arc<Resource>)>,
    add: Vec<(ResKey, Arc<Resource>)>,
    /// The file's input problems in the edited documents, before and after.
    before: Vec<Finding>,
    after: Vec<Finding>,
    /// Bytes parsed.
    work: usize,
}

/// `simulate`, with the work it did (bytes parsed, see `WORK_BUDGET`).
///
/// A change to an indexed YAML file is simulated document by document: the documents its
/// edits touch are parsed by themselves and their resources swapped in the index
/// (`Session::splice`), so a fix in a 10 MB file costs its documents and the namespaces they
/// can affect, not the file. Documents are independent in a YAML stream (each starts at its
/// `---`), so the resources are those a parse of the whole edited file gives (their spans aside,
/// which a verdict does not look at). Other changes (new files, JSON, templates, an edit that
/// does not keep the document boundaries) replace the whole file.
pub fn simulate_counted(session: &mut Session, changes: &[Change], by_document: bool) -> Simulated {
    let mut splices = Vec::new();
    let mut whole = Vec::new();
    for c in changes {
        match splice_plan(session, c).filter(|_| by_document) {
            Some(sp) => splices.push(sp),
            None => whole.push(c),
        }
    }
    let parsed = splices.iter().map(|s| s.work).sum::<usize>()
        + whole.iter().map(|c| 2 * c.text.len()).sum::<usize>();
    let mut namespaces = 0;
    let current = |s: &Session, k: &str| {
        s.index
            .id_of(k)
            .and_then(|id| s.index.file(id))
            .map(|fd| fd.text.clone())
    };
    let mut new = Vec::new();
    let mut old = Vec::new();
    for c in &whole {
        old.push((c.key.to_string(), current(session, c.key)));
        new.push((
            c.key.to_string(),
            Some(Arc::<str>::from(edit::apply(c.text, c.edits))),
        ));
    }
    let keys: Vec<&str> = whole.iter().map(|c| c.key).collect();
    let remove: Vec<(ResKey, Arc<Resource>)> = splices
        .iter()
        .flat_map(|s| s.remove.iter().cloned())
        .collect();
    let add: Vec<(ResKey, Arc<Resource>)> =
        splices.iter().flat_map(|s| s.add.iter().cloned()).collect();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut stats = UpdateStats::default();
        if !splices.is_empty() {
            merge_stats(&mut stats, session.splice(&remove, &add));
        }
        if !new.is_empty() {
            merge_stats(&mut stats, session.update_arcs(new));
        }
        let after = bad_keys(session, &stats, &keys);
        (stats, after)
    }));
    // restore first, whatever happened (in the reverse order)
    if !old.is_empty() {
        namespaces += session.update_arcs(old).namespaces;
    }
    if !splices.is_empty() {
        namespaces += session.splice(&add, &remove).namespaces;
    }
    let Ok((stats, mut after)) = result else {
        tracing::error!("a fix simulation failed (please report this); the fix is not offered");
        return Simulated {
            ok: false,
            parsed,
            namespaces,
        };
    };
    namespaces += stats.namespaces;
    let mut before = bad_keys(session, &stats, &keys);
    for sp in &splices {
        sp.before.iter().filter(|f| bad(f)).for_each(|f| {
            before.insert(key(f));
        });
        sp.after.iter().filter(|f| bad(f)).for_each(|f| {
            after.insert(key(f));
        });
    }
    with_lower_grades(&mut before);
    let ok = after.is_subset(&before);
    if !ok {
        tracing::debug!(
            "fix not offered: it would add {:?}",
            after.difference(&before).collect::<Vec<_>>()
        );
    }
    Simulated {
        ok,
        parsed,
        namespaces,
    }
}

fn merge_stats(into: &mut UpdateStats, s: UpdateStats) {
    into.all |= s.all;
    into.facts_recomputed |= s.facts_recomputed;
    into.namespaces += s.namespaces;
    into.dirty.extend(s.dirty);
    into.files.extend(s.files);
    into.cluster_visits += s.cluster_visits;
}

/// How to simulate a change to an indexed YAML file document by document, or `None` (then the
/// whole file is replaced): the regions of the text the edits touch, each widened to the
/// documents it overlaps, parsed by themselves.
fn splice_plan(session: &Session, c: &Change) -> Option<Splice> {
    let index = &session.index;
    let fd = index.file(index.id_of(c.key)?)?;
    if edit::Style::of_path(&fd.path) == edit::Style::Json
        || fd.template
        || *fd.text != *c.text
        || fd
            .problems
            .iter()
            .any(|p| p.rule.id == crate::rules::YAML_003.id)
        || c.edits.is_empty()
    {
        return None;
    }
    let text: &str = &fd.text;
    let docs = &fd.docs;
    // regions [a, b] of the old text, each the hull of an edit and the documents it overlaps
    let mut regions: Vec<(usize, usize, Vec<&TextEdit>)> = Vec::new();
    let mut edits: Vec<&TextEdit> = c.edits.iter().collect();
    edits.sort_by_key(|e| (e.span.start, e.span.end));
    for e in edits {
        let (s, t) = (e.span.start as usize, e.span.end as usize);
        if s > t || t > text.len() {
            return None;
        }
        // documents overlapping [s, t] (ends included): a range of the sorted spans
        let first = docs.partition_point(|d| (d.end as usize) < s);
        let last = docs.partition_point(|d| (d.start as usize) <= t);
        let (mut a, mut b) = (s, t);
        if first < last {
            a = a.min(docs[first].start as usize);
            b = b.max(docs[last - 1].end as usize);
        }
        match regions.last_mut() {
            Some(r) if a <= r.1 => {
                r.0 = r.0.min(a);
                r.1 = r.1.max(b);
                r.2.push(e);
            }
            _ => regions.push((a, b, vec![e])),
        }
    }
    let mut sp = Splice {
        remove: Vec::new(),
        add: Vec::new(),
        before: Vec::new(),
        after: Vec::new(),
        work: 0,
    };
    let mut fresh = 1u32 << 31;
    for (a, b, edits) in regions {
        // the documents inside the region (none overlaps it partly), and their resources
        let d0 = docs.partition_point(|d| (d.start as usize) < a);
        let d1 = docs.partition_point(|d| (d.end as usize) <= b);
        if d1 < d0
            || (d0 > 0 && docs[d0 - 1].end as usize >= a)
            || docs.get(d1).is_some_and(|d| d.start as usize <= b)
        {
            return None;
        }
        let local: Vec<TextEdit> = edits
            .iter()
            .map(|e| TextEdit {
                span: crate::yaml::Span {
                    start: e.span.start - a as u32,
                    end: e.span.end - a as u32,
                },
                new_text: e.new_text.clone(),
            })
            .collect();
        let new_text = edit::apply(&text[a..b], &local);
        // documents are independent when the region starts one (the start of the file, or a
        // `---` at the start of a line) and the text after it starts the next one (or ends
        // the file)
        let lead = new_text.trim_start_matches(['\n', '\r']);
        let line_start = text[..a].ends_with('\n') || lead.len() < new_text.len();
        let starts = a == 0 || lead.is_empty() || (lead.starts_with("---") && line_start);
        let rest = text[b..].trim_start();
        let ends = rest.is_empty() || rest.starts_with("---") || rest.starts_with('#');
        if !starts || !ends {
            return None;
        }
        sp.work += 2 * (b - a) + new_text.len();
        let part = crate::index::FileData::parse(fd.id, fd.path.clone(), new_text, &session.limits);
        if part.template
            || part
                .problems
                .iter()
                .any(|p| p.rule.id == crate::rules::YAML_003.id)
        {
            return None;
        }
        // the route translation re-reads VirtualServices and DestinationRules from their file's
        // text by document and span (`routes::world::resource_node`): documents parsed apart
        // are not in that text, so a fix that adds or edits one is simulated on the whole file
        if part
            .resources
            .iter()
            .any(|r| matches!(r.kind.as_str(), "VirtualService" | "DestinationRule"))
        {
            return None;
        }
        let r0 = fd.resources.partition_point(|r| (r.doc as usize) < d0);
        let r1 = fd.resources.partition_point(|r| (r.doc as usize) < d1);
        for (i, r) in fd.resources[r0..r1].iter().enumerate() {
            sp.remove
                .push((ResKey::of(r, &fd.path, (r0 + i) as u32), r.clone()));
        }
        for r in &part.resources {
            let mut r = (**r).clone();
            r.doc += d0 as u32;
            let r = Arc::new(r);
            sp.add.push((ResKey::of(&r, &fd.path, fresh), r));
            fresh += 1;
        }
        sp.before.extend(
            fd.problems
                .iter()
                .filter(|p| {
                    p.location
                        .is_some_and(|l| a <= l.span.start as usize && l.span.end as usize <= b)
                })
                .cloned(),
        );
        sp.after.extend(part.problems);
    }
    Some(sp)
}

/// The error or blocking findings an update can have changed: those of the namespaces it
/// re-analysed (all, after a cluster-wide change), the cluster-wide ones and the input problems
/// of the files changed.
fn bad_keys(s: &Session, stats: &UpdateStats, files: &[&str]) -> BTreeSet<Key> {
    let mut out = BTreeSet::new();
    let a = &s.analysis;
    let mut add = |f: &Finding| {
        if bad(f) {
            out.insert(key(f));
        }
    };
    if stats.all {
        for r in a.ns.values() {
            r.findings.iter().for_each(&mut add);
        }
    } else {
        for ns in &stats.dirty {
            if let Some(r) = a.ns.get(ns) {
                r.findings.iter().for_each(&mut add);
            }
        }
    }
    a.global.iter().for_each(&mut add);
    for k in files {
        if let Some(fd) = s.index.id_of(k).and_then(|id| s.index.file(id)) {
            fd.problems.iter().for_each(&mut add);
        }
    }
    out
}

/// Process-wide shared verdict store (one per server).
pub type SharedVerdicts = Mutex<Verdicts>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::TextEdit;
    use crate::yaml::Span;

    fn all_findings(s: &Session) -> Vec<String> {
        let mut v: Vec<String> = s
            .analysis
            .findings(&s.index)
            .into_iter()
            .map(|f| format!("{f:?}"))
            .collect();
        v.sort();
        v
    }

    fn files(s: &Session) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = s
            .index
            .files()
            .map(|f| (f.path.to_string(), f.text.to_string()))
            .collect();
        v.sort();
        v
    }

    const APP: &str = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    istio-injection: enabled\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: cart\n  namespace: shop\nspec:\n  selector:\n    app: cart\n  ports:\n  - port: 80\n---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: cart-allow\n  namespace: shop\nspec:\n  selector:\n    matchLabels:\n      app: cart\n  action: ALLOW\n  rules:\n  - from:\n    - source:\n        principals: [\"cluster.local/ns/shop/sa/web\"]\n    to:\n    - operation:\n        methods: [\"GET\"]\n";
    const SYSTEM: &str = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: istio-system\n";

    /// Simulating on the live session and restoring leaves it exactly as a from-scratch
    /// analysis of the same files: for an edit in a namespace, a new file, and a cluster-wide
    /// change (the root namespace: facts recomputed, every namespace re-analysed).
    #[test]
    fn a_simulation_restores_the_session_exactly() {
        let mut s = Session::new(Default::default());
        s.load(vec![
            ("/ws/app.yaml".into(), APP.into()),
            ("/ws/system.yaml".into(), SYSTEM.into()),
        ]);
        let before = all_findings(&s);
        let before_files = files(&s);
        let label = APP.find("istio-injection: enabled").unwrap() as u32;
        let use_waypoint = TextEdit {
            span: Span {
                start: label,
                end: label + "istio-injection: enabled".len() as u32,
            },
            new_text: "istio.io/dataplane-mode: ambient\n    istio.io/use-waypoint: waypoint"
                .into(),
        };
        let new_ns = TextEdit {
            span: Span { start: 0, end: 0 },
            new_text: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: other\n---\n".into(),
        };
        let system = TextEdit {
            span: Span {
                start: SYSTEM.len() as u32,
                end: SYSTEM.len() as u32,
            },
            new_text: "  labels:\n    topology.istio.io/network: n1\n".into(),
        };
        let cases: Vec<Vec<Change>> = vec![
            vec![Change {
                key: "/ws/app.yaml",
                text: APP,
                edits: std::slice::from_ref(&use_waypoint),
            }],
            vec![Change {
                key: "/ws/new.yaml",
                text: "",
                edits: std::slice::from_ref(&new_ns),
            }],
            vec![
                Change {
                    key: "/ws/system.yaml",
                    text: SYSTEM,
                    edits: std::slice::from_ref(&system),
                },
                Change {
                    key: "/ws/app.yaml",
                    text: APP,
                    edits: std::slice::from_ref(&use_waypoint),
                },
            ],
        ];
        for changes in &cases {
            simulate(&mut s, changes);
            assert_eq!(files(&s), before_files);
            assert_eq!(all_findings(&s), before);
            let mut fresh = Session::new(Default::default());
            fresh.load(before_files.clone());
            assert_eq!(all_findings(&fresh), all_findings(&s));
        }
        // and the simulation saw a change: the use-waypoint label with no waypoint is unsafe
        assert!(!simulate(&mut s, &cases[0]));
        assert_eq!(all_findings(&s), before);
    }

    /// `n` namespaces in one file, each a sidecar-injected Namespace, a Service, a Deployment
    /// and an L7 AuthorizationPolicy (a `kubectl get -A -o yaml` dump; `e2e::many_namespaces`).
    fn many(n: usize) -> String {
        let mut out = String::from(SYSTEM);
        for i in 0..n {
            out.push_str(&format!(
                "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-{i}\n  labels:\n    istio-injection: enabled\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: team-{i}\nspec:\n  selector:\n    app: web\n  ports:\n  - port: 80\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: team-{i}\nspec:\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n      - name: web\n        image: nginx\n---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: web-get\n  namespace: team-{i}\nspec:\n  selector:\n    matchLabels:\n      app: web\n  action: ALLOW\n  rules:\n  - to:\n    - operation:\n        methods: [\"GET\"]\n"
            ));
        }
        out
    }

    /// Candidate fixes on the many-namespaces file: the ambient label on namespace `i`, the
    /// deletion of its policy, a document appended, and the three together.
    fn candidates(text: &str, i: usize) -> Vec<Vec<TextEdit>> {
        let ns = format!("  name: team-{i}\n  labels:\n    istio-injection: enabled");
        let at = text.find(&ns).unwrap() + ns.find("istio-injection").unwrap();
        let label = TextEdit {
            span: Span {
                start: at as u32,
                end: (at + "istio-injection: enabled".len()) as u32,
            },
            new_text: "istio.io/dataplane-mode: ambient".into(),
        };
        assert_eq!(&text[at..at + 24], "istio-injection: enabled");
        let policy = format!("---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: web-get\n  namespace: team-{i}\n");
        let p0 = text.find(&policy).unwrap();
        let p1 = text[p0 + 4..]
            .find("---\n")
            .map(|o| p0 + 4 + o)
            .unwrap_or(text.len());
        let delete = TextEdit {
            span: Span {
                start: p0 as u32,
                end: p1 as u32,
            },
            new_text: String::new(),
        };
        let append = TextEdit::insert(
            text.len(),
            format!("---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: waypoint\n  namespace: team-{i}\n  labels:\n    istio.io/waypoint-for: service\nspec:\n  gatewayClassName: istio-waypoint\n  listeners:\n  - name: mesh\n    port: 15008\n    protocol: HBONE\n"),
        );
        vec![
            vec![label.clone()],
            vec![delete.clone()],
            vec![append.clone()],
            vec![label, delete, append],
        ]
    }

    /// A fix to one namespace of a file of many is simulated on its documents: the work (bytes
    /// parsed, namespaces analysed) is the same for a file of 20 namespaces and one of 400 —
    /// with the whole file parsed and all its namespaces analysed per fix, a whole-file code
    /// action was quadratic (issue 12, item 4). The verdicts are those of the whole-file
    /// simulation, and the session is restored exactly.
    #[test]
    fn a_fix_in_a_file_of_many_namespaces_costs_its_documents_not_the_file() {
        let mut cost = Vec::new();
        for n in [20, 400] {
            let text = many(n);
            let mut s = Session::new(Default::default());
            s.load(vec![("/ws/all.yaml".into(), text.clone())]);
            let before = all_findings(&s);
            let mut verdicts = Vec::new();
            for (c, edits) in candidates(&text, n / 2).iter().enumerate() {
                let change = [Change {
                    key: "/ws/all.yaml",
                    text: &text,
                    edits,
                }];
                let doc = simulate_counted(&mut s, &change, true);
                assert_eq!(all_findings(&s), before, "candidate {c} restored");
                let whole = simulate_counted(&mut s, &change, false);
                assert_eq!(all_findings(&s), before, "candidate {c} restored");
                assert_eq!(doc.ok, whole.ok, "candidate {c}: the same verdict");
                assert!(whole.namespaces > n, "{whole:?}");
                verdicts.push(doc.ok);
                cost.push((n, c, doc.parsed, doc.namespaces));
            }
            // both verdicts occur (the ambient label alone leaves the L7 policy unenforced)
            assert!(
                verdicts.contains(&true) && verdicts.contains(&false),
                "{verdicts:?}"
            );
        }
        for (n, c, parsed, namespaces) in &cost {
            assert!(
                *parsed < 4 << 10,
                "{n} namespaces, candidate {c}: {parsed} bytes parsed"
            );
            assert!(
                *namespaces <= 8,
                "{n} namespaces, candidate {c}: {namespaces} analysed"
            );
        }
    }

    /// Resources the route translation re-reads from the file's text are never swapped in.
    #[test]
    fn an_edit_to_a_virtual_service_is_simulated_on_the_whole_file() {
        let vs = "---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: web\n  namespace: team-1\nspec:\n  hosts: [web]\n  http:\n  - route:\n    - destination:\n        host: web\n";
        let text = format!("{}{vs}", many(3));
        let mut s = Session::new(Default::default());
        s.load(vec![("/ws/all.yaml".into(), text.clone())]);
        let at = text.find("  hosts: [web]").unwrap();
        let edits = [TextEdit::insert(at, "  gateways: [mesh]\n")];
        let change = Change {
            key: "/ws/all.yaml",
            text: &text,
            edits: &edits,
        };
        assert!(splice_plan(&s, &change).is_none());
        let label = candidates(&text, 1);
        let change = Change {
            key: "/ws/all.yaml",
            text: &text,
            edits: &label[0],
        };
        assert!(splice_plan(&s, &change).is_some());
    }

    /// An edit that does not keep the documents apart (a `---` removed, text added between
    /// documents) is simulated on the whole file.
    #[test]
    fn an_edit_across_documents_is_simulated_on_the_whole_file() {
        let text = many(30);
        let mut s = Session::new(Default::default());
        s.load(vec![("/ws/all.yaml".into(), text.clone())]);
        let sep = text.find("---\napiVersion: v1\nkind: Service").unwrap();
        for edits in [
            vec![TextEdit {
                span: Span {
                    start: sep as u32,
                    end: sep as u32 + 4,
                },
                new_text: String::new(),
            }],
            vec![TextEdit::insert(sep, "  extra: 1\n")],
        ] {
            let change = [Change {
                key: "/ws/all.yaml",
                text: &text,
                edits: &edits,
            }];
            assert!(splice_plan(&s, &change[0]).is_none(), "{edits:?}");
            let doc = simulate_counted(&mut s, &change, true);
            let whole = simulate_counted(&mut s, &change, false);
            assert_eq!(doc.ok, whole.ok);
        }
    }
}
