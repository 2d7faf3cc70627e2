//! The whole analysis, as the CLI runs it: files (split at 0xff) → index → phases → findings
//! and reports. Body: `ambient_lsp::testing::fuzz::analysis`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = ambient_lsp::testing::fuzz::analysis(data) {
        panic!("invariant broken: {e}");
    }
});
