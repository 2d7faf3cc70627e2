//! The edit path: edit sequences applied to `examples/mesh` through the incremental engine must
//! give the findings of an analysis from scratch. Body: `ambient_lsp::testing::fuzz::edits`.
#![no_main]

use std::collections::BTreeMap;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

fn base() -> &'static BTreeMap<String, String> {
    static BASE: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    BASE.get_or_init(|| {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/mesh");
        ambient_lsp::testing::fuzz::load_dir(&root)
    })
}

fuzz_target!(|data: &[u8]| {
    if let Err(e) = ambient_lsp::testing::fuzz::edits(base(), data) {
        panic!("invariant broken: {e}");
    }
});
