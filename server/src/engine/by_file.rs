//! Which findings are in which file: the namespaces whose findings point into each file, and a
//! fingerprint of the cluster-wide findings of each file. Built with an analysis and kept
//! current by `Session` as namespaces are re-analysed, so that the language server republishes
//! only the files whose findings may have changed.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::Hasher;
use std::sync::Arc;

use super::Global;
use crate::analysis::NsResult;
use crate::finding::Finding;
use crate::model::FileId;

#[derive(Clone, Default)]
pub struct FileFindings {
    ns_files: HashMap<String, BTreeSet<FileId>>,
    file_ns: HashMap<FileId, BTreeSet<String>>,
    /// Fingerprint of the cluster-wide findings not kept per namespace located in each file.
    global: HashMap<FileId, u64>,
    /// The per-namespace cluster-wide findings (segment, namespace) located in each file.
    file_segs: HashMap<FileId, BTreeSet<(usize, String)>>,
}

static EMPTY: BTreeSet<String> = BTreeSet::new();
static EMPTY_SEGS: BTreeSet<(usize, String)> = BTreeSet::new();

impl FileFindings {
    pub fn build(ns: &BTreeMap<String, Arc<NsResult>>, global: &Global) -> FileFindings {
        let mut by_file = FileFindings::default();
        for (name, r) in ns {
            by_file.record(name, r);
        }
        by_file.global = global_fingerprints(global.unsegmented());
        for (seg, map) in global.segs.iter().enumerate() {
            for (name, list) in map {
                by_file.update_segment(seg, name, &[], list);
            }
        }
        by_file
    }

    /// The per-namespace cluster-wide findings in `file`: (segment, namespace), in order.
    pub fn segments_in(&self, file: FileId) -> &BTreeSet<(usize, String)> {
        self.file_segs.get(&file).unwrap_or(&EMPTY_SEGS)
    }

    /// Namespace `ns`'s findings of segment `seg` changed from `old` to `new`. Returns the
    /// files where they were and are (none when they are the same).
    pub fn update_segment(
        &mut self,
        seg: usize,
        ns: &str,
        old: &[Finding],
        new: &[Finding],
    ) -> BTreeSet<FileId> {
        if old == new {
            return BTreeSet::new();
        }
        let files = |l: &[Finding]| -> BTreeSet<FileId> {
            l.iter()
                .filter_map(|f| f.location.map(|l| l.file))
                .collect()
        };
        let (was, is) = (files(old), files(new));
        let key = (seg, ns.to_string());
        for f in was.difference(&is) {
            if let Some(s) = self.file_segs.get_mut(f) {
                s.remove(&key);
                if s.is_empty() {
                    self.file_segs.remove(f);
                }
            }
        }
        for f in &is {
            self.file_segs.entry(*f).or_default().insert(key.clone());
        }
        was.union(&is).copied().collect()
    }

    /// The namespaces with findings in `file`.
    pub fn namespaces_in(&self, file: FileId) -> &BTreeSet<String> {
        self.file_ns.get(&file).unwrap_or(&EMPTY)
    }

    /// Whether cluster-wide findings point into `file`.
    pub fn has_global(&self, file: FileId) -> bool {
        self.global.contains_key(&file)
    }

    /// Record the files of namespace `ns`'s findings.
    fn record(&mut self, ns: &str, r: &NsResult) {
        let files: BTreeSet<FileId> = r
            .findings
            .iter()
            .filter_map(|f| f.location.map(|l| l.file))
            .collect();
        for f in &files {
            self.file_ns.entry(*f).or_default().insert(ns.to_string());
        }
        self.ns_files.insert(ns.to_string(), files);
    }

    /// Forget namespace `ns`; returns the files its findings were in.
    fn forget(&mut self, ns: &str) -> BTreeSet<FileId> {
        let old = self.ns_files.remove(ns).unwrap_or_default();
        for f in &old {
            if let Some(s) = self.file_ns.get_mut(f) {
                s.remove(ns);
            }
        }
        old
    }

    /// Namespace `ns` was re-analysed (`None`: dropped). Returns the files whose findings may
    /// have changed (where they were and where they are).
    pub fn update_namespace(&mut self, ns: &str, r: Option<&NsResult>) -> BTreeSet<FileId> {
        let mut touched = self.forget(ns);
        if let Some(r) = r {
            self.record(ns, r);
            touched.extend(self.ns_files[ns].iter().copied());
        }
        touched
    }

    /// The cluster-wide findings not kept per namespace were recomputed. Returns the files
    /// where they changed.
    pub fn update_global<'a>(
        &mut self,
        global: impl Iterator<Item = &'a Finding>,
    ) -> BTreeSet<FileId> {
        let new = global_fingerprints(global);
        let mut changed: BTreeSet<FileId> = new
            .iter()
            .filter(|(f, h)| self.global.get(f) != Some(h))
            .map(|(f, _)| *f)
            .collect();
        changed.extend(self.global.keys().filter(|f| !new.contains_key(f)));
        self.global = new;
        changed
    }
}

fn global_fingerprints<'a>(global: impl Iterator<Item = &'a Finding>) -> HashMap<FileId, u64> {
    let mut by_file: HashMap<FileId, DefaultHasher> = HashMap::new();
    for f in global {
        if let Some(l) = f.location {
            f.fingerprint(by_file.entry(l.file).or_default());
        }
    }
    by_file.into_iter().map(|(k, h)| (k, h.finish())).collect()
}
