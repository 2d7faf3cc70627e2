//! The YAML front end: bytes → spanned documents (general parser and fast path).
//! Body: `ambient_lsp::testing::fuzz::yaml`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = ambient_lsp::testing::fuzz::yaml(data) {
        panic!("invariant broken: {e}");
    }
});
