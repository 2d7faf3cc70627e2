//! Safe fixes (issue 12): a code action is offered only when applying it leaves no new error,
//! warning or blocking finding, and only when no earlier step of the migration blocks it.
//!
//! - Simulation: the edits of a candidate are applied to the live session through the
//!   incremental engine (`Session::update_arcs`: the files edited are parsed again, the
//!   namespaces they can affect and the cluster-wide findings are re-analysed), the findings of
//!   what it re-analysed are compared with those before (by rule id + resource), then the old
//!   texts are put back the same way. The engine's property "incremental == from scratch" makes
//!   the restore exact (tested below); nothing is copied, and the write lock is held only for
//!   the two updates. Unsafe: an error, warning or blocking finding after that was not there.
//! - Verdicts are kept per analysis generation (`Verdicts`): the same candidate asked again
//!   before the next edit is not simulated again.
//! - Bounds: a request simulates while the work done (bytes parsed, `WORK_BUDGET`) and time
//!   (`TIME_BUDGET`) allow and it is not cancelled; a candidate not tried is not offered (the
//!   first is always tried, so a quick fix asked for at its own position is never cut; a
//!   request over a whole 1 MB file gets what two simulations can check).
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
use crate::rules::Severity;

/// Work a request may spend simulating, in bytes: each simulation counts the texts it parses
/// (the edited files, twice: with the fix and restored) plus `SIM_BASE` for the analysis.
/// About 60 simulations on small manifests, two on a 1 MB file.
pub const WORK_BUDGET: usize = 4 << 20;
pub const SIM_BASE: usize = 64 << 10;
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
    let Some(ns) = f.namespace.as_deref() else {
        return true;
    };
    let phase = f.phase();
    if f.blocking() {
        return true;
    }
    let blocks =
        |g: &&Finding| g.blocking() && g.phase() == phase && g.namespace.as_deref() == Some(ns);
    let a = &session.analysis;
    let in_ns =
        a.ns.get(ns)
            .map(|r| r.findings.iter().any(|g| blocks(&g)))
            .unwrap_or(false);
    !(in_ns || a.global.iter().any(|g| blocks(&g)))
}

/// What identifies a finding across an edit: its rule and resource (its location moves, and
/// its message may list what is left to do — U008 names the policies still missing); the
/// message only for a finding about no resource.
type Key = (&'static str, String);

fn key(f: &Finding) -> Key {
    let what = match &f.resource {
        Some(r) => format!("{} {}", r.kind, r.ns_name()),
        None => f.message.clone(),
    };
    (f.rule.id, what)
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
        if self.exhausted() {
            self.skipped += 1;
            return false;
        }
        self.runs += 1;
        self.work += SIM_BASE + changes.iter().map(|c| 2 * c.text.len()).sum::<usize>();
        let ok = {
            let mut session = self.state.session_mut();
            simulate(&mut session, changes)
        };
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
    let current = |s: &Session, k: &str| {
        s.index
            .id_of(k)
            .and_then(|id| s.index.file(id))
            .map(|fd| fd.text.clone())
    };
    let mut new = Vec::new();
    let mut old = Vec::new();
    for c in changes {
        old.push((c.key.to_string(), current(session, c.key)));
        new.push((
            c.key.to_string(),
            Some(Arc::<str>::from(edit::apply(c.text, c.edits))),
        ));
    }
    let keys: Vec<&str> = changes.iter().map(|c| c.key).collect();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let stats = session.update_arcs(new);
        let after = bad_keys(session, &stats, &keys);
        (stats, after)
    }));
    // restore first, whatever happened
    session.update_arcs(old);
    let Ok((stats, after)) = result else {
        tracing::error!("a fix simulation failed (please report this); the fix is not offered");
        return false;
    };
    let before = bad_keys(session, &stats, &keys);
    let ok = after.is_subset(&before);
    if !ok {
        tracing::debug!(
            "fix not offered: it would add {:?}",
            after.difference(&before).collect::<Vec<_>>()
        );
    }
    ok
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
}
