//! SARIF 2.1.0 for code-scanning tools.

use serde_json::{json, Value};

use super::Report;
use crate::finding::Severity;
use crate::rules::RULES;

pub fn docs_url() -> String {
    std::env::var("AMBIENT_DOCS_URL").unwrap_or_else(|_| {
        "https://github.com/ambient-lsp/ambient-lsp/blob/main/docs/rules.md".to_string()
    })
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

pub fn render(report: &Report) -> Value {
    let base = docs_url();
    let rules: Vec<Value> = RULES
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "shortDescription": {"text": r.summary},
                "helpUri": format!("{base}#{}", crate::rules::doc_anchor(r.id)),
                "defaultConfiguration": {"level": level(r.severity)},
                "properties": {"phase": r.phase.id()},
            })
        })
        .collect();
    let mut results = Vec::new();
    for f in report.inputs.iter().chain(report.ran_findings()) {
        let idx = RULES.iter().position(|r| r.id == f.rule).unwrap_or(0);
        let mut res = json!({
            "ruleId": f.rule,
            "ruleIndex": idx,
            "level": level(f.severity),
            "message": {"text": if f.details.is_empty() { f.message.clone() } else { format!("{} {}", f.message, f.details.join("; ")) }},
            "properties": {"phase": f.phase().id(), "blocking": f.blocking},
        });
        if let Some((file, line, col, el, ec)) = report.position(f) {
            res["locations"] = json!([{
                "physicalLocation": {
                    "artifactLocation": {"uri": file.replace('\\', "/")},
                    "region": {"startLine": line, "startColumn": col, "endLine": el, "endColumn": ec}
                }
            }]);
        }
        results.push(res);
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "ambient-lsp",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": base,
                "rules": rules,
            }},
            "results": results,
        }]
    })
}
