//! Validators of the published report schema (`docs/report.schema.json`, JSON Schema 2020-12)
//! and of the official SARIF 2.1.0 schema (`../shared/corpus/sarif/sarif-schema-2.1.0.json`,
//! draft-07), with format validation (`uri`, `uri-reference`), compiled once per test process.

use serde_json::Value;
use std::sync::OnceLock;

fn load(path: &std::path::Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn build(schema: &Value) -> jsonschema::Validator {
    jsonschema::options()
        .should_validate_formats(true)
        .build(schema)
        .unwrap_or_else(|e| panic!("schema does not compile: {e}"))
}

/// `docs/report.schema.json`.
pub fn report_schema() -> &'static Value {
    static S: OnceLock<Value> = OnceLock::new();
    S.get_or_init(|| load(&crate::repo_root().join("docs/report.schema.json")))
}

fn report_validator() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| {
        let s = report_schema();
        assert_eq!(
            s["$schema"], "https://json-schema.org/draft/2020-12/schema",
            "the report schema is JSON Schema 2020-12"
        );
        build(s)
    })
}

fn sarif_validator() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| {
        build(&load(
            &crate::corpus().join("sarif/sarif-schema-2.1.0.json"),
        ))
    })
}

fn errors(v: &jsonschema::Validator, instance: &Value, what: &str) -> Vec<String> {
    v.iter_errors(instance)
        .take(20)
        .map(|e| format!("{what}: {} at {}", e, e.instance_path()))
        .collect()
}

/// Panics with the first errors when `report` does not match `docs/report.schema.json`.
#[track_caller]
pub fn assert_report(report: &Value, what: &str) {
    let e = errors(report_validator(), report, what);
    assert!(e.is_empty(), "{}", e.join("\n"));
}

/// Panics when `log` is not valid against the OASIS SARIF 2.1.0 schema.
#[track_caller]
pub fn assert_sarif(log: &Value, what: &str) {
    let e = errors(sarif_validator(), log, what);
    assert!(e.is_empty(), "{}", e.join("\n"));
}

/// Whether `report` is valid (for negative tests of the schema itself).
pub fn report_is_valid(report: &Value) -> bool {
    report_validator().is_valid(report)
}
