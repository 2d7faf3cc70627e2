//! What a Pod read from a cluster costs once indexed (issue 8: 20 000 pods must fit well under
//! 500 MB with the rest of a large cluster). Counted, not timed: the live heap bytes of the
//! `FileData` of many pods of the synthetic cluster (`apiserver::pods`: ten apps per
//! namespace, the pods of one app equal but for their names), each read as the cluster reader
//! reads it (`POD_SHAPE`, `file_data_shared`). The pods of one app share their workload view,
//! labels, annotations and owner references; what remains per pod is its name, its URI and
//! the resource itself.
//!
//! One test in this binary: the allocator's counters are process-wide.

#[path = "common/apiserver.rs"]
mod apiserver;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::sync::{Arc, Mutex};

use ambient_lsp::cluster::objects::{self, NodeSeed};
use ambient_lsp::model::{Body, Sharer};
use serde::de::DeserializeSeed;

struct Counting;
static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        LIVE.fetch_add(new as isize - l.size() as isize, Ordering::Relaxed);
        unsafe { System.realloc(p, l, new) }
    }
}

#[global_allocator]
static A: Counting = Counting;

#[test]
fn a_cluster_pod_costs_well_under_a_kilobyte_indexed() {
    const N: usize = 2_000;
    let texts: Vec<String> = apiserver::pods(N, 20)
        .into_iter()
        .map(|p| p.to_string())
        .collect();
    let read = |sharer: Option<&Mutex<Sharer>>| {
        let before = LIVE.load(Ordering::Relaxed);
        let mut files = Vec::with_capacity(N);
        for (i, t) in texts.iter().enumerate() {
            let mut de = serde_json::Deserializer::from_str(t);
            let n = NodeSeed(&objects::POD_SHAPE).deserialize(&mut de).unwrap();
            let uri = format!("cluster://ctx/ns/pods/p{i}");
            files.push(objects::file_data_shared(0, &uri, &n, sharer));
        }
        if let Some(s) = sharer {
            // what `Cluster::load` does once the read is complete
            *s.lock().unwrap() = Sharer::default();
        }
        let bytes = (LIVE.load(Ordering::Relaxed) - before) as usize;
        (files, bytes / N)
    };
    let (plain, plain_per_pod) = read(None);
    let sharer = Mutex::new(Sharer::default());
    let (shared, per_pod) = read(Some(&sharer));
    eprintln!("per pod: {plain_per_pod} B unshared, {per_pod} B shared");

    // the same resources, field by field
    for (a, b) in plain.iter().zip(&shared) {
        assert_eq!(format!("{:?}", a.resources), format!("{:?}", b.resources));
    }
    // the pods of one app are one workload view, whose labels are the pod's
    let mut views: Vec<*const ambient_lsp::model::Workload> = Vec::new();
    for f in &shared {
        let r = &f.resources[0];
        let Body::Workload(w) = &r.body else {
            panic!("a pod has a workload view")
        };
        assert!(Arc::ptr_eq(&r.labels.entries, &w.pod_labels.entries));
        assert!(Arc::ptr_eq(
            &r.annotations.entries,
            &w.pod_annotations.entries
        ));
        if !views.contains(&Arc::as_ptr(w)) {
            views.push(Arc::as_ptr(w));
        }
    }
    assert_eq!(views.len(), 10, "one workload view per app");
    assert!(
        per_pod < 1_000,
        "a shared cluster pod costs {per_pod} B indexed"
    );
    assert!(
        per_pod * 3 < plain_per_pod,
        "sharing saves most of a pod ({per_pod} B vs {plain_per_pod} B)"
    );
}
