//! Running the phases over an index: from scratch (`Analysis::run`) or incrementally after a
//! file changed (`Session`), with the guarantee that both give the same findings. The CLI and
//! the language server both stand on this layer: it also says which findings are in which file
//! (`Analysis::findings_in`).

mod by_file;
mod session;

use std::collections::BTreeMap;
use std::sync::Arc;

use rayon::prelude::*;

use crate::analysis::facts::Facts;
use crate::analysis::{Aggregates, ClusterCtx, NsResult, Options};
use crate::finding::Finding;
use crate::index::{FileData, Index};
use crate::phases::{analyze_namespace, combine_head, PerNsShared, PER_NS_SEGMENTS};
pub use by_file::FileFindings;
pub use session::{Session, UpdateStats};

/// The findings of an index: per namespace, cluster-wide, and where they are. A clone shares
/// the per-namespace results (`Arc`s): cheap enough to simulate an edit (`lsp::actions`).
#[derive(Clone)]
pub struct Analysis {
    pub facts: Arc<Facts>,
    pub ns: BTreeMap<String, Arc<NsResult>>,
    /// The namespace summaries aggregated for the cluster-wide rules.
    pub agg: Aggregates,
    pub global: Global,
    /// Built on first use (the CLI never needs it), then kept current by `Session`.
    by_file: std::sync::OnceLock<FileFindings>,
}

/// The cluster-wide findings, in order: those of the rules that are not per namespace
/// (`head`), then the per-namespace ones segment by segment (`PerNsShared`), then any added
/// by the caller (`extend`). Kept in parts so that an edit replaces only the parts it changes.
#[derive(Clone, Default)]
pub struct Global {
    head: Vec<Finding>,
    shared: PerNsShared,
    segs: [BTreeMap<String, Vec<Finding>>; PER_NS_SEGMENTS],
    extra: Vec<Finding>,
}

impl Global {
    fn build(g: &ClusterCtx) -> Global {
        let shared = PerNsShared::of(g);
        let mut segs: [BTreeMap<String, Vec<Finding>>; PER_NS_SEGMENTS] = Default::default();
        for (seg, namespaces) in PerNsShared::namespaces(g).into_iter().enumerate() {
            for ns in namespaces {
                let list = shared.namespace(seg, ns, &g.results[ns]);
                if !list.is_empty() {
                    segs[seg].insert(ns.clone(), list);
                }
            }
        }
        Global {
            head: combine_head(g),
            shared,
            segs,
            extra: Vec::new(),
        }
    }

    /// Every cluster-wide finding, in order.
    pub fn iter(&self) -> impl Iterator<Item = &Finding> {
        self.head
            .iter()
            .chain(self.segs.iter().flat_map(|s| s.values().flatten()))
            .chain(self.extra.iter())
    }

    pub fn len(&self) -> usize {
        self.head.len()
            + self
                .segs
                .iter()
                .flat_map(|s| s.values())
                .map(Vec::len)
                .sum::<usize>()
            + self.extra.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The findings not kept per namespace (`head`, then those added by `extend`).
    fn unsegmented(&self) -> impl Iterator<Item = &Finding> {
        self.head.iter().chain(self.extra.iter())
    }

    /// Add findings after the others (drift, from the test fixtures).
    pub fn extend(&mut self, more: impl IntoIterator<Item = Finding>) {
        self.extra.extend(more);
    }
}

/// Analyse `namespaces` (in parallel when there are many).
fn analyse_namespaces(
    index: &Index,
    facts: &Facts,
    opts: &Options,
    namespaces: &[String],
) -> Vec<(String, Arc<NsResult>)> {
    let one = |ns: &String| {
        (
            ns.clone(),
            Arc::new(analyze_namespace(index, facts, opts, ns)),
        )
    };
    if namespaces.len() > 8 {
        namespaces.par_iter().map(one).collect()
    } else {
        namespaces.iter().map(one).collect()
    }
}

impl Analysis {
    pub fn run(index: &Index, opts: &Options) -> Analysis {
        let facts = Arc::new(Facts::extract(index));
        let ns: BTreeMap<String, Arc<NsResult>> =
            analyse_namespaces(index, &facts, opts, &index.namespaces())
                .into_iter()
                .collect();
        let agg = Aggregates::build(&ns);
        let global = Global::build(&ClusterCtx {
            index,
            facts: &facts,
            opts,
            results: &ns,
            agg: &agg,
        });
        Analysis {
            facts,
            ns,
            agg,
            global,
            by_file: std::sync::OnceLock::new(),
        }
    }

    fn by_file(&self) -> &FileFindings {
        self.by_file
            .get_or_init(|| FileFindings::build(&self.ns, &self.global))
    }

    fn by_file_mut(&mut self) -> &mut FileFindings {
        self.by_file();
        self.by_file.get_mut().expect("just built")
    }

    /// The findings located in `file`: its input problems, then the namespace findings (in
    /// namespace order), then the cluster-wide ones.
    pub fn findings_in<'a>(&'a self, file: &'a FileData) -> Vec<&'a Finding> {
        let here = |f: &&Finding| f.location.is_some_and(|l| l.file == file.id);
        let mut out: Vec<&Finding> = file.problems.iter().collect();
        let by_file = self.by_file();
        for ns in by_file.namespaces_in(file.id) {
            if let Some(r) = self.ns.get(ns) {
                out.extend(r.findings.iter().filter(here));
            }
        }
        let unsegmented = by_file.has_global(file.id);
        if unsegmented {
            out.extend(self.global.head.iter().filter(here));
        }
        for (seg, ns) in by_file.segments_in(file.id) {
            if let Some(list) = self.global.segs[*seg].get(ns) {
                out.extend(list.iter().filter(here));
            }
        }
        if unsegmented {
            out.extend(self.global.extra.iter().filter(here));
        }
        dedupe(out)
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
        dedupe(out)
    }
}

/// Identical findings once (the first kept): a resource visible from several namespaces (a
/// DestinationRule with a wildcard host, an exported VirtualService) is analysed in each of
/// them, and a rule about the resource itself then finds the same thing in each.
fn dedupe(list: Vec<&Finding>) -> Vec<&Finding> {
    let mut seen = std::collections::HashSet::new();
    list.into_iter()
        .filter(|f| {
            seen.insert((
                f.rule.id,
                f.location,
                f.message.as_str(),
                f.namespace.as_deref(),
            ))
        })
        .collect()
}
