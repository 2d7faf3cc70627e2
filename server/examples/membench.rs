//! Memory by stage: texts, index, analysis. `cargo run --release --example membench -- /tmp/ws1025`
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use ambient_lsp::analysis::Options;
use ambient_lsp::engine::Analysis;
use ambient_lsp::index::{FileData, Index};
use std::sync::Arc;

fn main() {
    let root = std::path::PathBuf::from(std::env::args().nth(1).expect("workspace"));
    let files = ambient_lsp::sources::workspace_files(&root);
    let rss = ambient_lsp::cli::rss_mb;
    eprintln!("start {} MB", rss());
    let texts: Vec<(String, Arc<str>)> = files
        .iter()
        .filter_map(|p| {
            Some((
                p.to_string_lossy().to_string(),
                Arc::from(std::fs::read_to_string(p).ok()?),
            ))
        })
        .collect();
    eprintln!("texts {} MB", rss());
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
    eprintln!("index {} MB ({} resources)", rss(), index.resource_count());
    let a = Analysis::run(&index, &Options::default());
    eprintln!(
        "analysis {} MB ({} findings)",
        rss(),
        a.findings(&index).len()
    );
    let mut msg = 0usize;
    let mut details = 0usize;
    let mut actions = 0usize;
    let mut related = 0usize;
    for f in a.findings(&index) {
        msg += f.message.capacity();
        details += f.details.iter().map(|d| d.capacity() + 24).sum::<usize>();
        related += f
            .related
            .iter()
            .map(|r| r.message.capacity() + 40)
            .sum::<usize>();
        actions += f
            .actions
            .iter()
            .map(|a| serde_json::to_string(a).unwrap().len())
            .sum::<usize>();
    }
    eprintln!(
        "messages {} KB, details {} KB, related {} KB, actions(json) {} KB",
        msg / 1024,
        details / 1024,
        related / 1024,
        actions / 1024
    );
    let res_count = index.resource_count();
    eprintln!(
        "per resource {} B",
        (rss() as usize * 1_000_000) / res_count.max(1)
    );
    drop(a);
    eprintln!("after drop analysis {} MB", rss());
}
