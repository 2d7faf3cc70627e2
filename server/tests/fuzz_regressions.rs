//! Every input the fuzzer (`fuzz/`, `scripts/fuzz`) found a crash with, run in `cargo test`
//! through the fuzz target's own body (`ambient_lsp::testing::fuzz`): no panic, and the
//! target's invariants hold. The inputs are `tests/fuzz-regressions/<target>/<name>` (raw bytes;
//! each one's README line in docs/robustness.md says what it found).

mod common;

use std::path::PathBuf;

use ambient_lsp::testing::fuzz;

fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = common::repo_root()
        .join("server/tests/fuzz-regressions")
        .join(target);
    let mut out: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.file_name().is_some_and(|n| n != ".gitkeep"))
        .map(|p| {
            let data = std::fs::read(&p).unwrap();
            (p, data)
        })
        .collect();
    out.sort();
    out
}

/// Run `body` on every input of `target`, each under `catch_unwind`: all failures are reported,
/// not only the first.
fn run(target: &str, body: impl Fn(&[u8]) -> Result<(), String> + std::panic::RefUnwindSafe) {
    let mut failures = Vec::new();
    let list = inputs(target);
    for (p, data) in &list {
        match std::panic::catch_unwind(|| body(data)) {
            Ok(Ok(())) => {}
            Ok(Err(e)) => failures.push(format!("{}: {e}", p.display())),
            Err(_) => failures.push(format!("{}: panicked (see above)", p.display())),
        }
    }
    eprintln!("{target}: {} inputs", list.len());
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn yaml_front_end() {
    run("yaml", fuzz::yaml);
}

#[test]
fn whole_analysis() {
    run("analysis", |d| fuzz::analysis(d).map(|_| ()));
}

#[test]
fn edit_path() {
    let base = fuzz::load_dir(&common::repo_root().join("examples/mesh"));
    run("edits", |d| fuzz::edits(&base, d));
}
