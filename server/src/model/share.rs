//! One allocation for equal parts of many resources. The pods of one ReplicaSet, read from a
//! cluster, differ only in their names: their workload view (labels, annotations, containers,
//! volumes), their labels and annotations and their owner references are equal, and — spans
//! being empty for cluster objects — can be one shared value. Files' resources have spans into
//! their own text, so little is equal between them; the sharer is used where objects arrive
//! without spans (the cluster reader).

use std::collections::HashSet;
use std::sync::Arc;

use super::{Body, Label, Labels, OwnerRef, Resource, Workload};

/// The values seen so far (one sharer per cluster read; drop it when done).
#[derive(Default)]
pub struct Sharer {
    workloads: HashSet<Arc<Workload>>,
    labels: HashSet<Arc<[Label]>>,
    owners: HashSet<Arc<[OwnerRef]>>,
}

fn share_slice<T: Eq + std::hash::Hash>(set: &mut HashSet<Arc<[T]>>, v: &mut Arc<[T]>) {
    if v.is_empty() {
        return;
    }
    match set.get(&**v) {
        Some(s) => *v = s.clone(),
        None => {
            set.insert(v.clone());
        }
    }
}

impl Sharer {
    const MAX_KEPT: usize = 200_000;

    fn labels(&mut self, l: &mut Labels) {
        share_slice(&mut self.labels, &mut l.entries);
    }

    /// Replace the parts of `r` equal to parts seen before by the shared ones. The resource
    /// compares equal (field by field) before and after.
    pub fn share(&mut self, r: &mut Resource) {
        if self.workloads.len() + self.labels.len() + self.owners.len() > Self::MAX_KEPT {
            // a long-lived reader (watches): bound the table, not what was shared
            *self = Sharer::default();
        }
        if let Body::Workload(w) = &mut r.body {
            match self.workloads.get(&**w) {
                Some(s) => *w = s.clone(),
                None => {
                    if let Some(m) = Arc::get_mut(w) {
                        share_slice(&mut self.labels, &mut m.pod_labels.entries);
                        share_slice(&mut self.labels, &mut m.pod_annotations.entries);
                    }
                    self.workloads.insert(w.clone());
                }
            }
            if r.labels.entries == w.pod_labels.entries {
                r.labels.entries = w.pod_labels.entries.clone();
            }
            if r.annotations.entries == w.pod_annotations.entries {
                r.annotations.entries = w.pod_annotations.entries.clone();
            }
        }
        self.labels(&mut r.labels);
        self.labels(&mut r.annotations);
        share_slice(&mut self.owners, &mut r.owner_refs);
    }

    /// Distinct workload views kept (for tests and benchmarks).
    pub fn workloads(&self) -> usize {
        self.workloads.len()
    }
}
