//! Incremental re-analysis cost: load a workspace, then time `Session::set_file` edits.
//! `cargo run --release --example incbench -- /tmp/ws1025 [file]`
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use ambient_lsp::analysis::Options;
use ambient_lsp::engine::Session;
use std::time::Instant;

fn main() {
    let root = std::path::PathBuf::from(std::env::args().nth(1).expect("workspace"));
    let files = ambient_lsp::sources::workspace_files(&root);
    let t = Instant::now();
    let texts: Vec<(String, String)> = files
        .iter()
        .filter_map(|p| {
            Some((
                p.to_string_lossy().to_string(),
                std::fs::read_to_string(p).ok()?,
            ))
        })
        .collect();
    let target = std::env::args()
        .nth(2)
        .map(|s| {
            std::fs::canonicalize(s)
                .unwrap()
                .to_string_lossy()
                .to_string()
        })
        .unwrap_or_else(|| {
            texts
                .iter()
                .find(|(_, t)| t.contains("paths: ["))
                .map(|(p, _)| p.clone())
                .unwrap()
        });
    let original = texts.iter().find(|(p, _)| *p == target).unwrap().1.clone();
    let mut s = Session::new(Options::default());
    s.load(texts);
    eprintln!(
        "load+analyse {:?} rss {} MB",
        t.elapsed(),
        ambient_lsp::cli::rss_mb()
    );
    let variants = [
        original.replacen("paths: [", "ports: [", 1),
        format!("{original}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: x, namespace: default}}\n"),
        original.clone(),
    ];
    let mut times = Vec::new();
    let edits: usize = std::env::var("INCBENCH_EDITS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(30);
    for i in 0..edits {
        let text = &variants[i % variants.len()];
        let t = Instant::now();
        let st = s.set_file(&target, text);
        times.push(t.elapsed());
        if i < 3 {
            let n = s.analysis.findings(&s.index).len();
            eprintln!("edit {i}: {:?} {:?} findings={n}", t.elapsed(), st);
        }
    }
    times.sort();
    eprintln!(
        "set_file p50 {:?} max {:?}",
        times[times.len() / 2],
        times[times.len() - 1]
    );
}
