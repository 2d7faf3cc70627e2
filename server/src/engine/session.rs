//! The language server's state: an index plus its analysis, kept current file by file.

use std::sync::Arc;

use rayon::prelude::*;

use super::{analyse_namespaces, Analysis};
use crate::analysis::facts::{self, Facts};
use crate::analysis::{ClusterCtx, Options};
use crate::index::{ChangeSet, FileData, Index};
use crate::model::FileId;
use crate::phases::{combine_head, PerNsShared};
use crate::yaml::Limits;

/// An index plus its analysis, kept current file by file (the language server's state).
/// Cloneable so that a code action can be tried on a copy (`lsp::actions::Simulator`).
#[derive(Clone)]
pub struct Session {
    pub index: Index,
    pub opts: Options,
    pub limits: Limits,
    pub analysis: Analysis,
}

/// What an update re-analysed (for logs and tests).
#[derive(Debug, Default, Clone)]
pub struct UpdateStats {
    pub facts_recomputed: bool,
    pub namespaces: usize,
    /// Every namespace was re-analysed (cluster-wide change).
    pub all: bool,
    /// The namespaces re-analysed or dropped.
    pub dirty: Vec<String>,
    /// Files whose findings may have changed (besides the files changed).
    pub files: std::collections::BTreeSet<FileId>,
    /// Namespace results the cluster-wide step visited (its aggregates updated, its
    /// per-namespace cluster-wide findings recomputed): the namespaces re-analysed, unless what
    /// the per-namespace cluster-wide findings share changed (then every namespace they are in).
    pub cluster_visits: usize,
}

impl Session {
    pub fn new(opts: Options) -> Session {
        let index = Index::new();
        let analysis = Analysis::run(&index, &opts);
        Session {
            index,
            opts,
            limits: Limits::default(),
            analysis,
        }
    }

    /// Load many files at once (parsing in parallel), then analyse from scratch.
    pub fn load(&mut self, files: Vec<(String, String)>) {
        self.load_arcs(files.into_iter().map(|(p, t)| (p, Arc::from(t))).collect())
    }

    /// `load` with shared texts (the language server keeps one copy of each).
    pub fn load_arcs(&mut self, files: Vec<(String, Arc<str>)>) {
        let ids: Vec<(u32, String, Arc<str>)> = files
            .into_iter()
            .map(|(p, t)| (self.index.id_for(&p), p, t))
            .collect();
        let limits = self.limits;
        let parsed: Vec<FileData> = ids
            .into_par_iter()
            .map(|(id, p, t)| FileData::parse(id, p, t, &limits))
            .collect();
        for fd in parsed {
            self.index.upsert(fd);
        }
        self.analysis = Analysis::run(&self.index, &self.opts);
    }

    /// Insert or replace one file and re-analyse what it can affect.
    pub fn set_file(&mut self, path: &str, text: &str) -> UpdateStats {
        let id = self.index.id_for(path);
        let fd = FileData::parse(id, path, text, &self.limits);
        let cs = self.index.upsert(fd);
        self.apply(cs)
    }

    /// Apply several changes (`None` removes the file) and re-analyse once: what the language
    /// server does with the edits that queued up while it was analysing.
    pub fn update(&mut self, changes: Vec<(String, Option<String>)>) -> UpdateStats {
        self.update_arcs(
            changes
                .into_iter()
                .map(|(p, t)| (p, t.map(Arc::from)))
                .collect(),
        )
    }

