//! Memory of a cluster load, stage by stage (RSS, and the live heap counted by a wrapping
//! allocator): `cargo run --release --example cluster_mem -- KUBECONFIG` (with the
//! `fake_apiserver` example serving). `ONE=1`: bytes per pod, shaped and converted.
//! `PAGE=n`, `CONC=n`: page size and kinds listed at once.
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size(), Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
        unsafe { System.dealloc(p, l) }
    }
}
#[global_allocator]
static A: Counting = Counting;

fn live() -> usize {
    LIVE.load(Ordering::Relaxed) / 1_000_000
}

#[path = "../tests/common/apiserver.rs"]
mod apiserver;

fn main() {
    if std::env::var_os("ONE").is_some() {
        let pods = apiserver::pods(1000, 10);
        let texts: Vec<String> = pods.iter().map(|p| p.to_string()).collect();
        let before = LIVE.load(Ordering::Relaxed);
        let mut keep = Vec::new();
        for t in &texts {
            let mut n = serde_json::from_str::<ambient_lsp::cluster::objects::JsonNode>(t)
                .unwrap()
                .0;
            ambient_lsp::cluster::objects::prune_pod(&mut n);
            keep.push(n);
        }
        let nodes = LIVE.load(Ordering::Relaxed) - before;
        let mut fds = Vec::new();
        for n in &keep {
            fds.push(ambient_lsp::cluster::objects::file_data(
                0,
                "cluster://x/ns-0001/Pod/app-1-7d4b9c8f6-00001",
                n,
            ));
        }
        let fd = LIVE.load(Ordering::Relaxed) - before - nodes;
        eprintln!(
            "per pod: pruned node {} B, file data {} B, resource struct {} B",
            nodes / 1000,
            fd / 1000,
            std::mem::size_of::<ambient_lsp::model::Resource>()
        );
        eprintln!("{:#?}", fds[0].resources[0]);
        return;
    }
    let kc = std::env::args().nth(1).expect("kubeconfig path");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let rss = ambient_lsp::cli::rss_mb;
    let t = std::time::Instant::now();
    let snap = rt
        .block_on(async {
            let c = ambient_lsp::cluster::Cluster::connect(ambient_lsp::cluster::Options {
                kubeconfig: Some(kc.into()),
                page_size: std::env::var("PAGE")
                    .ok()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(500),
                concurrency: std::env::var("CONC")
                    .ok()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(4),
                ..Default::default()
            })
            .await
            .unwrap();
            c.load(Arc::new(|_: &ambient_lsp::cluster::Event| {})).await
        })
        .unwrap();
    eprintln!(
        "snapshot: {} objects, {:.2} s, {} MB (live heap {} MB)",
        snap.objects(),
        t.elapsed().as_secs_f64(),
        rss(),
        live()
    );
    let (index, _, _) = snap.into_index();
    eprintln!("index: {:.2} s, {} MB", t.elapsed().as_secs_f64(), rss());
    let a = ambient_lsp::engine::Analysis::run(&index, &Default::default());
    eprintln!(
        "analysis: {:.2} s, {} MB (live heap {} MB)",
        t.elapsed().as_secs_f64(),
        rss(),
        live()
    );
    drop(a);
}
