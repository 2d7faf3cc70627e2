//! Helpers of the adversarial-input tests (`adversarial.rs`, `adversarial_big.rs`): the CLI's
//! file problems as a map, and the peak memory of each run of the binary. The peak is that of
//! the one process (`wait4`), not `RUSAGE_CHILDREN`: that one also counts the `cargo build`
//! `binary()` may run (rustc linking the binary, >1 GB) and every other test's children.

use crate::{cli_command, Run};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::process::Stdio;

/// A problem of the file itself (not INPUT-001, a Namespace manifest missing: these files
/// name namespaces they do not define).
pub fn of_the_file(code: &str) -> bool {
    code.starts_with("YAML-") || code.starts_with("SCHEMA-")
}

/// `run_in`, and the peak resident memory of that process in MiB (its `ru_maxrss`, from
/// `wait4`).
// the child is reaped by wait4 (clippy sees no `wait()`)
#[allow(clippy::zombie_processes)]
pub fn run_peak(cwd: &Path, args: &[&str]) -> (Run, u64) {
    let mut child = cli_command(cwd, args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run ambient-lsp");
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let stderr = std::thread::spawn(move || {
        let mut b = Vec::new();
        err.read_to_end(&mut b).unwrap();
        b
    });
    let mut stdout = Vec::new();
    out.read_to_end(&mut stdout).unwrap();
    let stderr = stderr.join().unwrap();
    let mut status = 0;
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: the pid is our own unwaited child; wait4 writes into values we own
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut ru) };
    assert_eq!(pid, child.id() as libc::pid_t, "wait4");
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    let run = Run {
        code,
        stdout: String::from_utf8(stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8_lossy(&stderr).to_string(),
    };
    (run, (ru.ru_maxrss as u64) / 1024)
}

/// `migrate --from-files .` in `dir` (JSON): the file problems per file, the report, and the
/// run's peak memory in MiB.
pub fn cli_problems(dir: &Path, args: &[&str]) -> (BTreeMap<String, Vec<String>>, Value, u64) {
    let mut all = vec![
        "migrate",
        "--from-files",
        ".",
        "--ignore-failures",
        "--format",
        "json",
    ];
    all.extend_from_slice(args);
    let (r, peak) = run_peak(dir, &all);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    let report: Value = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("{e}: exit {}: {}", r.code, r.stderr));
    let mut out = BTreeMap::new();
    add_file_problems(&report, &mut out);
    (out, report, peak)
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