    /// `update` with shared texts.
    pub fn update_arcs(&mut self, changes: Vec<(String, Option<Arc<str>>)>) -> UpdateStats {
        let mut cs = ChangeSet::default();
        let limits = self.limits;
        let mut parsed: Vec<(String, Option<FileData>)> = changes
            .into_iter()
            .map(|(p, t)| {
                let fd = t.map(|t| {
                    let id = self.index.id_for(&p);
                    (id, t)
                });
                (p, fd)
            })
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|(p, fd)| {
                let fd = fd.map(|(id, t)| FileData::parse(id, p.as_str(), t, &limits));
                (p, fd)
            })
            .collect();
        for (p, fd) in parsed.drain(..) {
            match fd {
                Some(fd) => cs.merge(self.index.upsert(fd)),
                None => {
                    if let Some(id) = self.index.id_of(&p) {
                        cs.merge(self.index.remove(id));
                    }
                }
            }
        }
        self.apply(cs)
    }

    /// Replace some resources by others (`Index::splice`), the files as they are, and
    /// re-analyse what that can affect: a fix simulation of the documents a fix edits.
    pub fn splice(
        &mut self,
        remove: &[(crate::index::ResKey, Arc<crate::model::Resource>)],
        add: &[(crate::index::ResKey, Arc<crate::model::Resource>)],
    ) -> UpdateStats {
        let cs = self.index.splice(remove, add);
        self.apply(cs)
    }

    /// Files the input policy could not read (binary, not UTF-8, over the size limit, a
    /// symbolic link loop…): each becomes a file with that one problem and no resources.
    pub fn set_unreadable(
        &mut self,
        files: Vec<(String, &'static crate::rules::Rule, String)>,
    ) -> UpdateStats {
        let mut cs = ChangeSet::default();
        for (p, rule, message) in files {
            let id = self.index.id_for(&p);
            cs.merge(
                self.index
                    .upsert(FileData::unreadable(id, p, rule, message)),
            );
        }
        self.apply(cs)
    }

    pub fn remove_file(&mut self, path: &str) -> UpdateStats {
        match self.index.id_of(path) {
            Some(id) => {
                let cs = self.index.remove(id);
                self.apply(cs)
            }
            None => UpdateStats::default(),
        }
    }

    pub fn set_options(&mut self, opts: Options) {
        if opts != self.opts {
            self.opts = opts;
            self.analysis = Analysis::run(&self.index, &self.opts);
        }
    }

    fn apply(&mut self, cs: ChangeSet) -> UpdateStats {
        // where the findings were before this update (to tell which files change)
        self.analysis.by_file_mut();
        let mut stats = UpdateStats::default();
        stats.facts_recomputed = self.refresh_facts(&cs);
        stats.all = cs.all || stats.facts_recomputed;
        self.drop_gone_namespaces(&cs, &mut stats);
        let dirty: Vec<String> = if stats.all {
            self.index.namespaces()
        } else {
            cs.namespaces
                .iter()
                .filter(|n| self.index.is_namespace(n))
                .cloned()
                .collect()
        };
        stats.namespaces = dirty.len();
        stats.dirty.extend(dirty.iter().cloned());
        let results = analyse_namespaces(&self.index, &self.analysis.facts, &self.opts, &dirty);
        for (k, v) in results {
            let files = self.analysis.by_file_mut().update_namespace(&k, Some(&v));
            stats.files.extend(files);
            if let Some(old) = self.analysis.ns.get(&k) {
                self.analysis.agg.remove(&k, &old.summary);
            }
            self.analysis.agg.add(&k, &v.summary);
            self.analysis.ns.insert(k, v);
            stats.cluster_visits += 1;
        }
        self.refresh_global(&mut stats);
        stats
    }

    /// Recompute the cluster-wide findings: the rules that are not per namespace, and the
    /// per-namespace ones of the namespaces that changed (of every namespace they are in when
    /// what they share changed).
    fn refresh_global(&mut self, stats: &mut UpdateStats) {
        let a = &mut self.analysis;
        let g = ClusterCtx {
            index: &self.index,
            facts: &a.facts,
            opts: &self.opts,
            results: &a.ns,
            agg: &a.agg,
        };
        let head = combine_head(&g);
        let shared = PerNsShared::of(&g);
        let candidates = PerNsShared::namespaces(&g);
        let by_file = a.by_file.get_mut().expect("built by apply");
        stats
            .files
            .extend(by_file.update_global(head.iter().chain(a.global.extra.iter())));
        a.global.head = head;
        let everything = shared != a.global.shared;
        for (seg, candidates) in candidates.into_iter().enumerate() {
            let map = &mut a.global.segs[seg];
            let namespaces: std::collections::BTreeSet<String> = if everything {
                map.keys().chain(candidates.iter()).cloned().collect()
            } else {
                stats.dirty.iter().cloned().collect()
            };
            for ns in namespaces {
                stats.cluster_visits += usize::from(everything);
                let new = match a.ns.get(&ns) {
                    Some(r) if candidates.contains(&ns) => shared.namespace(seg, &ns, r),
                    _ => Vec::new(),
                };
                let old = map.remove(&ns).unwrap_or_default();
                stats
                    .files
                    .extend(by_file.update_segment(seg, &ns, &old, &new));
                if !new.is_empty() {
                    map.insert(ns, new);
                }
            }
        }
        a.global.shared = shared;
    }

    /// Recompute the cluster facts when the change can affect them (then every namespace is
    /// re-analysed). Returns whether they were recomputed.
    fn refresh_facts(&mut self, cs: &ChangeSet) -> bool {
        let changed = || cs.removed.iter().chain(cs.added.iter());
        let relevant = changed().any(|r| self.analysis.facts.is_relevant(r))
            // the old facts did not see it, but would the new ones? (cheap re-check)
            || changed().any(|r| facts::is_istiod(r) || r.kind == "DaemonSet");
        if relevant {
            self.analysis.facts = Arc::new(Facts::extract(&self.index));
        }
        relevant
    }

    /// Drop the results of namespaces that no longer exist (recorded as dirty). Only a
    /// namespace the change touched can have gone (unless everything changed).
    fn drop_gone_namespaces(&mut self, cs: &ChangeSet, stats: &mut UpdateStats) {
        let gone: Vec<String> = if cs.all {
            self.analysis
                .ns
                .keys()
                .filter(|k| !self.index.is_namespace(k))
                .cloned()
                .collect()
        } else {
            cs.namespaces
                .iter()
                .filter(|k| self.analysis.ns.contains_key(*k) && !self.index.is_namespace(k))
                .cloned()
                .collect()
        };
        for k in &gone {
            if let Some(old) = self.analysis.ns.remove(k) {
                self.analysis.agg.remove(k, &old.summary);
            }
            let files = self.analysis.by_file_mut().update_namespace(k, None);
            stats.files.extend(files);
            stats.cluster_visits += 1;
        }
        stats.dirty.extend(gone);
    }
}
