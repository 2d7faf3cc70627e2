//! Heap profile of loading a workspace (dhat): `cargo run --release --example dhatbench -- DIR`
#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

use ambient_lsp::index::{FileData, Index};
use std::sync::Arc;

fn main() {
    let root = std::path::PathBuf::from(std::env::args().nth(1).expect("workspace"));
    let files = ambient_lsp::sources::workspace_files(&root);
    let texts: Vec<(String, Arc<str>)> = files
        .iter()
        .filter_map(|p| {
            Some((
                p.to_string_lossy().to_string(),
                Arc::from(std::fs::read_to_string(p).ok()?),
            ))
        })
        .collect();
    let _profiler = dhat::Profiler::new_heap();
    let mut index = Index::new();
    for (p, t) in &texts {
        let id = index.id_for(p);
        index.upsert(FileData::parse(
            id,
            p.as_str(),
            t.clone(),
            &Default::default(),
        ));
    }
    let stats = dhat::HeapStats::get();
    eprintln!(
        "index: {} bytes in {} blocks",
        stats.curr_bytes, stats.curr_blocks
    );
    let a = ambient_lsp::engine::Analysis::run(&index, &Default::default());
    let stats = dhat::HeapStats::get();
    eprintln!(
        "index+analysis: {} bytes in {} blocks ({} findings)",
        stats.curr_bytes,
        stats.curr_blocks,
        a.global.len()
    );
}
