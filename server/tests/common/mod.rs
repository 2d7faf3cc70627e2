#![allow(dead_code)]
use std::path::PathBuf;

/// The shared corpus of real manifests (`../shared/corpus` beside the checkout). Override with
/// `AMBIENT_CORPUS`. Tests that need it fail with a clear message when it is missing.
pub fn corpus() -> PathBuf {
    if let Ok(p) = std::env::var("AMBIENT_CORPUS") {
        return PathBuf::from(p);
    }
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus");
    assert!(
        p.is_dir(),
        "corpus not found at {} (set AMBIENT_CORPUS to ../shared/corpus)",
        p.display()
    );
    p.canonicalize().unwrap()
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .unwrap()
}
