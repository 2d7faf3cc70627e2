//! Every analysed fixture's reports are checked against the published schemas: the JSON report
//! against `docs/report.schema.json`, the SARIF log against the OASIS SARIF 2.1.0 schema (with
//! every result located and fingerprinted once). `Run::with` calls this, so every rule test's
//! fixture is covered.

use std::collections::HashSet;
use std::sync::OnceLock;

use ambient_lsp::report::{self, sarif, uri::FileUri, ReportOptions};
use serde_json::Value;

fn load(path: std::path::PathBuf) -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap()
}

fn validator(which: &str) -> &'static jsonschema::Validator {
    static REPORT: OnceLock<jsonschema::Validator> = OnceLock::new();
    static SARIF: OnceLock<jsonschema::Validator> = OnceLock::new();
    let (cell, path) = match which {
        "report" => (&REPORT, super::repo_root().join("docs/report.schema.json")),
        _ => (
            &SARIF,
            super::corpus().join("sarif/sarif-schema-2.1.0.json"),
        ),
    };
    cell.get_or_init(|| {
        jsonschema::options()
            .should_validate_formats(true)
            .build(&load(path))
            .expect("schema compiles")
    })
}

#[track_caller]
pub fn check(run: &super::Run) {
    let opts = ReportOptions {
        ignore_failures: true,
        up_to: None,
        sources: vec!["fixtures".into()],
    };
    let rep = report::build(&run.index, &run.analysis, &opts);
    let json = report::json::render(&rep, &[]);
    let errs: Vec<String> = validator("report")
        .iter_errors(&json)
        .take(5)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errs.is_empty(),
        "JSON report of the fixture:\n{}",
        errs.join("\n")
    );
    let mut so = sarif::SarifOptions {
        root_uri: Some("file:///fixtures/".into()),
        ..Default::default()
    };
    for f in run.index.files() {
        so.uris.insert(
            f.id,
            FileUri::Relative(report::uri::encode_relative(std::path::Path::new(&*f.path))),
        );
    }
    let log = sarif::render_with(&rep, &so);
    let errs: Vec<String> = validator("sarif")
        .iter_errors(&log)
        .take(5)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errs.is_empty(),
        "SARIF of the fixture:\n{}",
        errs.join("\n")
    );
    let results = log["runs"][0]["results"].as_array().unwrap();
    let mut fps = HashSet::new();
    for r in results {
        assert_eq!(
            r["locations"].as_array().map(Vec::len),
            Some(1),
            "unlocated SARIF result {r}"
        );
        assert!(fps.insert(r["partialFingerprints"].to_string()), "{r}");
    }
}
