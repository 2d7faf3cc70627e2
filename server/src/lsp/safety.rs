//! Safe fixes (issue 12): a code action is offered only when applying it leaves no new error and
//! no new blocking finding, and only when no earlier step of the migration blocks it.
//!
//! - Simulation: the edits of a candidate are applied to a copy of the session through the
//!   incremental engine (`Session::update_arcs`), the findings of what it re-analysed are
//!   compared with those before (by rule id + resource), then the copy is restored.
//!   Unsafe: an error-severity or blocking finding after that was not there before.
//! - Ordering: the fixes of a finding that does not block are not offered while its namespace has
//!   a blocking finding of the same phase (R001 "switch to ambient" while R009 "fail-closed
//!   policies still present"). A blocking finding keeps its own fixes (the fix that creates the
//!   waypoint stays reachable). A blocking finding of an earlier phase does not hide the fixes
//!   of later phases by itself: those fixes add what the later phase needs (a policy copy before
//!   the waypoint exists is the documented order), and one that would break something — the
//!   `istio.io/use-waypoint` label before the waypoint exists (U003) — fails the simulation.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::edit::{self, TextEdit};
use crate::engine::{Session, UpdateStats};
use crate::finding::Finding;
use crate::rules::Severity;

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

fn bad(f: &Finding) -> bool {
    f.severity() == Severity::Error || f.blocking()
}

/// Tries candidate fixes on one copy of the session (made on first use).
pub struct Simulator<'a> {
    base: &'a Session,
    copy: Option<Session>,
    /// Simulations run (for logs and the benchmark).
    pub runs: usize,
}

impl<'a> Simulator<'a> {
    pub fn new(base: &'a Session) -> Simulator<'a> {
        Simulator {
            base,
            copy: None,
            runs: 0,
        }
    }

    /// Whether applying `changes` leaves no error or blocking finding that was not there.
    pub fn safe(&mut self, changes: &[Change]) -> bool {
        if changes.iter().all(|c| c.edits.is_empty()) {
            return true;
        }
        self.runs += 1;
        let base = self.base;
        let copy = self.copy.get_or_insert_with(|| base.clone());
        let current = |s: &Session, k: &str| {
            s.index
                .id_of(k)
                .and_then(|id| s.index.file(id))
                .map(|fd| fd.text.clone())
        };
        let mut new = Vec::new();
        let mut old = Vec::new();
        for c in changes {
            old.push((c.key.to_string(), current(copy, c.key)));
            new.push((
                c.key.to_string(),
                Some(Arc::<str>::from(edit::apply(c.text, c.edits))),
            ));
        }
        let stats = copy.update_arcs(new);
        let keys: Vec<&str> = changes.iter().map(|c| c.key).collect();
        let before = bad_keys(base, &stats, &keys);
        let after = bad_keys(copy, &stats, &keys);
        let ok = after.is_subset(&before);
        if !ok {
            tracing::debug!(
                "fix not offered: it would add {:?}",
                after.difference(&before).collect::<Vec<_>>()
            );
        }
        copy.update_arcs(old);
        ok
    }
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
