//! A ~100 MB file of 100k documents (issue 12; figures in docs/robustness.md): reported and
//! skipped at once over the size limit, analysed in full within the bound with the limit
//! raised. Its own test binary, so that its ~1 GB run does not share the machine with the
//! small hostile files' runs of `adversarial.rs`.

use e2e::hostile::cli_problems;
use e2e::*;
use std::time::{Duration, Instant};

/// Wall time allowed to the run that reports the file as too big (debug build, loaded machine).
const SMALL_BOUND: Duration = Duration::from_secs(20);

/// ~100 MB: 100,000 ConfigMaps in one file. Over the default size limit it is reported and
/// skipped at once; with the limit raised it is analysed in full within the bound.
#[test]
fn a_100_mb_file_of_100k_documents() {
    binary(); // built before the clock starts
    let d = tempfile::TempDir::new().unwrap();
    let f = d.path().join("big.yaml");
    {
        use std::io::Write;
        let mut w = std::io::BufWriter::new(std::fs::File::create(&f).unwrap());
        let pad = "x".repeat(880);
        for i in 0..100_000 {
            write!(
                w,
                "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i}\n  namespace: ns-{}\ndata:\n  k: \"{pad}\"\n",
                i % 100
            )
            .unwrap();
        }
    }
    let started = Instant::now();
    let (problems, _, _) = cli_problems(d.path(), &[]);
    assert!(started.elapsed() < SMALL_BOUND);
    assert_eq!(problems["big.yaml"], vec!["YAML-003"]);
    let started = Instant::now();
    let (problems, report, peak) = cli_problems(d.path(), &["--max-file-size-kb", "200000"]);
    let took = started.elapsed();
    eprintln!("100 MB / 100k documents: {took:?}, peak {} MiB", peak);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(report["inputs"]["resources"], 100_000);
    assert!(took < Duration::from_secs(120), "{took:?}");
    assert!(peak < 2048, "{peak} MiB");
}
