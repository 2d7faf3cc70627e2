//! Where does load time go? `cargo run --release --example parsebench -- DIR`
//! Parses and extracts every file (trees dropped per file, as the real pipeline does), single
//! threaded, and reports the time of each stage.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use ambient_lsp::model::extract;
use ambient_lsp::yaml::{parse_stream, Limits};
use std::time::{Duration, Instant};

fn main() {
    let dir = std::env::args().nth(1).expect("dir");
    let files = ambient_lsp::sources::expand(&[dir.into()]).unwrap();
    let texts: Vec<String> = files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect();
    let bytes: usize = texts.iter().map(|t| t.len()).sum();
    let mut t_tree = Duration::ZERO;
    let mut t_ex = Duration::ZERO;
    let mut n = 0;
    let mut kept = Vec::new();
    for s in &texts {
        let t = Instant::now();
        let d = parse_stream(s, &Limits::default());
        t_tree += t.elapsed();
        let t = Instant::now();
        for doc in &d.docs {
            if let Some(r) = &doc.root {
                let ex = extract(r, 0, 0);
                n += ex.resources.len();
                kept.push(ex.resources);
            }
        }
        t_ex += t.elapsed();
    }
    println!("{bytes} bytes, {n} resources: parse {t_tree:?}, extract {t_ex:?}");
}
