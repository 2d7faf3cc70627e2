//! Helpers of the adversarial-input tests (`adversarial.rs`, `adversarial_big.rs`): the CLI's
//! file problems as a map, and the peak memory of the children. The two tests are separate
//! test binaries because `RUSAGE_CHILDREN` is per process: in one process the 100 MB run's
//! peak would be charged to the small files' bound.

use crate::run_in;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// A problem of the file itself (not INPUT-001, a Namespace manifest missing: these files
/// name namespaces they do not define).
pub fn of_the_file(code: &str) -> bool {
    code.starts_with("YAML-") || code.starts_with("SCHEMA-")
}

/// The peak resident memory of the children this process has waited for, in MiB.
pub fn children_peak_mib() -> u64 {
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes into the struct we own
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru) };
    (ru.ru_maxrss as u64) / 1024
}

/// `migrate --from-files .` in `dir` (JSON): the file problems per file, and the report.
pub fn cli_problems(dir: &Path, args: &[&str]) -> (BTreeMap<String, Vec<String>>, Value) {
    let mut all = vec![
        "migrate",
        "--from-files",
        ".",
        "--ignore-failures",
        "--format",
        "json",
    ];
    all.extend_from_slice(args);
    let r = run_in(dir, &all);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    let report: Value = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("{e}: exit {}: {}", r.code, r.stderr));
    let mut out = BTreeMap::new();
    add_file_problems(&report, &mut out);
    (out, report)
}

/// Adds the file problems of a JSON report to `out`: file → rule ids, in report order.
pub fn add_file_problems(report: &Value, out: &mut BTreeMap<String, Vec<String>>) {
    for p in report["inputs"]["problems"].as_array().unwrap() {
        if !of_the_file(p["rule"].as_str().unwrap()) {
            continue;
        }
        out.entry(p["location"]["file"].as_str().unwrap().to_string())
            .or_default()
            .push(p["rule"].as_str().unwrap().to_string());
    }
}
