//! Print how a file parses (fast path and general parser). `cargo run --example yamldump -- FILE`
fn main() {
    let p = std::env::args().nth(1).expect("file");
    let t = std::fs::read_to_string(p).unwrap();
    let l = ambient_lsp::yaml::Limits::default();
    let f = ambient_lsp::yaml::fast::parse_fast(&t, &l);
    println!(
        "fast: {}",
        if f.is_some() { "accepted" } else { "declined" }
    );
    if let Some(f) = f {
        for d in &f.docs {
            println!(
                "doc {} {:?} problems {:?}\n{:?}",
                d.index,
                d.span,
                d.problems,
                d.root.as_ref().map(|r| r.to_json())
            );
        }
    }
    let g = ambient_lsp::yaml::parse_stream_general(&t, &l);
    for d in &g.docs {
        println!(
            "general doc {} {:?} problems {:?}\n{:?}",
            d.index,
            d.span,
            d.problems,
            d.root.as_ref().map(|r| r.to_json())
        );
    }
}
