//! SARIF 2.1.0 for code-scanning tools.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
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

fn rules() -> Vec<Value> {
    let base = docs_url();
    RULES
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
        .collect()
}

fn result(report: &Report, f: &crate::finding::Finding) -> Value {
    let idx = RULES.iter().position(|r| r.id == f.rule).unwrap_or(0);
    let mut res = json!({
        "ruleId": f.rule,
        "ruleIndex": idx,
        "level": level(f.severity),
        "message": {"text": if f.details.is_empty() { f.message.clone() } else { format!("{} {}", f.message, f.details.join("; ")) }},
        "properties": {"phase": f.phase().id(), "blocking": f.blocking},
    });
    if let Some((file, _, _, _, _)) = report.position(f).filter(|p| super::is_cluster_path(&p.0)) {
        res["locations"] = json!([{
            "physicalLocation": {"artifactLocation": {"uri": file}}
        }]);
    } else if let Some((file, line, col, el, ec)) = report.position(f) {
        res["locations"] = json!([{
            "physicalLocation": {
                "artifactLocation": {"uri": file.replace('\\', "/")},
                "region": {"startLine": line, "startColumn": col, "endLine": el, "endColumn": ec}
            }
        }]);
    }
    res
}

fn tool() -> Value {
    json!({"driver": {
        "name": "ambient-lsp",
        "version": env!("CARGO_PKG_VERSION"),
        "informationUri": docs_url(),
        "rules": rules(),
    }})
}

/// Checks that could not be evaluated (cluster input without permission to read a kind), as
/// tool execution notifications of the run's invocation.
fn invocations(report: &Report) -> Option<Value> {
    let unverified: Vec<Value> = report
        .phases
        .iter()
        .flat_map(|p| p.checks.iter().map(move |c| (p, c)))
        .filter(|(_, c)| c.status == super::CheckStatus::Unverified)
        .map(|(p, c)| {
            json!({
                "level": "warning",
                "message": {"text": format!("{}: {}", c.title, c.message)},
                "descriptor": {"id": c.id},
                "properties": {"phase": p.phase.id(), "status": "unverified"},
            })
        })
        .collect();
    if report.cluster.is_none() && unverified.is_empty() {
        return None;
    }
    Some(json!([{
        "executionSuccessful": true,
        "toolExecutionNotifications": unverified,
    }]))
}

pub fn render(report: &Report) -> Value {
    let results: Vec<Value> = report
        .inputs
        .iter()
        .chain(report.ran_findings())
        .map(|f| result(report, f))
        .collect();
    let mut run = json!({
        "tool": tool(),
        "results": results,
    });
    if let Some(inv) = invocations(report) {
        run["invocations"] = inv;
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [run]
    })
}

struct Results<'r, 'a>(&'r Report<'a>);

impl Serialize for Results<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = self.0;
        let mut seq = s.serialize_seq(None)?;
        for f in r.inputs.iter().chain(r.ran_findings()) {
            seq.serialize_element(&result(r, f))?;
        }
        seq.end()
    }
}

struct RunOf<'r, 'a>(&'r Report<'a>);

impl Serialize for RunOf<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("tool", &tool())?;
        if let Some(inv) = invocations(self.0) {
            m.serialize_entry("invocations", &inv)?;
        }
        m.serialize_entry("results", &Results(self.0))?;
        m.end()
    }
}

struct Log<'r, 'a>(&'r Report<'a>);

impl Serialize for Log<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("$schema", "https://json.schemastore.org/sarif-2.1.0.json")?;
        m.serialize_entry("version", "2.1.0")?;
        m.serialize_entry("runs", &[RunOf(self.0)])?;
        m.end()
    }
}

/// Stream the SARIF log to `out`, one result at a time.
pub fn write(out: &mut dyn std::io::Write, report: &Report) -> std::io::Result<()> {
    let mut ser = serde_json::Serializer::pretty(&mut *out);
    Log(report)
        .serialize(&mut ser)
        .map_err(std::io::Error::other)?;
    writeln!(out)
}
