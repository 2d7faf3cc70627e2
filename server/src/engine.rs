//! Running the phases over an index: from scratch (`Analysis::run`) or incrementally after a
//! file changed (`Session`), with the guarantee that both give the same findings. The CLI and
//! the language server both stand on this layer.

use std::collections::BTreeMap;
use std::sync::Arc;

use rayon::prelude::*;

use crate::analysis::facts::{self, Facts};
use crate::analysis::{ClusterCtx, NsResult, Options};
use crate::finding::Finding;
use crate::index::{ChangeSet, FileData, Index};
use crate::phases::{analyze_namespace, combine};
use crate::yaml::Limits;

pub struct Analysis {
    pub facts: Arc<Facts>,
    pub ns: BTreeMap<String, Arc<NsResult>>,
    pub global: Vec<Finding>,
}

impl Analysis {
    pub fn run(index: &Index, opts: &Options) -> Analysis {
        let facts = Arc::new(Facts::extract(index));
        let namespaces = index.namespaces();
        let results: Vec<(String, Arc<NsResult>)> = namespaces
            .par_iter()
            .map(|ns| {
                (
                    ns.clone(),
                    Arc::new(analyze_namespace(index, &facts, opts, ns)),
                )
            })
            .collect();
        let ns: BTreeMap<String, Arc<NsResult>> = results.into_iter().collect();
        let global = combine(&ClusterCtx {
            index,
            facts: &facts,
            opts,
            results: &ns,
        });
        Analysis { facts, ns, global }
    }

    /// Every finding: input problems, then namespace findings, then cluster-wide ones.
    pub fn findings<'a>(&'a self, index: &'a Index) -> Vec<&'a Finding> {
        let mut out: Vec<&Finding> = Vec::new();
        let mut files: Vec<&Arc<FileData>> = index.files().collect();
        files.sort_by(|a, b| a.path.cmp(&b.path));
        for f in files {
            out.extend(f.problems.iter());
        }
        for r in self.ns.values() {
            out.extend(r.findings.iter());
        }
        out.extend(self.global.iter());
        out
    }
}

/// An index plus its analysis, kept current file by file (the language server's state).
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
        let mut stats = UpdateStats::default();
        let relevant = cs
            .removed
            .iter()
            .chain(cs.added.iter())
            .any(|r| self.analysis.facts.is_relevant(r));
        let mut all = cs.all;
        if relevant {
            let facts = Facts::extract(&self.index);
            // a resource may only become relevant under the new facts (e.g. a new system namespace)
            all = true;
            self.analysis.facts = Arc::new(facts);
            stats.facts_recomputed = true;
        } else if cs.removed.iter().chain(cs.added.iter()).any(|r| {
            // the old facts did not see it, but would the new ones? (cheap re-check)
            facts::is_istiod(r) || r.kind == "DaemonSet"
        }) {
            self.analysis.facts = Arc::new(Facts::extract(&self.index));
            all = true;
            stats.facts_recomputed = true;
        }
        let index = &self.index;
        for k in self.analysis.ns.keys() {
            if !index.is_namespace(k) {
                stats.dirty.push(k.clone());
            }
        }
        self.analysis.ns.retain(|k, _| index.is_namespace(k));
        let dirty: Vec<String> = if all {
            index.namespaces()
        } else {
            cs.namespaces
                .iter()
                .filter(|n| index.is_namespace(n))
                .cloned()
                .collect()
        };
        stats.namespaces = dirty.len();
        stats.all = all;
        stats.dirty.extend(dirty.iter().cloned());
        let facts = self.analysis.facts.clone();
        let index = &self.index;
        let opts = &self.opts;
        let results: Vec<(String, Arc<NsResult>)> = if dirty.len() > 8 {
            dirty
                .par_iter()
                .map(|ns| {
                    (
                        ns.clone(),
                        Arc::new(analyze_namespace(index, &facts, opts, ns)),
                    )
                })
                .collect()
        } else {
            dirty
                .iter()
                .map(|ns| {
                    (
                        ns.clone(),
                        Arc::new(analyze_namespace(index, &facts, opts, ns)),
                    )
                })
                .collect()
        };
        for (k, v) in results {
            self.analysis.ns.insert(k, v);
        }
        self.analysis.global = combine(&ClusterCtx {
            index: &self.index,
            facts: &self.analysis.facts,
            opts: &self.opts,
            results: &self.analysis.ns,
        });
        stats
    }
}
